"""Audit log figures (issue 15): what writing an audit entry adds to a request, and the audit log
page's search and CSV export on a large log.

- **append overhead**: a request's transaction (one UPDATE of a team row) timed without and with a
  ``record_event`` in it, alternately; the figure is the p95 of the difference (the issue: ≤ 2 ms);
- **search**: the audit log page filtered by a word in the entries' changes (the full-text index on
  PostgreSQL), p95 over the runs;
- **export**: entries per second through the streamed CSV export.

Knobs: ``BENCH_AUDIT_ENTRIES`` (the log's length, default 100,000 on PostgreSQL, 10,000 on SQLite),
``BENCH_AUDIT_RUNS`` (200 paired transactions; 20 page loads). A tiny run:
``BENCH_ONLY=audit_log BENCH_AUDIT_ENTRIES=2000 BENCH_AUDIT_RUNS=40 python -m bench``.
"""

from __future__ import annotations

import os
import time

from django.db import connection, transaction
from django.test import Client

from .foundation import Row, _pct


def _entries() -> int:
    default = "100000" if connection.vendor == "postgresql" else "10000"
    return int(os.environ.get("BENCH_AUDIT_ENTRIES", default))


def run() -> list[Row]:
    from accounts import services
    from accounts.models import Membership, Team, User
    from socialops.audit.models import AuditEvent
    from socialops.audit.services import Entry, record_event, record_events

    runs = int(os.environ.get("BENCH_AUDIT_RUNS", "200"))
    owner = User.objects.create_user("bench-audit@example.test", "bench-password-123")
    org = services.create_organization(name="Bench Audit", slug="bench-audit", owner=owner)
    by = Membership.objects.for_org(org).get(user=owner)
    team = services.create_team(org, by=by, name="Bench team")

    def request_work(i: int, audited: bool) -> float:
        t0 = time.perf_counter()
        with transaction.atomic():
            Team.objects.for_org(org).filter(pk=team.pk).update(name=f"Bench team {i}")
            if audited:
                record_event(org, "team.updated", obj=team, changes={"name": [i - 1, i]})
        return (time.perf_counter() - t0) * 1000

    for i in range(20):  # warm
        request_work(i, True)
    added = []
    for i in range(runs):
        plain = request_work(i, False)
        audited = request_work(i, True)
        added.append(audited - plain)

    # a large log: batches of entries, one in 50 mentioning the searched word
    size = _entries()
    batch = 1000
    for start in range(0, size, batch):
        record_events(
            org,
            [
                Entry(
                    "post.updated",
                    changes={"text": ["old", "needle" if (start + i) % 50 == 0 else "hay"]},
                )
                for i in range(batch)
            ],
        )
    total = AuditEvent.objects.for_org(org).count()

    client = Client()
    client.force_login(owner)
    search = []
    url = "/o/bench-audit/governance/audit/?q=needle"
    client.get(url)
    for _ in range(max(5, runs // 10)):
        t0 = time.perf_counter()
        assert client.get(url).status_code == 200
        search.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    response = client.get("/o/bench-audit/governance/audit/export.csv")
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    export_rate = lines / (time.perf_counter() - t0)

    return [
        (
            "audit log: an entry added to a request (p95)",
            f"{_pct(added, 95):.2f}",
            "ms",
            "<= 2",
        ),
        (
            f"audit log page: full-text search over {total:,} entries (p95)",
            f"{_pct(search, 95):.0f}",
            "ms",
            "-",
        ),
        ("audit log: CSV export", f"{export_rate:,.0f}", "entries/s", "-"),
    ]
