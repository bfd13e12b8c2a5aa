"""One error family for the whole project, reported the same way by pages and the API.

Services raise :class:`ApplicationError` (or a subclass) with a message for the user and,
optionally, per-field messages. Views turn it into form errors; the DRF handler below turns it
(and DRF's own errors) into one body shape::

    {"error": {"code": "validation_error", "message": "...", "fields": {"name": ["..."]}}}
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


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {k: [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
    return {}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    from rest_framework.views import (
        exception_handler,  # late: rest_framework.views imports settings
    )

    if isinstance(exc, ApplicationError):
        return Response(
            {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}, status=exc.http_status
        )
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
        body = {"code": "validation_error", "message": message, "fields": fields}
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        detail = getattr(exc, "detail", str(exc))
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = {"code": str(code), "message": str(detail), "fields": {}}
    response.data = {"error": body}
    return response
