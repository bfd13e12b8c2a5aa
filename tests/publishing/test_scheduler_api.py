"""The scheduling API: schedule in a zone, publish now, cancel, retry one channel, freezes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.capabilities import Role
from publishing.models import Post, PostVariant, PublishingFreeze

from ..conftest import api_client_for
from ..factories import add_member, make_user
from .scheduler_factories import (
    make_post,
    network_posts,
    reload,
    sandbox_channels,
    tick,
    variants_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(org_a, alice, alice_m):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    return make_post(org_a, alice, [kitchen])


def test_scheduling_with_a_wall_clock_time_stores_utc_and_shows_it_both_ways(alice_api, post):
    year = timezone.now().year + 1
    response = alice_api.post(
        f"/api/v1/posts/{post.pk}/schedule/",
        {"at": f"{year}-07-01T09:00", "timezone": "Asia/Jakarta"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "scheduled" and body["schedule_timezone"] == "Asia/Jakarta"
    assert body["scheduled_local"].startswith(f"{year}-07-01T09:00:00+07:00")
    assert reload(post).scheduled_at == datetime(year, 7, 1, 2, 0, tzinfo=UTC)
    assert [v["status"] for v in body["variants"]] == ["scheduled"]


def test_a_past_time_is_a_400_with_a_field_error(alice_api, post):
    response = alice_api.post(
        f"/api/v1/posts/{post.pk}/schedule/",
        {"at": "2001-01-01T09:00:00Z", "timezone": "UTC"},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "past" in error["message"] and "at" in error["fields"]
    assert reload(post).status == Post.Status.APPROVED


def test_a_bad_zone_is_a_400_not_a_500(alice_api, post):
    response = alice_api.post(
        f"/api/v1/posts/{post.pk}/schedule/",
        {"at": "2030-01-01T09:00", "timezone": "Nowhere/Land"},
        format="json",
    )
    assert response.status_code == 400 and "timezone" in response.json()["error"]["fields"]


def test_publish_now_then_the_dispatcher_sends_it(alice_api, post):
    response = alice_api.post(f"/api/v1/posts/{post.pk}/publish-now/")
    assert response.status_code == 200
    tick()
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.PUBLISHED


def test_cancel_stops_a_scheduled_post(alice_api, post):
    alice_api.post(
        f"/api/v1/posts/{post.pk}/schedule/",
        {"at": (timezone.now() + timedelta(hours=2)).isoformat(), "timezone": "UTC"},
        format="json",
    )
    response = alice_api.post(f"/api/v1/posts/{post.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert tick(timezone.now() + timedelta(hours=3)) == []


def test_retry_of_a_variant_that_did_not_fail_is_a_409(alice_api, post):
    (variant,) = variants_of(post)
    response = alice_api.post(f"/api/v1/variants/{variant.pk}/retry/")
    assert response.status_code == 409


def test_a_viewer_cannot_schedule(org_a, post):
    viewer = add_member(org_a, make_user("val@alpha.test"), Role.VIEWER)
    response = api_client_for(viewer).post(f"/api/v1/posts/{post.pk}/publish-now/")
    assert response.status_code == 403
    assert reload(post).status == Post.Status.APPROVED


def test_freezes_are_created_listed_and_lifted(alice_api, org_a, post):
    (variant,) = variants_of(post)
    response = alice_api.post(
        "/api/v1/publishing-freezes/",
        {
            "scope": "channel",
            "channel": variant.channel_id,
            "reason": "Brand review",
            "on_lift": "mark_late",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    freeze_id = response.json()["id"]
    assert [
        f["id"] for f in alice_api.get("/api/v1/publishing-freezes/?active=1").json()["results"]
    ] == [freeze_id]
    alice_api.post(f"/api/v1/posts/{post.pk}/publish-now/")
    tick()
    assert reload(variant).status == PostVariant.Status.HELD
    response = alice_api.post(f"/api/v1/publishing-freezes/{freeze_id}/lift/")
    assert response.status_code == 200 and response.json()["lifted_at"]
    tick()
    variant = reload(variant)
    assert variant.status == PostVariant.Status.PUBLISHED and variant.is_late
    assert len(network_posts(variant.channel)) == 1
    assert alice_api.post(f"/api/v1/publishing-freezes/{freeze_id}/lift/").status_code == 409


def test_a_freeze_without_its_team_is_a_field_error(alice_api, org_a):
    response = alice_api.post(
        "/api/v1/publishing-freezes/", {"scope": "team", "reason": "x"}, format="json"
    )
    assert response.status_code == 400 and "team" in response.json()["error"]["fields"]
    assert not PublishingFreeze.objects.for_org(org_a).exists()
