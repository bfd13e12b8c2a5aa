"""The few typed errors every provider raises; callers record them and decide (providers never retry a publish)."""

from __future__ import annotations


class ProviderError(Exception):
    """A network call failed. ``permanent`` means retrying the same request cannot succeed."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None,
                 status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.status = status
        self.code = code


class AuthExpired(ProviderError):
    """The token is expired, revoked or lacks a permission: the channel needs re-authorization."""

    def __init__(self, message: str = "The network no longer accepts this channel's authorization.", **kw):
        kw.setdefault("permanent", True)
        super().__init__(message, **kw)


class RateLimited(ProviderError):
    """The network (or our own budget) says wait: retry after ``retry_after`` seconds."""

    def __init__(self, message: str = "Rate limited by the network.", *, retry_after: float = 60.0, **kw):
        super().__init__(message, retry_after=retry_after, **kw)


class ContentRejected(ProviderError):
    """The network refused this content (too long, bad media, duplicate, policy): do not retry."""

    def __init__(self, message: str, **kw):
        kw.setdefault("permanent", True)
        super().__init__(message, **kw)


class TransientError(ProviderError):
    """A 5xx, a refused connection or a malformed answer: safe to retry with backoff."""


class UnknownOutcome(TransientError):
    """The request may have reached the network (time-out after sending, connection cut).

    The caller must settle it by asking the network (``find_existing``), never by blind retry.
    """


class BlockedDestination(ProviderError):
    """The URL points at a private, loopback or otherwise forbidden address."""

    def __init__(self, message: str, **kw):
        kw.setdefault("permanent", True)
        super().__init__(message, **kw)
