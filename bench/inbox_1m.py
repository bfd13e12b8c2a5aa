"""The inbox of an organization with 1,000,000 items, and nine others beside it (issue 14): the first
page with a filter (p95 ≤ 50 ms) and a full-text search (p95 ≤ 150 ms), through the page and through
the HTTP API (Django's test client: middleware, views, templates and serializers all run), with the
queries per request counted (they must not grow with the data).

PostgreSQL only (on SQLite it reports that it was skipped). The rows are written by the database
itself (``INSERT … SELECT generate_series``, the indexes dropped during the load and built after),
not through the ORM.

``BENCH_INBOX_1M_ITEMS`` (1,000,000) sets the large organization's items, four per conversation;
``BENCH_INBOX_1M_OTHERS`` (100,000) each of the nine others'; ``BENCH_INBOX_1M_RUNS`` (40) the
requests per figure. With ``BENCH_KEEPDB=1`` (``bench/__main__.py``) the test database, named
``bench_<name>`` then (a test run never touches it), is kept after the run and the next run reuses
the world when it finds it (the first build: about 3 minutes on 2 cores)::

    BENCH_KEEPDB=1 BENCH_ONLY=inbox_1m DATABASE_URL=postgres://…/socialops_bench make bench
"""

from __future__ import annotations

import os
import statistics
import time

from .foundation import Row, _pct, as_served

SLUG = "bench-1m"
RUNS = int(os.environ.get("BENCH_INBOX_1M_RUNS", "40"))
WORDS = (
    "berapa harga promo kak pesanan belum sampai kecewa enak banget balik lagi kopi susu "
    "order arrived cold late open sunday coffee best love refund tolong bantu cabang jakarta "
    "surabaya medan minggu besok kemarin menu baru diskon ongkir kurir paket rusak mantap"
).split()
RARE = "Bandung"  # in about 1 item in 500
OTHER_ORGS = 9


def _sizes() -> tuple[int, int]:
    return (
        int(os.environ.get("BENCH_INBOX_1M_ITEMS", "1000000")),
        int(os.environ.get("BENCH_INBOX_1M_OTHERS", "100000")),
    )


def _org_world(index: int):
    """An organization, its owner, two teams and four channels (through the services: few rows)."""
    from accounts import services
    from accounts.models import Membership, User
    from channels_registry.models import Channel

    slug = SLUG if index == 0 else f"{SLUG}-other-{index}"
    owner = User.objects.create_user(f"{slug}@example.test", "bench-password-123")
    org = services.create_organization(name=f"Bench {slug}", slug=slug, owner=owner)
    by = Membership.objects.for_org(org).get(user=owner)
    team = services.create_team(org, by=by, name="Region")
    services.create_team(org, by=by, name="Region South", parent=team)
    for i in range(4):
        Channel.objects.create(
            organization=org,
            provider="sandbox",
            external_id=f"{slug}-{i}",
            handle=f"{slug}{i}",
            team=team if i % 2 else None,
        )
    return org


_CONVERSATIONS = """
INSERT INTO inbox_conversation (
  organization_id, channel_id, kind, external_thread_id, status, priority, assignee_id,
  last_item_at, last_inbound_at, language, sentiment, snippet, author_name, author_handle,
  created_at, updated_at)
SELECT %(org)s, (%(channels)s::bigint[])[1 + g %% 4], 'comment_thread', 't' || g,
  (ARRAY['new','open','pending','closed','closed','closed','closed','spam'])[1 + (g * 7) %% 8],
  'normal', CASE WHEN g %% 5 = 0 THEN %(member)s END,
  TIMESTAMPTZ '2025-01-01' + g * INTERVAL '1 minute',
  TIMESTAMPTZ '2025-01-01' + g * INTERVAL '1 minute',
  (ARRAY['en','id'])[1 + g %% 2],
  (ARRAY['positive','neutral','negative',''])[1 + (g * 13) %% 4],
  '…', 'Person ' || (g %% 997), 'person' || (g %% 997),
  TIMESTAMPTZ '2025-01-01' + g * INTERVAL '1 minute', now()
FROM generate_series(0, %(n)s - 1) AS g
"""

# random() inside a subquery that names the outer row runs again for each row
_ITEMS = """
INSERT INTO inbox_item (
  organization_id, channel_id, conversation_id, external_id, kind, direction, author_name,
  author_handle, author_external_id, text, created_at, received_at, language, sentiment,
  parent_external_id, post_external_id, permalink, is_hidden, is_deleted, is_liked, raw)
SELECT c.organization_id, c.channel_id, c.id, c.external_thread_id || '-' || k, 'comment',
  'inbound', c.author_name, c.author_handle, '',
  (SELECT string_agg(CASE WHEN j = 4 AND random() < 0.002 THEN %(rare)s
                          ELSE (%(words)s::text[])[1 + floor(random() * %(n_words)s)::int] END,
                     ' ')
     FROM generate_series(1, 8 + 0 * k) AS j),
  c.last_item_at - k * INTERVAL '1 second', c.last_item_at, c.language, c.sentiment,
  '', '', '', false, false, false, '{}'::jsonb
FROM inbox_conversation c CROSS JOIN generate_series(0, 3) AS k
WHERE c.organization_id = %(org)s
"""


