"""The OpenAPI schema's shared parts: the one error shape on every operation, Idempotency-Key on writes,
``ETag`` on reads of one object and ``If-Match`` on writes to one (socialops/api.py's base view).

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
    "412": "`If-Match` names an ETag the object no longer has (`precondition_failed`): it changed since you "
    "read it. Nothing was written.",
    "422": "The `Idempotency-Key` was already used for another request (`idempotency_key_reused`).",
    "429": "Too many requests: wait the seconds in `Retry-After`.",
}
_WRITES = {"post", "put", "patch", "delete"}
#: what an error looks like, shown beside the statuses that most need it
_EXAMPLES = {
    "400": {
        "ValidationError": {
            "summary": "A field is not valid",
            "value": {
                "error": {
                    "code": "validation_error",
                    "message": "Some channels were not found.",
                    "fields": {"channels": ["Choose valid channels."]},
                    "request_id": "5f0c1d9e8b7a4c3d2e1f0a9b8c7d6e5f",
                }
            },
        },
        "NestedValidationError": {
            "summary": "A field inside an object or a list is not valid",
            "value": {
                "error": {
                    "code": "validation_error",
                    "message": "Enter a valid value.",
                    "fields": {"variant_texts.15": ["This field may not be null."]},
                    "request_id": "0a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5",
                }
            },
        },
    },
    "409": {
        "Conflict": {
            "summary": "The object's state does not allow it",
            "value": {
                "error": {
                    "code": "conflict",
                    "message": "This post is already published.",
                    "fields": {},
                    "request_id": "9e8d7c6b5a4f43e2d1c0b9a8f7e6d5c4",
                }
            },
        }
    },
}


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


_IF_MATCH_HEADER = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "The object's `ETag` as you last read it: the write happens only if the object has not "
    "changed since (checked under a row lock, so two writers holding one ETag cannot both pass); else a 412 "
    "`precondition_failed` and nothing is written. `*` matches any current version.",
    "example": '"5d41402abc4b2a76b9719d91"',
}
_IF_NONE_MATCH_HEADER = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "The object's `ETag` as you last read it: if it has not changed since, the answer is a "
    "304 without a body (keep your copy); else the object as usual.",
    "example": '"5d41402abc4b2a76b9719d91"',
}
_ETAG_HEADER = {
    "description": "The object's current version, opaque and quoted: send it back in `If-Match` to write "
    "only if nobody changed the object in between.",
    "schema": {"type": "string"},
}


def _one_object(path: str) -> bool:
    """A route of one object (``/api/v1/posts/{id}/``, ``/api/v1/posts/{id}/schedule/``)."""
    return "{id}" in path


def _statuses_for(path: str, method: str) -> list[str]:
    statuses = ["400", "401", "403", "429"]
    if "{" in path:
        statuses.append("404")
    if method in _WRITES:
        statuses.append("409")
    if method in _WRITES and _one_object(path):
        statuses.append("412")
    if method in _IDEMPOTENT:
        statuses.append("422")
    return sorted(statuses)


def describe_fields(result, generator, request, public):
    """drf-spectacular post-processing hook: every property (and parameter) without a ``help_text``
    (``description``) gets the glossary's description (socialops/schema_glossary.py). A ``$ref`` is wrapped in ``allOf`` so
    that its description is not ignored beside it."""
    from .schema_glossary import describe, describe_parameter

    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if not parameter.get("description"):
                    text = describe_parameter(path, parameter["name"])
                    if text is not None:
                        parameter["description"] = text
    for name, component in result.get("components", {}).get("schemas", {}).items():
        for field, prop in (component.get("properties") or {}).items():
            if prop.get("description"):
                continue
            text = describe(name, field)
            if text is None:
                continue
            if "$ref" in prop:
                prop["allOf"] = [{"$ref": prop.pop("$ref")}]
            prop["description"] = text
    return result


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
            if method in _WRITES and _one_object(path):
                operation.setdefault("parameters", []).append(dict(_IF_MATCH_HEADER))
            responses = operation.setdefault("responses", {})
            if (method == "get" and path.endswith("{id}/")) or (
                method in {"post", "put", "patch"} and _one_object(path)
            ):
                for status, response in responses.items():
                    if status.startswith("2") and status != "204":
                        response.setdefault("headers", {})["ETag"] = dict(_ETAG_HEADER)
            if method == "get" and path.endswith("{id}/") and "200" in responses:
                operation.setdefault("parameters", []).append(dict(_IF_NONE_MATCH_HEADER))
                responses.setdefault(
                    "304",
                    {
                        "description": "Not modified: the object still has the ETag given in "
                        "`If-None-Match`. No body.",
                        "headers": {"ETag": dict(_ETAG_HEADER)},
                    },
                )
            for status in _statuses_for(path, method):
                content = {"schema": ref}
                if status in _EXAMPLES:
                    content["examples"] = _EXAMPLES[status]
                declared = responses.get(status)
                if declared is None:
                    responses[status] = {
                        "description": _STATUSES[status],
                        "content": {"application/json": content},
                    }
                    continue
                # an operation that shows its own example of this error (the bulk schedule's
                # ``posts.<i>.<field>``): still the one shape, its example first, then the shared ones
                if not declared.get("description"):
                    declared["description"] = _STATUSES[status]
                body = declared.setdefault("content", {}).setdefault("application/json", {})
                body["schema"] = ref
                body["examples"] = {**body.get("examples", {}), **content.get("examples", {})}
    return result
