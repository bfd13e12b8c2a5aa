"""The one outbound HTTP client, the egress guard (after healthchecks' ``hc/lib/curl.py``).

It sits in the kernel so that every app (the networks' providers in channels_registry, the
outgoing webhooks in socialops.webhooks, a media fetch by URL) leaves through the same guard;
``channels_registry.http`` re-exports it for the providers.

- Time-outs on every call; redirects are never followed blindly.
- Refuses every address that is not globally reachable (private, loopback, link-local, shared
  100.64.0.0/10 such as cloud metadata at 100.100.100.200, 6to4, IPv4-mapped or NAT64 forms of
  those, multicast, reserved): users type Mastodon instances and webhook URLs.
  ``OUTBOUND_ALLOW_LOOPBACK`` (tests only) lets the fakes on 127.0.0.1 in.
- The name is resolved ONCE per connection, every answer is checked, and the socket is opened to
  a checked address (:class:`GuardedTransport`). Resolving again to connect would let a DNS
  server answer a public address to the check and 127.0.0.1 to the connection (DNS rebinding).
  The URL keeps the host name, so the Host header, TLS SNI and certificate checks use the name.
- Environment proxies (``HTTPS_PROXY``…) are not used: a proxy resolves names itself, which would
  skip the check.
- Per-key rate budgets (token buckets in the shared cache) are checked before a call.
- Transport failures become typed errors (:class:`OutboundError` and its subclasses, which the
  providers know as ``ProviderError``…): a connection that never opened is
  ``TransientError``; a time-out or cut after the request was sent is ``UnknownOutcome``.
- No message built here repeats what the remote server sent (its body, or a protocol error that
  quotes its bytes): a message reaches people's screens, and the remote may be anything.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import logging
import os
import socket
import ssl
import time
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


# --- Errors ----------------------------------------------------------------------------------------
# channels_registry.providers.errors names OutboundError ``ProviderError`` and adds the networks'
# own kinds (AuthExpired, ContentRejected); the classes below are the same objects there.


class OutboundError(Exception):
    """An outbound call failed. ``permanent`` means retrying the same request cannot succeed."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
        code: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.status = status
        self.code = code


class RateLimited(OutboundError):
    """The remote (or our own budget) says wait: retry after ``retry_after`` seconds."""

    def __init__(
        self, message: str = "Rate limited by the network.", *, retry_after: float = 60.0, **kw
    ):
        super().__init__(message, retry_after=retry_after, **kw)


class TransientError(OutboundError):
    """A 5xx, a refused connection or a malformed answer: safe to retry with backoff."""


class UnknownOutcome(TransientError):
    """The request may have reached the remote (time-out after sending, connection cut).

    A provider settles it by asking the network (``find_existing``), never by blind retry.
    """


class BlockedDestination(OutboundError):
    """The URL points at a private, loopback or otherwise forbidden address."""

    def __init__(self, message: str, **kw):
        kw.setdefault("permanent", True)
        super().__init__(message, **kw)


DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
USER_AGENT = "SocialOps/1.0 (+https://socialops.example/bot)"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Ranges Python 3.11's ``is_global`` still calls global but that do not name one public host.
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in (
        "192.0.0.0/24",  # IETF protocol assignments (3.11 counts some, e.g. 192.0.0.8, as global)
        "::/96",  # IPv4-compatible IPv6 (deprecated): ::127.0.0.1
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
        "2002::/16",  # 6to4 (deprecated, RFC 7526): a relay forwards to the IPv4 inside, e.g. 2002:7f00:1::
        "fec0::/10",  # site-local (deprecated)
    )
)
#: The well-known NAT64 prefix (RFC 6052): a DNS64 network reaches IPv4 hosts through it, so the
#: IPv4 address inside is what must be public.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _allow_loopback() -> bool:
    return bool(getattr(settings, "OUTBOUND_ALLOW_LOOPBACK", False))


