"""Best-time suggestions (analytics.selectors.best_time_slots) and the composer's calendar hooks (?at, plan for)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from analytics.selectors import best_time_slots, general_pattern
from publishing.models import Post

from .conftest import in_days, make_post

pytestmark = pytest.mark.django_db


def test_slots_follow_the_networks_pattern_in_the_channels_zone(channels):
    channel = channels[0]
    channel.provider = "instagram"
    now = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # a Monday, 07:00 in Jakarta
    slots = best_time_slots(channel, days=7, now=now)
    assert slots and all(s.source == "general_pattern" for s in slots)
    first = slots[0].at
    assert str(first.tzinfo) == "Asia/Jakarta"
    assert first.hour in general_pattern("instagram")[first.weekday()]
    assert all(now < s.at.astimezone(UTC) for s in slots)
    assert slots == sorted(slots, key=lambda s: s.at)


def test_the_best_times_endpoint(alice_client, org_a, channels):
    url = reverse("calendar_best_times", kwargs={"org_slug": org_a.slug})
    data = alice_client.get(url, {"channel": channels[0].pk}).json()
    assert data["slots"] and data["timezone"] == "Asia/Jakarta"
    partial = alice_client.get(
        url, {"channel": channels[0].pk}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "data-best-time" in partial
    assert partial.count('type="button"') == min(len(data["slots"]), 6)  # one button per slot
    # no analytics data yet: it says where the times come from
    assert "general engagement pattern" in partial
    assert alice_client.get(url, {"channel": 999999}).status_code == 404


def test_the_composer_is_prefilled_from_a_clicked_slot(alice_client, org_a, alice):
    alice.timezone = "Asia/Jakarta"
    alice.save()
    response = alice_client.get(
        reverse("compose", kwargs={"org_slug": org_a.slug}), {"at": "2026-12-03T14:30:00"}
    )
    body = response.content.decode()
    assert 'value="2026-12-03"' in body and 'value="14:30' in body
    assert '<option value="Asia/Jakarta" selected>' in body
    assert (
        alice_client.get(
            reverse("compose", kwargs={"org_slug": org_a.slug}), {"at": "garbage"}
        ).status_code
        == 200
    )


def test_saving_a_draft_with_a_time_plans_it(alice_client, org_a, channels):
    at = in_days(5, hour=3)
    response = alice_client.post(
        reverse("compose", kwargs={"org_slug": org_a.slug}),
        {
            "text": "Planned from the composer",
            "channels": [channels[0].pk],
            "action": "save",
            "schedule_date": at.date().isoformat(),
            "schedule_time": "03:00",
            "schedule_timezone": "UTC",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.for_org(org_a).get(text="Planned from the composer")
    assert post.planned_at == at and post.status == Post.Status.DRAFT
    edit = alice_client.get(
        reverse("post_edit", kwargs={"org_slug": org_a.slug, "post_id": post.pk})
    ).content.decode()
    assert f'value="{at.date().isoformat()}"' in edit


def test_a_planned_draft_without_channels_is_on_the_calendar(alice_client, org_a, alice):
    post = Post.objects.create(
        organization=org_a, author=alice, text="Idea without channels", planned_at=in_days(2)
    )
    data = alice_client.get(
        reverse("calendar_events", kwargs={"org_slug": org_a.slug}),
        {"start": in_days(0).date().isoformat(), "end": in_days(7).date().isoformat()},
    ).json()
    (event,) = [e for e in data["events"] if e["extendedProps"]["kind"] == "post"]
    assert event["id"] == f"p{post.pk}" and event["extendedProps"]["variant"] is None


def test_the_calendar_suggests_best_times_for_a_filtered_channel(alice_client, org_a, channels):
    url = reverse("calendar_events", kwargs={"org_slug": org_a.slug})
    rng = {"start": in_days(0).date().isoformat(), "end": in_days(8).date().isoformat()}
    assert alice_client.get(url, rng).json()["bestTimes"] == []  # per channel only
    data = alice_client.get(url, {**rng, "channel": channels[0].pk}).json()
    assert data["bestTimes"]
    assert any(e["extendedProps"]["kind"] == "best_time" for e in data["events"])


def test_a_regional_member_opens_the_calendar_on_their_region(client, org_a):
    from accounts.capabilities import Role

    from .. import factories as f

    hq = f.make_team(org_a, "HQ")
    region = f.make_team(org_a, "Indonesia", parent=hq)
    user = f.make_user("sari@alpha.test")
    f.add_member(org_a, user, Role.PUBLISHER).teams.add(region)
    client.force_login(user)
    body = client.get(reverse("calendar", kwargs={"org_slug": org_a.slug})).content.decode()
    assert f'<option value="{region.pk}" selected>' in body


def _when_section(body: str) -> str:
    """The composer's "When" card (up to the Preview card)."""
    start = body.index('<h2 class="card-title">When</h2>')
    return body[start : body.index('<h2 class="card-title">Preview</h2>', start)]


def test_the_when_section_suggests_times_for_the_chosen_channels(
    alice_client, org_a, alice, channels
):
    chosen, other = channels
    post = make_post(org_a, alice, [chosen], text="Pick a slot")
    body = alice_client.get(
        reverse("post_edit", kwargs={"org_slug": org_a.slug, "post_id": post.pk})
    ).content.decode()
    when = _when_section(body)
    assert 'id="when-best-times"' in when
    assert f'data-best-for="{chosen.pk}"' in when and f'data-best-for="{other.pk}"' not in when
    assert "data-best-time" in when and 'data-timezone="Asia/Jakarta"' in when
    assert "general engagement pattern" in when
    # not in the channel panels any more, and nothing is fetched lazily per panel
    assert body.count("data-best-time ") == when.count("data-best-time ")
    assert "intersect once" not in body

    # a new post: nothing chosen yet, nothing suggested
    fresh = _when_section(
        alice_client.get(reverse("compose", kwargs={"org_slug": org_a.slug})).content.decode()
    )
    assert 'id="when-best-times"' in fresh and "data-best-time" not in fresh


def test_the_preview_refresh_updates_the_suggestions_as_channels_are_picked(
    alice_client, org_a, channels
):
    url = reverse("compose_preview", kwargs={"org_slug": org_a.slug})
    # no text yet (the form is invalid, no preview): the suggestions follow the channels anyway
    partial = alice_client.post(
        url, {"channels": [c.pk for c in channels]}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'id="when-best-times"' in partial and 'hx-swap-oob="true"' in partial
    assert all(f'data-best-for="{c.pk}"' in partial for c in channels)
    partial = alice_client.post(
        url, {"text": "Hi", "channels": [channels[1].pk]}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'data-best-for="{channels[1].pk}"' in partial
    assert f'data-best-for="{channels[0].pk}"' not in partial
    none = alice_client.post(url, {"text": "Hi"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="when-best-times"' in none and "data-best-time" not in none
    # a channel of another organization (or a made-up id) suggests nothing
    assert "data-best-time" not in alice_client.post(url, {"channels": ["999999"]}).content.decode()
