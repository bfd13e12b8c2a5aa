"""API throttles: per token, per address, and failed token authentications per address.

Counts live in the project's cache (``settings.CACHES["default"]``: Redis when ``REDIS_URL`` is set,
else the file cache in ``var/``), so every web process shares them. Each limit is a fixed window:
the first request of a window creates its counter (``cache.add``) and every request increments it
(``cache.incr``, an atomic INCR on Redis, so concurrent requests are never under-counted there).
A refused request answers 429 with ``Retry-After`` = the seconds left in the window (DRF's
``Throttled``, rendered in the one error shape by ``socialops.errors``).

Rates come from ``settings.API_THROTTLE_RATES`` (``{"token": "300/minute", ...}``), read on every
request so tests and operators can change them.

Every ``/api/v1/`` response tells the caller where it stands (``RateLimit-Limit``,
``RateLimit-Remaining``, ``RateLimit-Reset`` in seconds, as the IETF httpapi draft names them; see
:class:`RateLimitHeadersMiddleware`): the token's window when the request names a token, else the
address's, or whichever of the two is nearer its limit when both were counted.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import caches
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _now() -> float:
    return time.time()


def parse_rate(rate: str) -> tuple[int, int]:
    """``"300/minute"`` → (300, 60). Periods: second, minute, hour, day (any word starting so)."""
    count, _, period = (rate or "").partition("/")
    try:
        number = int(count)
        duration = _PERIODS[period.strip()[:1].lower()]
    except (ValueError, KeyError, IndexError):
        raise ValueError(f"{rate!r} is not a rate like 300/minute") from None
    if number < 1:
        raise ValueError(f"{rate!r} is not a rate like 300/minute")
    return number, duration


class FixedWindow:
    """One counter per (scope, identity, window) in the shared cache."""

    def __init__(self, scope: str):
        self.scope = scope
        self.limit, self.duration = parse_rate(settings.API_THROTTLE_RATES[scope])

    def _window(self, now: float) -> tuple[str, float]:
        index = int(now // self.duration)
        return f"{index}", (index + 1) * self.duration - now

    def _key(self, ident: str, window: str) -> str:
        return f"throttle:{self.scope}:{ident}:{window}"

    def hit(self, ident: str) -> tuple[bool, float]:
        """Count one request; (allowed, seconds until the window ends)."""
        count, left = self.count(ident)
        return count <= self.limit, left

    def count(self, ident: str) -> tuple[int, float]:
        """Count one request; (requests in this window so far, seconds until the window ends)."""
        cache = caches["default"]
        window, left = self._window(_now())
        key = self._key(ident, window)
        cache.add(key, 0, timeout=self.duration + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: this request starts the window
            cache.set(key, 1, timeout=self.duration + 1)
            count = 1
        return count, left

    def peek(self, ident: str) -> tuple[int, float]:
        """Without counting: (requests in this window so far, seconds until the window ends)."""
        window, left = self._window(_now())
        return caches["default"].get(self._key(ident, window)) or 0, left

    def blocked(self, ident: str) -> float | None:
        """Without counting: the seconds to wait when the limit is already used up, else None."""
        window, left = self._window(_now())
        count = caches["default"].get(self._key(ident, window)) or 0
        return left if count >= self.limit else None


class _WindowThrottle(BaseThrottle):
    scope = ""

    def __init__(self):
        self._wait: float | None = None

    def ident(self, request, view) -> str | None:  # pragma: no cover - subclasses define it
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        ident = self.ident(request, view)
        if ident is None:
            return True
        window = FixedWindow(self.scope)
        count, self._wait = window.count(ident)
        _remember(request, self.scope, window.limit, count, self._wait)
        return count <= window.limit

    def wait(self) -> float | None:
        return self._wait


def _remember(request, scope: str, limit: int, count: int, left: float) -> None:
    """Keep a counted window on the Django request, for the rate-limit headers of its response."""
    django_request = getattr(request, "_request", request)
    windows = getattr(django_request, "rate_limit_windows", None)
    if windows is None:
        windows = django_request.rate_limit_windows = {}
    windows[scope] = (limit, count, left)


def _token_ident(token) -> str | None:
    pk = getattr(token, "pk", None)
    return None if pk is None else str(pk)


class TokenRateThrottle(_WindowThrottle):
    """Requests per API token (``API_THROTTLE_RATES["token"]``)."""

    scope = "token"

    def ident(self, request, view) -> str | None:
        return _token_ident(getattr(request, "auth", None))


class AddressRateThrottle(_WindowThrottle):
    """Requests per client address (``API_THROTTLE_RATES["address"]``), whatever the token.

    The address is ``REMOTE_ADDR``, or behind ``NUM_PROXIES`` trusted proxies the entry they
    appended to ``X-Forwarded-For`` (never one the client could choose).
    """

    scope = "address"

    def ident(self, request, view) -> str | None:
        return self.get_ident(request) or None


def client_address(request) -> str:
    return AddressRateThrottle().get_ident(request) or "unknown"


def refuse_if_auth_failures_exceeded(request) -> None:
    """Raise 429 when this address used up its failed token authentications for the window.

    Checked before a token is looked at, so an address that keeps guessing gets no answer about
    any token (a valid one included) until the window ends.
    """
    wait = FixedWindow("auth_failure").blocked(client_address(request))
    if wait is not None:
        raise exceptions.Throttled(wait=math.ceil(wait))


def record_auth_failure(request) -> None:
    FixedWindow("auth_failure").hit(client_address(request))


def rate_limit_headers(request) -> dict[str, str]:
    """``RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` for the response to ``request``.

    The windows the throttles counted for this request; when none ran (the call was refused before
    throttling: a 401, a 403, an unknown route), the token's (else the address's) window as it
    stands, read without counting. Of several, the one nearest its limit.
    """
    windows = dict(getattr(request, "rate_limit_windows", None) or {})
    if not windows:
        token_ident = _token_ident(getattr(request, "auth", None))
        scope, ident = (
            ("token", token_ident)
            if token_ident is not None
            else ("address", client_address(request))
        )
        window = FixedWindow(scope)
        count, left = window.peek(ident)
        windows[scope] = (window.limit, count, left)
    limit, count, left = min(windows.values(), key=lambda w: (w[0] - w[1], -w[0]))
    return {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(max(0, limit - count)),
        "RateLimit-Reset": str(max(1, math.ceil(left))),
    }


class RateLimitHeadersMiddleware:
    """Every ``/api/v1/`` response carries the rate-limit headers (a 429 also DRF's ``Retry-After``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/v1/"):
            for name, value in rate_limit_headers(request).items():
                response[name] = value
        return response
