"""Issue 13 (5): a time with an offset (or Z) is enough to schedule or move a post through the API;
``timezone`` is then only the zone it is shown in. A time without an offset and without a zone is a 400
on the time, not a guess."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from channels_registry.models import Channel
from publishing.models import Post

from .scheduler_factories import make_post, reload, sandbox_channels

pytestmark = pytest.mark.django_db

YEAR = timezone.now().year + 1


@pytest.fixture
def kitchen(org_a, alice_m):
    (channel,) = sandbox_channels(org_a, alice_m)
    Channel.objects.for_org(org_a).filter(pk=channel.pk).update(timezone="Asia/Jakarta")
    channel.refresh_from_db()
    return channel


@pytest.fixture
def post(org_a, alice, kitchen):
    return make_post(org_a, alice, [kitchen])


def _schedule(api, post, body):
    return api.post(f"/api/v1/posts/{post.pk}/schedule/", body, format="json")


def test_a_utc_time_without_a_zone_schedules_and_shows_in_the_channels_zone(alice_api, post):
    response = _schedule(alice_api, post, {"at": f"{YEAR}-07-01T02:00:00Z"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert reload(post).scheduled_at == datetime(YEAR, 7, 1, 2, 0, tzinfo=UTC)
    assert body["schedule_timezone"] == "Asia/Jakarta"  # the channel's, as the composer offers
    assert body["scheduled_local"].startswith(f"{YEAR}-07-01T09:00:00+07:00")


def test_an_offset_is_the_instant_and_a_zone_beside_it_is_only_how_it_is_shown(alice_api, post):
    response = _schedule(
        alice_api, post, {"at": f"{YEAR}-07-01T09:00:00+07:00", "timezone": "Europe/Berlin"}
    )
    assert response.status_code == 200, response.json()
    assert reload(post).scheduled_at == datetime(YEAR, 7, 1, 2, 0, tzinfo=UTC)
    assert response.json()["schedule_timezone"] == "Europe/Berlin"
    assert response.json()["scheduled_local"].startswith(f"{YEAR}-07-01T04:00:00+02:00")


def test_a_time_without_an_offset_or_a_zone_is_a_400_on_at(alice_api, post):
    response = _schedule(alice_api, post, {"at": f"{YEAR}-07-01T09:00"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and list(error["fields"]) == ["at"]
    assert "offset" in error["fields"]["at"][0] and "timezone" in error["fields"]["at"][0]
    assert reload(post).status == Post.Status.APPROVED and reload(post).scheduled_at is None


def test_a_wall_clock_time_with_a_zone_still_works(alice_api, post):
    response = _schedule(alice_api, post, {"at": f"{YEAR}-01-05T09:00", "timezone": "Asia/Tokyo"})
    assert response.status_code == 200, response.json()
    assert reload(post).scheduled_at == datetime(YEAR, 1, 5, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("at", ["tomorrow", f"{YEAR}-02-30T09:00:00Z", 1700000000, ""])
def test_an_unreadable_time_is_a_400_on_at(alice_api, post, at):
    response = _schedule(alice_api, post, {"at": at, "timezone": "UTC"})
    assert response.status_code == 400 and "at" in response.json()["error"]["fields"]


def test_an_unknown_zone_is_a_400_on_timezone_even_with_an_offset(alice_api, post):
    response = _schedule(
        alice_api, post, {"at": f"{YEAR}-07-01T02:00:00Z", "timezone": "Mars/Base"}
    )
    assert response.status_code == 400 and "timezone" in response.json()["error"]["fields"]


def test_without_a_zone_a_post_on_channels_of_two_zones_is_shown_in_the_persons_zone(
    org_a, alice, alice_m, kitchen
):
    from tests.conftest import api_client_for

    (other,) = sandbox_channels(org_a, alice_m, ["sbx-kopi"], timezone_name="UTC")
    post = make_post(org_a, alice, [kitchen, other])
    alice.timezone = "Europe/Paris"
    alice.save(update_fields=["timezone"])
    response = _schedule(api_client_for(alice_m), post, {"at": f"{YEAR}-07-01T02:00:00Z"})
    assert response.status_code == 200, response.json()
    assert response.json()["schedule_timezone"] == "Europe/Paris"


def test_moving_takes_an_offset_alone_and_refuses_a_bare_wall_clock_time(
    org_a, alice, alice_api, kitchen
):
    api = alice_api
    post = make_post(org_a, alice, [kitchen], status=Post.Status.DRAFT)
    bare = api.post(f"/api/v1/posts/{post.pk}/move/", {"at": f"{YEAR}-03-01T10:00"}, format="json")
    assert bare.status_code == 400 and list(bare.json()["error"]["fields"]) == ["at"]

    at = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    moved = api.post(
        f"/api/v1/posts/{post.pk}/move/",
        {"at": at.isoformat().replace("+00:00", "Z")},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert reload(post).planned_at == at

    local = api.post(
        f"/api/v1/posts/{post.pk}/move/",
        {"at": f"{YEAR}-03-01T10:00", "timezone": "Asia/Jakarta"},
        format="json",
    )
    assert local.status_code == 200, local.json()
    assert reload(post).planned_at == datetime(YEAR, 3, 1, 3, 0, tzinfo=UTC)


def test_a_token_expiry_without_an_offset_is_a_400_not_the_servers_zone(alice_api):
    """A time with no zone beside it (a service account token's expiry) must carry its offset."""
    robot = alice_api.post("/api/v1/service-accounts/", {"name": "CRM sync"}, format="json")
    assert robot.status_code == 201, robot.json()
    url = f"/api/v1/service-accounts/{robot.json()['id']}/tokens/"
    bare = alice_api.post(
        url,
        {"name": "t", "scopes": ["posts:read"], "expires_at": f"{YEAR}-01-05T09:00"},
        format="json",
    )
    assert bare.status_code == 400 and list(bare.json()["error"]["fields"]) == ["expires_at"]
    zoned = alice_api.post(
        url,
        {"name": "t", "scopes": ["posts:read"], "expires_at": f"{YEAR}-01-05T09:00:00+07:00"},
        format="json",
    )
    assert zoned.status_code == 201, zoned.json()
