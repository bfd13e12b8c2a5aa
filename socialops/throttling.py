"""API throttles: per token, per address, and failed token authentications per address.

Counts live in the project's cache (``settings.CACHES["default"]``: Redis when ``REDIS_URL`` is set,
else the file cache in ``var/``), so every web process shares them. Each limit is a fixed window:
the first request of a window creates its counter (``cache.add``) and every request increments it
(``cache.incr``, an atomic INCR on Redis, so concurrent requests are never under-counted there).
A refused request answers 429 with ``Retry-After`` = the seconds left in the window (DRF's
``Throttled``, rendered in the one error shape by ``socialops.errors``).

Rates come from ``settings.API_THROTTLE_RATES`` (``{"token": "300/minute", ...}``), read on every
request so tests and operators can change them.
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
        cache = caches["default"]
        window, left = self._window(_now())
        key = self._key(ident, window)
        cache.add(key, 0, timeout=self.duration + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: this request starts the window
            cache.set(key, 1, timeout=self.duration + 1)
            count = 1
        return count <= self.limit, left

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
        allowed, self._wait = FixedWindow(self.scope).hit(ident)
        return allowed

    def wait(self) -> float | None:
        return self._wait


class TokenRateThrottle(_WindowThrottle):
    """Requests per API token (``API_THROTTLE_RATES["token"]``)."""

    scope = "token"

    def ident(self, request, view) -> str | None:
        token = getattr(request, "auth", None)
        pk = getattr(token, "pk", None)
        return None if pk is None else str(pk)


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
