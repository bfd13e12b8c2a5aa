"""Every request gets an id: in the ``X-Request-ID`` response header, API error bodies and log lines.

A caller (or the proxy in front of us) may send its own ``X-Request-ID``; it is kept when it looks
like an id (letters, digits and ``._:-``, at most 128 characters), so one id follows a call through
every system. Otherwise a new random one is made. Support asks for it; the logs find it.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from django.core.signals import request_finished

HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served in this context, or None (a task, a command)."""
    return _current.get()


def _id_for(request) -> str:
    given = request.headers.get(HEADER, "")
    return given if _VALID.fullmatch(given) else uuid.uuid4().hex


class RequestIdMiddleware:
    """First in the chain, so every response (redirects, 404s, throttled calls) carries the header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = _id_for(request)
        # Kept until the response is finished (not reset here): Django logs "Not Found: …" and
        # "Bad Request: …" after the middleware chain has returned, and those lines need it too.
        _current.set(request.request_id)
        response = self.get_response(request)
        response[HEADER] = request.request_id
        return response


def _forget(**kwargs) -> None:
    _current.set(None)


request_finished.connect(_forget, dispatch_uid="socialops.request_id.forget")


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` to every record ("-" outside a request) for the log format."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get() or "-"
        return True