def is_public_address(ip: IPAddress) -> bool:
    """True only for a globally reachable unicast address (embedded IPv4 forms unwrapped)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:127.0.0.1 is 127.0.0.1
            return is_public_address(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.is_multicast or any(ip in net for net in _NOT_PUBLIC if net.version == ip.version):
        return False
    return ip.is_global


def _allowed(ip: IPAddress) -> bool:
    if _allow_loopback():
        inner = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip
        if inner.is_loopback:
            return True
    return is_public_address(ip)


def resolve_destination(host: str, port: int) -> list[tuple[int, str]]:
    """Resolve ``host`` once and return ``(family, address)`` for every answer, all of them checked.

    Raises BlockedDestination if ANY answer is not public (a name that mixes a public and a
    private answer is refused, so which one a connection picks does not matter), TransientError
    if the name does not resolve.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TransientError(f"Cannot resolve {host}.") from exc
    answers: list[tuple[int, str]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone ("fe80::1%eth0")
        ip = ipaddress.ip_address(address)
        if not _allowed(ip):
            raise BlockedDestination(
                f"{host} resolves to a private or local address ({ip}); that is not allowed."
            )
        if (family, address) not in answers:
            answers.append((family, address))
    if not answers:
        raise TransientError(f"Cannot resolve {host}.")
    return answers


def _split(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedDestination(
            f"Only http and https URLs are allowed, not {parts.scheme or 'none'}."
        )
    host = parts.hostname
    if not host:
        raise BlockedDestination("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise BlockedDestination("The URL's port is not valid.") from exc
    return parts.scheme, host, port


def check_destination(url: str) -> None:
    """Raise BlockedDestination unless ``url`` is http(s) to a public address.

    An early answer for a person typing an address (Mastodon's instance): the connection itself
    resolves and checks again through :class:`GuardedTransport` and dials only what it checked.
    """
    _scheme, host, port = _split(url)
    resolve_destination(host, port)


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore's socket layer with one change: ``connect_tcp`` is given the URL's host name and
    dials a checked address, never the name (see :func:`resolve_destination`)."""

    def __init__(self) -> None:
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        # Try each checked answer in turn, as socket.create_connection would with the name.
        *others, last = resolve_destination(host, port)  # never empty
        options = {
            "timeout": timeout,
            "local_address": local_address,
            "socket_options": socket_options,
        }
        for _family, address in others:
            try:
                return self._sockets.connect_tcp(address, port, **options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue
        return self._sockets.connect_tcp(last[1], port, **options)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise BlockedDestination("Unix sockets are not an allowed destination.")

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(seconds)


@functools.lru_cache(maxsize=4)
def _trusted_roots(cafile: str, capath: str) -> ssl.SSLContext:
    """The process's TLS context for ``verify=True``: loading the CA bundle is ~20 ms (most of a
    provider's construction; every channel call builds one), and a context is safe to share
    between connections and threads. One per ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``, as httpx reads
    them, so changing either still takes effect."""
    return httpx.create_ssl_context(verify=True)


def tls_context(verify: Any = True) -> ssl.SSLContext:
    """httpx's TLS context for ``verify``; the shared one for the default trust store."""
    if verify is True:
        return _trusted_roots(
            os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", "")
        )
    return httpx.create_ssl_context(verify=verify)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport whose connection pool dials through :class:`_GuardedBackend`.

    httpx (0.27–0.29) has no public argument for httpcore's ``network_backend``, so the pool is
    rebuilt here with the same public httpcore constructor httpx uses; the assertion below turns
    a future httpx that renames its pool into a loud failure at start-up, not a silent bypass.
    """

    def __init__(self, *, verify: Any = True, limits: httpx.Limits | None = None) -> None:
        limits = limits or httpx.Limits(
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0
        )
        # One TLS context (building one is the costly part): the process's shared one by default,
        # honouring SSL_CERT_FILE / SSL_CERT_DIR.
        ssl_context = tls_context(verify)
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError(
                "httpx.HTTPTransport no longer keeps its pool in _pool: update GuardedTransport."
            )
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(),
        )


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
        until = state.get("until", 0.0)
        if until > now:  # the network said its own limit is spent (see ``hold``)
            raise RateLimited(
                f"The network's limit for {self.key} is spent until it resets.",
                retry_after=round(until - now, 1),
            )
        tokens = min(
            self.capacity, state["tokens"] + (now - state["at"]) * self.capacity / self.per_seconds
        )
        if tokens < 1:
            wait = (1 - tokens) * self.per_seconds / self.capacity
            raise RateLimited(
                f"Our own budget for {self.key} is spent.", retry_after=round(wait, 1)
            )
        cache.set(cache_key, {"tokens": tokens - 1, "at": now}, timeout=int(self.per_seconds) + 60)

    def hold(self, seconds: float) -> None:
        """The network answered that no call is left in its window (e.g. X's
        ``x-rate-limit-remaining: 0`` on a successful answer): no call goes through this budget
        for ``seconds``, whatever our own count says; then it starts empty and refills."""
        if seconds <= 0:
            return
        now = time.time()
        cache.set(
            f"rate:{self.key}",
            {"tokens": 0.0, "at": now + seconds, "until": now + seconds},
            timeout=int(seconds + self.per_seconds) + 60,
        )


def _connect_failure(host: str, exc: Exception) -> str:
    """Say why a connection did not open without quoting anything the remote sent."""
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return f"Cannot connect to {host}: its TLS certificate could not be verified."
    if "Connection refused" in text:
        return f"Cannot connect to {host}: the connection was refused."
    return f"Cannot connect to {host}."


class HttpClient:
    """Use one per provider call site; cheap to create.

    ``transport`` is for tests (an ``httpx.MockTransport``…): with one that is not a
    :class:`GuardedTransport` nothing is dialed by us, so the destination is checked up front
    with :func:`check_destination` instead.
    """

    def __init__(
        self,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ):
        transport = transport if transport is not None else GuardedTransport()
        self._checked_at_connect = isinstance(transport, GuardedTransport)
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            transport=transport,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _before(self, url: str, budgets) -> str:
        _scheme, host, _port = _split(url)
        if not self._checked_at_connect:
            check_destination(url)
        for budget in budgets:
            budget.take()
        return host

    @contextlib.contextmanager
    def _typed_errors(self, method: str, host: str) -> Iterator[None]:
        """httpx's failures as the typed errors above, never quoting what the remote sent."""
        try:
            yield
        except httpx.ConnectTimeout as exc:
            raise TransientError(f"Connecting to {host} timed out.") from exc
        except httpx.ConnectError as exc:  # nothing was sent
            log.info("connect to %s failed: %s", host, type(exc).__name__)
            raise TransientError(_connect_failure(host, exc)) from exc
        except (
            httpx.ReadTimeout,
            httpx.WriteTimeout,
            httpx.RemoteProtocolError,
            httpx.ReadError,
        ) as exc:
            if method.upper() in ("GET", "HEAD", "OPTIONS"):
                raise TransientError(f"{host} did not answer in time.") from exc
            raise UnknownOutcome(
                f"{host} did not confirm the request; it may or may not have been applied."
            ) from exc
        except httpx.HTTPError as exc:  # its text may quote the remote's bytes: name the kind only
            raise TransientError(f"HTTP error talking to {host} ({type(exc).__name__}).") from exc

    def request(
        self, method: str, url: str, *, budgets: list[Budget] | tuple = (), **kwargs: Any
    ) -> httpx.Response:
        host = self._before(url, budgets)
        with self._typed_errors(method, host):
            return self._client.request(method, url, **kwargs)

    def request_capped(
        self,
        method: str,
        url: str,
        *,
        max_body: int,
        budgets: list[Budget] | tuple = (),
        **kwargs: Any,
    ) -> tuple[httpx.Response, bytes]:
        """The response and at most ``max_body`` bytes of its body (the rest is never read): for
        a remote that may answer anything, such as a customer's webhook endpoint."""
        host = self._before(url, budgets)
        with (
            self._typed_errors(method, host),
            self._client.stream(method, url, **kwargs) as response,
        ):
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size >= max_body:
                    break
            return response, b"".join(chunks)[:max_body]

    @contextlib.contextmanager
    def stream(
        self, method: str, url: str, *, budgets: list[Budget] | tuple = (), **kwargs: Any
    ) -> Iterator[httpx.Response]:
        """The response with its body not read yet: read it inside the block (``iter_bytes``), as
        much as the caller wants, e.g. a file fetched by URL with a size cap. Failures while
        connecting or reading are the typed errors above."""
        host = self._before(url, budgets)
        with (
            self._typed_errors(method, host),
            self._client.stream(method, url, **kwargs) as response,
        ):
            yield response

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", url, **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", url, **kw)


def remote_message(value: Any, limit: int = 200) -> str:
    """A network's documented error field (``error_description``…), made fit to show: one line,
    at most ``limit`` characters. For hosts people type (Mastodon), where the field could be
    anything; never use it for a raw body."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_or_error(response: httpx.Response) -> Any:
    """The JSON body, or TransientError saying that something else came back.

    The message never quotes the body: it reaches people's screens, and the remote (a Mastodon
    instance someone typed) may be anything.
    """
    try:
        return response.json()
    except ValueError as exc:
        raise TransientError(
            f"The network answered HTTP {response.status_code} with something that is not JSON.",
            status=response.status_code,
        ) from exc
