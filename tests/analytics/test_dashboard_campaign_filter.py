"""The organization dashboard narrowed to one campaign (page and API): the campaign's posts' daily
gains (PostDay), the variants it published, the account's and the inbox's figures shown as "not
available for a campaign filter", never another campaign's or organization's numbers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from analytics.selectors import DateRange, organization_dashboard

from . import post_world
from .post_world import SINCE, UNTIL

pytestmark = pytest.mark.django_db

SUMMARY = "/api/v1/analytics/summary/"
RANGE = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}


@pytest.fixture
def world(org_a, alice_m, org_b, bob_m):
    return post_world.build(org_a, alice_m, org_b, bob_m)


def test_the_figures_are_those_of_the_campaigns_posts(world, alice_m):
    board = organization_dashboard(alice_m, DateRange(SINCE, UNTIL), campaign_id=world["launch"].pk)
    # A (sandbox): 1000 impressions, 70 engagements, 30 link clicks; C (mastodon): 30 engagements
    # and no impressions; B and E (no campaign, 200 and 5000 impressions) are not counted
    assert board.kpi("impressions").current == 1000
    assert board.kpi("impressions").not_available_for == ["Mastodon"]
    assert board.kpi("engagements").current == 100
    assert board.kpi("link_clicks").current == 30
    assert board.kpi("posts_published").current == 2
    assert board.kpi("posts_published").previous == 0
    assert board.kpi("engagement_rate").current == 7.0
    for key in ("followers", "reach"):
        kpi = board.kpi(key)
        assert (kpi.current, kpi.previous, kpi.not_available_because) == (None, None, "campaign")
    assert all(k.not_available_because == "campaign" for k in board.inbox)
    everything = organization_dashboard(alice_m, DateRange(SINCE, UNTIL))
    assert everything.kpi("posts_published").current == 4
    assert everything.kpi("reach").not_available_because == ""


def test_the_campaign_filter_keeps_the_other_filters(world, alice_m):
    board = organization_dashboard(
        alice_m, DateRange(SINCE, UNTIL), campaign_id=world["launch"].pk, network="mastodon"
    )
    assert [r.channel_id for r in board.channels] == [world["mastodon"].pk]
    assert board.kpi("engagements").current == 30
    assert board.kpi("impressions").current is None


def test_another_organizations_campaign_counts_nothing_here(world, alice_m):
    board = organization_dashboard(
        alice_m, DateRange(SINCE, UNTIL), campaign_id=world["foreign_campaign"].pk
    )
    assert board.kpi("impressions").current is None
    assert board.kpi("posts_published").current == 0


def test_the_page_says_not_available_for_a_campaign_filter(world, alice_client):
    url = reverse("analytics_dashboard", args=["alpha"])
    page = alice_client.get(url, {**RANGE, "campaign": world["launch"].pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="campaign"' in html and "Launch" in html
    assert "Not available for a campaign filter" in html
    assert 'data-kpi="impressions"' in html and 'data-value="1000"' in html
    assert "Bravo Secret" not in html and "99999" not in html


def test_the_page_refuses_another_organizations_campaign(world, alice_client):
    url = reverse("analytics_dashboard", args=["alpha"])
    page = alice_client.get(url, {**RANGE, "campaign": world["foreign_campaign"].pk})
    assert page.status_code == 400
    assert "Select a valid choice." in page.content.decode()
    assert "99999" not in page.content.decode()


def test_the_api_narrows_to_a_campaign_and_refuses_another_organizations(world, alice_api):
    body = alice_api.get(SUMMARY, {**RANGE, "campaign": world["launch"].pk}).json()
    kpis = {k["key"]: k for k in body["kpis"]}
    assert kpis["impressions"]["current"] == 1000
    assert kpis["followers"]["current"] is None
    assert kpis["followers"]["not_available_because"] == "campaign"
    assert kpis["impressions"]["not_available_because"] == ""
    assert body["campaign_id"] == world["launch"].pk
    assert {k["not_available_because"] for k in body["inbox"]} == {"campaign"}
    refused = alice_api.get(SUMMARY, {**RANGE, "campaign": world["foreign_campaign"].pk})
    assert refused.status_code == 400
    assert "campaign" in refused.json()["error"]["fields"]
    assert alice_api.get(SUMMARY, {"campaign": "launch"}).status_code == 400
