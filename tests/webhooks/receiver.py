"""A customer's endpoint, played by a tiny http.server on 127.0.0.1: it records every request
(headers and body) and answers what the test tells it to (``receiver.answers`` is a list of
status codes used one per request, then ``receiver.default``)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        server = self.server
        with server.lock:
            server.seen.append(
                {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
            )
            status = server.answers.pop(0) if server.answers else server.default
        if status == "hang":
            server.release.wait(5)
            status = 200
        reply = b'{"received": true}' if status < 300 else b"receiver says no: " + b"x" * 3000
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


class Receiver:
    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.seen = []
        self.httpd.answers = []
        self.httpd.default = 200
        self.httpd.lock = threading.Lock()
        self.httpd.release = threading.Event()
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks"

    @property
    def seen(self) -> list[dict]:
        return self.httpd.seen

    @property
    def answers(self) -> list:
        return self.httpd.answers

    def set_default(self, status) -> None:
        self.httpd.default = status

    def close(self) -> None:
        self.httpd.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
