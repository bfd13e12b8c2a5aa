"""The composer, the calendar (page, events, best-times partial) and the calendar API say where the
suggested times come from: the channel's own engagement (and from how many posts) or the network's
general pattern because there are too few."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from publishing.models import Post, PostVariant

from ..channels.factories import connect_sandbox
from ..conftest import api_client_for
from .best_times_world import weekly_posts

pytestmark = pytest.mark.django_db

OWN = "From your own engagement on this channel (24 measured posts)."
PATTERN = "From the network&#x27;s general engagement pattern."
TOO_FEW = "This channel has 5 measured posts so far: too few to use its own engagement yet."


@pytest.fixture
def channel(org_a, alice_m):
    return connect_sandbox(org_a, alice_m, ["sbx-kitchen"], timezone_name="Asia/Jakarta")[0]


def _measured(org, author, channel, *, tuesdays: int, wednesdays: int):
    now = timezone.now()
    weekly_posts(org, author, channel, weekday=1, hour=19, weeks=tuesdays, engagements=100, now=now)
    weekly_posts(
        org, author, channel, weekday=2, hour=10, weeks=wednesdays, engagements=10, now=now
    )


def _composer(client, org, author, channel) -> str:
    post = Post.objects.create(organization=org, author=author, text="When?")
    PostVariant.objects.create(organization=org, post=post, channel=channel)
    url = reverse("post_edit", kwargs={"org_slug": org.slug, "post_id": post.pk})
    body = client.get(url).content.decode()
    return body[body.index('id="when-best-times"') :]


def test_the_composer_says_its_times_come_from_the_channels_own_engagement(
    alice_client, org_a, alice, channel
):
    _measured(org_a, alice, channel, tuesdays=12, wednesdays=12)
    when = _composer(alice_client, org_a, alice, channel)
    assert "data-best-time" in when and 'data-best-source="engagement"' in when
    assert OWN in when and PATTERN not in when


def test_the_composer_says_it_falls_back_to_the_networks_pattern(
    alice_client, org_a, alice, channel
):
    _measured(org_a, alice, channel, tuesdays=3, wednesdays=2)
    when = _composer(alice_client, org_a, alice, channel)
    assert 'data-best-source="general_pattern"' in when
    assert PATTERN in when and TOO_FEW in when and "own engagement on" not in when


def test_the_calendar_says_where_its_suggestions_come_from(alice_client, org_a, alice, channel):
    page = alice_client.get(reverse("calendar", kwargs={"org_slug": org_a.slug})).content.decode()
    assert 'id="cal-best-source"' in page and "general engagement pattern" not in page
    today = timezone.now().date()
    rng = {"start": today.isoformat(), "end": (today + timedelta(days=8)).isoformat()}
    events = reverse("calendar_events", kwargs={"org_slug": org_a.slug})
    unfiltered = alice_client.get(events, rng).json()
    assert (unfiltered["bestTimesSource"], unfiltered["bestTimesNote"]) == ("", "")

    data = alice_client.get(events, {**rng, "channel": channel.pk}).json()
    assert data["bestTimes"] and data["bestTimesSource"] == "general_pattern"
    assert data["bestTimesNote"].startswith("From the network's general engagement pattern.")

    _measured(org_a, alice, channel, tuesdays=12, wednesdays=12)
    data = alice_client.get(events, {**rng, "channel": channel.pk}).json()
    assert data["bestTimes"] and data["bestTimesSource"] == "engagement"
    assert data["bestTimesNote"] == OWN
    partial = alice_client.get(
        reverse("calendar_best_times", kwargs={"org_slug": org_a.slug}),
        {"channel": channel.pk},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert OWN in partial and 'data-best-source="engagement"' in partial


def test_the_calendar_api_names_the_source(org_a, alice, alice_m, channel):
    api = api_client_for(alice_m)
    today = timezone.now().date()
    rng = {"start": today.isoformat(), "end": (today + timedelta(days=8)).isoformat()}
    answer = api.get("/api/v1/calendar/events/", {**rng, "channel": channel.pk}).json()
    assert answer["best_times"] and answer["best_times_source"] == "general_pattern"
    _measured(org_a, alice, channel, tuesdays=12, wednesdays=12)
    answer = api.get("/api/v1/calendar/events/", {**rng, "channel": channel.pk}).json()
    assert answer["best_times_source"] == "engagement"
    assert api.get("/api/v1/calendar/events/", rng).json()["best_times_source"] == ""
