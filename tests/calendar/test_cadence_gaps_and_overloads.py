"""Cadence targets per channel: weeks under or over target are marked and listed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from publishing.calendar import services as calendar_services
from socialops.errors import ValidationFailed

from .conftest import P, V, make_post

pytestmark = pytest.mark.django_db


def _next_monday_10():
    today = timezone.now().date()
    monday = today + timedelta(days=7 - today.weekday())
    return timezone.make_aware(
        timezone.datetime.combine(monday, timezone.datetime.min.time())
    ) + timedelta(hours=10)


def test_gaps_and_overloads_are_listed_per_week(alice_client, org_a, alice, alice_m, channels):
    kitchen, kopi = channels
    calendar_services.set_cadence_target(kitchen, by=alice_m, min_per_week=3, max_per_week=5)
    calendar_services.set_cadence_target(kopi, by=alice_m, min_per_week=0, max_per_week=1)
    monday = _next_monday_10()
    make_post(org_a, alice, [kitchen], status=P.SCHEDULED, variant_status=V.SCHEDULED, at=monday)
    for i in range(3):
        make_post(org_a, alice, [kopi], planned_at=monday + timedelta(days=i))
    make_post(
        org_a, alice, [kitchen], status=P.FAILED, variant_status=V.FAILED, at=monday
    )  # does not count
    rng = {
        "start": monday.date().isoformat(),
        "end": (monday + timedelta(days=7)).date().isoformat(),
    }
    data = alice_client.get(reverse("calendar_events", kwargs={"org_slug": org_a.slug}), rng).json()
    issues = {(i["channel"], i["kind"]): i for i in data["cadence"]}
    gap = issues[(kitchen.pk, "gap")]
    assert gap["count"] == 1 and gap["min"] == 3
    assert gap["message"].endswith("1 post next week, target 3–5")
    assert "Sandbox" in gap["message"]
    assert issues[(kopi.pk, "overload")]["count"] == 3
    assert "3 posts next week, target 0–1" in issues[(kopi.pk, "overload")]["message"]
    marks = [e for e in data["events"] if e["extendedProps"]["kind"] == "cadence"]
    assert len(marks) == 1 and marks[0]["start"] == monday.date().isoformat()
    assert marks[0]["extendedProps"]["count"] == 2
    assert marks[0]["title"].endswith("2 cadence warnings")


def test_one_warning_is_singular(alice_client, org_a, alice, alice_m, channels):
    calendar_services.set_cadence_target(channels[0], by=alice_m, min_per_week=2, max_per_week=4)
    monday = _next_monday_10()
    rng = {
        "start": monday.date().isoformat(),
        "end": (monday + timedelta(days=7)).date().isoformat(),
    }
    data = alice_client.get(reverse("calendar_events", kwargs={"org_slug": org_a.slug}), rng).json()
    (issue,) = data["cadence"]
    assert issue["message"].endswith("0 posts next week, target 2–4")
    (mark,) = [e for e in data["events"] if e["extendedProps"]["kind"] == "cadence"]
    assert mark["title"].endswith("1 cadence warning")
    # the list's heading for the week
    assert data["cadenceWeeks"] == [
        {"week": monday.date().isoformat(), "title": "Next week: 1 cadence warning"}
    ]


def test_a_week_on_target_is_not_listed(alice_client, org_a, alice, alice_m, channels):
    kitchen = channels[0]
    calendar_services.set_cadence_target(kitchen, by=alice_m, min_per_week=1, max_per_week=2)
    monday = _next_monday_10()
    make_post(org_a, alice, [kitchen], status=P.SCHEDULED, variant_status=V.SCHEDULED, at=monday)
    rng = {
        "start": monday.date().isoformat(),
        "end": (monday + timedelta(days=7)).date().isoformat(),
    }
    data = alice_client.get(reverse("calendar_events", kwargs={"org_slug": org_a.slug}), rng).json()
    assert data["cadence"] == []


def test_targets_are_validated(org_a, alice_m, channels):
    with pytest.raises(ValidationFailed):
        calendar_services.set_cadence_target(
            channels[0], by=alice_m, min_per_week=5, max_per_week=3
        )
    target = calendar_services.set_cadence_target(
        channels[0], by=alice_m, min_per_week=2, max_per_week=3
    )
    again = calendar_services.set_cadence_target(
        channels[0], by=alice_m, min_per_week=1, max_per_week=4
    )
    assert again.pk == target.pk and again.max_per_week == 4


def test_the_cadence_page_sets_and_removes_a_target(alice_client, org_a, channels):
    url = reverse("calendar_cadence", kwargs={"org_slug": org_a.slug})
    assert (
        alice_client.post(
            url, {"channel": channels[0].pk, "min_per_week": 3, "max_per_week": 5}
        ).status_code
        == 302
    )
    page = alice_client.get(url).content.decode()
    assert "3–5" in page
    from publishing.models import CadenceTarget

    target = CadenceTarget.objects.for_org(org_a).get()
    delete = reverse(
        "calendar_cadence_delete", kwargs={"org_slug": org_a.slug, "target_id": target.pk}
    )
    assert alice_client.post(delete).status_code == 302
    assert not CadenceTarget.objects.for_org(org_a).exists()
