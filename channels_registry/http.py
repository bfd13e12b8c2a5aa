"""The one outbound HTTP client (after healthchecks' ``hc/lib/curl.py``).

- Time-outs on every call; redirects are never followed blindly.
- Refuses private, loopback, link-local and reserved addresses: users type Mastodon instances
  and webhook URLs. ``OUTBOUND_ALLOW_LOOPBACK`` (tests only) lets the fakes on 127.0.0.1 in.
- Per-key rate budgets (token buckets in the shared cache) are checked before a call.
- Transport failures become typed provider errors: a connection that never opened is
  ``TransientError``; a time-out or cut after the request was sent is ``UnknownOutcome``.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache

from .providers.errors import BlockedDestination, RateLimited, TransientError, UnknownOutcome

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
USER_AGENT = "SocialOps/1.0 (+https://socialops.example/bot)"


def _allow_loopback() -> bool:
    return bool(getattr(settings, "OUTBOUND_ALLOW_LOOPBACK", False))


def check_destination(url: str) -> None:
    """Raise BlockedDestination unless ``url`` is http(s) to a public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedDestination(f"Only http and https URLs are allowed, not {parts.scheme or 'none'}.")
    host = parts.hostname
    if not host:
        raise BlockedDestination("The URL has no host.")
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TransientError(f"Cannot resolve {host}: {exc.strerror or exc}") from exc
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if ip.is_loopback and _allow_loopback():
            continue
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
            raise BlockedDestination(f"{host} resolves to a private or local address ({ip}); that is not allowed.")


@dataclass
class Budget:
    """A token bucket: ``capacity`` calls per ``per_seconds``, shared by all processes through the cache."""

    key: str
    capacity: int
    per_seconds: float

    def take(self) -> None:
        now = time.time()
        cache_key = f"rate:{self.key}"
        state = cache.get(cache_key) or {"tokens": float(self.capacity), "at": now}
        tokens = min(self.capacity, state["tokens"] + (now - state["at"]) * self.capacity / self.per_seconds)
        if tokens < 1:
            wait = (1 - tokens) * self.per_seconds / self.capacity
            raise RateLimited(f"Our own budget for {self.key} is spent.", retry_after=round(wait, 1))
        cache.set(cache_key, {"tokens": tokens - 1, "at": now}, timeout=int(self.per_seconds) + 60)


class HttpClient:
    """Use one per provider call site; cheap to create."""

    def __init__(self, *, timeout: httpx.Timeout | float = DEFAULT_TIMEOUT, transport: httpx.BaseTransport | None = None):
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport,
                                    headers={"User-Agent": USER_AGENT})

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def request(self, method: str, url: str, *, budgets: list[Budget] | tuple = (), **kwargs: Any) -> httpx.Response:
        check_destination(url)
        for budget in budgets:
            budget.take()
        try:
            return self._client.request(method, url, **kwargs)
        except httpx.ConnectError as exc:  # nothing was sent
            raise TransientError(f"Cannot connect to {urlsplit(url).hostname}: {exc}") from exc
        except httpx.ConnectTimeout as exc:
            raise TransientError(f"Connecting to {urlsplit(url).hostname} timed out.") from exc
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            if method.upper() in ("GET", "HEAD", "OPTIONS"):
                raise TransientError(f"{urlsplit(url).hostname} did not answer in time.") from exc
            raise UnknownOutcome(
                f"{urlsplit(url).hostname} did not confirm the request; it may or may not have been applied."
            ) from exc
        except httpx.HTTPError as exc:
            raise TransientError(f"HTTP error talking to {urlsplit(url).hostname}: {exc}") from exc

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", url, **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", url, **kw)


def json_or_error(response: httpx.Response) -> Any:
    """The JSON body, or TransientError naming what came back instead (a malformed answer)."""
    try:
        return response.json()
    except ValueError as exc:
        snippet = response.text[:120].replace("\n", " ")
        raise TransientError(
            f"The network answered HTTP {response.status_code} with something that is not JSON: {snippet!r}",
            status=response.status_code,
        ) from exc
