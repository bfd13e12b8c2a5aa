"""Scheduler figures (issue 4), counted on the sandbox network's side (its ``SandboxPost`` rows).

How to run it
-------------
The figures are for the real stack: PostgreSQL, Redis, ``celery worker`` and ``celery beat``::

    createdb -h 127.0.0.1 -U postgres socialops_bench   # once; the bench makes test_socialops_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/socialops_bench \\
    REDIS_URL=redis://127.0.0.1:6379/1 make bench

Knobs (environment): ``BENCH_PUBLISHING_PARTS`` (default ``chaos,brokerloss,lateness,burst``;
e.g. ``burst`` alone), ``BENCH_PUBLISHING_BURST`` (10000; 2000 for a quick run),
``BENCH_PUBLISHING_WORKERS`` (4, the worker's ``-c``), ``BENCH_PUBLISHING_LOG`` (a file for the
workers' and beat's output; by default it is discarded). Without ``DATABASE_URL`` and
``REDIS_URL`` (SQLite, no broker) the same scenarios run in-process at a small smoke size and
the chaos run is skipped: those rows say so.

What drives it (PostgreSQL + Redis)
-----------------------------------
The bench process only writes the due rows and watches the database; everything else is the
production code path in separate processes, against the bench's test database and Redis:

- ``celery -A bench.celery_app beat``: the real beat with the real ``publishing-dispatch`` entry
  (every 2 s) and nothing else (``bench/celery_app.py`` says why);
- ``celery -A socialops worker -c 4 --pool prefork``: the real worker; the dispatcher task claims
  due variants and enqueues ``publish_attempts`` batches on commit, exactly as in production.

The burst's clock starts when all 10,000 rows become due in one UPDATE (making them takes
longer than the figure allows) and stops at the last ``published_at``.

The chaos run gives the workers a 30 s lease and, every 1–3 s, SIGKILLs a random pool child (the
worker main process replaces it; ``reject_on_worker_lost`` requeues its message) or, one time in
four, the whole worker (main process and children, so its reserved messages are stranded in
Redis for the broker's hour-long visibility timeout) and starts a new one. Only the database —
leases, settling unconfirmed attempts by asking the network — can save those; the sandbox's
rows say whether it did: 0 lost, 0 twice.

The broker-loss part (issue 11) starts a Redis of its own on a free port (no persistence) with
its own worker and beat, and while 1,200 variants due over 100 s publish, SIGKILLs that Redis for
20 s and later for 5 s, starting it again empty each time: every message in it is gone, and so
are those the worker had received but not started. The worker must stay up and reconnect by
itself (one that exits is restarted, as a supervisor would, and counted); the lost claims' short
leases lapse and they go out again: lateness p99 ≤ 30 s, max ≤ 60 s, 0 lost, 0 twice.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

Row = tuple[str, str, str, str]
TICK = 2.0
CHAOS_LEASE_SECONDS = 30


def _pct(samples: list[float], p: float) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(round(p / 100 * (len(samples) - 1))))]


def _orgs(count: int, prefix: str):
    from accounts import services
    from accounts.models import Membership, User
    from tests.channels.factories import connect_sandbox

    owner = User.objects.filter(
        email="bench-publisher@example.test"
    ).first() or User.objects.create_user("bench-publisher@example.test", "bench-password-123")
    out = []
    for i in range(count):
        org = services.create_organization(
            name=f"Bench {prefix} {i}", slug=f"bench-{prefix}-{i}", owner=owner
        )
        by = Membership.objects.for_org(org).get(user=owner)
        channels = connect_sandbox(org, by, ["sbx-kitchen", "sbx-kopi", "sbx-promo"])
        out.append((org, owner, channels))
    return out


def _make_due(worlds, n: int, due_for, tag: str) -> list[int]:
    """``n`` scheduled variants (three per post, one per channel), due at ``due_for(i)``."""
    from publishing.models import Post, PostVariant

    posts, plan = [], []
    i = k = 0
    while i < n:
        org, owner, channels = worlds[k % len(worlds)]
        k += 1
        due = due_for(i)
        posts.append(
            Post(
                organization=org,
                author=owner,
                text=f"{tag} post {k}",
                status=Post.Status.SCHEDULED,
                scheduled_at=due,
                schedule_timezone="UTC",
            )
        )
        for ch in channels[: n - i]:
            plan.append((len(posts) - 1, org, ch, due_for(i)))
            i += 1
    posts = Post.objects.bulk_create(posts, batch_size=1000)
    variants = [
        PostVariant(
            organization=org,
            post=posts[p],
            channel=ch,
            status=PostVariant.Status.SCHEDULED,
            due_at=due,
        )
        for p, org, ch, due in plan
    ]
    created = PostVariant.objects.bulk_create(variants, batch_size=1000)
    return [v.pk for v in created]


def _network_counts(worlds, tag: str) -> tuple[int, int, int]:
    """(variants the network has exactly once, lost, doubled), by (channel, text) on the sandbox side."""
    from channels_registry.models import SandboxPost
    from publishing.models import PostVariant

    lost = doubled = once = 0
    for org, _owner, _channels in worlds:
        seen = Counter(
            SandboxPost.objects.for_org(org)
            .filter(text__startswith=f"{tag} ")
            .values_list("channel_id", "text")
        )
        for channel_id, text in (
            PostVariant.objects.for_org(org)
            .filter(post__text__startswith=f"{tag} ")
            .values_list("channel_id", "post__text")
        ):
            c = seen.get((channel_id, text), 0)
            once += c == 1
            lost += c == 0
            doubled += c > 1
    return once, lost, doubled


def _remaining(ids: list[int]) -> int:
    from publishing.models import PostVariant

    return (
        PostVariant.objects.unscoped()
        .filter(pk__in=ids)
        .exclude(status=PostVariant.Status.PUBLISHED)
        .count()
    )


def _published_times(ids: list[int]):
    from publishing.models import PostVariant

    return list(
        PostVariant.objects.unscoped()
        .filter(pk__in=ids, published_at__isnull=False)
        .values_list("published_at", "due_at")
    )


# --- The real stack: celery worker + beat in subprocesses ------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Stack:
    """``celery beat`` (dispatcher tick only) and a ``celery worker`` against the bench's database."""

    def __init__(
        self,
        workers: int,
        *,
        lease_seconds: int | None = None,
        broker_url: str | None = None,
        extra_env: dict[str, str] | None = None,
    ):
        from celery import Celery
        from django.conf import settings
        from django.db import connection

        db = connection.settings_dict
        self.broker_url = broker_url or settings.REDIS_URL
        # the bench's own client of the stack's broker (ping, purge), whatever the settings say
        self.control = Celery("bench-control", broker=self.broker_url, set_as_current=False)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "socialops.settings",
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": self.broker_url,
            # production-like: no per-query SQL log in the workers
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "CHANNEL_CREDENTIALS_KEYS": ",".join(settings.CHANNEL_CREDENTIALS_KEYS),
            "AUDIT_CHAIN_KEY": ",".join(settings.AUDIT_CHAIN_KEYS),
            "SITE_URL": getattr(settings, "SITE_URL", "http://127.0.0.1:8000"),
            "PUBLISHING_LEASE_SECONDS": str(lease_seconds or settings.PUBLISHING_LEASE_SECONDS),
            **(extra_env or {}),
        }
        self.workers = workers
        self.tmp = Path(tempfile.mkdtemp(prefix="socialops-bench-"))
        log = os.environ.get("BENCH_PUBLISHING_LOG")
        self.out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed in stop()
        self.celery = str(Path(sys.executable).with_name("celery"))
        self.kills = {"child": 0, "worker": 0}
        _purge(self.control)
        self.worker = self._start_worker()
        self.beat = self._start_beat()
        self._wait_ready()

    def _start_beat(self):
        (self.tmp / "beat.pid").unlink(missing_ok=True)
        return self._spawn(
            [
                self.celery,
                "-A",
                "bench.celery_app",
                "beat",
                "--loglevel=WARNING",
                "-s",
                str(self.tmp / "beat-schedule"),
                "--pidfile",
                str(self.tmp / "beat.pid"),
            ]
        )

    def _spawn(self, argv):
        # its own session: the whole worker (main process and pool) can be killed as a group
        return subprocess.Popen(
            argv,
            env=self.env,
            stdout=self.out,
            stderr=self.out,
            start_new_session=True,
            cwd=str(Path(__file__).resolve().parent.parent),
        )

    def _start_worker(self):
        return self._spawn(
            [
                self.celery,
                "-A",
                "socialops",
                "worker",
                "--pool",
                "prefork",
                "-c",
                str(self.workers),
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"bench-{time.monotonic_ns()}@%h",
            ]
        )

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.worker.poll() is not None:
                raise RuntimeError(
                    "the celery worker exited at start; set BENCH_PUBLISHING_LOG to see why"
                )
            if (
                self.control.control.ping(timeout=1.0)
                and len(_children(self.worker.pid)) >= self.workers
            ):
                return
        raise RuntimeError("the celery worker did not become ready")

    def keep_alive(self) -> None:
        """Restart a worker or beat that died (as a process supervisor would): a pool child
        killed while the pool was still starting makes the whole worker give up."""
        if self.worker.poll() is not None:
            if _group_alive(self.worker.pid):  # pool children left behind
                os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker = self._start_worker()
            self.kills["restarts"] = self.kills.get("restarts", 0) + 1
        if self.beat.poll() is not None:
            self.beat = self._start_beat()
            self.kills["beat_restarts"] = self.kills.get("beat_restarts", 0) + 1

    def kill_something(self) -> None:
        """SIGKILL a random pool child (three times in four) or the whole worker, then carry on."""
        children = _children(self.worker.pid)
        if len(children) < self.workers:
            return  # still starting (or replacing a child): let it come up first
        if random.random() < 0.75:
            os.kill(random.choice(children), signal.SIGKILL)
            self.kills["child"] += 1
            return
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(10)
        self.kills["worker"] += 1
        self.worker = self._start_worker()

    def stop(self) -> None:
        for proc in (self.beat, self.worker):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in (self.beat, self.worker):
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        _purge(self.control)
        self.control.close()
        if self.out is not subprocess.DEVNULL:
            self.out.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _purge(app) -> None:
    """Drop messages a previous (or killed) run left in the broker."""
    app.control.purge()
    with app.connection_for_write() as conn:
        # reserved-but-unacked messages of killed workers (kombu's Redis bookkeeping)
        client = conn.default_channel.client
        client.delete("unacked", "unacked_index", "unacked_mutex")


