"""Per-post figures read from the rollups: the latest fetch of each variant, NULL kept as "not
available" (never 0), sorting with missing figures last, totals and campaign results summed
across channels, filters, restricted channels."""

from __future__ import annotations

import pytest

from analytics import posts
from analytics.models import PostDay
from analytics.selectors import DateRange

from .. import factories as f
from .post_world import FETCHED_AT, SINCE, UNTIL, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org_a, alice_m, org_b, bob_m):
    return build(org_a, alice_m, org_b, bob_m)


def _rows(member, sort=posts.DEFAULT_SORT, **kw):
    filters = posts.PostAnalyticsFilters(range=DateRange(SINCE, UNTIL), **kw)
    return posts.rows_of(posts.variant_rows(member, filters, sort=sort))


def _by_variant(rows):
    return {r.variant_id: r for r in rows}


def test_the_rollup_keeps_the_engagement_parts_and_when_they_were_fetched(world):
    day = PostDay.objects.for_org(world["a"].organization).get(variant=world["a"], day="2026-11-20")
    assert (day.likes, day.comments, day.shares, day.saves, day.engagements) == (50, 10, 5, 5, 70)
    assert day.fetched_at == FETCHED_AT


def test_each_variant_shows_its_latest_figures_and_null_stays_not_available(world, alice_m):
    rows = _by_variant(_rows(alice_m))
    assert set(rows) == {world[k].pk for k in "abcd"}  # e is outside the range, bravo's not ours
    a = rows[world["a"].pk]
    assert a.values == {
        "impressions": 1000,
        "reach": 800,
        "engagements": 70,
        "likes": 50,
        "comments": 10,
        "shares": 5,
        "saves": 5,
        "link_clicks": 30,
        "video_views": None,
        "engagement_rate": 7.0,
    }
    assert a.not_available == ["video_views"]
    assert a.fetched_at == FETCHED_AT and a.campaign == "Launch" and a.team == "Jakarta"
    assert rows[world["b"].pk].values["saves"] == 0  # measured zero, not missing
    c = rows[world["c"].pk]
    assert c.values["impressions"] is None and c.values["engagement_rate"] is None
    assert c.values["engagements"] == 30 and c.network_name == "Mastodon"
    assert "impressions" in c.not_available and "reach" in c.not_available
    d = rows[world["d"].pk]
    assert not d.fetched and d.not_available == [] and set(d.values.values()) == {None}


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("-published_at", "dbca"),
        ("published_at", "acbd"),
        ("-impressions", "ab??"),  # the two without impressions last, either way
        ("impressions", "ba??"),
        ("-engagements", "acb?"),
        ("engagements", "bca?"),
        ("-engagement_rate", "ab??"),
        ("engagement_rate", "ba??"),
        ("-saves", "ab??"),
    ],
)
def test_sorting_puts_missing_figures_last_in_either_direction(world, alice_m, sort, order):
    names = {world[k].pk: k for k in "abcd"}
    got = "".join(names[r.variant_id] for r in _rows(alice_m, sort=sort))
    assert len(got) == 4
    for want, have in zip(order, got, strict=True):
        assert want in ("?", have), (sort, got)
    assert set(got[order.index("?") :] if "?" in order else "") <= set("cd")


@pytest.mark.parametrize("sort", [s for s in posts.SORTS if "published_at" not in s])
@pytest.mark.parametrize("limit", [1, 2, 3, 10])
def test_a_top_list_from_the_rows_read_once_is_the_database_order(world, alice_m, sort, limit):
    """A custom dashboard reads the range's variants once (``counted``) and takes each list's
    winners from them: the same variants in the same order as ``variant_rows`` sorted by the
    database, ties and missing figures included."""
    filters = posts.PostAnalyticsFilters(range=DateRange(SINCE, UNTIL))
    rows = posts.counted(alice_m, filters)
    top = posts.top_variants(alice_m, filters, rows, sort=sort, limit=limit)
    expected = posts.rows_of(posts.variant_rows(alice_m, filters, sort=sort)[:limit])
    assert [r.variant_id for r in top] == [r.variant_id for r in expected]
    assert [r.values for r in top] == [r.values for r in expected]


