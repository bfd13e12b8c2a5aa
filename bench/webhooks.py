"""Outgoing webhooks figures (issue 13): 1,000 events/s to a local receiver, p99 delay ≤ 2 s, and
none lost while the receiver is down for a minute.

How to run it
-------------
The figures are for the real stack (PostgreSQL, Redis, ``celery worker`` and ``celery beat``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/socialops_bench \\
    REDIS_URL=redis://127.0.0.1:6379/1 BENCH_PUBLISHING_PARTS= make bench

Knobs (environment): ``BENCH_WEBHOOKS_RATE`` (events/s, 1000), ``BENCH_WEBHOOKS_SECONDS`` (how
long the steady part emits, 10 s), ``BENCH_WEBHOOKS_PER_COMMIT`` (events one transaction emits,
10: a hundred actions a second, each telling of ten changes), ``BENCH_WEBHOOKS_DOWN`` (seconds
the receiver is down, 60; 3 in the smoke run), ``BENCH_WEBHOOKS_WORKERS`` (the worker's ``-c``,
2), ``BENCH_WEBHOOKS_EMITTERS`` (threads that emit, each with its own connection, as several
web processes would; 4), ``BENCH_WEBHOOKS_PARTS`` (``steady,down``). Without ``DATABASE_URL`` and ``REDIS_URL``
(SQLite, no broker) the same scenarios run in-process at a smoke size: the emitting thread
delivers each commit's rows itself and runs the sweep, and the rows say so.

What is measured
----------------
The receiver is a separate process (``http.server`` on 127.0.0.1) that writes down the arrival
time of every request; each event carries the time its transaction committed. Delay = arrival -
commit. The bench process only emits (``socialops.webhooks.services.emit_many`` in a
transaction, as a service would); the worker task enqueued on commit and the beat's
``webhooks-sweep`` (every 5 s) are the production code in separate processes.

The "down" part stops the receiver (the port refuses connections) 2 s into emitting, keeps it
down for ``BENCH_WEBHOOKS_DOWN`` seconds, starts it again, and waits until every event arrived
at least once: the failed attempts wait for their backoff (5 s, 30 s, 2 min…) as in production.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

Row = tuple[str, str, str, str]


# --- The receiver (its own process) ----------------------------------------------------------------


def _serve(port: int, out_path: str) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    lines: list[str] = []
    lock = threading.Lock()
    stopping = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            at = time.time()
            # Written down before it is acknowledged, and never acknowledged once the last
            # flush is done: a keep-alive connection's thread outlives serve_forever, and a
            # request it answered after the final flush was a 204 the file never showed (the
            # sender rightly counted it delivered; the bench counted it lost).
            with lock:
                if stopping.is_set():
                    self.close_connection = True
                    return  # no answer: the sender sees a cut connection and tries again
                lines.append(f"{self.headers.get('webhook-id')} {at:.6f} {body.decode()}\n")
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def flush(last=False):
        # The write too is under the lock: the flusher thread that took a chunk must have written
        # it before the last flush returns and the process ends (a chunk taken just before the
        # stop was otherwise lost with the thread: hundreds of acknowledged requests unrecorded).
        with lock:
            if last:
                stopping.set()
            chunk, lines[:] = "".join(lines), []
            if chunk:
                with open(out_path, "a") as out:
                    out.write(chunk)

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    httpd.daemon_threads = True
    httpd.request_queue_size = 1024

    def stop(*_):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)

    def flusher():
        while True:
            time.sleep(0.2)
            flush()

    threading.Thread(target=flusher, daemon=True).start()
    httpd.serve_forever(poll_interval=0.05)
    httpd.server_close()
    flush(last=True)


class Receiver:
    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.out = Path(tempfile.mkdtemp(prefix="socialops-bench-hooks-")) / "received.txt"
        self.proc = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # no Django state, no copied connections
        self.proc = ctx.Process(target=_serve, args=(self.port, str(self.out)), daemon=True)
        self.proc.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the bench's webhook receiver did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(10)
        self.proc = None

    def arrivals(self) -> dict[int, list[float]]:
        """seq → arrival times (several when a delivery was sent again)."""
        import json

        seen: dict[int, list[float]] = {}
        if not self.out.exists():
            return seen
        for line in self.out.read_text().splitlines():
            _msg, at, body = line.split(" ", 2)
            data = json.loads(body)["data"]
            seen.setdefault(data["seq"], []).append(float(at) - data["committed_at"])
        return seen


# --- Emitting ----------------------------------------------------------------------------------------


def _org(tag: str, url: str):
    from django.conf import settings

    from accounts.models import Organization
    from socialops.webhooks import services

    org = Organization.objects.create(name=f"Hooks {tag}", slug=f"hooks-{tag}")
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    services.create_endpoint(org, url=url, events=["post.published"])
    return org


def _emit(
    org,
    *,
    rate: int,
    seconds: float,
    per_commit: int,
    first_seq: int,
    inline: bool,
    during=None,
    emitters: int = 1,
) -> tuple[int, float]:
    """Emit ``rate`` events/s for ``seconds`` from ``emitters`` threads (as several web processes
    would: one connection's commit latency would otherwise cap the rate the bench can offer);
    returns (events, achieved rate)."""
    from django.db import connection, transaction

    from socialops.webhooks import delivery, services

    total = int(rate * seconds)
    commits = range(0, total, per_commit)
    started = time.monotonic()
    errors: list[BaseException] = []

    def emitter(k: int) -> None:
        next_sweep = started
        try:
            for offset in commits[k::emitters]:
                wait = started + offset / rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                if during is not None and k == 0:
                    during(time.monotonic() - started)
                seq = first_seq + offset
                n = min(per_commit, total - offset)
                with transaction.atomic():
                    now = time.time()
                    rows = services.emit_many(
                        org,
                        "post.published",
                        [(seq + i, {"seq": seq + i, "committed_at": now}) for i in range(n)],
                    )
                if inline:  # the smoke run's worker: deliver what was committed, sweep now and then
                    delivery.deliver([r.pk for r in rows])
                    if time.monotonic() >= next_sweep:
                        delivery.sweep(budget_seconds=0.5)
                        next_sweep = time.monotonic() + 1.0
        except BaseException as exc:  # noqa: BLE001 - re-raised by the caller
            errors.append(exc)
        finally:
            if emitters > 1:
                connection.close()

    if emitters == 1:
        emitter(0)
    else:
        threads = [threading.Thread(target=emitter, args=(k,)) for k in range(emitters)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return total, total / (time.monotonic() - started)


def _wait_all(receiver: Receiver, seqs: range, *, deadline: float, inline: bool) -> float:
    from socialops.webhooks import delivery

    started = time.monotonic()
    while time.monotonic() - started < deadline:
        if inline:
            delivery.sweep(budget_seconds=1.0)
        arrived = receiver.arrivals()
        if all(s in arrived for s in seqs):
            return time.monotonic() - started
        time.sleep(0.5)
    return float("nan")


def _lost_rows(org, n: int, arrived: dict) -> list[Row]:
    """What the outbox says of the events the receiver never wrote down (none, normally)."""
    from collections import Counter

    from socialops.webhooks.models import WebhookDelivery

    missing = [f"post:{s}" for s in range(n) if s not in arrived]
    if not missing:
        return []
    states = Counter(
        f"{status}/{attempts} attempts"
        for status, attempts in WebhookDelivery.objects.for_org(org)
        .filter(object_key__in=missing)
        .values_list("status", "attempts")
    )
    detail = ", ".join(f"{k}: {v}" for k, v in sorted(states.items())) or "no row"
    return [(f"webhooks: lost events' rows ({detail}); first {missing[:3]}", "", "", "")]


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def _stack(workers: int):
    from .publishing import Stack

    return Stack(
        workers,
        extra_env={"BENCH_BEAT_ENTRIES": "webhooks-sweep", "OUTBOUND_ALLOW_LOOPBACK": "true"},
    )


def _steady(
    real: bool, *, rate: int, seconds: float, per_commit: int, workers: int, emitters: int
) -> list[Row]:
    receiver = Receiver()
    stack = _stack(workers) if real else None
    try:
        org = _org("steady", receiver.url)
        n, achieved = _emit(
            org,
            rate=rate,
            seconds=seconds,
            per_commit=per_commit,
            first_seq=0,
            inline=not real,
            emitters=emitters,
        )
        _wait_all(receiver, range(n), deadline=120, inline=not real)
    finally:
        if stack:
            stack.stop()
        receiver.stop()
    arrived = receiver.arrivals()
    delays = [times[0] for times in arrived.values()]
    lost = sum(1 for s in range(n) if s not in arrived)
    how = f"celery prefork -c {workers}" if real else "in-process smoke"
    return [
        (
            f"webhooks: {n:,} events at {rate:,}/s ({per_commit} per commit, {emitters} emitting"
            f" threads), emitted at ({how})",
            f"{achieved:.0f}",
            "events/s",
            f"{rate:,}",
        ),
        (
            "webhooks: delay commit → receiver, p50",
            f"{statistics.median(delays):.3f}" if delays else "-",
            "s",
            "",
        ),
        (
            "webhooks: delay commit → receiver, p99",
            f"{_pct(delays, 99):.3f}" if delays else "-",
            "s",
            "≤ 2 s",
        ),
        (
            "webhooks: delay commit → receiver, max",
            f"{max(delays):.3f}" if delays else "-",
            "s",
            "",
        ),
        ("webhooks: steady, lost", str(lost), "events", "0"),
        *_lost_rows(org, n, arrived),
    ]


def _down(
    real: bool, *, rate: int, per_commit: int, down: float, workers: int, emitters: int
) -> list[Row]:
    logging.getLogger("socialops.egress").setLevel(
        logging.WARNING
    )  # one line per refused connection
    receiver = Receiver()
    stack = _stack(workers) if real else None
    state = {"stopped_at": None, "restart": None}

    def during(elapsed: float) -> None:
        if state["stopped_at"] is None and elapsed >= 2.0:
            receiver.stop()
            state["stopped_at"] = time.monotonic()
        elif (
            state["stopped_at"] is not None
            and state["restart"] is None
            and time.monotonic() - state["stopped_at"] >= down
        ):
            # back up while events are still being emitted (a thread: the emitter keeps its pace)
            state["restart"] = threading.Thread(target=receiver.start, daemon=True)
            state["restart"].start()

    try:
        org = _org("down", receiver.url)
        n, _achieved = _emit(
            org,
            rate=rate,
            seconds=min(10.0, 2.0 + down),
            per_commit=per_commit,
            first_seq=0,
            inline=not real,
            during=during,
            emitters=emitters,
        )
        remaining = down - (time.monotonic() - state["stopped_at"])
        if state["restart"] is None and remaining > 0:
            # stay down for the whole period; the worker keeps failing and scheduling retries
            end = time.monotonic() + remaining
            while time.monotonic() < end:
                if not real:
                    from socialops.webhooks import delivery

                    delivery.sweep(budget_seconds=0.5)
                time.sleep(0.2)
        if state["restart"] is None:
            receiver.start()
        else:
            state["restart"].join()
        took = _wait_all(receiver, range(n), deadline=down + 300, inline=not real)
    finally:
        if stack:
            stack.stop()
        receiver.stop()
    from socialops.webhooks.models import WebhookDelivery

    arrived = receiver.arrivals()
    lost = sum(1 for s in range(n) if s not in arrived)
    twice = sum(1 for times in arrived.values() if len(times) > 1)
    failed = WebhookDelivery.objects.for_org(org).filter(attempts__gt=1).count()
    return [
        (
            f"webhooks: receiver down {down:.0f} s while {n:,} events are emitted: all arrived after restart in",
            f"{took:.1f}",
            "s",
            "(backoff 5 s, 30 s, 2 min …)",
        ),
        ("webhooks: receiver down, deliveries retried", f"{failed:,}", "events", ""),
        ("webhooks: receiver down, lost / delivered twice", f"{lost}/{twice}", "events", "0/0"),
        *_lost_rows(org, n, arrived),
    ]


def run() -> list[Row]:
    from django.conf import settings
    from django.db import connection

    real = connection.vendor == "postgresql" and bool(settings.REDIS_URL)
    rate = int(os.environ.get("BENCH_WEBHOOKS_RATE", "1000"))
    seconds = float(os.environ.get("BENCH_WEBHOOKS_SECONDS", "10" if real else "2"))
    per_commit = int(os.environ.get("BENCH_WEBHOOKS_PER_COMMIT", "10"))
    down = float(os.environ.get("BENCH_WEBHOOKS_DOWN", "60" if real else "3"))
    workers = int(os.environ.get("BENCH_WEBHOOKS_WORKERS", "2"))
    emitters = int(os.environ.get("BENCH_WEBHOOKS_EMITTERS", "4")) if real else 1
    rows: list[Row] = []
    for part in os.environ.get("BENCH_WEBHOOKS_PARTS", "steady,down").split(","):
        if part == "steady":
            rows += _steady(
                real,
                rate=rate,
                seconds=seconds,
                per_commit=per_commit,
                workers=workers,
                emitters=emitters,
            )
        elif part == "down":
            rows += _down(
                real,
                rate=rate,
                per_commit=per_commit,
                down=down,
                workers=workers,
                emitters=emitters,
            )
    return rows