def _watch(ids: list[int], *, deadline: float, stack: Stack | None, chaos: bool = False) -> float:
    """Wait until every variant is published (or the deadline passes); in-process, be the dispatcher
    and the worker. Returns the wall-clock seconds it took (NaN past the deadline)."""
    from publishing.scheduler import dispatch
    from publishing.scheduler.services import perform_attempts

    started = time.monotonic()
    next_kill = started + 1.0
    next_tick = started
    while time.monotonic() - started < deadline:
        if stack is None and time.monotonic() >= next_tick:
            next_tick = time.monotonic() + TICK
            dispatch.recover_lapsed_leases()
            for batch in dispatch.batches(
                dispatch.claim_due(limit=500), dispatch.worker_batch_size()
            ):
                perform_attempts([c.attempt_id for c in batch])
        if _remaining(ids) == 0:
            return time.monotonic() - started
        if stack is not None:
            stack.keep_alive()
        if chaos and stack is not None and time.monotonic() >= next_kill:
            stack.kill_something()
            next_kill = time.monotonic() + random.uniform(1.0, 3.0)
        time.sleep(0.2 if stack is not None else 0.05)
    return float("nan")


class RedisServer:
    """A Redis of the bench's own on a free port, without persistence: SIGKILLed and started
    again it comes back empty, as a crashed broker without AOF (or a failed-over replica) does."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise RuntimeError("the broker-loss part needs redis-server on PATH")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.tmp = Path(tempfile.mkdtemp(prefix="socialops-bench-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


#: the broker-loss part: (seconds after the first due time, seconds down), as in issue 11
BROKER_OUTAGES = ((20.0, 20.0), (65.0, 5.0))


def _broker_loss(workers: int, n: int = 1200) -> list[Row]:
    """Redis SIGKILLed (and started again empty) twice, for 20 s and 5 s, while ``n`` variants due
    over 100 s publish through a celery worker + beat of their own on that Redis. The worker must
    stay up and reconnect by itself (a worker that exits is restarted, as a supervisor would, and
    counted); every variant goes out once, and the ones whose message the broker lost go out
    within tens of seconds (their lease lapses, they are claimed again)."""
    from django.utils import timezone

    worlds = _orgs(4, "brokerloss")
    redis = RedisServer()
    stack = None
    try:
        stack = Stack(workers, broker_url=redis.url)
        at = timezone.now() + timedelta(seconds=5)
        ids = _make_due(worlds, n, lambda i: at + timedelta(seconds=100 * i / n), "brokerloss")
        t0 = time.monotonic() + 5
        events = sorted(
            [(t0 + start, "kill") for start, _down in BROKER_OUTAGES]
            + [(t0 + start + down, "start") for start, down in BROKER_OUTAGES]
        )
        started = time.monotonic()
        took = float("nan")
        while time.monotonic() - started < 600:
            while events and time.monotonic() >= events[0][0]:
                _when, what = events.pop(0)
                if what == "kill":
                    redis.kill()
                else:
                    redis.start()
            if not events and _remaining(ids) == 0:
                took = time.monotonic() - started
                break
            stack.keep_alive()
            time.sleep(0.2)
        kills = dict(stack.kills)
    finally:
        if stack is not None:
            stack.stop()
        redis.stop()
    late = sorted((p - d).total_seconds() for p, d in _published_times(ids))
    once, lost, doubled = _network_counts(worlds, "brokerloss")
    outages = " and ".join(f"{down:.0f} s" for _s, down in BROKER_OUTAGES)
    return [
        (
            f"scheduler: broker loss (Redis SIGKILLed for {outages}, back empty), {n:,} due over 100 s: "
            f"worker exits / beat exits",
            f"{kills.get('restarts', 0)}/{kills.get('beat_restarts', 0)}",
            "",
            "0/0",
        ),
        (
            f"scheduler: broker loss, {n:,} variants: published once / lost / twice",
            f"{once}/{lost}/{doubled}",
            "variants",
            f"{n}/0/0",
        ),
        (
            "scheduler: broker loss, lateness p50",
            f"{statistics.median(late):.2f}" if late else "-",
            "s",
            "",
        ),
        (
            "scheduler: broker loss, lateness p99",
            f"{_pct(late, 99):.2f}" if late else "-",
            "s",
            "≤ 30 s",
        ),
        ("scheduler: broker loss, lateness max", f"{late[-1]:.2f}" if late else "-", "s", "≤ 60 s"),
        ("scheduler: broker loss, all out after", f"{took:.1f}", "s", ""),
    ]


def _how(stack_workers: int, real: bool) -> str:
    return f"celery prefork -c {stack_workers}" if real else "in-process smoke"


def _lateness(workers: int, real: bool, n: int) -> list[Row]:
    """``n`` (1,000) variants due across one minute: lateness = published_at - due_at."""
    from django.utils import timezone

    worlds = _orgs(4, "spread")
    stack = Stack(workers) if real else None
    try:
        start = timezone.now() + timedelta(seconds=3)
        ids = _make_due(worlds, n, lambda i: start + timedelta(seconds=60 * i / n), "spread")
        _watch(ids, deadline=240, stack=stack)
    finally:
        if stack:
            stack.stop()
    late = [(p - d).total_seconds() for p, d in _published_times(ids)]
    once, lost, doubled = _network_counts(worlds, "spread")
    return [
        (
            f"scheduler: {n:,} due over 60 s, lateness p50 ({_how(workers, real)})",
            f"{statistics.median(late):.2f}" if late else "-",
            "s",
            "",
        ),
        (
            f"scheduler: {n:,} due over 60 s, lateness p99",
            f"{_pct(late, 99):.2f}" if late else "-",
            "s",
            "≤ 2 s",
        ),
        (
            f"scheduler: {n:,} due over 60 s, published once / lost / doubled",
            f"{once}/{lost}/{doubled}",
            "variants",
            f"{n}/0/0",
        ),
    ]


def _burst(workers: int, real: bool, n: int) -> list[Row]:
    """``n`` (10,000) variants due at the same instant: time until the network has all of them."""
    from django.utils import timezone

    from publishing.models import PostVariant

    worlds = _orgs(10, "burst")
    far = timezone.now() + timedelta(days=1)
    ids = _make_due(worlds, n, lambda i: far, "burst")
    stack = Stack(workers) if real else None
    try:
        at = timezone.now()
        # every row due at one instant, in one statement: the clock starts here
        PostVariant.objects.unscoped().filter(pk__in=ids).update(due_at=at)
        wall = _watch(ids, deadline=600, stack=stack)
    finally:
        if stack:
            stack.stop()
    times = _published_times(ids)
    took = (max(p for p, _d in times) - at).total_seconds() if len(times) == n else float("nan")
    once, lost, doubled = _network_counts(worlds, "burst")
    from publishing.models import PublishAttempt

    attempts = PublishAttempt.objects.unscoped().filter(variant_id__in=ids).count()
    return [
        (
            f"scheduler: {n:,} due at once, all published after ({_how(workers, real)})",
            f"{took:.1f}",
            "s",
            "≤ 120 s (10,000)",
        ),
        (
            f"scheduler: {n:,} due at once, throughput",
            f"{n / took:.0f}" if took == took else "-",
            "publishes/s",
            "≥ 84 (10,000 in 120 s)",
        ),
        (
            f"scheduler: {n:,} due at once, published once / lost / doubled",
            f"{once}/{lost}/{doubled}",
            "variants",
            f"{n}/0/0",
        ),
        (f"scheduler: {n:,} due at once, bench wall clock", f"{wall:.1f}", "s", ""),
        (
            f"scheduler: {n:,} due at once, attempts made (claims taken back and made again)",
            f"{attempts:,}",
            "attempts",
            f"{n:,}",
        ),
    ]


def _chaos(workers: int, n: int = 1000) -> list[Row]:
    """Worker processes SIGKILLed at random while ``n`` publish (a 30 s lease so recovery is seen)."""
    from django.utils import timezone

    worlds = _orgs(4, "chaos")
    stack = Stack(workers, lease_seconds=CHAOS_LEASE_SECONDS)
    try:
        at = timezone.now() + timedelta(seconds=2)
        ids = _make_due(worlds, n, lambda i: at + timedelta(seconds=20 * i / n), "chaos")
        took = _watch(ids, deadline=600, stack=stack, chaos=True)
        kills = dict(stack.kills)
    finally:
        stack.stop()
    once, lost, doubled = _network_counts(worlds, "chaos")
    late = sorted((p - d).total_seconds() for p, d in _published_times(ids))
    return [
        (
            f"scheduler: chaos, {kills['child']} pool children + {kills['worker']} whole workers SIGKILLed "
            f"({kills.get('restarts', 0)} crashed and restarted), all out after",
            f"{took:.1f}",
            "s",
            f"(lease {CHAOS_LEASE_SECONDS} s)",
        ),
        (
            "scheduler: chaos, lateness p99 / max",
            f"{_pct(late, 99):.1f} / {late[-1]:.1f}" if late else "-",
            "s",
            "",
        ),
        (f"scheduler: chaos, {n:,} variants: lost", str(lost), "variants", "0"),
        (f"scheduler: chaos, {n:,} variants: published twice", str(doubled), "variants", "0"),
        (f"scheduler: chaos, {n:,} variants: published once", str(once), "variants", str(n)),
    ]


def run() -> list[Row]:
    from django.conf import settings
    from django.db import connection

    real = connection.vendor == "postgresql" and bool(settings.REDIS_URL)
    settings.PUBLISHING_DISPATCH_LOOKAHEAD_SECONDS = TICK
    workers = int(os.environ.get("BENCH_PUBLISHING_WORKERS", "4"))
    parts = os.environ.get("BENCH_PUBLISHING_PARTS", "chaos,brokerloss,lateness,burst").split(",")
    burst = int(os.environ.get("BENCH_PUBLISHING_BURST", "10000" if real else "1000"))
    rows: list[Row] = []
    for part in parts:
        if part == "chaos":
            rows += (
                _chaos(workers)
                if real
                else [
                    (
                        "scheduler: chaos (SIGKILLed celery workers)",
                        "not run",
                        "",
                        "needs DATABASE_URL (PostgreSQL) and REDIS_URL",
                    )
                ]
            )
        elif part == "lateness":
            rows += _lateness(workers, real, 1000 if real else 200)
        elif part == "burst":
            rows += _burst(workers, real, burst)
        elif part == "brokerloss":
            rows += (
                _broker_loss(workers)
                if real
                else [
                    (
                        "scheduler: broker loss (Redis killed and restarted empty)",
                        "not run",
                        "",
                        "needs DATABASE_URL (PostgreSQL) and REDIS_URL",
                    )
                ]
            )
    return rows
