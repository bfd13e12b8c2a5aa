"""The few typed errors every provider raises; callers record them and decide (providers never retry a publish).

The transport's kinds (rate limited, transient, unknown outcome, blocked destination) are the
egress guard's own (``socialops.egress``, in the kernel); ``ProviderError`` is its base,
``OutboundError``. The networks' own kinds (an expired authorization, rejected content) are here.
"""

from __future__ import annotations

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

    def __init__(self, message: str = "The network no longer accepts this channel's authorization.", **kw):
        kw.setdefault("permanent", True)
        super().__init__(message, **kw)


class ContentRejected(ProviderError):
    """The network refused this content (too long, bad media, duplicate, policy): do not retry."""

    def __init__(self, message: str, **kw):
        kw.setdefault("permanent", True)
        super().__init__(message, **kw)
