"""Inbox ingestion figures (issue 14): items/s through the real ``ingest`` path (normalise, dedupe,
thread, language and sentiment), on a stream with 20% duplicates and 5% out of order, delivered
in pages of ``BENCH_INBOX_BATCH`` (100, a provider's page); and no duplicate rows afterwards.

``BENCH_INBOX_ITEMS`` (20,000) sets the stream's length. Routing and SLA are not in the path yet,
and the comparison with a raw ``COPY`` of the same rows is still to come.
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


def run() -> list[Row]:
    from accounts import services
    from accounts.models import User
    from channels_registry.models import Channel
    from inbox.models import Item
    from inbox.nlp import analyse_many
    from inbox.services import ingest

    owner = User.objects.create_user("bench-inbox@example.test", "bench-password-123")
    org = services.create_organization(name="Bench Inbox", slug="bench-inbox", owner=owner)
    channel = Channel.objects.create(
        organization=org, provider="sandbox", external_id="bench-inbox", handle="bench"
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
