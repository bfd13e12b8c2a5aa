"""Issue 10, item 12: the read-only shared calendar does not show the team's internal cadence
warnings to outsiders (page, events and iCal feed); the internal calendar still shows them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from publishing.calendar import services as calendar_services

from .conftest import P, V, make_post

pytestmark = pytest.mark.django_db


def _next_monday_10():
    today = timezone.now().date()
    monday = today + timedelta(days=7 - today.weekday())
    return timezone.make_aware(
        timezone.datetime.combine(monday, timezone.datetime.min.time())
    ) + timedelta(hours=10)


@pytest.fixture
def behind_target(org_a, alice, alice_m, channels):
    """Next week Kitchen has 1 post against a target of 3–5: a cadence gap."""
    kitchen, _kopi = channels
    calendar_services.set_cadence_target(kitchen, by=alice_m, min_per_week=3, max_per_week=5)
    monday = _next_monday_10()
    make_post(
        org_a,
        alice,
        [kitchen],
        status=P.SCHEDULED,
        variant_status=V.SCHEDULED,
        at=monday,
        text="Kitchen launch",
    )
    return {
        "start": monday.date().isoformat(),
        "end": (monday + timedelta(days=7)).date().isoformat(),
    }


def _kinds(events):
    return {e["extendedProps"]["kind"] for e in events}


def test_the_team_sees_its_cadence_warnings(alice_client, org_a, behind_target):
    data = alice_client.get(
        reverse("calendar_events", kwargs={"org_slug": org_a.slug}), behind_target
    ).json()
    assert "cadence" in _kinds(data["events"]) and data["cadence"] and data["cadenceWeeks"]


def test_the_shared_calendar_shows_the_posts_without_the_warnings(
    client, org_a, alice_m, behind_target
):
    _link, token = calendar_services.create_share_link(org_a, by=alice_m, name="Agency", filters={})
    data = client.get(
        reverse("calendar_shared_events", kwargs={"share_token": token}), behind_target
    ).json()
    assert "post" in _kinds(data["events"])
    assert "cadence" not in _kinds(data["events"])
    assert data["cadence"] == [] and data["cadenceWeeks"] == []
    assert "cadence" not in str(data["events"]).lower()
    page = client.get(reverse("calendar_shared", kwargs={"share_token": token})).content.decode()
    assert "Cadence warning" not in page and "cal-key-cadence" not in page
    feed = client.get(
        reverse("calendar_shared_feed", kwargs={"share_token": token})
    ).content.decode()
    assert "Kitchen launch" in feed
    assert "cadence" not in feed.lower()
