"""Inbox list figures for a large organization (issue 14): the first page with a filter, and a
full-text search, through the page (test client): p50 / p95 and the queries per page; on
PostgreSQL, which indexes the search's plan uses (EXPLAIN).

``BENCH_INBOX_SEARCH_ITEMS`` sets the items (200,000 on PostgreSQL, 20,000 on SQLite), four per
conversation; ``BENCH_INBOX_SEARCH_RUNS`` (30) the requests per figure.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

Row = tuple[str, str, str, str]

RUNS = int(os.environ.get("BENCH_INBOX_SEARCH_RUNS", "30"))

WORDS = (
    "berapa harga promo kak pesanan belum sampai kecewa enak banget balik lagi kopi susu "
    "order arrived cold late open sunday coffee best love refund tolong bantu cabang jakarta "
    "surabaya medan minggu besok kemarin menu baru diskon ongkir kurir paket rusak mantap"
).split()
RARE = "Bandung"  # in about 1 item in 200


def _items() -> int:
    from django.db import connection

    default = "200000" if connection.vendor == "postgresql" else "20000"
    return int(os.environ.get("BENCH_INBOX_SEARCH_ITEMS", default))


def _world(n_items: int):
    from accounts import services
    from accounts.models import Membership, User
    from channels_registry.models import Channel
    from inbox.models import Conversation, Item

    owner = User.objects.create_user("bench-search@example.test", "bench-password-123")
    org = services.create_organization(name="Bench Search", slug="bench-search", owner=owner)
    team = services.create_team(
        org, by=Membership.objects.for_org(org).get(user=owner), name="Region"
    )
    channels = [
        Channel.objects.create(
            organization=org,
            provider="sandbox",
            external_id=f"bench-search-{i}",
            handle=f"bench{i}",
            team=team if i % 2 else None,
        )
        for i in range(4)
    ]
    rng = random.Random(14)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    per = 4
    statuses = ["new", "open", "pending", "closed", "closed", "closed"]
    sentiments = ["positive", "neutral", "negative", ""]
    for start in range(0, n_items // per, 5000):
        convs = []
        for c in range(start, min(start + 5000, n_items // per)):
            convs.append(
                Conversation(
                    organization=org,
                    channel=channels[c % 4],
                    kind="comment_thread",
                    external_thread_id=f"t{c}",
                    status=statuses[c % len(statuses)],
                    sentiment=sentiments[rng.randrange(4)],
                    last_item_at=t0 + timedelta(minutes=c),
                    snippet="…",
                    author_name=f"Person {c % 997}",
                    author_handle=f"person{c % 997}",
                )
            )
        Conversation.objects.bulk_create(convs)
        items = []
        for conv in convs:
            for k in range(per):
                words = rng.sample(WORDS, 8)
                if rng.randrange(200) == 0:
                    words[3] = RARE
                items.append(
                    Item(
                        organization=org,
                        channel_id=conv.channel_id,
                        conversation=conv,
                        external_id=f"{conv.external_thread_id}-{k}",
                        kind="comment",
                        author_name=conv.author_name,
                        text=" ".join(words),
                        created_at=conv.last_item_at - timedelta(seconds=k),
                    )
                )
        Item.objects.bulk_create(items, batch_size=2000)
    return org, owner


def _pct(samples, p):
    return sorted(samples)[max(0, round(len(samples) * p / 100) - 1)]


def _time(client, url, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params)  # warm
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        response = client.get(url, params)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, params)
    return samples, len(ctx.captured_queries)


def _plan(org, owner, search: str) -> str:
    """The indexes the search's query uses, from EXPLAIN (PostgreSQL)."""
    from django.db import connection

    from accounts.models import Membership
    from inbox import selectors

    if connection.vendor != "postgresql":
        return "n/a (SQLite)"
    member = Membership.objects.for_org(org).get(user=owner)
    qs = selectors.conversations_for(member, selectors.InboxFilters(search=search))[:51]
    plan = qs.explain()
    used = [
        name
        for name in ("item_search_vector", "item_text_trgm", "conv_author_trgm", "conv_org_")
        if name in plan
    ]
    seq = "Seq Scan on inbox_item" in plan
    return ", ".join(used) + ("; SEQ SCAN on items" if seq else "")


def run() -> list[Row]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    n_items = _items()
    started = time.perf_counter()
    org, owner = _world(n_items)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE inbox_item; ANALYZE inbox_conversation;")
    built = time.perf_counter() - started
    client = Client()
    client.force_login(owner)
    url = reverse("inbox", args=[org.slug])
    rows: list[Row] = [(f"inbox search world: {n_items:,} items built", f"{built:.0f}", "s", "")]
    for label, params in (
        ("first page, sentiment=negative", {"sentiment": "negative"}),
        ("first page, team subtree + from date", {"team": "", "last_from": "2026-02-01"}),
        (f"search '{RARE.lower()}' (rare word)", {"q": RARE.lower()}),
        ("search 'kopi susu' (common words)", {"q": "kopi susu"}),
        ("search 'bandu' (part of a word)", {"q": "bandu"}),
    ):
        if "team" in params:
            from accounts.models import Team

            params = {**params, "team": str(Team.objects.for_org(org).get().pk)}
        samples, queries = _time(client, url, params)
        rows.append(
            (
                f"inbox {label} p50 / p95",
                f"{statistics.median(samples):.0f} / {_pct(samples, 95):.0f}",
                "ms",
                "p95 < 300 ms",
            )
        )
        rows.append((f"inbox {label}: queries per page", str(queries), "count", "fixed"))
    rows.append(
        (
            f"inbox search plan ('{RARE.lower()}')",
            _plan(org, owner, RARE.lower()),
            "",
            "indexes, no seq scan",
        )
    )
    return rows