def test_counted_rows_sum_to_the_same_totals_as_full_rows(world, alice_m):
    """The totals row and the campaign sums read values; the post table's rows read models: both
    give the same figures, variants, posts, channels and networks without each figure."""
    filters = posts.PostAnalyticsFilters(range=DateRange(SINCE, UNTIL))
    full = posts.total(posts.rows_of(posts.variant_rows(alice_m, filters)))
    assert full.variants == 4 and full.not_fetched == 1  # the world's a, b, c and d
    assert posts.total(posts.counted(alice_m, filters)) == full
    assert posts.filtered_totals(alice_m, filters) == full


def test_an_unknown_sort_is_refused_before_any_query(alice_m):
    with pytest.raises(ValueError):
        posts.variant_rows(
            alice_m, posts.PostAnalyticsFilters(range=DateRange(SINCE, UNTIL)), sort="id; drop"
        )


def test_filters_narrow_to_a_campaign_a_team_a_network_or_one_channel(world, alice_m):
    def ids(**kw):
        return {r.variant_id for r in _rows(alice_m, **kw)}

    assert ids(campaign_id=world["launch"].pk) == {world["a"].pk, world["c"].pk}
    assert ids(team=world["jakarta"]) == {world["a"].pk, world["b"].pk}
    assert ids(network="mastodon") == {world["c"].pk, world["d"].pk}
    assert ids(channel_id=world["sandbox"].pk) == {world["a"].pk, world["b"].pk}
    assert ids(channel_id=world["foreign_channel"].pk) == set()
    assert ids(campaign_id=world["foreign_campaign"].pk) == set()


def test_totals_add_up_what_is_reported_and_name_the_networks_that_do_not(world, alice_m):
    filters = posts.PostAnalyticsFilters(range=DateRange(SINCE, UNTIL))
    totals = posts.filtered_totals(alice_m, filters)
    assert (totals.variants, totals.posts, totals.channels, totals.not_fetched) == (4, 4, 2, 1)
    assert totals.values["impressions"] == 1200
    assert totals.values["engagements"] == 104
    # the rate over the variants that report both: (70 + 4) / (1000 + 200)
    assert totals.values["engagement_rate"] == 6.17
    assert totals.values["video_views"] is None
    assert totals.not_available_for["impressions"] == ["Mastodon"]
    assert totals.not_available_for["video_views"] == ["Mastodon", "Sandbox"]


def test_campaign_results_sum_each_campaign_across_its_channels(world, alice_m):
    results = posts.campaign_results(
        alice_m, posts.PostAnalyticsFilters(range=DateRange(SINCE, UNTIL))
    )
    assert [r.campaign_id for r in results] == [world["launch"].pk, None]
    launch, none = results
    assert launch.name == "Launch" and launch.networks == ["Mastodon", "Sandbox"]
    t = launch.totals
    assert (t.posts, t.variants, t.channels) == (2, 2, 2)
    assert t.values["impressions"] == 1000 and t.values["engagements"] == 100
    assert t.values["likes"] == 70 and t.values["shares"] == 12
    assert t.values["engagement_rate"] == 7.0  # Mastodon reports no impressions: not in the rate
    assert t.not_available_for["impressions"] == ["Mastodon"]
    assert none.totals.values["impressions"] == 200 and none.totals.not_fetched == 1
    bravo = posts.campaign_results(alice_m, posts.PostAnalyticsFilters(DateRange(SINCE, UNTIL)))
    assert all(r.name != "Bravo Secret" for r in bravo)


def test_a_restricted_channel_is_left_out_for_a_member_without_a_grant(world, org_a, alice_m):
    from accounts.capabilities import Role
    from channels_registry import services as channel_services

    channel_services.set_channel_access(world["sandbox"], by=alice_m, access="restricted")
    analyst = f.add_member(org_a, f.make_user("ana@alpha.test", name="Ana"), Role.ANALYST)
    assert {r.variant_id for r in _rows(analyst)} == {world["c"].pk, world["d"].pk}
    results = posts.campaign_results(analyst, posts.PostAnalyticsFilters(DateRange(SINCE, UNTIL)))
    launch = next(r for r in results if r.campaign_id == world["launch"].pk)
    assert launch.totals.values["impressions"] is None and launch.networks == ["Mastodon"]
    assert posts.post_figures(analyst, world["a"].post) == []
    assert len(_rows(alice_m)) == 4
