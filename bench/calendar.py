"""Calendar figures (issue 5): the events endpoint for an organization with 300 channels and 5,000 posts in a month.

Rows are bulk-created (the calendar reads them; the services have their own tests): 300 sandbox
channels over 3 regional teams, 5,000 posts in the month ahead (one variant each, a mix of
planned drafts, scheduled and published), 300 cadence targets, a campaign band, notes and
Indonesia's holidays. The bench times ``GET /o/<slug>/calendar/events/`` for the month view's
6-week range as the owner and as a regional publisher, and reports its query count.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta

Row = tuple[str, str, str, str]
CHANNELS = 300
POSTS = 5000
RUNS = 20


def _pct(samples: list[float], p: float) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(round(p / 100 * (len(samples) - 1))))]


def _world():
    from accounts import services
    from accounts.capabilities import Role
    from accounts.models import Membership, User
    from channels_registry.models import Channel
    from publishing.models import (
        CadenceTarget,
        CalendarNote,
        Campaign,
        HolidayRegion,
        Post,
        PostVariant,
    )

    owner = User.objects.create_user("bench-calendar@example.test", "bench-password-123")
    org = services.create_organization(name="Bench Calendar", slug="bench-calendar", owner=owner)
    by = Membership.objects.for_org(org).get(user=owner)
    hq = services.create_team(org, by=by, name="HQ")
    regions = [services.create_team(org, by=by, name=f"Region {i}", parent=hq) for i in range(3)]
    channels = Channel.objects.bulk_create(
        [
            Channel(
                organization=org,
                provider=("sandbox", "instagram", "facebook", "linkedin")[i % 4],
                external_id=f"bench-{i}",
                handle=f"bench{i}",
                name=f"Bench {i}",
                team=regions[i % 3],
                timezone="Asia/Jakarta",
            )
            for i in range(CHANNELS)
        ]
    )
    CadenceTarget.objects.bulk_create(
        [
            CadenceTarget(organization=org, channel=c, min_per_week=3, max_per_week=5)
            for c in channels
        ]
    )
    now = datetime.now(UTC)
    campaign = Campaign.objects.create(
        organization=org,
        name="Bench campaign",
        starts_on=now.date(),
        ends_on=(now + timedelta(days=20)).date(),
    )
    CalendarNote.objects.create(
        organization=org, title="Bench note", starts_on=now.date(), ends_on=now.date()
    )
    HolidayRegion.objects.create(organization=org, team=None, countries=["ID"])
    rnd = random.Random(5)  # noqa: S311 - test data
    posts, slots = [], []
    for i in range(POSTS):
        when = now + timedelta(minutes=rnd.randrange(60, 30 * 24 * 60))
        kind = i % 3
        status = (Post.Status.DRAFT, Post.Status.SCHEDULED, Post.Status.PUBLISHED)[kind]
        posts.append(
            Post(
                organization=org,
                author=owner,
                text=f"Bench post {i}",
                status=status,
                campaign=campaign if i % 4 == 0 else None,
                team=regions[i % 3] if i % 2 else None,
                planned_at=when if kind == 0 else None,
                scheduled_at=when if kind else None,
                schedule_timezone="Asia/Jakarta",
            )
        )
        slots.append((when, kind))
    posts = Post.objects.bulk_create(posts, batch_size=1000)
    variants = []
    for i, (post, (when, kind)) in enumerate(zip(posts, slots, strict=True)):
        status = (
            PostVariant.Status.DRAFT,
            PostVariant.Status.SCHEDULED,
            PostVariant.Status.PUBLISHED,
        )[kind]
        variants.append(
            PostVariant(
                organization=org,
                post=post,
                channel=channels[i % CHANNELS],
                status=status,
                due_at=when if kind else None,
                published_at=when if kind == 2 else None,
            )
        )
    PostVariant.objects.bulk_create(variants, batch_size=1000)
    publisher = User.objects.create_user("bench-calendar-pub@example.test", "bench-password-123")
    m = Membership.objects.create(organization=org, user=publisher, role=Role.PUBLISHER)
    m.teams.add(regions[0])
    return org, owner, publisher, regions, now


def _time(client, url, params) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params)  # warm
    samples = []
    for _ in range(RUNS):
        t0 = time.monotonic()
        response = client.get(url, params)
        samples.append((time.monotonic() - t0) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as ctx:
        events = len(client.get(url, params).json()["events"])
    return samples, len(ctx.captured_queries), events


def run() -> list[Row]:
    from django.test import Client
    from django.urls import reverse

    org, owner, publisher, regions, now = _world()
    url = reverse("calendar_events", kwargs={"org_slug": org.slug})
    month = {
        "start": (now - timedelta(days=3)).date().isoformat(),
        "end": (now + timedelta(days=39)).date().isoformat(),
    }
    rows: list[Row] = []
    for label, user, extra in (
        ("owner, all teams", owner, {}),
        ("regional publisher", publisher, {"team": regions[0].pk}),
    ):
        client = Client()
        client.force_login(user)
        samples, queries, events = _time(client, url, {**month, **extra})
        rows += [
            (
                f"calendar events 6 weeks ({label}) p50",
                f"{statistics.median(samples):.0f}",
                "ms",
                "< 1000 ms",
            ),
            (
                f"calendar events 6 weeks ({label}) p95",
                f"{_pct(samples, 95):.0f}",
                "ms",
                "< 1000 ms",
            ),
            (
                f"calendar events ({label}) queries / events",
                f"{queries} / {events}",
                "count",
                "fixed",
            ),
        ]
    return rows
