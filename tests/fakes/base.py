"""A tiny threaded HTTP server on 127.0.0.1 for network fakes.

Each fake subclasses :class:`FakeServer`, registers routes with ``@route(METHOD, regex)`` and
keeps its state in memory. Handlers receive a :class:`FakeRequest` and return
``(status, body, headers)`` where ``body`` is a dict/list (sent as JSON), ``bytes`` or ``str``.
Every request is recorded in ``server.requests`` so tests can assert what the connector sent.
Failure injection: ``server.fail_next(path_regex, status, body, headers, times=1)`` makes the
next matching requests fail as the network documents (429 with reset headers, 5xx, garbage).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Handler = Callable[..., Any]


def route(method: str, pattern: str):
    def deco(fn: Handler) -> Handler:
        fn._route = (method.upper(), re.compile(pattern + r"\Z"))  # type: ignore[attr-defined]
        return fn

    return deco


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    match: re.Match | None = None

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    @property
    def bearer(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else None


@dataclass
class Failure:
    pattern: re.Pattern
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    #: "respond" (send the failure) or "hang" (never answer → client time-out) or "garbage"
    mode: str = "respond"


class FakeServer:
    def __init__(self) -> None:
        self.requests: list[FakeRequest] = []
        self.failures: list[Failure] = []
        self._routes: list[tuple[str, re.Pattern, Handler]] = []
        for klass in reversed(
            type(self).__mro__
        ):  # class attributes only: no property is evaluated
            for name, attr in vars(klass).items():
                spec = getattr(attr, "_route", None)
                if spec:
                    self._routes.append((spec[0], spec[1], getattr(self, name)))
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.lock = threading.RLock()

    # lifecycle ------------------------------------------------------------------------------
    def start(self) -> FakeServer:
        server = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per answer

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                server._dispatch(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle  # noqa: N815

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # failure injection --------------------------------------------------------------------------
    def fail_next(
        self,
        pattern: str,
        status: int = 500,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        mode: str = "respond",
    ) -> None:
        with self.lock:
            self.failures.append(
                Failure(re.compile(pattern), status, body, headers or {}, times, mode)
            )

    def _take_failure(self, path: str) -> Failure | None:
        with self.lock:
            for failure in self.failures:
                if failure.times > 0 and failure.pattern.search(path):
                    failure.times -= 1
                    if failure.times == 0:
                        self.failures.remove(failure)
                    return failure
        return None

    # dispatch -----------------------------------------------------------------------------------
    def _dispatch(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("content-length") or 0)
        body = h.rfile.read(length) if length else b""
        req = FakeRequest(
            h.command,
            parts.path,
            parse_qs(parts.query, keep_blank_values=True),
            {k.lower(): v for k, v in h.headers.items()},
            body,
        )
        with self.lock:
            self.requests.append(req)
        failure = self._take_failure(parts.path)
        if failure is not None:
            if failure.mode == "hang":
                threading.Event().wait(failure.body or 5)
                return
            if failure.mode == "garbage":
                self._send(
                    h, failure.status, b"<html>upstream error</html>", {"Content-Type": "text/html"}
                )
                return
            self._send(h, failure.status, failure.body, failure.headers)
            return
        for method, pattern, fn in self._routes:
            if method != h.command:
                continue
            m = pattern.match(parts.path)
            if m:
                req.match = m
                result = fn(req, **m.groupdict())
                status, payload, headers = (
                    (result + ({},))[:3] if isinstance(result, tuple) else (200, result, {})
                )
                self._send(h, status, payload, headers)
                return
        self._send(h, 404, {"error": f"no fake route for {h.command} {parts.path}"}, {})

    @staticmethod
    def _send(
        h: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str]
    ) -> None:
        if isinstance(payload, bytes):
            data = payload
            ctype = "application/octet-stream"
        elif isinstance(payload, str):
            data = payload.encode()
            ctype = "text/plain; charset=utf-8"
        elif payload is None:
            data = b""
            ctype = "application/json"
        else:
            data = json.dumps(payload).encode()
            ctype = "application/json"
        h.send_response(status)
        headers = dict(headers)
        headers.setdefault("Content-Type", ctype)
        for k, v in headers.items():
            h.send_header(k, str(v))
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)

    # helpers for subclasses ---------------------------------------------------------------------
    def requests_to(self, method: str, path_regex: str) -> list[FakeRequest]:
        rx = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and rx.search(r.path)]
