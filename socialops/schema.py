"""The OpenAPI schema's shared parts: the one error shape on every operation, Idempotency-Key on writes.

drf-spectacular describes each view's success responses; the errors every endpoint can answer are
the same everywhere (socialops/errors.py), so this post-processing hook adds them once: the
``Error`` component (its ``code`` lists :data:`socialops.errors.ERROR_CODES`) and, per operation,
the statuses it can return. A generated client thereby has a typed error on every call.
"""

from __future__ import annotations

from drf_spectacular import openapi

from .errors import ERROR_CODES


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, plus each operation's query parameters from its view's ``filters``
    (socialops/api.py): the parameters the server checks are the parameters the schema lists."""

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        action_filters = getattr(self.view, "action_filters", None)
        if action_filters is not None and getattr(self.view, "action", None):
            params += [f.openapi_parameter() for f in action_filters()]
        return params


_STATUSES = {
    "400": "The request is not valid: `code` is `validation_error` (see `fields`), `parse_error` or another "
    "code from the list.",
    "401": "No token, or the token is unknown, revoked or expired.",
    "403": "The token may not do this.",
    "404": "No such object in this organization.",
    "409": "The object's state does not allow this (`conflict`, `stale_version`, …).",
    "422": "The `Idempotency-Key` was already used for another request (`idempotency_key_reused`).",
    "429": "Too many requests: wait the seconds in `Retry-After`.",
}
_WRITES = {"post", "put", "patch", "delete"}


def _error_component() -> dict:
    codes = "\n".join(f"- `{code}`: {meaning}" for code, meaning in ERROR_CODES.items())
    return {
        "type": "object",
        "description": "Every error the API answers has this shape.",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "fields", "request_id"],
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "A stable, machine-readable code. Codes:\n" + codes,
                        "example": "validation_error",
                    },
                    "message": {
                        "type": "string",
                        "description": "What went wrong, in the token owner's language, for a person to read.",
                    },
                    "fields": {
                        "type": "object",
                        "description": "Per-field messages, keyed by the field's path (`variant_texts.12`); "
                        "empty when the error is not about a field.",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                    "request_id": {
                        "type": "string",
                        "nullable": True,
                        "description": "The request's id, also in the `X-Request-ID` header: quote it to support.",
                    },
                },
            }
        },
    }


_IDEMPOTENT = {"post", "patch"}
_IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Makes a retry safe: the same key with the same request within 24 hours returns the first "
    "answer again (with `Idempotent-Replayed: true`) and changes nothing; the same key with another request is a "
    "422. Keys are per token. A request that fails frees its key.",
    "example": "3f1c9a52-7b0e-4d5f-9a51-2c7d1b8e6f00",
}


def _statuses_for(path: str, method: str) -> list[str]:
    statuses = ["400", "401", "403", "429"]
    if "{" in path:
        statuses.append("404")
    if method in _WRITES:
        statuses.append("409")
    if method in _IDEMPOTENT:
        statuses.append("422")
    return sorted(statuses)


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = _error_component()
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if method not in _WRITES | {"get", "head", "options"}:
                continue
            if method in _IDEMPOTENT:
                operation.setdefault("parameters", []).append(dict(_IDEMPOTENCY_HEADER))
            responses = operation.setdefault("responses", {})
            for status in _statuses_for(path, method):
                responses.setdefault(
                    status,
                    {
                        "description": _STATUSES[status],
                        "content": {"application/json": {"schema": ref}},
                    },
                )
    return result
