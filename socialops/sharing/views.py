"""The public side of share links: a decorator for a kind's page and the one "not available" page."""

from __future__ import annotations

import functools

from django.shortcuts import render

from .kinds import get_kind
from .services import ShareLinkGone, resolve

__all__ = ["gone_response", "open_link", "shared_link"]


def gone_response(request, reason: str, *, kind: str):
    """The phone-first "this link is not available" page: 410 for "expired"/"revoked", 404 otherwise."""
    response = render(
        request,
        "sharing/gone.html",
        {"reason": reason, "kind": kind},
        status=410 if reason in ("expired", "revoked") else 404,
    )
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    response["X-Robots-Tag"] = "noindex"
    return response


def open_link(token: str, *, kind: str):
    """``(link, None)`` when the link may open, else ``(None, reason)``: "unknown" (404),
    "expired" or "revoked" (410; also what the kind's ``check`` answers)."""
    try:
        link = resolve(token, kind=kind)
    except ShareLinkGone as gone:
        return None, gone.reason
    if link is None:
        return None, "unknown"
    check = get_kind(kind).check
    reason = check(link) if check is not None else None
    if reason:
        return None, reason
    return link, None


def shared_link(kind: str):
    """Decorate a public view of ``kind`` taking ``share_token`` from its URL: it is called as
    ``view(request, link, share_token=…, **kwargs)`` when the link opens; otherwise the visitor gets
    :func:`gone_response` (404 or 410) and the view is not called."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, share_token, *args, **kwargs):
            link, reason = open_link(share_token, kind=kind)
            if link is None:
                return gone_response(request, reason, kind=kind)
            response = view(request, link, *args, share_token=share_token, **kwargs)
            response.setdefault("Referrer-Policy", "no-referrer")
            response.setdefault("X-Robots-Tag", "noindex")
            return response

        return wrapper

    return decorator