def _secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    """(name, definition) of ``table``'s indexes that back no constraint."""
    cursor.execute(
        """SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid
           WHERE x.indrelid = %s::regclass
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)""",
        [table],
    )
    return cursor.fetchall()


def _build(n_items: int, n_others: int):
    from django.db import connection, transaction

    from accounts.models import Membership
    from channels_registry.models import Channel

    orgs = [_org_world(i) for i in range(OTHER_ORGS + 1)]
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        dropped = []
        for table in ("inbox_item", "inbox_conversation"):
            for name, definition in _secondary_indexes(cursor, table):
                cursor.execute(f'DROP INDEX "{name}"')
                dropped.append(definition)
        cursor.execute("SELECT setseed(0.14)")
        for index, org in enumerate(orgs):
            n = n_items if index == 0 else n_others
            member = Membership.objects.for_org(org).get().pk
            channels = list(
                Channel.objects.for_org(org).order_by("pk").values_list("pk", flat=True)
            )
            with transaction.atomic():
                cursor.execute(
                    _CONVERSATIONS,
                    {"org": org.pk, "channels": channels, "member": member, "n": n // 4},
                )
                cursor.execute(
                    _ITEMS,
                    {"org": org.pk, "rare": RARE, "words": WORDS, "n_words": len(WORDS)},
                )
        for definition in dropped:
            cursor.execute(definition)
        cursor.execute("VACUUM ANALYZE inbox_item")
        cursor.execute("VACUUM ANALYZE inbox_conversation")
    return orgs[0]


def _world():
    """The large organization: found again (``BENCH_KEEPDB=1``) or built."""
    from accounts.models import Organization
    from inbox.models import Item

    n_items, n_others = _sizes()
    org = Organization.objects.filter(slug=SLUG).first()
    if org is not None and Item.objects.for_org(org).count() == n_items:
        return org, "reused"
    if org is not None:
        raise SystemExit(
            f"bench inbox_1m: a '{SLUG}' organization of another size is in the kept test "
            "database; drop it (or run without BENCH_KEEPDB) first"
        )
    started = time.perf_counter()
    org = _build(n_items, n_others)
    return org, f"built in {time.perf_counter() - started:.0f} s"


def _measure(client, url, params) -> tuple[list[float], int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm: caches, the connection, the plan
        assert client.get(url, params).status_code == 200
    as_served()
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        response = client.get(url, params)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, params, response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, params)
    sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
    return samples, len(ctx.captured_queries), sql_ms


CASES = (
    # (label, params, is a search)
    ("first page, default (active)", {}, False),
    ("first page, status=open", {"status": "open"}, False),
    ("first page, sentiment=negative", {"sentiment": "negative"}, False),
    ("first page, assignee=none + language=id", {"assignee": "none", "language": "id"}, False),
    ("first page, status=pending + channel", {"status": "pending", "channel": "?"}, False),
    (f"search '{RARE.lower()}' (rare word)", {"q": RARE.lower()}, True),
    ("search 'kopi susu' (common words)", {"q": "kopi susu"}, True),
    ("search 'bandu' (part of a word)", {"q": "bandu"}, True),
    ("search 'person 42' (author)", {"q": "person 42"}, True),
)


def run() -> list[Row]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    if connection.vendor != "postgresql":
        return [("inbox 1M items", "skipped", "", "PostgreSQL only")]
    from accounts import services
    from accounts.models import Membership
    from channels_registry.models import Channel

    settings.API_THROTTLE_RATES = {scope: "100000/minute" for scope in settings.API_THROTTLE_RATES}
    org, how = _world()
    n_items, n_others = _sizes()
    owner = Membership.objects.for_org(org).select_related("user").get()
    channel = str(Channel.objects.for_org(org).order_by("pk").values_list("pk", flat=True)[0])
    page = Client()
    page.force_login(owner.user)
    token = services.create_api_token(owner, name=f"bench-1m-{time.time_ns()}").raw
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    page_url = reverse("inbox", args=[org.slug])
    api_url = "/api/v1/conversations/"
    rows: list[Row] = [
        (
            f"inbox 1M: {n_items:,} items + {OTHER_ORGS} orgs × {n_others:,}",
            how,
            "",
            "",
        )
    ]
    for label, params, is_search in CASES:
        params = {k: (channel if v == "?" else v) for k, v in params.items()}
        target = "p95 ≤ 150 ms" if is_search else "p95 ≤ 50 ms"
        for via, client, url in (("page", page, page_url), ("API", api, api_url)):
            samples, queries, sql_ms = _measure(client, url, params)
            rows.append(
                (
                    f"inbox 1M {via}: {label} p50 / p95 (queries, their ms)",
                    f"{statistics.median(samples):.0f} / {_pct(samples, 95):.0f}"
                    f" ({queries}, {sql_ms:.0f})",
                    "ms",
                    target,
                )
            )
    return rows
