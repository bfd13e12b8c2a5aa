"""GET /api/v1/analytics/posts/: the posts table's rows, filters and sort, a page at a time with a
cursor that survives the sort; errors are 400s naming the parameter; other organizations' objects
are refused and their rows never counted; a pinned query count."""

from __future__ import annotations

import pytest

from .post_world import SINCE, UNTIL, build

pytestmark = pytest.mark.django_db

POSTS = "/api/v1/analytics/posts/"
RANGE = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}


@pytest.fixture
def world(org_a, alice_m, org_b, bob_m):
    return build(org_a, alice_m, org_b, bob_m)


def _walk(api, params) -> list[dict]:
    """Every row, following ``next`` links."""
    out, answer = [], api.get(POSTS, params)
    while True:
        assert answer.status_code == 200, answer.content
        body = answer.json()
        out += body["results"]
        if not body["next"]:
            return out
        answer = api.get(body["next"])


def test_the_rows_carry_the_figures_and_null_for_what_is_not_reported(world, alice_api):
    answer = alice_api.get(POSTS, RANGE)
    assert answer.status_code == 200, answer.content
    rows = {r["variant_id"]: r for r in answer.json()["results"]}
    assert set(rows) == {world[k].pk for k in "abcd"}
    a = rows[world["a"].pk]
    assert a["values"]["impressions"] == 1000 and a["values"]["engagement_rate"] == 7.0
    assert a["campaign_id"] == world["launch"].pk and a["fetched"] is True
    assert a["fetched_at"].startswith("2026-11-20T06:00:00")
    c = rows[world["c"].pk]
    assert c["values"]["impressions"] is None and "impressions" in c["not_available"]
    d = rows[world["d"].pk]
    assert d["fetched"] is False and d["figures_day"] is None
    assert "99999" not in answer.content.decode()


@pytest.mark.parametrize(
    "sort", ["-impressions", "impressions", "-engagement_rate", "published_at"]
)
def test_the_cursor_walks_every_row_once_in_the_sort_order(world, alice_api, sort):
    whole = [
        r["variant_id"] for r in alice_api.get(POSTS, {**RANGE, "sort": sort}).json()["results"]
    ]
    walked = [r["variant_id"] for r in _walk(alice_api, {**RANGE, "sort": sort, "limit": 1})]
    assert walked == whole and len(walked) == 4
    if sort == "-impressions":
        assert walked[:2] == [world["a"].pk, world["b"].pk]


def test_filters_narrow_the_rows(world, alice_api):
    def ids(**params):
        return {
            r["variant_id"] for r in alice_api.get(POSTS, {**RANGE, **params}).json()["results"]
        }

    assert ids(campaign=world["launch"].pk) == {world["a"].pk, world["c"].pk}
    assert ids(team=world["jakarta"].pk) == {world["a"].pk, world["b"].pk}
    assert ids(network="mastodon") == {world["c"].pk, world["d"].pk}
    assert ids(channel=world["sandbox"].pk) == {world["a"].pk, world["b"].pk}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "password"}, "sort"),
        ({"sort": "-id"}, "sort"),
        ({"since": "2026-11-28", "until": "2026-11-01"}, "until"),
        ({"campaign": "x"}, "campaign"),
        ({"network": "myspace"}, "network"),
        ({"cursor": "forged"}, "cursor"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(world, alice_api, params, field):
    answer = alice_api.get(POSTS, params)
    assert answer.status_code == 400
    assert field in answer.json()["error"]["fields"]


def test_a_cursor_of_another_sort_is_refused(world, alice_api):
    first = alice_api.get(POSTS, {**RANGE, "sort": "-impressions", "limit": 1}).json()
    cursor = first["next"].split("cursor=")[1].split("&")[0]
    answer = alice_api.get(POSTS, {**RANGE, "sort": "likes", "limit": 1, "cursor": cursor})
    assert answer.status_code == 400


def test_another_organizations_campaign_channel_and_team_are_refused(world, alice_api, org_b):
    from .. import factories as f

    for params, field in (
        ({"campaign": world["foreign_campaign"].pk}, "campaign"),
        ({"channel": world["foreign_channel"].pk}, "channel"),
        ({"team": f.make_team(org_b, "Bravo team").pk}, "team"),
    ):
        answer = alice_api.get(POSTS, params)
        assert answer.status_code == 400 and field in answer.json()["error"]["fields"]
        assert "99999" not in answer.content.decode()


def test_a_token_of_another_organization_sees_only_its_own(world, bob_m):
    from ..conftest import api_client_for

    rows = api_client_for(bob_m).get(POSTS, RANGE).json()["results"]
    assert [r["variant_id"] for r in rows] == [world["foreign"].pk]


def test_a_member_without_analytics_is_refused_and_a_scoped_token_reads(
    world, org_a, alice_m, vera
):
    from rest_framework.test import APIClient

    from accounts import services as account_services
    from accounts.models import Membership

    from ..conftest import api_client_for

    vera_m = Membership.objects.for_org(org_a).get(user=vera)
    assert api_client_for(vera_m).get(POSTS).status_code == 403
    issued = account_services.create_api_token(alice_m, name="a", scopes=["analytics:read"])
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    assert c.get(POSTS, RANGE).status_code == 200


def test_the_query_count_is_pinned(world, alice_api, django_assert_max_num_queries):
    alice_api.get(POSTS, RANGE)
    with django_assert_max_num_queries(6):
        answer = alice_api.get(
            POSTS, {**RANGE, "sort": "-likes", "campaign": world["launch"].pk, "limit": 1}
        )
    assert answer.status_code == 200
    with django_assert_max_num_queries(6):
        assert alice_api.get(answer.json()["next"]).status_code == 200
