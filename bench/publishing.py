"""Scheduler figures (issue 4), counted on the sandbox network's side (its ``SandboxPost`` rows).

How it is driven (PostgreSQL): the bench process is the beat + dispatcher: every 2 s it runs the
real ``dispatch_due`` (lease recovery, claims, one beat interval of lookahead), whose enqueue is
redirected into a ``multiprocessing`` queue standing in for the broker. Forked worker processes
take claims from that queue and run the real worker step ``perform_attempt`` against the sandbox
provider. In the chaos run the bench SIGKILLs a random worker every 1–3 s and forks a new one; a
claim a killed worker had taken is simply lost (worse than ``acks_late`` redelivery), so only
the database (leases + settling by ``find_existing``) can save it.

On SQLite (the in-memory test database cannot be shared with other processes) the same loop
runs in-process with one worker, and the chaos run is not measured.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_mod
import random
import signal
import statistics
import time
import traceback
from collections import Counter
from datetime import timedelta

Row = tuple[str, str, str, str]
TICK = 2.0


def _pct(samples: list[float], p: float) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(round(p / 100 * (len(samples) - 1))))]


def _orgs(count: int, prefix: str):
    from accounts import services
    from accounts.models import Membership, User
    from tests.channels.factories import connect_sandbox

    owner = User.objects.filter(email="bench-publisher@example.test").first() or User.objects.create_user(
        "bench-publisher@example.test", "bench-password-123")
    out = []
    for i in range(count):
        org = services.create_organization(name=f"Bench {prefix} {i}", slug=f"bench-{prefix}-{i}", owner=owner)
        by = Membership.objects.for_org(org).get(user=owner)
        channels = connect_sandbox(org, by, ["sbx-kitchen", "sbx-kopi", "sbx-promo"])
        out.append((org, owner, channels))
    return out


def _make_due(worlds, n: int, due_for, tag: str) -> list[int]:
    """``n`` scheduled variants (three per post, one per channel), due at ``due_for(i)``."""
    from publishing.models import Post, PostVariant

    variants = []
    i = 0
    k = 0
    while i < n:
        org, owner, channels = worlds[k % len(worlds)]
        k += 1
        due = due_for(i)
        post = Post.objects.create(organization=org, author=owner, text=f"{tag} post {k}", status=Post.Status.SCHEDULED,
                                   scheduled_at=due, schedule_timezone="UTC")
        for ch in channels:
            if i >= n:
                break
            variants.append(PostVariant(organization=org, post=post, channel=ch, status=PostVariant.Status.SCHEDULED,
                                        due_at=due_for(i)))
            i += 1
    created = PostVariant.objects.bulk_create(variants, batch_size=1000)
    return [v.pk for v in created]


def _network_counts(worlds, tag: str) -> tuple[int, int, int]:
    """(variants the network has exactly once, lost, doubled), by (channel, text) on the sandbox side."""
    from channels_registry.models import SandboxPost
    from publishing.models import PostVariant

    lost = doubled = once = 0
    for org, _owner, _channels in worlds:
        seen = Counter(SandboxPost.objects.for_org(org).filter(text__startswith=f"{tag} ")
                       .values_list("channel_id", "text"))
        for channel_id, text in (PostVariant.objects.for_org(org).filter(post__text__startswith=f"{tag} ")
                                 .values_list("channel_id", "post__text")):
            c = seen.get((channel_id, text), 0)
            once += c == 1
            lost += c == 0
            doubled += c > 1
    return once, lost, doubled


def _worker_main(q) -> None:  # pragma: no cover - runs in a forked process
    from django.db import connections

    from publishing.services.scheduling import perform_attempt

    connections.close_all()
    while True:
        try:
            attempt_id = q.get(timeout=1)
        except queue_mod.Empty:
            continue
        if attempt_id is None:
            return
        try:
            perform_attempt(attempt_id)
        except Exception:  # noqa: BLE001 - the lease recovers it; keep the worker alive
            traceback.print_exc()


class _Fleet:
    """The beat/dispatcher in this process, ``size`` forked workers, each with its own queue (the broker).

    One queue per worker: a worker SIGKILLed while reading a shared queue could leave its lock
    held; with its own queue, what it had taken or was sent is simply lost with it.
    """

    def __init__(self, size: int):
        # Warm the imports the worker step needs, so every forked worker starts ready.
        import channels_registry.providers.sandbox  # noqa: F401
        import channels_registry.selectors  # noqa: F401
        import channels_registry.services  # noqa: F401
        from publishing import dispatch

        self.ctx = mp.get_context("fork")
        self.size = size
        self._orig = dispatch._enqueue
        self._next = 0
        dispatch._enqueue = self._send
        self.procs = [self._spawn() for _ in range(size)]
        self.kills = 0

    def _send(self, claims) -> None:
        for claim in claims:
            proc, q = self.procs[self._next % len(self.procs)]
            self._next += 1
            q.put(claim.attempt_id)

    def _spawn(self):
        from django.db import connections

        # A forked child must not share (and later close) this process's database socket.
        connections.close_all()
        q = self.ctx.Queue()
        p = self.ctx.Process(target=_worker_main, args=(q,), daemon=True)
        p.start()
        return p, q

    def kill_one(self) -> None:
        i = random.randrange(len(self.procs))
        victim, _q = self.procs[i]
        os.kill(victim.pid, signal.SIGKILL)
        victim.join(5)
        self.procs[i] = self._spawn()
        self.kills += 1

    def close(self) -> None:
        from publishing import dispatch

        for _p, q in self.procs:
            q.put(None)
        for p, _q in self.procs:
            p.join(10)
            if p.is_alive():
                p.kill()
        dispatch._enqueue = self._orig


def _remaining(ids: list[int]) -> int:
    from publishing.models import PostVariant

    return PostVariant.objects.unscoped().filter(pk__in=ids).exclude(status=PostVariant.Status.PUBLISHED).count()


def _drive(ids: list[int], *, deadline: float, fleet: _Fleet | None, chaos: bool = False) -> float:
    """Tick the dispatcher every TICK s until every variant is published or the deadline passes."""
    from publishing import dispatch
    from publishing.services.scheduling import perform_attempt

    started = time.monotonic()
    next_kill = started + 1.0
    while time.monotonic() - started < deadline:
        tick_started = time.monotonic()
        if fleet is None:
            for claim in dispatch.claim_due(limit=500):
                perform_attempt(claim.attempt_id)
            dispatch.recover_lapsed_leases()
        else:
            dispatch.dispatch_due(limit=100)  # small batches reach the workers sooner
        if _remaining(ids) == 0:
            return time.monotonic() - started
        while time.monotonic() - tick_started < TICK:
            if chaos and fleet is not None and time.monotonic() >= next_kill:
                fleet.kill_one()
                next_kill = time.monotonic() + random.uniform(1.0, 3.0)
            time.sleep(0.05)
    return float("nan")


def _lateness(workers: int, postgres: bool) -> list[Row]:
    """1,000 variants due across one minute: lateness = published_at - due_at."""
    from django.utils import timezone

    from publishing.models import PostVariant

    worlds = _orgs(4, "spread")
    start = timezone.now() + timedelta(seconds=3)
    ids = _make_due(worlds, 1000, lambda i: start + timedelta(seconds=60 * i / 1000), "spread")
    fleet = _Fleet(workers) if postgres else None
    try:
        _drive(ids, deadline=240, fleet=fleet)
    finally:
        if fleet:
            fleet.close()
    late = [(p - d).total_seconds() for p, d in PostVariant.objects.unscoped().filter(
        pk__in=ids, published_at__isnull=False).values_list("published_at", "due_at")]
    once, lost, doubled = _network_counts(worlds, "spread")
    how = f"{workers} worker processes" if postgres else "in-process, 1 worker"
    return [
        (f"scheduler: 1,000 due over 60 s, lateness p50 ({how})", f"{statistics.median(late):.2f}" if late else "-",
         "s", ""),
        ("scheduler: 1,000 due over 60 s, lateness p99", f"{_pct(late, 99):.2f}" if late else "-", "s", "≤ 2 s"),
        ("scheduler: 1,000 due over 60 s, published once / lost / doubled", f"{once}/{lost}/{doubled}", "variants",
         "1000/0/0"),
    ]


def _burst(workers: int, postgres: bool, n: int) -> list[Row]:
    """``n`` (10,000) variants due at the same instant: time until the network has all of them."""
    from django.utils import timezone

    worlds = _orgs(10, "burst")
    at = timezone.now()
    ids = _make_due(worlds, n, lambda i: at, "burst")
    fleet = _Fleet(workers) if postgres else None
    try:
        took = _drive(ids, deadline=600, fleet=fleet)
    finally:
        if fleet:
            fleet.close()
    once, lost, doubled = _network_counts(worlds, "burst")
    how = f"{workers} worker processes" if postgres else "in-process, 1 worker"
    return [
        (f"scheduler: {n:,} due at once, all published after ({how})", f"{took:.1f}", "s", "≤ 120 s (10,000)"),
        (f"scheduler: {n:,} due at once, published once / lost / doubled", f"{once}/{lost}/{doubled}", "variants",
         f"{n}/0/0"),
    ]


def _chaos(workers: int) -> list[Row]:
    """Workers SIGKILLed at random while 1,000 publish (a short lease so recovery is seen)."""
    from django.conf import settings
    from django.utils import timezone

    old_lease = settings.PUBLISHING_LEASE_SECONDS
    settings.PUBLISHING_LEASE_SECONDS = 30
    worlds = _orgs(4, "chaos")
    at = timezone.now()
    ids = _make_due(worlds, 1000, lambda i: at + timedelta(seconds=10 * i / 1000), "chaos")
    fleet = _Fleet(workers)
    try:
        took = _drive(ids, deadline=400, fleet=fleet, chaos=True)
        kills = fleet.kills
    finally:
        fleet.close()
        settings.PUBLISHING_LEASE_SECONDS = old_lease
    once, lost, doubled = _network_counts(worlds, "chaos")
    return [
        (f"scheduler: chaos, {kills} worker SIGKILLs, all settled after", f"{took:.1f}", "s", ""),
        ("scheduler: chaos, 1,000 variants: lost", str(lost), "variants", "0"),
        ("scheduler: chaos, 1,000 variants: published twice", str(doubled), "variants", "0"),
    ]


def run() -> list[Row]:
    from django.conf import settings
    from django.db import connection

    postgres = connection.vendor == "postgresql"
    settings.PUBLISHING_DISPATCH_LOOKAHEAD_SECONDS = TICK
    workers = int(os.environ.get("BENCH_PUBLISHING_WORKERS", "4")) if postgres else 1
    parts = os.environ.get("BENCH_PUBLISHING_PARTS", "chaos,lateness,burst").split(",")
    # SQLite drives one in-process worker: 2,000 keeps `make bench` short there (the figure is for PostgreSQL)
    burst = int(os.environ.get("BENCH_PUBLISHING_BURST", "10000" if postgres else "2000"))
    rows: list[Row] = []
    for part in parts:
        if part == "chaos":
            rows += _chaos(workers) if postgres else [
                ("scheduler: chaos (SIGKILLed workers)", "not run", "", "needs PostgreSQL (shared database)")]
        elif part == "lateness":
            rows += _lateness(workers, postgres)
        elif part == "burst":
            rows += _burst(workers, postgres, burst)
    return rows
