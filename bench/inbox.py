"""Inbox ingestion figures (issue 14): items/s through the real ``ingest`` path (normalise, dedupe,
thread, language and sentiment), on a stream with 20% duplicates and 5% out of order, delivered
in pages of ``BENCH_INBOX_BATCH`` (100, a provider's page); and no duplicate rows afterwards.

``BENCH_INBOX_ITEMS`` (20,000) sets the stream's length. Routing and SLA are in the path: the
organization has three routing rules (a keyword rule to a person, a language rule and a catch-all
to a team, round-robin among four members with working hours), a team with office hours and public
holidays, and SLA targets per team and priority. The comparison with a raw ``COPY`` of the same
rows is still to come.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta

Row = tuple[str, str, str, str]

ITEMS = int(os.environ.get("BENCH_INBOX_ITEMS", "20000"))
BATCH = int(os.environ.get("BENCH_INBOX_BATCH", "100"))

TEXTS = [
    "Berapa harganya kak? gk ada promo ya",
    "Enak bgt, pasti balik lagi!",
    "Pesanan saya belum sampai dari kemarin, kecewa",
    "Love this! Best coffee in town.",
    "My order arrived cold and an hour late.",
    "What time do you open on Sundays?",
]


def _stream(n: int):
    from channels_registry.providers.base import InboxItem

    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    items = []
    for i in range(n):
        dm = i % 4 == 0
        items.append(
            InboxItem(
                external_id=f"b{i}",
                kind="dm" if dm else "comment",
                text=TEXTS[i % len(TEXTS)] + f" #{i}",
                author_id=f"u{i % 997}",
                author_name=f"Person {i % 997}",
                created_at=t0 + timedelta(seconds=i),
                post_external_id="" if dm else f"p{i % 211}",
                thread_id=f"dm_u{i % 997}" if dm else "",
            )
        )
    rng = random.Random(14)
    noisy = items + rng.sample(items, n // 5)  # 20% duplicates
    for _ in range(n // 20):  # 5% out of order
        a, b = rng.randrange(len(noisy)), rng.randrange(len(noisy))
        noisy[a], noisy[b] = noisy[b], noisy[a]
    return noisy


def _routing(org, owner):
    """Routing rules, a team with hours, holidays and members, SLA targets: what ingest reads."""
    from decimal import Decimal

    from accounts import services
    from accounts.capabilities import Role
    from accounts.models import Membership, User
    from inbox.models import RoutingRule, SlaTarget
    from publishing.models import HolidayRegion

    owner_m = Membership.objects.for_org(org).get(user=owner)
    team = services.create_team(org, by=owner_m, name="Bench care")
    team.timezone = "Asia/Jakarta"
    team.working_hours = {
        "days": {d: ["08:00", "20:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    }
    team.save()
    HolidayRegion.objects.create(organization=org, team=team, countries=["ID"])
    for i in range(4):
        user = User.objects.create_user(f"bench-agent{i}@example.test", "bench-password-123")
        m = Membership.objects.create(organization=org, user=user, role=Role.MODERATOR)
        m.teams.add(team)
        m.working_hours = {"always": True}
        m.save(update_fields=["working_hours"])
    RoutingRule.objects.create(
        organization=org,
        name="Late orders",
        position=1,
        keywords=["kecewa", "late"],
        assign_to=owner_m,
        priority="high",
    )
    RoutingRule.objects.create(
        organization=org, name="English", position=2, languages=["en"], assign_team=team
    )
    RoutingRule.objects.create(organization=org, name="Everything", position=3, assign_team=team)
    SlaTarget.objects.create(organization=org, hours=Decimal(24))
    SlaTarget.objects.create(organization=org, team=team, priority="high", hours=Decimal(2))
    return team


def run() -> list[Row]:
    from accounts import services
    from accounts.models import User
    from channels_registry.models import Channel
    from inbox.models import Item
    from inbox.nlp import analyse_many
    from inbox.services import ingest

    owner = User.objects.create_user("bench-inbox@example.test", "bench-password-123")
    org = services.create_organization(name="Bench Inbox", slug="bench-inbox", owner=owner)
    team = _routing(org, owner)
    channel = Channel.objects.create(
        organization=org, provider="sandbox", external_id="bench-inbox", handle="bench", team=team
    )
    stream = _stream(ITEMS)
    analyse_many(["warm up the analyser"])
    started = time.perf_counter()
    for i in range(0, len(stream), BATCH):
        ingest(channel, stream[i : i + BATCH])
    elapsed = time.perf_counter() - started
    rows = Item.objects.for_org(org).count()
    distinct = Item.objects.for_org(org).values("external_id").distinct().count()
    return [
        (
            f"inbox ingest, {len(stream):,} items (20% dup, 5% reordered), pages of {BATCH}",
            f"{len(stream) / elapsed:,.0f}",
            "items/s",
            ">= 2,000 (PostgreSQL)",
        ),
        ("inbox ingest: rows stored / unique items", f"{rows}/{ITEMS}", "rows", f"{ITEMS}/{ITEMS}"),
        ("inbox ingest: duplicate rows", str(rows - distinct), "rows", "0"),
    ]
