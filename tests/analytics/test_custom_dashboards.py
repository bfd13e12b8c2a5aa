"""Custom dashboards (issue 16, point 3): create, add widgets of every kind, arrange (drag and the
no-script buttons), resize, rename, duplicate, delete; who may change one; bad input is a form or
API error, never a 500; another organization's dashboards and widgets are a 404 everywhere; the
data of a dashboard of 8 widgets takes a fixed number of queries; figures a network does not report
say "not available for X", never 0."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.capabilities import Role
from analytics.dashboards import catalog, selectors, services
from analytics.dashboards.models import Dashboard, Widget
from analytics.selectors import KPI_KEYS
from socialops.audit.models import AuditEvent
from socialops.errors import NotAllowed, ValidationFailed

from .. import factories as f
from ..conftest import api_client_for
from .post_world import SINCE, UNTIL, build

pytestmark = pytest.mark.django_db

RANGE = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}

EIGHT = [
    {"kind": "kpi", "metric": "impressions"},
    {"kind": "kpi", "metric": "video_views"},
    {"kind": "timeseries", "metric": "engagements"},
    {"kind": "breakdown", "metric": "impressions", "breakdown": "network"},
    {"kind": "breakdown", "metric": "engagements", "breakdown": "campaign"},
    {"kind": "top_posts", "metric": "engagements"},
    {"kind": "sentiment"},
    {"kind": "response_times"},
]


@pytest.fixture
def world(org_a, alice_m, org_b, bob_m):
    return build(org_a, alice_m, org_b, bob_m)


def _board(member, name="Exec", widgets=EIGHT) -> Dashboard:
    board = services.create_dashboard(member, name=name, range_days=28)
    for spec in widgets:
        services.add_widget(board, by=member, **spec)
    return board


def _url(name, *args, slug="alpha"):
    return reverse(name, args=[slug, *args])


def test_the_catalog_offers_the_organization_dashboards_figures():
    assert tuple(catalog.ACCOUNT_METRICS) == KPI_KEYS


# --- pages ------------------------------------------------------------------------------------------


def test_create_add_every_kind_and_view(world, alice_client):
    page = alice_client.post(
        _url("analytics_dashboard_create"), {"name": "Exec view", "range_days": "28"}
    )
    assert page.status_code == 302
    board = Dashboard.objects.for_org(world["sandbox"].organization).get(name="Exec view")
    for spec in [*EIGHT, {"kind": "post_table", "metric": "impressions", "limit": "10"}]:
        added = alice_client.post(_url("analytics_widget_add", board.pk), spec)
        assert added.status_code == 302, added.content.decode()[:2000]
    assert Widget.objects.for_org(board.organization_id).filter(dashboard=board).count() == 9
    page = alice_client.get(_url("analytics_dashboard_detail", board.pk), RANGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="card dashboard-widget') == 9
    assert "6,200" in html  # the sandbox channel's impressions (tile, network breakdown)
    assert "No campaign" in html
    assert "Launch day" in html  # top posts, post table
    assert "Not available for Mastodon" in html  # impressions: never a 0 for Mastodon
    assert "Bravo" not in html and "99,999" not in html
    # the list
    listing = alice_client.get(_url("analytics_dashboards"))
    assert listing.status_code == 200 and "Exec view" in listing.content.decode()


def test_a_metric_no_network_of_the_scope_reports_says_not_available(world, alice_m, alice_client):
    board = services.create_dashboard(
        alice_m, name="Mastodon only", network="mastodon", range_days=28
    )
    services.add_widget(board, by=alice_m, kind="kpi", metric="impressions")
    data = selectors.board_data(
        alice_m, board, selectors.board_filters(board, since=SINCE, until=UNTIL)
    )
    (w,) = data.widgets
    assert w.all_unavailable and w.not_available_for == ["Mastodon"]
    html = alice_client.get(_url("analytics_dashboard_detail", board.pk), RANGE).content.decode()
    assert "Not available for Mastodon" in html
    assert 'data-value="0"' not in html


def test_arrange_by_buttons_by_drag_and_resize(world, alice_m, alice_client):
    board = _board(alice_m, widgets=EIGHT[:3])
    a, b, c = Widget.objects.for_org(board.organization_id).filter(dashboard=board)
    moved = alice_client.post(
        _url("analytics_widget_move", board.pk, c.pk), {"direction": "earlier"}
    )
    assert moved.status_code == 302 and moved["Location"].endswith(f"#widget-{c.pk}")
    assert list(selectors.widgets_of(board).values_list("pk", flat=True)) == [a.pk, c.pk, b.pk]
    # the first one cannot go earlier: nothing changes, no error
    alice_client.post(_url("analytics_widget_move", board.pk, a.pk), {"direction": "earlier"})
    assert list(selectors.widgets_of(board).values_list("pk", flat=True)) == [a.pk, c.pk, b.pk]
    bad = alice_client.post(_url("analytics_widget_move", board.pk, a.pk), {"direction": "up"})
    assert bad.status_code == 400
    # the drag's order, as the script sends it
    dragged = alice_client.post(
        _url("analytics_dashboard_arrange", board.pk),
        {"order": f"{b.pk},{a.pk},{c.pk}"},
        HTTP_ACCEPT="application/json",
    )
    assert dragged.status_code == 200 and dragged.json()["ok"]
    assert list(selectors.widgets_of(board).values_list("pk", flat=True)) == [b.pk, a.pk, c.pk]
    for order in (f"{b.pk},{a.pk}", f"{b.pk},{a.pk},{a.pk}", "x,y", f"{b.pk},{a.pk},{c.pk},999"):
        refused = alice_client.post(
            _url("analytics_dashboard_arrange", board.pk),
            {"order": order},
            HTTP_ACCEPT="application/json",
        )
        assert refused.status_code == 400 and not refused.json()["ok"]
    # resize
    resized = alice_client.post(
        _url("analytics_widget_update", board.pk, a.pk),
        {f"w{a.pk}-title": "Reach", f"w{a.pk}-width": "12", f"w{a.pk}-height": "3"},
    )
    assert resized.status_code == 302
    a.refresh_from_db()
    assert (a.title, a.width, a.height) == ("Reach", 12, 3)
    bad = alice_client.post(
        _url("analytics_widget_update", board.pk, a.pk),
        {f"w{a.pk}-width": "5", f"w{a.pk}-height": "1"},
    )
    assert bad.status_code == 400
    a.refresh_from_db()
    assert a.width == 12
    html = alice_client.get(_url("analytics_dashboard_detail", board.pk)).content.decode()
    assert "w-12 h-3" in html


def test_rename_remove_duplicate_delete(world, alice_m, alice_client):
    board = _board(alice_m, widgets=EIGHT[:2])
    saved = alice_client.post(
        _url("analytics_dashboard_edit", board.pk),
        {"name": "Board", "range_days": "90", "network": "sandbox"},
    )
    assert saved.status_code == 302
    board.refresh_from_db()
    assert (board.name, board.range_days, board.network) == ("Board", 90, "sandbox")
    first = selectors.widgets_of(board).first()
    assert alice_client.post(_url("analytics_widget_remove", board.pk, first.pk)).status_code == 302
    assert selectors.widgets_of(board).count() == 1
    dup = alice_client.post(_url("analytics_dashboard_duplicate", board.pk))
    assert dup.status_code == 302
    copy = Dashboard.objects.for_org(board.organization_id).get(name="Copy of Board")
    assert copy.range_days == 90 and copy.network == "sandbox"
    assert [(w.kind, w.metric, w.width) for w in selectors.widgets_of(copy)] == [
        (w.kind, w.metric, w.width) for w in selectors.widgets_of(board)
    ]
    assert alice_client.post(_url("analytics_dashboard_delete", board.pk)).status_code == 302
    assert not Dashboard.objects.for_org(board.organization_id).filter(pk=board.pk).exists()
    assert Widget.objects.for_org(board.organization_id).filter(dashboard_id=board.pk).count() == 0
    actions = set(
        AuditEvent.objects.for_org(board.organization_id)
        .filter(action__startswith="analytics.")
        .values_list("action", flat=True)
    )
    assert {
        "analytics.dashboard_created",
        "analytics.widget_added",
        "analytics.dashboard_changed",
        "analytics.widget_removed",
        "analytics.dashboard_duplicated",
        "analytics.dashboard_deleted",
    } <= actions


def test_bad_input_is_a_form_error_not_a_500(world, alice_m, alice_client):
    board = _board(alice_m, widgets=[])
    cases = [
        ({"kind": "kpi", "metric": "likes"}, "metric"),  # a post figure on an account tile
        ({"kind": "pie"}, "kind"),
        ({"kind": "breakdown", "metric": "reach"}, "breakdown"),
        ({"kind": "breakdown", "metric": "reach", "breakdown": "planet"}, "breakdown"),
        ({"kind": "kpi", "width": "5"}, "width"),
        ({"kind": "sentiment", "metric": "reach"}, "metric"),
        ({"kind": "top_posts", "limit": "500"}, "limit"),
    ]
    for data, field in cases:
        page = alice_client.post(_url("analytics_widget_add", board.pk), data)
        assert page.status_code == 400, data
        assert page.context["widget_form"].errors.get(field), (
            data,
            page.context["widget_form"].errors,
        )
    assert selectors.widgets_of(board).count() == 0
    backwards = alice_client.get(
        _url("analytics_dashboard_detail", board.pk), {"since": "2026-11-20", "until": "2026-11-01"}
    )
    assert backwards.status_code == 400
    assert "The end of the range is before its start." in backwards.content.decode()
    nameless = alice_client.post(
        _url("analytics_dashboard_create"), {"name": " ", "range_days": "28"}
    )
    assert nameless.status_code == 400
    odd_range = alice_client.post(
        _url("analytics_dashboard_create"), {"name": "X", "range_days": "30"}
    )
    assert odd_range.status_code == 400


def test_services_refuse_unknown_metric_and_bad_size():
    with pytest.raises(ValidationFailed) as exc:
        services.clean_widget(kind="timeseries", metric="happiness")
    assert "metric" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.clean_widget(kind="kpi", height=7)
    assert "height" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.clean_widget(kind="top_posts", options={"limit": True})
    assert "options" in exc.value.fields
    assert (
        services.clean_widget(kind="breakdown", breakdown="campaign", metric="likes")["metric"]
        == "likes"
    )


def test_who_may_change_a_dashboard(world, org_a, alice_m, alice_client, client):
    analyst = f.make_user("ana@alpha.test", name="Ana Analyst")
    ana_m = f.add_member(org_a, analyst, Role.ANALYST)
    other = f.make_user("otto@alpha.test", name="Otto Analyst")
    otto_m = f.add_member(org_a, other, Role.ANALYST)
    board = _board(ana_m, widgets=EIGHT[:1])
    assert selectors.may_edit(ana_m, board)
    assert selectors.may_edit(alice_m, board)  # the owner manages the organization
    assert not selectors.may_edit(otto_m, board)
    with pytest.raises(NotAllowed):
        services.update_dashboard(board, by=otto_m, name="Mine now")
    client.force_login(other)
    assert client.get(_url("analytics_dashboard_detail", board.pk)).status_code == 200
    assert client.get(_url("analytics_dashboard_edit", board.pk)).status_code == 403
    w = selectors.widgets_of(board).first()
    assert client.post(_url("analytics_widget_remove", board.pk, w.pk)).status_code == 403
    refused = client.post(
        _url("analytics_dashboard_arrange", board.pk),
        {"order": str(w.pk)},
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 403
    # anyone who sees analytics may duplicate it: the copy is theirs
    assert client.post(_url("analytics_dashboard_duplicate", board.pk)).status_code == 302
    copy = Dashboard.objects.for_org(org_a).get(name="Copy of Exec")
    assert copy.created_by_id == other.pk and selectors.may_edit(otto_m, copy)
    # a viewer (no analytics) sees none of it
    viewer = f.make_user("vic@alpha.test", name="Vic Viewer")
    f.add_member(org_a, viewer, Role.VIEWER)
    client.force_login(viewer)
    assert client.get(_url("analytics_dashboards")).status_code == 403
    assert client.get(_url("analytics_dashboard_detail", board.pk)).status_code == 403


def test_another_organizations_dashboards_are_404(world, alice_m, bob_m, alice_client):
    theirs = _board(bob_m, name="Bravo board", widgets=EIGHT[:1])
    w = selectors.widgets_of(theirs).first()
    for name, args in [
        ("analytics_dashboard_detail", [theirs.pk]),
        ("analytics_dashboard_edit", [theirs.pk]),
    ]:
        assert alice_client.get(_url(name, *args)).status_code == 404
    for name, args, data in [
        ("analytics_dashboard_edit", [theirs.pk], {"name": "x", "range_days": "7"}),
        ("analytics_dashboard_delete", [theirs.pk], {}),
        ("analytics_dashboard_duplicate", [theirs.pk], {}),
        ("analytics_dashboard_arrange", [theirs.pk], {"order": str(w.pk)}),
        ("analytics_widget_add", [theirs.pk], {"kind": "kpi"}),
        ("analytics_widget_update", [theirs.pk, w.pk], {}),
        ("analytics_widget_move", [theirs.pk, w.pk], {"direction": "later"}),
        ("analytics_widget_remove", [theirs.pk, w.pk], {}),
    ]:
        assert alice_client.post(_url(name, *args), data).status_code == 404, name
    # their widget under our own dashboard is a 404 too
    ours = _board(alice_m, widgets=EIGHT[:1])
    assert alice_client.post(_url("analytics_widget_remove", ours.pk, w.pk)).status_code == 404
    assert "Bravo board" not in alice_client.get(_url("analytics_dashboards")).content.decode()
    assert Dashboard.objects.for_org(bob_m.organization).filter(pk=theirs.pk).exists()
    assert selectors.widgets_of(theirs).count() == 1


# --- the queries ----------------------------------------------------------------------------------


def test_a_dashboard_of_eight_widgets_takes_a_fixed_number_of_queries(world, alice_m, org_a):
    board = _board(alice_m)
    filters = selectors.board_filters(board, since=SINCE, until=UNTIL)
    board = selectors.get_dashboard(org_a, board.pk)
    with CaptureQueriesContext(connection) as first:
        selectors.board_data(alice_m, board, filters)
    # more channels, more posts, more days: not one query more
    from ..channels.factories import bulk_channels
    from .post_world import feed, publish

    extra = bulk_channels(org_a, 5, provider="bluesky")
    for n, channel in enumerate(extra):
        v = publish(
            org_a,
            alice_m.user,
            channel,
            text=f"More {n}",
            at=world["a"].published_at,
            external_id=f"m{n}",
        )
        feed(channel, UNTIL, {v: {"likes": n}})
    with CaptureQueriesContext(connection) as second:
        data = selectors.board_data(alice_m, board, filters)
    assert len(data.widgets) == 8
    assert len(first) == len(second)
    # the widgets, then the account figures once (channels, sums with each period's last follower
    # day, the followers of those days, fetch
    # states), one time series read, sentiment, team names and response times (2), the range's
    # variants once (the campaign breakdown and the lists' order) and each list's winners
    assert len(second) == 11, [q["sql"][:120] for q in second.captured_queries]


def test_the_page_of_eight_widgets_takes_a_fixed_number_of_queries(
    world, alice_m, alice_client, org_a
):
    board = _board(alice_m)
    url = _url("analytics_dashboard_detail", board.pk)
    alice_client.get(url, RANGE)
    with CaptureQueriesContext(connection) as first:
        assert alice_client.get(url, RANGE).status_code == 200
    services.add_widget(board, by=alice_m, kind="kpi", metric="reach")
    with CaptureQueriesContext(connection) as second:
        assert alice_client.get(url, RANGE).status_code == 200
    assert len(second) == len(first)  # another tile reads nothing more
    assert len(first) <= 17, len(first)  # the session, user, organization, membership, + 12


# --- the API ------------------------------------------------------------------------------------


def test_api_crud_widgets_arrange_duplicate_and_data(world, alice_m, alice_api):
    made = alice_api.post(
        "/api/v1/analytics/dashboards/",
        {"name": "API board", "range_days": 7, "network": "sandbox"},
        format="json",
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["may_edit"] is True and made.json()["widgets"] == []
    ids = []
    for spec in EIGHT[:3]:
        w = alice_api.post("/api/v1/analytics/widgets/", {"dashboard": pk, **spec}, format="json")
        assert w.status_code == 201, w.content
        ids.append(w.json()["id"])
    listed = alice_api.get("/api/v1/analytics/widgets/", {"dashboard": pk})
    assert [w["id"] for w in listed.json()["results"]] == ids
    patched = alice_api.patch(f"/api/v1/analytics/widgets/{ids[0]}/", {"width": 12}, format="json")
    assert patched.status_code == 200 and patched.json()["width"] == 12
    arranged = alice_api.post(
        f"/api/v1/analytics/dashboards/{pk}/arrange/", {"order": ids[::-1]}, format="json"
    )
    assert arranged.status_code == 200
    assert [w["id"] for w in arranged.json()["widgets"]] == ids[::-1]
    data = alice_api.get(f"/api/v1/analytics/dashboards/{pk}/data/", RANGE)
    assert data.status_code == 200, data.content
    body = data.json()
    assert body["range"] == {"since": RANGE["since"], "until": RANGE["until"]}
    assert [w["id"] for w in body["widgets"]] == ids[::-1]
    kpi = next(w for w in body["widgets"] if w["id"] == ids[0])
    assert kpi["kpi"]["key"] == "impressions"
    series = next(w for w in body["widgets"] if w["kind"] == "timeseries")
    assert len(series["points"]) == 28
    dup = alice_api.post(
        f"/api/v1/analytics/dashboards/{pk}/duplicate/", {"name": "Twin"}, format="json"
    )
    assert dup.status_code == 201 and len(dup.json()["widgets"]) == 3
    renamed = alice_api.patch(
        f"/api/v1/analytics/dashboards/{pk}/", {"name": "Renamed"}, format="json"
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed"
    assert alice_api.delete(f"/api/v1/analytics/widgets/{ids[1]}/").status_code == 204
    assert alice_api.delete(f"/api/v1/analytics/dashboards/{pk}/").status_code == 204
    assert alice_api.get(f"/api/v1/analytics/dashboards/{pk}/").status_code == 404


def test_api_bad_input_is_a_400_naming_the_field(world, alice_m, alice_api):
    board = _board(alice_m, widgets=EIGHT[:1])
    cases = [
        (
            "/api/v1/analytics/widgets/",
            {"dashboard": board.pk, "kind": "kpi", "metric": "mood"},
            "metric",
        ),
        ("/api/v1/analytics/widgets/", {"dashboard": board.pk, "kind": "gauge"}, "kind"),
        ("/api/v1/analytics/widgets/", {"dashboard": board.pk, "kind": "kpi", "width": 5}, "width"),
        (
            "/api/v1/analytics/widgets/",
            {"dashboard": board.pk, "kind": "kpi", "width": "6"},
            "width",
        ),
        ("/api/v1/analytics/widgets/", {"dashboard": 10**9, "kind": "kpi"}, "dashboard"),
        ("/api/v1/analytics/dashboards/", {"name": "X", "range_days": 30}, "range_days"),
        ("/api/v1/analytics/dashboards/", {"name": "X", "network": "myspace"}, "network"),
        ("/api/v1/analytics/dashboards/", {"name": "X", "team": 10**9}, "team"),
        (f"/api/v1/analytics/dashboards/{board.pk}/arrange/", {"order": [1, 2]}, "order"),
        (
            "/api/v1/analytics/widgets/",
            {"dashboard": board.pk, "kind": "kpi", "options": [5]},
            "options",
        ),
        (
            "/api/v1/analytics/widgets/",
            {"dashboard": board.pk, "kind": "top_posts", "options": {"limit": 0}},
            "options",
        ),
    ]
    for url, body, field in cases:
        answer = alice_api.post(url, body, format="json")
        assert answer.status_code == 400, (url, body, answer.content)
        assert field in answer.json()["error"]["fields"], (body, answer.json())
    backwards = alice_api.get(
        f"/api/v1/analytics/dashboards/{board.pk}/data/",
        {"since": "2026-11-20", "until": "2026-11-01"},
    )
    assert backwards.status_code == 400 and "until" in backwards.json()["error"]["fields"]
    assert (
        alice_api.get(
            f"/api/v1/analytics/dashboards/{board.pk}/data/", {"since": "soon"}
        ).status_code
        == 400
    )


def test_api_tenancy_and_who_may_change(world, org_a, alice_m, bob_m, alice_api):
    theirs = _board(bob_m, name="Bravo board", widgets=EIGHT[:1])
    w = selectors.widgets_of(theirs).first()
    for method, url, body in [
        ("get", f"/api/v1/analytics/dashboards/{theirs.pk}/", None),
        ("get", f"/api/v1/analytics/dashboards/{theirs.pk}/data/", None),
        ("patch", f"/api/v1/analytics/dashboards/{theirs.pk}/", {"name": "x"}),
        ("delete", f"/api/v1/analytics/dashboards/{theirs.pk}/", None),
        ("post", f"/api/v1/analytics/dashboards/{theirs.pk}/duplicate/", {}),
        ("post", f"/api/v1/analytics/dashboards/{theirs.pk}/arrange/", {"order": [w.pk]}),
        ("get", f"/api/v1/analytics/widgets/{w.pk}/", None),
        ("patch", f"/api/v1/analytics/widgets/{w.pk}/", {"width": 3}),
        ("delete", f"/api/v1/analytics/widgets/{w.pk}/", None),
    ]:
        answer = getattr(alice_api, method)(url, body, format="json")
        assert answer.status_code == 404, (method, url, answer.status_code)
    assert alice_api.get("/api/v1/analytics/dashboards/").json()["results"] == []
    assert alice_api.get("/api/v1/analytics/widgets/").json()["results"] == []
    added = alice_api.post(
        "/api/v1/analytics/widgets/", {"dashboard": theirs.pk, "kind": "kpi"}, format="json"
    )
    assert added.status_code == 400
    assert selectors.widgets_of(theirs).count() == 1
    # another analyst reads but does not change
    analyst = f.make_user("ana@alpha.test", name="Ana Analyst")
    ana_api = api_client_for(f.add_member(org_a, analyst, Role.ANALYST))
    ours = _board(alice_m, widgets=EIGHT[:1])
    assert ana_api.get(f"/api/v1/analytics/dashboards/{ours.pk}/").json()["may_edit"] is False
    assert (
        ana_api.patch(
            f"/api/v1/analytics/dashboards/{ours.pk}/", {"name": "x"}, format="json"
        ).status_code
        == 403
    )
    assert (
        ana_api.post(
            f"/api/v1/analytics/dashboards/{ours.pk}/duplicate/", {}, format="json"
        ).status_code
        == 201
    )


def test_the_demo_example_dashboard_is_made_once(world, org_a, alice_m, alice_client):
    from analytics.dashboards.demo import DEMO_WIDGETS, seed_demo_dashboard

    board = seed_demo_dashboard(org_a, by=alice_m)
    assert seed_demo_dashboard(org_a, by=alice_m).pk == board.pk
    assert Dashboard.objects.for_org(org_a).count() == 1
    assert selectors.widgets_of(board).count() == len(DEMO_WIDGETS)
    page = alice_client.get(_url("analytics_dashboard_detail", board.pk), RANGE)
    assert page.status_code == 200


def test_a_read_only_shared_page_can_reuse_the_rendering(world, alice_m, rf):
    """The share-link page (socialops.sharing, another branch) renders the board as the link's
    creator sees it, with no controls and no links into the organization, for no account."""
    from django.contrib.auth.models import AnonymousUser

    from analytics.dashboards.views import render_dashboard

    board = _board(alice_m, widgets=[*EIGHT, {"kind": "post_table", "metric": "reach"}])
    request = rf.get("/shared/x/", RANGE)
    request.user = AnonymousUser()
    page = render_dashboard(
        request,
        board,
        as_member=alice_m,
        public=True,
        template="analytics/dashboards/_board.html",
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="card dashboard-widget') == 9
    assert "Launch day" in html and "6,200" in html
    assert "/o/alpha/" not in html and "<form" not in html and "Duplicate" not in html


def test_breakdowns_by_channel_and_team_name_what_is_not_reported(world, alice_m):
    board = _board(
        alice_m,
        widgets=[
            {"kind": "breakdown", "metric": "impressions", "breakdown": "team"},
            {"kind": "breakdown", "metric": "impressions", "breakdown": "channel"},
        ],
    )
    data = selectors.board_data(
        alice_m, board, selectors.board_filters(board, since=SINCE, until=UNTIL)
    )
    by_team, by_channel = data.widgets
    assert [(r.label, r.value, r.not_available_for) for r in by_team.rows] == [
        ("Jakarta", 6200, []),
        ("No team", None, ["Mastodon"]),
    ]
    assert [(r.detail, r.value) for r in by_channel.rows] == [("Sandbox", 6200), ("Mastodon", None)]
    assert by_channel.not_available_for == ["Mastodon"] and not by_channel.all_unavailable


# --- the sentiment widget's chart -------------------------------------------------------------------


def test_the_sentiment_widget_draws_stacked_bars_of_the_inbox_days(world, alice_m, alice_client):
    from datetime import UTC, datetime

    from analytics.charts.render import ChartUnavailable, render_svg

    from .factories import conversation

    channel = world["sandbox"]
    board = _board(alice_m, widgets=[{"kind": "sentiment"}])
    data = selectors.board_data(
        alice_m, board, selectors.board_filters(board, since=SINCE, until=UNTIL)
    )
    assert data.widgets[0].chart is None  # no scored message yet: the table says it, no empty chart
    asked = datetime(SINCE.year, SINCE.month, SINCE.day + 2, 9, tzinfo=UTC)
    conversation(channel, asked, sentiments=["positive", "positive", "negative", "neutral", ""])
    data = selectors.board_data(
        alice_m, board, selectors.board_filters(board, since=SINCE, until=UNTIL)
    )
    spec = data.widgets[0].chart
    day = asked.date().isoformat()
    bars = {(v["sentiment"], v["value"]) for v in spec["data"]["values"] if v["day"] == day}
    assert bars == {("Positive", 2), ("Neutral", 1), ("Negative", 1)}  # the unscored one left out
    assert spec["encoding"]["y"]["stack"] == "zero"
    assert [day, "2", "1", "1"] in spec["usermeta"]["table"]["rows"]
    page = alice_client.get(_url("analytics_dashboard_detail", board.pk), RANGE)
    assert page.status_code == 200 and 'data-vega-spec="vega-chart-' in page.content.decode()
    try:  # the same specification draws on the server (the PDFs' renderer)
        assert "<svg" in render_svg(spec, width=400)
    except ChartUnavailable:
        pytest.skip("vl-convert is not installed")


def test_the_range_inputs_show_the_presets_days_when_none_is_asked(world, alice_m, alice_client):
    from datetime import timedelta

    from analytics.selectors import date_range

    board = _board(alice_m, widgets=[{"kind": "kpi", "metric": "impressions"}])
    html = alice_client.get(_url("analytics_dashboard_detail", board.pk)).content.decode()
    rng = date_range(None, None)  # the last 28 days, the board's preset
    assert rng.until - rng.since == timedelta(days=27)
    assert f'name="since" value="{rng.since.isoformat()}"' in html
    assert f'name="until" value="{rng.until.isoformat()}"' in html
    # a range asked for stays as it was typed
    html = alice_client.get(_url("analytics_dashboard_detail", board.pk), RANGE).content.decode()
    assert f'name="since" value="{SINCE.isoformat()}"' in html
