"""The few typed errors every provider raises; callers record them and decide (providers never retry a publish).

One table maps an HTTP status onto them (:data:`STATUS_ERRORS`, :func:`error_for_status`); each
network overrides the rows its documentation gives another meaning, in ``Provider.status_errors``.

The transport's kinds (rate limited, transient, unknown outcome, blocked destination) are the
egress guard's own (``socialops.egress``, in the kernel); ``ProviderError`` is its base,
``OutboundError``. The networks' own kinds (an expired authorization, rejected content) are here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from socialops.egress import (
    BlockedDestination,
    OutboundError,
    RateLimited,
    TransientError,
    UnknownOutcome,
)

#: every provider error; the same class as the egress guard's ``OutboundError``
ProviderError = OutboundError

__all__ = [
    "AuthExpired",
    "BlockedDestination",
    "ContentRejected",
    "ProviderError",
    "RateLimited",
    "TransientError",
    "UnknownOutcome",
]


class AuthExpired(ProviderError):
    """The token is expired, revoked or lacks a permission: the channel needs re-authorization."""

    def __init__(
        self, message: str = "The network no longer accepts this channel's authorization.", **kw
    ):
        kw.setdefault("permanent", True)
        super().__init__(message, **kw)


class ContentRejected(ProviderError):
    """The network refused this content (too long, bad media, duplicate, policy): do not retry."""

    def __init__(self, message: str, **kw):
        kw.setdefault("permanent", True)
        super().__init__(message, **kw)


# --- HTTP status → typed error -----------------------------------------------------------------


@dataclass(frozen=True)
class StatusRule:
    """What one HTTP status means on a network: the typed error, and the words people read.

    ``message`` may use ``{network}``, ``{status}``, ``{detail}`` (the network's own words, or
    ``fallback`` when it sent none) and any field the provider passes (Mastodon: ``{host}``).
    """

    error: type[ProviderError]
    message: str = "{network} answered HTTP {status}: {detail}"
    fallback: str = "no details"
    code: str | None = None


#: The table every network starts from; a provider overrides rows in its ``status_errors``.
#: Statuses without a row of their own take the "4xx" or "5xx" row.
STATUS_ERRORS: Mapping[int | str, StatusRule] = {
    401: StatusRule(
        AuthExpired, "{network} no longer accepts this channel's authorization: {detail}"
    ),
    # OAuth's insufficient_scope: only a new consent with the missing permission helps
    403: StatusRule(AuthExpired, "{network} refused access: {detail}"),
    429: StatusRule(RateLimited, "{network} asks us to slow down: {detail}"),
    "4xx": StatusRule(ProviderError, "{network} answered HTTP {status}: {detail}"),
    "5xx": StatusRule(TransientError, "{network} had a server error (HTTP {status}): {detail}"),
}


def error_for_status(
    status: int,
    *,
    network: str,
    detail: str = "",
    code: str | None = None,
    table: Mapping[int | str, StatusRule] | None = None,
    retry_after: Callable[[], float | None] | None = None,
    creating: bool = False,
    row: int | str | None = None,
    **fields: Any,
) -> ProviderError:
    """The typed error an unsuccessful HTTP answer means (the caller raises it).

    ``table`` is the network's overrides of :data:`STATUS_ERRORS`. ``retry_after`` is asked only
    for a :class:`RateLimited` (the network's own reset headers; 60 s when it has no answer).
    ``creating``: the request may have created something, so a server error is an
    :class:`UnknownOutcome` the caller settles by asking the network, never by retrying.
    ``row``: the row to read when the network's own error name says more than the status
    (Bluesky's ``ExpiredToken`` arrives with a 400 and means what a 401 means).
    """
    rows = {**STATUS_ERRORS, **(table or {})}
    key = status if row is None else row
    rule = rows.get(key) or rows["5xx" if status >= 500 else "4xx"]
    values = {"network": network, "status": status, **fields}
    values["detail"] = detail or rule.fallback.format(**values)
    message = rule.message.format(**values)
    kwargs: dict[str, Any] = {"status": status, "code": code or rule.code}
    error = rule.error
    if issubclass(error, RateLimited):
        kwargs["retry_after"] = (retry_after() if retry_after else None) or 60.0
    elif error is ProviderError:
        kwargs["permanent"] = True
    elif error is TransientError and creating:
        error = UnknownOutcome
    return error(message, **kwargs)


def retry_after_header(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header in its delta-seconds form (at least 1), else None."""
    value = str(headers.get("retry-after") or headers.get("Retry-After") or "").strip()
    if value.isdigit():
        return max(1.0, float(value))
    return None
