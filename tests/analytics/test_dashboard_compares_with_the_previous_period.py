"""The organization dashboard (page and API): known rollups, the previous period, filters, NULL
networks named, other organizations never counted, range errors, a pinned query count."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from analytics import services
from analytics.selectors import DateRange, organization_dashboard
from channels_registry.providers.base import DailyAccountMetrics

from .. import factories as f
from ..channels.factories import bulk_channels, connect_sandbox

pytestmark = pytest.mark.django_db

SINCE, UNTIL = date(2026, 11, 1), date(2026, 11, 28)
PREV_SINCE = SINCE - timedelta(days=28)
SUMMARY = "/api/v1/analytics/summary/"


def _feed(channel, figures):
    """Store {day: {...}} through the same upsert and rollup the fetch uses."""
    services.upsert_account_metrics(
        channel, [DailyAccountMetrics(d, **v) for d, v in figures.items()]
    )
    services.rollup_channel(channel, since=min(figures), until=max(figures))


def _each_day(since, until, **values):
    out, day = {}, since
    while day <= until:
        out[day] = dict(values)
        day += timedelta(days=1)
    return out


@pytest.fixture
def world(org_a, alice_m, org_b, bob_m):
    hq = f.make_team(org_a, "HQ")
    jakarta = f.make_team(org_a, "Jakarta", parent=hq)
    sandbox = connect_sandbox(org_a, alice_m, ["sbx-kitchen"], team=jakarta)[0]
    mastodon = bulk_channels(org_a, 1, provider="mastodon")[0]
    prev = _each_day(PREV_SINCE, SINCE - timedelta(days=1), impressions=50, engagements=5)
    cur = _each_day(SINCE, UNTIL, impressions=100, engagements=10)
    prev[SINCE - timedelta(days=1)]["followers"] = 1000
    cur[UNTIL]["followers"] = 1100
    _feed(sandbox, {**prev, **cur})
    _feed(mastodon, {SINCE - timedelta(days=2): {"followers": 200}, UNTIL: {"followers": 260}})
    foreign = connect_sandbox(org_b, bob_m, ["sbx-kitchen"])[0]
    _feed(foreign, _each_day(PREV_SINCE, UNTIL, followers=99999, impressions=99999))
    return {"sandbox": sandbox, "mastodon": mastodon, "jakarta": jakarta, "foreign": foreign}


def _board(member, **kw):
    return organization_dashboard(member, DateRange(SINCE, UNTIL), **kw)


def test_the_figures_and_their_change_from_the_previous_period(world, alice_m):
    board = _board(alice_m)
    followers = board.kpi("followers")
    assert (followers.current, followers.previous, followers.growth) == (1360, 1200, 160)
    assert followers.change_percent == 13.3
    impressions = board.kpi("impressions")
    assert (impressions.current, impressions.previous, impressions.change_percent) == (
        2800,
        1400,
        100.0,
    )
    assert impressions.not_available_for == ["Mastodon"]
    assert board.kpi("engagements").current == 280
    rate = board.kpi("engagement_rate")
    assert (rate.current, rate.previous, rate.change_percent) == (10.0, 10.0, 0.0)
    reach = board.kpi("reach")
    assert reach.current is None and reach.not_available_for == ["Mastodon", "Sandbox"]
    assert board.kpi("posts_published").current == 0
    assert board.kpi("posts_published").not_available_for == []
    assert board.previous_range == DateRange(PREV_SINCE, SINCE - timedelta(days=1))
    assert {r.channel_id for r in board.channels} == {world["sandbox"].pk, world["mastodon"].pk}


def test_filters_narrow_to_a_team_subtree_a_network_or_one_channel(world, alice_m):
    hq_board = _board(alice_m, team=world["jakarta"])
    assert [r.channel_id for r in hq_board.channels] == [world["sandbox"].pk]
    assert hq_board.kpi("followers").current == 1100
    net = _board(alice_m, network="mastodon")
    assert net.kpi("followers").current == 260 and net.kpi("impressions").current is None
    assert net.kpi("impressions").not_available_for == ["Mastodon"]
    one = _board(alice_m, channel_id=world["sandbox"].pk)
    assert one.kpi("impressions").current == 2800
    assert _board(alice_m, channel_id=world["foreign"].pk).channels == []


def test_the_page_shows_the_tiles_the_notes_and_the_table(
    world, alice_client, django_assert_max_num_queries
):
    url = reverse("analytics_dashboard", args=["alpha"])
    # 15 before the inbox's tiles (three queries: inbound by day and sentiment, both periods'
    # responses and SLA, responses by day) and the campaign filter's list (one); the followers of
    # both periods became one query; the charts' daily totals are one more
    # (analytics.charts.selectors.daily_totals)
    with django_assert_max_num_queries(19):
        page = alice_client.get(url, {"since": SINCE.isoformat(), "until": UNTIL.isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-kpi="impressions"' in html and 'data-value="2800"' in html
    assert 'data-change="100.0"' in html
    assert 'data-growth="160"' in html
    assert "Not available for Mastodon" in html
    assert f'data-channel="{world["sandbox"].pk}"' in html
    assert f'data-channel="{world["foreign"].pk}"' not in html
    assert "99999" not in html and "99,999" not in html
    assert 'id="nav-analytics"' in html


def test_the_page_defaults_to_the_last_28_days(world, alice_client):
    page = alice_client.get(reverse("analytics_dashboard", args=["alpha"]))
    assert page.status_code == 200
    board = page.context["board"]
    assert board.range.days == 28 and board.previous_range.days == 28


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"since": "2026-11-28", "until": "2026-11-01"},
            "The end of the range is before its start.",
        ),
        ({"since": "2023-01-01", "until": "2026-11-01"}, "Choose a range of at most two years."),
        ({"since": "not-a-day"}, "Enter a valid date."),
        ({"since": "0001-01-01", "until": "0001-01-02"}, "There are no figures before 2000"),
        ({"channel": "999999"}, "Select a valid choice."),
    ],
)
def test_a_bad_range_or_filter_is_a_form_error(world, alice_client, params, message):
    page = alice_client.get(reverse("analytics_dashboard", args=["alpha"]), params)
    assert page.status_code == 400
    assert message in page.content.decode()


def test_another_organizations_dashboard_is_a_404_and_a_viewer_without_analytics_a_403(
    world, alice_client, client, vera
):
    assert alice_client.get(reverse("analytics_dashboard", args=["bravo"])).status_code == 404
    client.force_login(vera)
    assert client.get(reverse("analytics_dashboard", args=["alpha"])).status_code == 403
    from accounts.models import Membership

    from ..conftest import api_client_for

    vera_m = Membership.objects.for_org(world["sandbox"].organization).get(user=vera)
    refused = api_client_for(vera_m).get(SUMMARY)
    assert refused.status_code == 403 and "99999" not in refused.content.decode()


def test_the_api_answers_the_same_figures(world, alice_api, django_assert_max_num_queries):
    # 7 before the inbox's three queries; the followers of both periods became one query
    with django_assert_max_num_queries(9):
        answer = alice_api.get(SUMMARY, {"since": SINCE.isoformat(), "until": UNTIL.isoformat()})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    kpis = {k["key"]: k for k in body["kpis"]}
    assert kpis["impressions"]["current"] == 2800 and kpis["impressions"]["change_percent"] == 100.0
    assert '"current":2800,' in answer.content.decode().replace(" ", "")  # a count, not 2800.0
    assert kpis["followers"]["growth"] == 160
    assert kpis["reach"]["current"] is None
    assert kpis["reach"]["not_available_for"] == ["Mastodon", "Sandbox"]
    assert {c["id"] for c in body["channels"]} == {world["sandbox"].pk, world["mastodon"].pk}
    assert body["range"] == {"since": "2026-11-01", "until": "2026-11-28"}
    team = alice_api.get(
        SUMMARY, {"since": "2026-11-01", "until": "2026-11-28", "team": world["jakarta"].pk}
    )
    assert [c["id"] for c in team.json()["channels"]] == [world["sandbox"].pk]
    net = alice_api.get(SUMMARY, {"network": "mastodon"})
    assert [c["network"] for c in net.json()["channels"]] == ["mastodon"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "2026-11-28", "until": "2026-11-01"}, "until"),
        ({"since": "2020-01-01", "until": "2026-11-01"}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": "0001-01-01", "until": "0001-01-05"}, "since"),
        ({"network": "myspace"}, "network"),
    ],
)
def test_the_api_refuses_a_bad_range_or_filter(world, alice_api, params, field):
    answer = alice_api.get(SUMMARY, params)
    assert answer.status_code == 400
    assert field in answer.json()["error"]["fields"]


def test_the_last_day_of_the_calendar_is_no_error(world, alice_api):
    assert alice_api.get(SUMMARY, {"until": "9999-12-31"}).status_code == 200


def test_the_api_refuses_another_organizations_channel_and_team(world, alice_api, org_b):
    foreign_team = f.make_team(org_b, "Bravo team")
    answer = alice_api.get(SUMMARY, {"channel": world["foreign"].pk})
    assert answer.status_code == 400 and "channel" in answer.json()["error"]["fields"]
    answer = alice_api.get(SUMMARY, {"team": foreign_team.pk})
    assert answer.status_code == 400 and "team" in answer.json()["error"]["fields"]
    assert "99999" not in answer.content.decode()


def test_a_token_of_another_organization_sees_only_its_own(world, bob_m):
    from ..conftest import api_client_for

    body = api_client_for(bob_m).get(SUMMARY, {"since": "2026-11-01", "until": "2026-11-28"}).json()
    assert [c["id"] for c in body["channels"]] == [world["foreign"].pk]
    assert {k["key"]: k for k in body["kpis"]}["followers"]["current"] == 99999


def test_the_query_count_does_not_grow_with_channels(world, org_a, alice_client, alice_api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("analytics_dashboard", args=["alpha"])
    params = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}

    def counts():
        with CaptureQueriesContext(connection) as page:
            alice_client.get(url, params)
        with CaptureQueriesContext(connection) as api:
            alice_api.get(SUMMARY, params)
        return len(page), len(api)

    counts()  # the first request of a session reads what later ones find cached
    before = counts()
    for channel in bulk_channels(org_a, 6, provider="x"):
        _feed(channel, _each_day(SINCE, UNTIL, followers=10, impressions=5))
    assert counts() == before


def test_a_restricted_channel_counts_only_for_those_who_may_see_it(world, org_a, alice_m):
    from accounts.capabilities import Role
    from channels_registry import services as channel_services

    channel_services.set_channel_access(world["sandbox"], by=alice_m, access="restricted")
    analyst = f.add_member(org_a, f.make_user("ana@alpha.test", name="Ana"), Role.ANALYST)
    board = _board(analyst)
    assert [r.channel_id for r in board.channels] == [world["mastodon"].pk]
    assert board.kpi("impressions").current is None
    assert _board(alice_m).kpi("impressions").current == 2800


def test_a_token_scoped_to_analytics_reads_the_summary_and_one_without_it_is_refused(
    world, alice_m
):
    from rest_framework.test import APIClient

    from accounts import services as account_services

    def client_with(scopes):
        issued = account_services.create_api_token(alice_m, name=str(scopes), scopes=scopes)
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
        return c

    assert client_with(["analytics:read"]).get(SUMMARY).status_code == 200
    refused = client_with(["posts:read"]).get(SUMMARY)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "insufficient_scope"


def test_the_channel_table_shows_a_page_at_a_time_most_engagements_first(
    world, org_a, alice_m, alice_client
):
    """300 channels is normal: the tiles count every channel, the table shows 25 at a time."""
    extra = bulk_channels(org_a, 26, provider="x")
    for n, channel in enumerate(extra):
        _feed(channel, _each_day(SINCE, UNTIL, impressions=10, engagements=n + 11))
    url = reverse("analytics_dashboard", args=["alpha"])
    params = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
    first = alice_client.get(url, params).content.decode()
    assert first.count('<tr data-channel="') == 25
    # the busiest channel leads (36 engagements a day), the sandbox (10 a day) comes 27th: page 2
    assert f'data-channel="{extra[-1].pk}"' in first
    assert f'data-channel="{world["sandbox"].pk}"' not in first
    assert "Channels 1–25 of 28" in first
    second = alice_client.get(url, {**params, "page": 2})
    assert second.status_code == 200  # the page number is not a filter error
    body = second.content.decode()
    assert body.count('<tr data-channel="') == 3
    assert f'data-channel="{world["sandbox"].pk}"' in body
    # every channel still counts in the tiles: 28 days × (11 + … + 36 + 10) engagements
    board = _board(alice_m)
    assert board.kpi("engagements").current == 28 * (sum(range(11, 37)) + 10)
