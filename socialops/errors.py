"""One error family for the whole project, reported the same way by pages and the API.

Services raise :class:`ApplicationError` (or a subclass) with a message for the user and,
optionally, per-field messages. Views turn it into form errors; the DRF handler below turns it
(and DRF's own errors) into one body shape::

    {"error": {"code": "validation_error", "message": "...", "fields": {"name": ["..."]},
               "request_id": "..."}}

A nested field's messages are keyed by its path (``variant_texts.12``, ``stages.0.approvers``), so a
client reads plain strings at every level, never a Python representation.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response


class ApplicationError(Exception):
    code = "invalid"
    http_status = 400

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class ValidationFailed(ApplicationError):
    code = "validation_error"


class Conflict(ApplicationError):
    code = "conflict"
    http_status = 409


class NotAllowed(ApplicationError):
    code = "permission_denied"
    http_status = 403


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's error detail (dicts and lists nested as deep as the input) as ``{"a.b.0": [messages]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list):
        messages = [str(x) for x in detail if not isinstance(x, dict | list)]
        if messages:
            out.setdefault(prefix, []).extend(messages)
        for index, item in enumerate(detail):
            if isinstance(item, dict | list) and item:
                out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    elif detail is not None:
        out.setdefault(prefix, []).append(str(detail))
    return out


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    """The one error shape of the API (see the module's docstring)."""
    from .request_id import current_request_id

    return {"error": {"code": code, "message": message, "fields": fields or {},
                      "request_id": current_request_id()}}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    from rest_framework.views import (
        exception_handler,  # late: rest_framework.views imports settings
    )

    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        non_field = fields.pop("non_field_errors", [])
        message = non_field[0] if non_field else "Some fields are not valid."
        if isinstance(exc.detail, list):
            message = str(exc.detail[0]) if exc.detail else message
        response.data = error_body("validation_error", message, fields)
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        detail = getattr(exc, "detail", str(exc))
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = error_body(str(code), str(detail))
    return response
