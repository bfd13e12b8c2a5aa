"""The inbox's tiles on the organization dashboard (page and API), from the inbox's own selector:
volume, median first response, SLA met and sentiment share on the dashboard's channels, both
periods, the same filters, never another organization's or a hidden channel's conversations, and a
query count that does not grow with them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from analytics.selectors import INBOX_KEYS, DateRange, organization_dashboard

from .. import factories as f
from ..channels.factories import bulk_channels, connect_sandbox
from .factories import conversation

pytestmark = pytest.mark.django_db

SINCE, UNTIL = date(2026, 11, 1), date(2026, 11, 28)
SUMMARY = "/api/v1/analytics/summary/"
RANGE = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


MIN, HOUR = timedelta(minutes=1), timedelta(hours=1)


@pytest.fixture
def world(org_a, alice_m, org_b, bob_m):
    jakarta = f.make_team(org_a, "Jakarta", parent=f.make_team(org_a, "HQ"))
    sandbox = connect_sandbox(org_a, alice_m, ["sbx-kitchen"], team=jakarta)[0]
    mastodon = bulk_channels(org_a, 1, provider="mastodon")[0]
    day = date(2026, 11, 10)
    # the range: 6 incoming (5 scored: 2 positive, 2 neutral, 1 negative); answered after 10 min,
    # 3 h and 20 min (median 20 min); 3 due, 2 in time
    conversation(
        sandbox, at(day), answered_after=10 * MIN, sla_in=HOUR, sentiments=["positive", ""]
    )
    conversation(
        sandbox,
        at(day, 12),
        answered_after=3 * HOUR,
        sla_in=HOUR,
        sentiments=["positive", "negative"],
    )
    conversation(
        mastodon, at(day, 15), answered_after=20 * MIN, sla_in=HOUR, sentiments=["neutral"] * 2
    )
    # the period before: 1 incoming, answered after an hour, in time
    conversation(
        sandbox,
        at(date(2026, 10, 20)),
        answered_after=HOUR,
        sla_in=2 * HOUR,
        sentiments=["neutral"],
    )
    # outside both periods
    conversation(sandbox, at(date(2026, 9, 1)), answered_after=MIN, sentiments=["negative"] * 5)
    foreign = connect_sandbox(org_b, bob_m, ["sbx-kitchen"])[0]
    conversation(foreign, at(day), answered_after=MIN, sla_in=HOUR, sentiments=["negative"] * 50)
    return {"sandbox": sandbox, "mastodon": mastodon, "jakarta": jakarta}


def _tiles(member, **kw):
    board = organization_dashboard(member, DateRange(SINCE, UNTIL), **kw)
    return {k.key: (k.current, k.previous) for k in board.inbox}


def test_the_inbox_tiles_of_the_range_and_the_period_before(world, alice_m):
    tiles = _tiles(alice_m)
    assert list(tiles) == list(INBOX_KEYS)
    assert tiles["inbox_volume"] == (6, 1)
    assert tiles["first_response_median"] == (20 * 60, 3600)
    assert tiles["sla_met_percent"] == (66.7, 100.0)
    assert tiles["sentiment_positive"] == (40.0, 0.0)
    assert tiles["sentiment_neutral"] == (40.0, 100.0)
    assert tiles["sentiment_negative"] == (20.0, 0.0)
    board = organization_dashboard(alice_m, DateRange(SINCE, UNTIL))
    assert board.kpi("inbox_volume").change_percent == 500.0
    assert board.inbox_days[date(2026, 11, 10)]["inbound"] == 6
    assert board.inbox_days[date(2026, 11, 10)]["responded"] == 3


def test_the_inbox_tiles_follow_the_dashboards_filters(world, alice_m):
    assert _tiles(alice_m, network="mastodon")["inbox_volume"] == (2, 0)
    assert _tiles(alice_m, network="mastodon")["sla_met_percent"] == (100.0, None)
    jakarta = _tiles(alice_m, team=world["jakarta"])
    assert jakarta["inbox_volume"] == (4, 1)
    assert jakarta["first_response_median"] == (5700, 3600)  # between 10 min and 3 h
    one = _tiles(alice_m, channel_id=world["mastodon"].pk)
    assert one["first_response_median"] == (1200, None)


def test_a_member_counts_only_the_channels_whose_analytics_they_may_see(world, org_a, alice_m):
    from accounts.capabilities import Role
    from channels_registry import services as channel_services

    channel_services.set_channel_access(world["sandbox"], by=alice_m, access="restricted")
    analyst = f.add_member(org_a, f.make_user("ana@alpha.test", name="Ana"), Role.ANALYST)
    # an analyst does not moderate: the counts, never the conversations
    assert _tiles(analyst)["inbox_volume"] == (2, 0)
    assert _tiles(alice_m)["inbox_volume"] == (6, 1)


def test_another_organizations_conversations_are_never_counted(world, bob_m):
    tiles = _tiles(bob_m)
    assert tiles["inbox_volume"] == (50, 0)
    assert tiles["sentiment_negative"] == (100.0, None)


def test_the_page_shows_the_inbox_tiles_and_the_summary(world, alice_client):
    page = alice_client.get(reverse("analytics_dashboard", args=["alpha"]), RANGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="analytics-summary"' in html and "What changed" in html
    assert 'id="analytics-inbox"' in html
    assert 'data-kpi="inbox_volume"' in html and 'data-value="6"' in html
    assert 'data-kpi="first_response_median"' in html and "20 minutes" in html
    assert "66.7 %" in html
    # one conversation answered in the period before: too few to compare
    assert page.context["summary"] == ["Not enough data yet to say what changed."]


def test_the_api_answers_the_inbox_tiles_and_the_summary(world, alice_api):
    body = alice_api.get(SUMMARY, RANGE).json()
    inbox = {k["key"]: k for k in body["inbox"]}
    assert inbox["inbox_volume"]["current"] == 6 and inbox["inbox_volume"]["previous"] == 1
    assert inbox["first_response_median"]["current"] == 1200
    assert inbox["sla_met_percent"]["current"] == 66.7
    assert inbox["sentiment_negative"]["current"] == 20.0
    assert isinstance(body["summary"], list) and body["summary"]
    assert all(isinstance(s, str) and s for s in body["summary"])


def test_the_query_count_does_not_grow_with_conversations(world, alice_client, alice_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("analytics_dashboard", args=["alpha"])

    def counts():
        with CaptureQueriesContext(connection) as page:
            alice_client.get(url, RANGE)
        with CaptureQueriesContext(connection) as api:
            alice_api.get(SUMMARY, RANGE)
        return len(page), len(api)

    counts()  # the first request of a session reads what later ones find cached
    before = counts()
    for i in range(12):
        conversation(
            world["mastodon"],
            at(date(2026, 11, 1) + timedelta(days=2 * i)),
            answered_after=(i + 1) * MIN,
            sla_in=HOUR,
            sentiments=["positive", "negative"],
        )
    assert counts() == before
