"""The per-post analytics pages: the posts table (filters, sort, pages, totals), its CSV, the
campaign results, the figures on the post page; errors are form errors, other organizations' pages
and objects are refused, and the query count does not grow with the rows."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from .. import factories as f
from .post_world import SINCE, UNTIL, build, feed, publish

pytestmark = pytest.mark.django_db

RANGE = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}


@pytest.fixture
def world(org_a, alice_m, org_b, bob_m):
    return build(org_a, alice_m, org_b, bob_m)


def _url(name, slug="alpha"):
    return reverse(name, args=[slug])


def _html(response) -> str:
    return response.content.decode()


def test_the_table_lists_each_variant_with_its_figures_and_a_link_to_its_post(world, alice_client):
    page = alice_client.get(_url("analytics_posts"), RANGE)
    assert page.status_code == 200
    html = _html(page)
    for key in "abcd":
        assert f'data-variant="{world[key].pk}"' in html
    assert f'data-variant="{world["e"].pk}"' not in html  # published before the range
    assert reverse("post_detail", args=["alpha", world["a"].post_id]) in html
    assert "1,000" in html and "7.00 %" in html
    assert 'data-na="Mastodon"' in html and "Not available for Mastodon" in html
    assert 'data-na="not-fetched"' in html
    assert "Bravo secret post" not in html and "99,999" not in html and "99999" not in html
    # the totals row: every row the filters select, what is reported added up
    totals = html.split('id="analytics-posts-totals"')[1].split("</tr>")[0]
    assert "1,200" in totals and "6.17 %" in totals
    assert "Impressions: not available for Mastodon." in html


def test_the_table_sorts_by_any_column_and_the_header_links_toggle(world, alice_client):
    page = alice_client.get(_url("analytics_posts"), {**RANGE, "sort": "-impressions"})
    assert page.status_code == 200
    rows = [r.variant_id for r in page.context["rows"]]
    assert rows[:2] == [world["a"].pk, world["b"].pk]
    html = _html(page)
    header = html.split('data-sort-key="impressions"')[1].split("</th>")[0]
    assert "sort=impressions" in header and "↓" in header
    assert 'aria-sort="descending"' in html
    up = alice_client.get(_url("analytics_posts"), {**RANGE, "sort": "impressions"})
    assert [r.variant_id for r in up.context["rows"]][:2] == [world["b"].pk, world["a"].pk]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sort": "password"}, "Select a valid choice."),
        ({"sort": "-id"}, "Select a valid choice."),
        ({"campaign": "not-a-number"}, "Select a valid choice."),
        (
            {"since": "2026-11-28", "until": "2026-11-01"},
            "The end of the range is before its start.",
        ),
        ({"page": "x"}, None),
    ],
)
def test_bad_filters_are_form_errors_never_a_crash(world, alice_client, params, message):
    for name in ("analytics_posts", "analytics_posts_export"):
        page = alice_client.get(_url(name), params)
        if message is None:  # a bad page number is the first page
            assert page.status_code == 200
            continue
        assert page.status_code == 400, name
        assert message in _html(page)


def test_another_organizations_campaign_and_channel_are_refused(world, alice_client):
    for params in (
        {"campaign": world["foreign_campaign"].pk},
        {"channel": world["foreign_channel"].pk},
    ):
        for name in ("analytics_posts", "analytics_posts_export", "analytics_campaigns"):
            page = alice_client.get(_url(name), {**RANGE, **params})
            if name == "analytics_campaigns" and "campaign" in params:
                assert page.status_code == 200  # the campaigns page takes no campaign filter
            else:
                assert page.status_code == 400, (name, params)
            assert "Bravo secret post" not in _html(page) and "99,999" not in _html(page)


def test_the_pages_of_another_organization_are_a_404_and_need_analytics(
    world, alice_client, client, vera
):
    for name in ("analytics_posts", "analytics_posts_export", "analytics_campaigns"):
        assert alice_client.get(_url(name, "bravo")).status_code == 404
    client.force_login(vera)
    for name in ("analytics_posts", "analytics_posts_export", "analytics_campaigns"):
        assert client.get(_url(name)).status_code == 403


def test_the_csv_has_every_row_empty_cells_for_missing_figures_and_defused_formulas(
    world, org_a, alice_m, alice_client
):
    world["b"].post.title = '=HYPERLINK("https://evil.test")'
    world["b"].post.save(update_fields=["title"])
    response = alice_client.get(_url("analytics_posts_export"), {**RANGE, "sort": "-impressions"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [int(r["variant_id"]) for r in rows][:2] == [world["a"].pk, world["b"].pk]
    assert len(rows) == 4
    by_id = {int(r["variant_id"]): r for r in rows}
    a, b, c = (by_id[world[k].pk] for k in "abc")
    assert (a["impressions"], a["engagements"], a["engagement_rate"]) == ("1000", "70", "7.0")
    assert a["campaign"] == "Launch" and a["network"] == "sandbox"
    assert a["post_url"].endswith(reverse("post_detail", args=["alpha", world["a"].post_id]))
    assert b["post"].startswith("'=HYPERLINK")
    assert c["impressions"] == "" and "impressions" in c["not_available"].split()
    assert "99999" not in str(rows)


def test_the_campaign_results_page_sums_across_channels(world, alice_client):
    page = alice_client.get(_url("analytics_campaigns"), RANGE)
    assert page.status_code == 200
    html = _html(page)
    row = html.split(f'data-campaign="{world["launch"].pk}"')[1].split("</tr>")[0]
    assert "Launch" in row and "1,000" in row and "100" in row and "7.00 %" in row
    assert "Not available for Mastodon" in row
    assert f"campaign={world['launch'].pk}" in row  # to the posts of the campaign
    assert 'data-campaign="none"' in html
    assert "Bravo Secret" not in html


def test_the_dashboard_links_to_the_new_pages(world, alice_client):
    html = _html(alice_client.get(_url("analytics_dashboard")))
    assert _url("analytics_posts") in html and _url("analytics_campaigns") in html


def test_the_post_page_shows_each_published_variants_figures(world, org_a, alice_client):
    a_page = _html(alice_client.get(reverse("post_detail", args=["alpha", world["a"].post_id])))
    panel = a_page.split('id="post-figures"')[1].split("</section>")[0]
    assert f'data-variant="{world["a"].pk}"' in panel
    assert "1,000" in panel and "7.00 %" in panel and "Last fetched:" in panel
    assert "not available for Sandbox" in panel  # video views
    c_page = _html(alice_client.get(reverse("post_detail", args=["alpha", world["c"].post_id])))
    assert "not available for Mastodon" in c_page.split('id="post-figures"')[1]
    d_page = _html(alice_client.get(reverse("post_detail", args=["alpha", world["d"].post_id])))
    assert "Not fetched yet" in d_page.split('id="post-figures"')[1]
    from publishing.models import Post

    draft = Post.objects.create(organization=org_a, text="Draft", status=Post.Status.DRAFT)
    assert 'id="post-figures"' not in _html(
        alice_client.get(reverse("post_detail", args=["alpha", draft.pk]))
    )


def test_the_post_page_hides_figures_of_a_restricted_channel(world, org_a, alice_m, client):
    from datetime import date

    from accounts.capabilities import Role
    from channels_registry import services as channel_services
    from publishing.models import PostVariant

    # C's post also went out on the Sandbox channel, which is then restricted
    twin = PostVariant.objects.create(
        organization=org_a,
        post=world["c"].post,
        channel=world["sandbox"],
        status=PostVariant.Status.PUBLISHED,
        external_id="c-twin",
        published_at=datetime(2026, 11, 6, 9, 0, tzinfo=UTC),
    )
    feed(world["sandbox"], date(2026, 11, 22), {twin: {"impressions": 4242}})
    channel_services.set_channel_access(world["sandbox"], by=alice_m, access="restricted")
    ana = f.make_user("ana@alpha.test", name="Ana")
    f.add_member(org_a, ana, Role.ANALYST)
    client.force_login(ana)
    table = _html(client.get(_url("analytics_posts"), RANGE))
    assert f'data-variant="{world["a"].pk}"' not in table
    assert f'data-variant="{twin.pk}"' not in table and "4,242" not in table
    assert f'data-variant="{world["c"].pk}"' in table
    page = client.get(reverse("post_detail", args=["alpha", world["c"].post_id]))
    panel = _html(page).split('id="post-figures"')[1].split("</section>")[0]
    assert f'data-variant="{world["c"].pk}"' in panel
    assert f'data-variant="{twin.pk}"' not in panel and "4,242" not in panel
    owner = alice_m.user
    client.force_login(owner)
    page = client.get(reverse("post_detail", args=["alpha", world["c"].post_id]))
    assert "4,242" in _html(page).split('id="post-figures"')[1]


def _more_variants(world, org_a, alice_m, n):
    from publishing.models import Campaign

    campaign = Campaign.objects.create(organization=org_a, name=f"More {n}")
    figures = {}
    for i in range(n):
        v = publish(
            org_a,
            alice_m.user,
            world["sandbox"],
            text=f"More {i}",
            at=datetime(2026, 11, 14, 9, i, tzinfo=UTC),
            campaign=campaign,
            external_id=f"more-{n}-{i}",
        )
        figures[v] = {"impressions": 10 + i, "likes": i}
    from datetime import date

    feed(world["sandbox"], date(2026, 11, 21), figures)


def test_the_query_count_is_pinned_and_does_not_grow_with_the_rows(
    world, org_a, alice_m, alice_client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pages = [
        (_url("analytics_posts"), {**RANGE, "sort": "-engagement_rate"}),
        (_url("analytics_campaigns"), RANGE),
        (reverse("post_detail", args=["alpha", world["a"].post_id]), {}),
    ]

    def counts():
        out = []
        for url, params in pages:
            with CaptureQueriesContext(connection) as ctx:
                response = alice_client.get(url, params)
                assert response.status_code == 200
            out.append(len(ctx))
        return out

    counts()  # the first request of a session reads what later ones find cached
    with django_assert_max_num_queries(12):
        alice_client.get(*pages[0])
    with django_assert_max_num_queries(9):
        alice_client.get(*pages[1])
    before = counts()
    _more_variants(world, org_a, alice_m, 7)
    assert counts() == before


def test_a_header_link_without_a_range_shows_the_default_one_and_a_lone_until_still_works(
    world, alice_client
):
    from analytics.selectors import DateRange, date_range

    page = alice_client.get(_url("analytics_posts"), {"sort": "-likes"})
    assert page.status_code == 200
    default = date_range(None, None)
    assert page.context["form"]["since"].value() == default.since.isoformat()
    assert page.context["filters"].range == default
    page = alice_client.get(_url("analytics_posts"), {"until": UNTIL.isoformat()})
    assert page.status_code == 200
    assert page.context["filters"].range == DateRange(SINCE, UNTIL)
