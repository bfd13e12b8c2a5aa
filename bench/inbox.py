"""Inbox ingestion figures (issue 14): items/s through the real ``ingest`` path (normalise, dedupe,
thread, language, sentiment, routing, SLA) on a sustained stream, against a raw ``COPY`` of the
same rows into the same table in the same run; and what the stream's noise left behind.

The stream: ``BENCH_INBOX_ITEMS`` unique items (20,000 on PostgreSQL, 2,000 elsewhere) plus 20%
repeats (each within ``REDELIVERY`` items of its original), 5% of them swapped out of order, delivered in pages of ``BENCH_INBOX_BATCH`` (100, a
provider's page or a webhook's burst), one ``ingest`` call (one transaction) per page; after the
first ten pages the inbox's tables are analysed off the clock (``_analyze``: what autovacuum does
on a live database within its first minute). Printed:
items delivered per second (repeats included: they go through the path too), new rows per second,
the slowest fifth of the stream (sustained, not a burst), then the raw ``COPY``: the rows ingest
stored, read back (not timed), loaded again with ``COPY … FROM STDIN`` (psycopg's
``copy_expert``) into ``inbox_item`` under a second channel of the same organization, with every
index the table has, commit included. The ratio is ingest's new rows/s over COPY's rows/s (the
target: at least one fifth). Then the checks: duplicate items, duplicate conversations, and
conversations whose "latest" fields do not follow their newest item (what out-of-order delivery
would break). Without PostgreSQL there is no COPY: only ingest's figures and the checks.

Routing and SLA are in the path: the organization has three routing rules (a keyword rule to a
person, a language rule and a catch-all to a team, round-robin among four members with working
hours), a team with office hours and public holidays, and SLA targets per team and priority.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta

Row = tuple[str, str, str, str]

#: how far after its original a duplicate comes, at most (in items)
REDELIVERY = 1000
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
    # 20% duplicates, each redelivered within the next REDELIVERY items after its original (a
    # webhook retried, a poll overlapping the last one), not all at the end of the stream
    placed = [(float(i), item) for i, item in enumerate(items)]
    for i in rng.sample(range(n), n // 5):
        placed.append((i + rng.uniform(0.5, REDELIVERY), items[i]))
    noisy = [item for _at, item in sorted(placed, key=lambda pair: pair[0])]
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


#: the pages after which the tables' statistics are taken (see ``_analyze``)
ANALYZE_AFTER_PAGES = 10


def _analyze() -> None:
    """``ANALYZE`` the inbox's tables, as autovacuum does on a live database (after 50 rows and a
    tenth of the table changed, within ``autovacuum_naptime``, a minute). The bench's tables are
    new and its stream lasts seconds, so without it the planner never sees a row: every read and
    the conversations' update would scan the organization (estimated at one row) instead of using
    the unique indexes, a cost no live inbox pays."""
    from django.db import connection

    from inbox.models import Conversation, Item

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in (Item, Conversation):
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


def _items() -> int:
    from django.db import connection

    default = "20000" if connection.vendor == "postgresql" else "2000"
    return int(os.environ.get("BENCH_INBOX_ITEMS", default))


def _copy_rate(org, channel) -> tuple[int, float]:
    """The rows ingest stored on ``channel``, loaded again by ``COPY`` under a second channel:
    (rows, seconds). The buffer is prepared before the clock starts; the commit is timed."""
    import io

    from django.db import connection, transaction

    from channels_registry.models import Channel
    from inbox.models import Item

    twin = Channel.objects.create(
        organization=org, provider="sandbox", external_id="bench-copy", handle="copy"
    )
    quote = connection.ops.quote_name
    columns = [f.column for f in Item._meta.concrete_fields if not f.primary_key]
    select = ", ".join("%s" if c == "channel_id" else quote(c) for c in columns)
    buffer = io.StringIO()
    with connection.cursor() as cursor:
        query = cursor.mogrify(
            f"SELECT {select} FROM {quote(Item._meta.db_table)} WHERE channel_id = %s ORDER BY id",  # noqa: S608
            [twin.pk, channel.pk],
        )
        sql = query.decode() if isinstance(query, bytes) else query
        cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", buffer)
    rows = buffer.getvalue().count("\n")
    buffer.seek(0)
    target = f"{quote(Item._meta.db_table)} ({', '.join(quote(c) for c in columns)})"
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {target} FROM STDIN WITH (FORMAT csv)", buffer)
    elapsed = time.perf_counter() - started
    copied = Item.objects.for_org(org).filter(channel=twin).count()
    if copied != rows:
        raise RuntimeError(f"COPY loaded {copied} rows of {rows}")
    return rows, elapsed


def _checks(org, channel) -> tuple[int, int, int]:
    """Duplicate items, duplicate conversations, conversations not at their newest item."""
    from django.db.models import Count, F, Max

    from inbox.models import Conversation, Item

    items = Item.objects.for_org(org).filter(channel=channel)
    dup_items = items.count() - items.values("external_id").distinct().count()
    conversations = Conversation.objects.for_org(org).filter(channel=channel)
    dup_conversations = (
        conversations.values("kind", "external_thread_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    behind = (
        conversations.annotate(newest=Max("items__created_at"))
        .exclude(last_item_at=F("newest"))
        .count()
    )
    return dup_items, dup_conversations, behind


def run() -> list[Row]:
    from django.db import connection

    from accounts import services
    from accounts.models import User
    from channels_registry.models import Channel
    from inbox.models import Item
    from inbox.nlp import analyse_many
    from inbox.services import ingest
    from inbox.services.sla import HOLIDAY_HORIZON_DAYS
    from publishing.selectors import holiday_dates_by_team

    items = _items()
    owner = User.objects.create_user("bench-inbox@example.test", "bench-password-123")
    org = services.create_organization(name="Bench Inbox", slug="bench-inbox", owner=owner)
    team = _routing(org, owner)
    channel = Channel.objects.create(
        organization=org, provider="sandbox", external_id="bench-inbox", handle="bench", team=team
    )
    stream = _stream(items)
    # what a worker loads once in its life, off the clock: the analyser's models and the public
    # holiday tables of the team's region (computed once per country and year)
    analyse_many(["warm up the analyser"])
    first = datetime.now(UTC).date() - timedelta(days=7)
    holiday_dates_by_team(org, [team.pk], first, first + timedelta(days=HOLIDAY_HORIZON_DAYS))
    fifths = [0.0] * 5
    for page, i in enumerate(range(0, len(stream), BATCH)):
        if page == ANALYZE_AFTER_PAGES and connection.vendor == "postgresql":
            _analyze()  # autovacuum's part, off the clock
        page_started = time.perf_counter()
        ingest(channel, stream[i : i + BATCH])
        fifths[min(4, i * 5 // len(stream))] += time.perf_counter() - page_started
    elapsed = sum(fifths)
    stored = Item.objects.for_org(org).filter(channel=channel).count()
    dup_items, dup_conversations, behind = _checks(org, channel)
    delivered = len(stream)
    out = [
        (
            f"inbox ingest, {delivered:,} items ({items:,} + 20% dup, 5% reordered), pages of {BATCH}",
            f"{delivered / elapsed:,.0f}",
            "items/s",
            ">= 2,000 (PostgreSQL)",
        ),
        ("inbox ingest: new rows stored per second", f"{stored / elapsed:,.0f}", "rows/s", ""),
        (
            "inbox ingest: the stream's slowest fifth",
            f"{delivered / 5 / max(fifths):,.0f}",
            "items/s",
            ">= 2,000 (sustained)",
        ),
    ]
    if connection.vendor == "postgresql":
        copied, copy_elapsed = _copy_rate(org, channel)
        copy_rate = copied / copy_elapsed
        out += [
            (f"inbox raw COPY of the same {copied:,} rows", f"{copy_rate:,.0f}", "rows/s", ""),
            (
                "inbox ingest / raw COPY (rows/s)",
                f"{stored / elapsed / copy_rate:.2f}",
                "ratio",
                ">= 0.20",
            ),
        ]
    out += [
        (
            "inbox ingest: rows stored / unique items",
            f"{stored}/{items}",
            "rows",
            f"{items}/{items}",
        ),
        ("inbox ingest: duplicate item rows", str(dup_items), "rows", "0"),
        ("inbox ingest: duplicate conversations", str(dup_conversations), "rows", "0"),
        ("inbox ingest: conversations not at their newest item", str(behind), "rows", "0"),
    ]
    return out
