"""Foundation figures: audit-log append and verify speed, and page / API latency with many rows."""

from __future__ import annotations

import statistics
import time

from django.test import Client

Row = tuple[str, str, str, str]


def as_served() -> None:
    """The process as gunicorn's workers are once the app is loaded (``gunicorn.conf.py``'s
    ``post_worker_init``): what is loaded so far is frozen out of the garbage collector's full
    collections. Called after a page's warm-up requests, before it is timed."""
    import gc

    gc.freeze()


def _pct(samples: list[float], p: float) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(round(p / 100 * (len(samples) - 1))))]


def run() -> list[Row]:
    from accounts import services
    from accounts.capabilities import Role
    from accounts.models import Membership, User
    from socialops.audit.services import record_event, verify_chain

    owner = User.objects.create_user("bench-owner@example.test", "bench-password-123")
    org = services.create_organization(name="Bench Org", slug="bench", owner=owner)
    by = Membership.objects.for_org(org).get(user=owner)

    n = 2000
    t0 = time.monotonic()
    for i in range(n):
        record_event(org, "bench.event", changes={"i": i})
    append_rate = n / (time.monotonic() - t0)

    t0 = time.monotonic()
    report = verify_chain(org)
    verify_rate = report.checked / (time.monotonic() - t0)
    assert report.ok

    parent = None
    for i in range(200):
        team = services.create_team(
            org, by=by, name=f"Team {i:03}", parent=parent if i % 10 else None
        )
        parent = team
    for i in range(300):
        u = User.objects.create_user(f"m{i}@example.test", "bench-password-123")
        Membership.objects.create(organization=org, user=u, role=Role.VIEWER)

    client = Client()
    client.force_login(owner)
    pages = {}
    for url in ("/o/bench/", "/o/bench/teams/", "/o/bench/members/"):
        client.get(url)  # warm
        samples = []
        for _ in range(15):
            t0 = time.monotonic()
            assert client.get(url).status_code == 200
            samples.append((time.monotonic() - t0) * 1000)
        pages[url] = samples

    issued = services.create_api_token(by, name="bench")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    api_samples = []
    for _ in range(30):
        t0 = time.monotonic()
        assert api.get("/api/v1/teams/").status_code == 200
        api_samples.append((time.monotonic() - t0) * 1000)

    # The channel inventory with 300 channels over 7 networks and 200 teams (paginated, indexed).
    from accounts.models import Team
    from channels_registry.models import Channel

    teams = list(Team.objects.for_org(org).values_list("pk", flat=True))
    networks = ["sandbox", "mastodon", "bluesky", "x", "facebook", "instagram", "linkedin"]
    Channel.objects.bulk_create(
        [
            Channel(
                organization=org,
                provider=networks[i % 7],
                external_id=f"acct-{i}",
                handle=f"@brand{i:03}",
                name=f"Brand {i:03}",
                team_id=teams[i % len(teams)],
            )
            for i in range(300)
        ]
    )
    channel_pages = {}
    for url in (
        "/o/bench/channels/",
        "/o/bench/channels/?provider=instagram",
        "/o/bench/channels/export.csv",
    ):
        client.get(url)
        samples = []
        for _ in range(15):
            t0 = time.monotonic()
            assert client.get(url).status_code == 200
            samples.append((time.monotonic() - t0) * 1000)
        channel_pages[url] = samples

    rows: list[Row] = [
        ("audit log: append (one transaction each)", f"{append_rate:,.0f}", "events/s", ">= 200"),
        ("audit log: verify chain", f"{verify_rate:,.0f}", "events/s", ">= 5,000"),
    ]
    for url, samples in pages.items():
        rows.append(
            (
                f"page {url} p50 (200 teams, 300 members)",
                f"{statistics.median(samples):.1f}",
                "ms",
                "< 150",
            )
        )
        rows.append((f"page {url} p95", f"{_pct(samples, 95):.1f}", "ms", "< 300"))
    for url, samples in channel_pages.items():
        rows.append(
            (
                f"channels {url} p50 (300 channels)",
                f"{statistics.median(samples):.1f}",
                "ms",
                "< 150",
            )
        )
        rows.append((f"channels {url} p95", f"{_pct(samples, 95):.1f}", "ms", "< 300"))
    rows.append(
        (
            "API GET /api/v1/teams/ p50 (token auth)",
            f"{statistics.median(api_samples):.1f}",
            "ms",
            "< 100",
        )
    )
    rows.append(("API GET /api/v1/teams/ p95", f"{_pct(api_samples, 95):.1f}", "ms", "< 200"))
    return rows
