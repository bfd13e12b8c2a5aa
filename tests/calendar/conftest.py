"""Calendar fixtures: alice's organization A with two sandbox channels, a campaign and helpers to make posts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from publishing.models import Post, PostVariant
from publishing.posts import services as authoring

from ..channels.factories import connect_sandbox

V = PostVariant.Status
P = Post.Status


def make_post(
    org,
    author,
    channels,
    *,
    status=P.DRAFT,
    variant_status=V.DRAFT,
    at=None,
    planned_at=None,
    published_at=None,
    campaign=None,
    team=None,
    text="Calendar post",
):
    """A post as rows (the states are what the calendar reads; the services have their own tests)."""
    post = Post.objects.create(
        organization=org,
        author=author,
        text=text,
        status=status,
        campaign=campaign,
        team=team,
        scheduled_at=at if status == P.SCHEDULED else None,
        planned_at=planned_at,
        schedule_timezone="UTC" if at else "",
    )
    for ch in channels:
        PostVariant.objects.create(
            organization=org,
            post=post,
            channel=ch,
            status=variant_status,
            due_at=at,
            published_at=published_at,
        )
    return post


def in_days(days: float, hour: int = 10) -> datetime:
    base = (timezone.now() + timedelta(days=days)).astimezone(UTC)
    return base.replace(hour=hour, minute=0, second=0, microsecond=0)


def month_range(center: datetime) -> dict:
    start = (center - timedelta(days=20)).date().isoformat()
    end = (center + timedelta(days=20)).date().isoformat()
    return {"start": start, "end": end}


@pytest.fixture
def channels(org_a, alice_m):
    return connect_sandbox(
        org_a, alice_m, ["sbx-kitchen", "sbx-kopi"], timezone_name="Asia/Jakarta"
    )


@pytest.fixture
def campaign(org_a, alice_m):
    return authoring.create_campaign(
        org_a,
        by=alice_m,
        name="Ramadan",
        color="#aa3311",
        starts_on=timezone.now().date(),
        ends_on=timezone.now().date() + timedelta(days=5),
    )


def events_of(response):
    assert response.status_code == 200, response.content
    return response.json()["events"]


def posts_in(events):
    return [e for e in events if e.get("extendedProps", {}).get("kind") == "post"]
