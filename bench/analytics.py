"""Analytics figures for a large organization (issue 16), on PostgreSQL.

The world: one organization with 300 channels on every network, two years of daily rollups per
channel (``ChannelDay``) and per post (``PostDay``, each post's first 30 days), and
``BENCH_ANALYTICS_RAW`` raw metric rows (``PostMetricSnapshot`` plus ``AccountMetricDay``; 10,000,000
by default on PostgreSQL, 200,000 on SQLite), with nine other organizations of 30 channels and two
years of rollups beside it. Rows are made by ``INSERT … SELECT generate_series`` (PostgreSQL) or
``bulk_create`` (SQLite), not through the services.

Figures, through HTTP (the test client, signed in as the owner) after a warm-up request:
- the organization dashboard for the last 90 days: p50 / p95 and queries per request (the issue:
  p95 ≤ 200 ms, the query count fixed: the same for 90 days as for 7);
- the same dashboard filtered to one team's subtree;
- a custom dashboard of 8 widgets over 28 days (p95 ≤ 300 ms, the query count fixed), and its
  read-only share-link page as a phone without an account opens it (p95 ≤ 1 s).

``BENCH_ANALYTICS_RUNS`` (30) sets the requests per figure. A quick run:
``BENCH_ONLY=analytics BENCH_ANALYTICS_RAW=200000 python -m bench``.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .foundation import Row, _pct, as_served

RUNS = int(os.environ.get("BENCH_ANALYTICS_RUNS", "30"))
CHANNELS = 300
DAYS = 730
NETWORKS = ["facebook", "instagram", "x", "linkedin", "mastodon", "bluesky", "sandbox"]
TODAY = date(2026, 12, 1)


def _raw_rows() -> int:
    default = "10000000" if connection.vendor == "postgresql" else "200000"
    return int(os.environ.get("BENCH_ANALYTICS_RAW", default))


def _org(slug: str, channels: int, teams: int):
    from accounts import services
    from accounts.models import Membership, User
    from channels_registry.models import Channel

    owner = User.objects.create_user(f"{slug}@example.test", "bench-password-123")
    org = services.create_organization(name=slug.title(), slug=slug, owner=owner)
    by = Membership.objects.for_org(org).get(user=owner)
    hq = services.create_team(org, by=by, name="Head office")
    regions = [
        services.create_team(org, by=by, name=f"Region {i}", parent=hq) for i in range(teams)
    ]
    made = Channel.objects.bulk_create(
        [
            Channel(
                organization=org,
                provider=NETWORKS[i % len(NETWORKS)],
                external_id=f"{slug}-{i}",
                handle=f"{slug}{i}",
                name=f"{slug} channel {i}",
                team=regions[i % len(regions)] if regions else hq,
            )
            for i in range(channels)
        ]
    )
    return org, owner, regions, [c.pk for c in made]


def _channel_days_sql(org_id: int, ids: list[int]) -> tuple[str, list]:
    """Two years of one row per channel and day; followers grow, the rest moves with the week."""
    sql = """
        INSERT INTO analytics_channelday (organization_id, channel_id, day, followers, impressions,
            reach, engagements, link_clicks, video_views, posts_published)
        SELECT %s, c, d::date,
               1000 + (c %% 97) * 50 + (d::date - %s::date) * 3,
               2000 + ((c * 7 + (d::date - %s::date)) %% 500) * 10,
               1500 + ((c * 5 + (d::date - %s::date)) %% 400) * 8,
               100 + ((c * 3 + (d::date - %s::date)) %% 90),
               CASE WHEN c %% 7 = 4 THEN NULL ELSE 10 + (c + (d::date - %s::date)) %% 30 END,
               CASE WHEN c %% 7 IN (0, 1) THEN 300 + (c %% 50) ELSE NULL END,
               (c + (d::date - %s::date)) %% 3
        FROM unnest(%s::bigint[]) AS c,
             generate_series(%s::date, %s::date, interval '1 day') AS d
    """
    first = TODAY - timedelta(days=DAYS - 1)
    return sql, [org_id, first, first, first, first, first, first, ids, first, TODAY]


def _posts(org, owner, ids: list[int], per_channel: int) -> list[tuple[int, int]]:
    """``per_channel`` published posts per channel, spread over the two years: (variant, channel)."""
    from publishing.models import Post, PostVariant

    first = datetime.combine(TODAY - timedelta(days=DAYS - 1), datetime.min.time(), tzinfo=UTC)
    step = timedelta(days=DAYS) / per_channel
    out: list[tuple[int, int]] = []
    for start in range(0, len(ids), 20):
        chunk = ids[start : start + 20]
        posts = Post.objects.bulk_create(
            [
                Post(
                    organization=org,
                    title=f"Bench post {c}-{i}",
                    text="Bench analytics post",
                    author=owner,
                    status="published",
                )
                for c in chunk
                for i in range(per_channel)
            ]
        )
        variants = PostVariant.objects.bulk_create(
            [
                PostVariant(
                    organization=org,
                    post=posts[n * per_channel + i],
                    channel_id=c,
                    text="Bench analytics post",
                    status="published",
                    external_id=f"bench-{c}-{i}",
                    published_at=first + step * i,
                )
                for n, c in enumerate(chunk)
                for i in range(per_channel)
            ]
        )
        out.extend((v.pk, v.channel_id) for v in variants)
    return out


def _kept_world():
    """The large organization of an earlier run (``BENCH_KEEPDB=1``), or None."""
    from accounts.models import Membership, Organization, Team

    org = Organization.objects.filter(slug="bench-analytics").first()
    if org is None:
        return None
    owner = Membership.objects.for_org(org).get(role="owner").user
    regions = list(Team.objects.for_org(org).filter(parent__isnull=False).order_by("pk"))
    return org, owner, regions


def _world():
    from analytics.models import ChannelDay

    kept = _kept_world()
    if kept is not None:
        return kept
    raw = _raw_rows()
    # raw rows: every channel's account figures (300 × 730) and each post's daily snapshots
    account_raw = CHANNELS * DAYS
    snapshots_per_post = 333
    # posts spread over the two years: those of the last 333 days have fewer snapshots (none
    # after today), about 257 a post on average
    per_channel = max(1, -(-(raw - account_raw) // (CHANNELS * 257)))
    org, owner, regions, ids = _org("bench-analytics", CHANNELS, teams=10)
    others = [_org(f"bench-analytics-{n}", 30, teams=2) for n in range(9)]
    variants = _posts(org, owner, ids, per_channel)
    first = TODAY - timedelta(days=DAYS - 1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for o, _owner, _regions, o_ids in [(org, owner, regions, ids), *others]:
                cur.execute(*_channel_days_sql(o.pk, o_ids))
            cur.execute(
                """
                INSERT INTO analytics_accountmetricday (organization_id, channel_id, day, followers,
                    impressions, reach, engagements, profile_views)
                SELECT organization_id, channel_id, day, followers, impressions, reach,
                       engagements, NULL FROM analytics_channelday WHERE organization_id = %s
                """,
                [org.pk],
            )
            v_ids = [v for v, _c in variants]
            c_ids = [c for _v, c in variants]
            # each post: 333 daily snapshots from its publication (capped at today)
            cur.execute(
                """
                INSERT INTO analytics_postmetricsnapshot (organization_id, channel_id, variant_id,
                    day, impressions, reach, likes, comments, shares, saves, clicks, video_views,
                    fetched_at)
                SELECT %s, x.c, x.v, x.d + g, 100 + g * 3, 80 + g * 2, 5 + g %% 20, g %% 7,
                       g %% 5, g %% 3, g %% 11, NULL, now()
                FROM (SELECT v, c, (%s::date + (row_number() OVER (PARTITION BY c ORDER BY v)
                        - 1)::int * %s / %s) AS d
                      FROM unnest(%s::bigint[], %s::bigint[]) AS t(v, c)) AS x,
                     generate_series(0, %s - 1) AS g
                WHERE x.d + g <= %s::date
                """,
                [
                    org.pk,
                    first,
                    DAYS,
                    per_channel,
                    v_ids,
                    c_ids,
                    snapshots_per_post,
                    TODAY,
                ],
            )
            # rollups per post: its first 30 days
            cur.execute(
                """
                INSERT INTO analytics_postday (organization_id, channel_id, variant_id, day,
                    impressions, reach, engagements, link_clicks, video_views, likes, comments,
                    shares, saves, fetched_at, impressions_gain, engagements_gain,
                    link_clicks_gain, video_views_gain)
                SELECT organization_id, channel_id, variant_id, day, impressions, reach,
                       likes + comments + shares + saves, clicks, video_views, likes, comments,
                       shares, saves, fetched_at, 3, 1, 1, NULL
                FROM analytics_postmetricsnapshot s
                JOIN (SELECT variant_id AS v, min(day) AS d0 FROM analytics_postmetricsnapshot
                      WHERE organization_id = %s GROUP BY variant_id) f ON f.v = s.variant_id
                WHERE s.organization_id = %s AND s.day < f.d0 + 30
                """,
                [org.pk, org.pk],
            )
        # as a live table would be: vacuumed (visibility map: index-only scans) and analyzed; an
        # autovacuum of 10M fresh rows during the timed requests would be measured instead
        with connection.cursor() as cur:
            for table in (
                "analytics_postmetricsnapshot",
                "analytics_postday",
                "analytics_accountmetricday",
                "analytics_channelday",
            ):
                cur.execute(f"VACUUM (ANALYZE) {table}")
    else:
        for o, _owner, _regions, o_ids in [(org, owner, regions, ids), *others]:
            ChannelDay.objects.bulk_create(
                [
                    ChannelDay(
                        organization=o,
                        channel_id=c,
                        day=first + timedelta(days=d),
                        followers=1000 + d * 3,
                        impressions=2000 + (c * 7 + d) % 500 * 10,
                        reach=1500,
                        engagements=100 + (c * 3 + d) % 90,
                        link_clicks=None if c % 7 == 4 else 10,
                        video_views=None,
                        posts_published=(c + d) % 3,
                    )
                    for c in o_ids
                    for d in range(DAYS)
                ],
                batch_size=5000,
            )
    from analytics.services import refresh_running_totals

    refresh_running_totals()  # rows written here, not by the rollup service: their running totals
    return org, owner, regions


def _timed(client: Client, url: str) -> tuple[list[float], int]:
    assert client.get(url).status_code == 200, url  # warm
    as_served()
    connection.queries_log.clear()  # a full log (DEBUG) would count 0 new queries
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    if os.environ.get("BENCH_ANALYTICS_SHOW_QUERIES"):
        for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:8]:
            print(q["time"], q["sql"][:600])
    if os.environ.get("BENCH_ANALYTICS_PROFILE"):  # where a request's time goes, by function
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(client.get, url)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, url
    return samples, len(queries)


#: a custom dashboard of 8 widgets, one of each kind that reads something different
CUSTOM_WIDGETS = [
    {"kind": "kpi", "metric": "impressions"},
    {"kind": "kpi", "metric": "engagement_rate"},
    {"kind": "timeseries", "metric": "engagements"},
    {"kind": "breakdown", "metric": "impressions", "breakdown": "network"},
    {"kind": "breakdown", "metric": "engagements", "breakdown": "campaign"},
    {"kind": "top_posts", "metric": "engagements"},
    {"kind": "sentiment"},
    {"kind": "response_times"},
]


def _custom_dashboard(client: Client, org, owner) -> list[Row]:
    """A custom dashboard of 8 widgets over the last 28 days: through HTTP signed in (p95, and the
    queries for 28 and 90 days: fixed), and its read-only share-link page as a phone without an
    account opens it (the test client, no session)."""
    from accounts.models import Membership
    from analytics.dashboards import services

    member = Membership.objects.for_org(org).get(user=owner)
    board = services.create_dashboard(member, name="Bench board", range_days=28)
    for spec in CUSTOM_WIDGETS:
        services.add_widget(board, by=member, **spec)
    _link, token = services.create_share_link(board, by=member, name="CEO")
    rng = f"since={TODAY - timedelta(days=27)}&until={TODAY}"
    url = f"/o/{org.slug}/analytics/dashboards/{board.pk}/?{rng}"
    custom, q28 = _timed(client, url)
    _s, q90 = _timed(client, url.replace(rng, f"since={TODAY - timedelta(days=89)}&until={TODAY}"))
    phone = Client(
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
    )
    shared, qs = _timed(phone, f"/shared/dashboards/{token}/?{rng}")
    return [
        (
            "analytics: custom dashboard of 8 widgets, 28 days (p95)",
            f"{_pct(custom, 95):.0f}",
            "ms",
            "<= 300",
        ),
        (
            "analytics: custom dashboard queries, 28 days / 90 days",
            f"{q28} / {q90}",
            "queries",
            "fixed",
        ),
        (
            "analytics: shared dashboard page at 375 px, no account (p95)",
            f"{_pct(shared, 95):.0f}",
            "ms",
            "<= 1000",
        ),
        ("analytics: shared dashboard page queries", f"{qs}", "queries", "-"),
    ]


def run() -> list[Row]:
    from analytics.models import ChannelDay, PostMetricSnapshot

    t0 = time.perf_counter()
    org, owner, regions = _world()
    built = time.perf_counter() - t0
    raw = PostMetricSnapshot.objects.unscoped().count() + CHANNELS * DAYS
    rollups = ChannelDay.objects.for_org(org).count()
    client = Client()
    client.force_login(owner)
    base = f"/o/{org.slug}/analytics/"
    since = TODAY - timedelta(days=89)
    ninety, q90 = _timed(client, f"{base}?since={since}&until={TODAY}")
    seven, q7 = _timed(client, f"{base}?since={TODAY - timedelta(days=6)}&until={TODAY}")
    team, _qt = _timed(client, f"{base}?since={since}&until={TODAY}&team={regions[3].pk}")
    return [
        (
            f"analytics world: {CHANNELS} channels, {rollups:,} channel-days, {raw:,} raw rows "
            "(+9 orgs)",
            f"{built:.0f}",
            "s",
            "-",
        ),
        ("analytics: organization dashboard, 90 days (p50)", f"{_pct(ninety, 50):.0f}", "ms", "-"),
        (
            "analytics: organization dashboard, 90 days (p95)",
            f"{_pct(ninety, 95):.0f}",
            "ms",
            "<= 200",
        ),
        (
            "analytics: organization dashboard queries, 90 days / 7 days",
            f"{q90} / {q7}",
            "queries",
            "fixed",
        ),
        ("analytics: dashboard of one region, 90 days (p95)", f"{_pct(team, 95):.0f}", "ms", "-"),
        *_custom_dashboard(client, org, owner),
    ]
