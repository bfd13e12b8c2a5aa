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

    def __init__(
        self, message: str, *, fields: dict[str, list[str]] | None = None, code: str | None = None
    ):
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


class PreconditionFailed(ApplicationError):
    """An ``If-Match`` that names another version of the object than the current one (HTTP 412)."""

    code = "precondition_failed"
    http_status = 412


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


def flatten_errors(detail: Any) -> dict[str, list[str]]:
    """A serializer's ``errors`` as ``{"field.path": [messages]}``, the shape the API answers with."""
    return _flatten(detail)


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    """The one error shape of the API (see the module's docstring)."""
    from .request_id import current_request_id

    return {
        "error": {
            "code": code,
            "message": message,
            "fields": fields or {},
            "request_id": current_request_id(),
        }
    }


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


#: Every ``code`` an API error may carry, with what it means. Stable: clients branch on these, so a
#: code is added here (and in the schema, which is built from this table) before any service raises
#: it; tests/test_api_error_codes_are_documented.py checks that every code the code raises is here.
ERROR_CODES: dict[str, str] = {
    # the request itself
    "parse_error": "The body is not JSON, or not a JSON object.",
    "validation_error": "One or more fields are not valid; `fields` names each with its messages "
    "(a nested field by its path, e.g. `variant_texts.12`).",
    "invalid": "The request cannot be carried out as asked; `message` says why.",
    "unknown_parameter": "The query string has a parameter the endpoint does not take; `message` lists the ones "
    "it takes (a misspelt filter is refused rather than ignored).",
    "invalid_cursor": "The `cursor` is not one the API gave (changed, cut, or from another list): follow the "
    "`next`/`previous` links as given.",
    "unsupported_media_type": "The body's Content-Type is not one the endpoint takes (JSON; multipart for uploads).",
    "method_not_allowed": "The endpoint does not take this HTTP method.",
    "not_acceptable": "The Accept header asks for a format the API does not give (JSON only).",
    # who is asking
    "not_authenticated": "No token was given (Authorization: Token <token>).",
    "authentication_failed": "The token is unknown, revoked or expired.",
    "permission_denied": "The token's member (or service account) may not do this.",
    "insufficient_scope": "The token's scopes do not cover this call (e.g. a `posts:read` token writing a post).",
    "throttled": "Too many requests: wait the seconds in Retry-After.",
    # what is asked for
    "not_found": "No such object in this organization (another organization's objects are not found either), "
    "or no such route.",
    "conflict": "The object is not in a state that allows this (e.g. already published).",
    "stale_version": "The object changed since the version you sent: read it again (`message` names the "
    "current version).",
    "precondition_failed": "The `If-Match` header names an ETag the object no longer has: someone changed it "
    "since you read it. GET it again and retry with the new ETag.",
    "idempotency_key_reused": "The Idempotency-Key was already used (within 24 h, by this token) for another request.",
    "idempotency_key_in_use": "A request with this Idempotency-Key is still running: retry in a moment.",
    "server_error": "Something failed on our side; quote the request id to support.",
    # publishing
    "time_passed": "The time asked for is in the past.",
    "nobody_may_publish": "Nobody who approved or submitted the post may schedule it.",
    # governance
    "no_reviewers": "An access review was refused: nobody in its scope holds access in person, or "
    "someone's access has nobody (a team lead, another owner or admin) to review it.",
    "approval_required": "The post needs approval before it can be scheduled.",
    "reapproval_required": "Moving an approved post's time needs approval again.",
    "invalid_variants": "A channel's text or media does not fit the network's rules; `fields` says which.",
    "too_long": "A text is longer than the network allows.",
    "bad_media": "A media file is not a usable image or video.",
    "unsupported_media": "The uploaded or fetched file is not an image or video we take (its content is checked, not its name).",
    "media_too_large": "The file is over the upload's size or pixel limit.",
    "destination_not_allowed": "A URL points at a private, loopback or link-local address (or is not http/https): only the internet is fetched.",
    "fetch_timeout": "The server at the URL did not send the file in time.",
    "remote_error": "The server at the URL answered an HTTP error (its status is in `message`; its body is never repeated).",
    "fetch_failed": "The file at the URL could not be fetched (no connection, or too many redirects).",
    "mixed_media": "The network does not take images and a video in one post.",
    "media_failed": "The media's renditions could not be made.",
    "unsupported_format": "The file's format is not one the network takes.",
    "channel_disconnected": "The channel has no working credentials: reconnect it.",
    "reply_too_long": "An inbox reply is longer than the network allows, counted as the network "
    "counts (`fields.text` gives the length and the limit).",
    "reply_collision": "Another answer to the inbox conversation is being sent, waits for approval, or was "
    "written since the `last_seen_item` / `last_seen_reply` you sent (`message` quotes it): show it to the "
    "writer, and send again with `force` if they still want to.",
    "duplicate_name": "Another object of the organization already has this name, whatever its case "
    "(`fields.name`): choose another name.",
    # approvals
    "already_decided": "This approval request (or your part of it) is already decided.",
    "not_your_turn": "You are not an approver of the request's current stage.",
    "cannot_see_post": "The approver cannot see every channel of the post.",
    "used": "The link or invitation was already used.",
    "expired": "The link or invitation has expired.",
    "revoked": "The link or invitation was revoked.",
    # members and channels
    "invalid_invitation": "The invitation link is not valid.",
    "wrong_recipient": "The invitation was sent to another e-mail address.",
    "invalid_state": "The connection's state does not match: start connecting again.",
    "expired_state": "The connection attempt expired: start again.",
    "no_code": "The network did not authorize the connection.",
    "no_accounts": "The network returned no page or profile you administer.",
    "no_client": "The network's app credentials are not configured on this server.",
    "no_instance": "No server was given for a network that needs one (Mastodon, Bluesky PDS).",
    "bad_instance": "The server given is not reachable or not of that network.",
    "network_disabled": "This network is not enabled for the organization.",
    "network_error": "The network answered something we could not use; try again later.",
    "rate_limited": "The network is rate-limiting this account; try again later.",
}
