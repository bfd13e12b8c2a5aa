"""A custom dashboard shared read-only by a signed, revocable, optionally expiring link (issue 16,
point 3): the public page shows the figures as the link's creator sees them, without controls nor
links into the organization, for no account; an expired or revoked link (or one whose creator lost
analytics, or whose dashboard is gone) is the 410 page, a tampered or unknown one a 404; only those
who may change a dashboard share it; another organization's dashboards and links are a 404 on every
page and API; the public page takes a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import Role
from analytics.dashboards import services
from socialops.audit.models import AuditEvent
from socialops.errors import NotAllowed
from socialops.sharing import kinds
from socialops.sharing.models import ShareLink

from .. import factories as f
from ..conftest import api_client_for
from .post_world import SINCE, UNTIL, build
from .test_custom_dashboards import EIGHT, RANGE, _board, _url

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org_a, alice_m, org_b, bob_m):
    return build(org_a, alice_m, org_b, bob_m)


def _public(token):
    return reverse("dashboard_shared", kwargs={"share_token": token})


def _share(board, by, **kw):
    return services.create_share_link(board, by=by, name=kw.pop("name", "Board of directors"), **kw)


def test_the_dashboard_kind_is_registered_with_its_label():
    kind = kinds.get_kind("dashboard")
    assert str(kind.label) == "Dashboard share link" and kind.check is not None


# --- the share page ------------------------------------------------------------------------------


def test_share_page_creates_a_link_shown_once_and_lists_it(world, alice_m, alice_client):
    board = _board(alice_m, widgets=EIGHT[:2])
    detail = alice_client.get(_url("analytics_dashboard_detail", board.pk)).content.decode()
    assert _url("analytics_dashboard_share", board.pk) in detail
    page = alice_client.post(
        _url("analytics_dashboard_share", board.pk),
        {"name": "Board of directors", "expires_on": (timezone.now().date() + timedelta(days=7))},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="share-url"' in html and 'data-copy="share-url"' in html and "<script>" not in html
    link = ShareLink.objects.for_org(board.organization).get()
    assert (link.kind, link.target_id, link.name) == ("dashboard", board.pk, "Board of directors")
    assert link.expires_at > timezone.now() + timedelta(days=7)
    assert AuditEvent.objects.unscoped().filter(action="dashboard_share.created").count() == 1
    # shown once: the list afterwards has the name, not the token
    again = alice_client.get(_url("analytics_dashboard_share", board.pk)).content.decode()
    assert "Board of directors" in again and 'id="share-url"' not in again
    assert "Never" not in again and "Active" in again


def test_share_page_bad_input_is_a_form_error(world, alice_m, alice_client):
    board = _board(alice_m, widgets=EIGHT[:1])
    url = _url("analytics_dashboard_share", board.pk)
    for body in (
        {"name": ""},
        {"name": "Exec", "expires_on": "2001-01-01"},
        {"name": "Exec", "expires_on": "not a date"},
        {"name": "Two\nlines"},
    ):
        page = alice_client.post(url, body)
        assert page.status_code == 400, body
        assert "has-error" in page.content.decode()
    assert not ShareLink.objects.for_org(board.organization).exists()


def test_only_those_who_may_change_the_dashboard_share_it(world, org_a, alice_m, alice_client):
    board = _board(alice_m, widgets=EIGHT[:1])
    analyst = f.make_user("ana@alpha.test", name="Ana Analyst")
    ana_m = f.add_member(org_a, analyst, Role.ANALYST)
    with pytest.raises(NotAllowed):
        _share(board, ana_m)
    ana = Client()
    ana.force_login(analyst)
    assert ana.get(_url("analytics_dashboard_share", board.pk)).status_code == 403
    detail = ana.get(_url("analytics_dashboard_detail", board.pk)).content.decode()
    assert _url("analytics_dashboard_share", board.pk) not in detail
    link, _token = _share(board, alice_m)
    revoke = _url("analytics_dashboard_share_revoke", board.pk, link.pk)
    assert ana.post(revoke).status_code == 403
    # her own dashboard she shares
    hers = _board(ana_m, name="Ana's", widgets=EIGHT[:1])
    assert _share(hers, ana_m)[0].target_id == hers.pk


# --- the public page -----------------------------------------------------------------------------


def test_the_public_page_shows_the_figures_read_only_for_no_account(world, alice_m, client):
    board = _board(alice_m, widgets=[*EIGHT, {"kind": "post_table", "metric": "reach"}])
    link, token = _share(board, alice_m, timezone_name="Asia/Jakarta")
    page = client.get(_public(token), RANGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="card dashboard-widget') == 9
    assert "6,200" in html and "Launch day" in html  # the creator's figures
    assert "99999" not in html and "99,999" not in html  # never another organization's
    assert "/o/alpha/" not in html and "Duplicate" not in html and "Edit" not in html
    assert 'name="robots" content="noindex' in html and "Asia/Jakarta" in html
    assert page["X-Robots-Tag"] == "noindex" and page["Referrer-Policy"] == "no-referrer"
    link.refresh_from_db()
    assert link.last_used_at is not None
    # the dashboard's own range by default
    assert client.get(_public(token)).status_code == 200
    # a bad range: the preset's figures and the error, never a 500
    assert client.get(_public(token), {"since": UNTIL, "until": SINCE}).status_code == 400


def test_the_page_follows_the_creators_channels_at_view_time(world, org_a, alice_m, client):
    """The link shows what its creator may see now: a channel restricted from them disappears."""
    analyst = f.make_user("ana@alpha.test", name="Ana Analyst")
    ana_m = f.add_member(org_a, analyst, Role.ANALYST)
    board = _board(ana_m, widgets=[{"kind": "kpi", "metric": "impressions"}])
    _link, token = _share(board, ana_m)
    assert "6,200" in client.get(_public(token), RANGE).content.decode()
    from channels_registry.models import Channel

    Channel.objects.for_org(org_a).filter(pk=world["sandbox"].pk).update(
        access=Channel.Access.RESTRICTED
    )
    assert "6,200" not in client.get(_public(token), RANGE).content.decode()


def test_revoked_and_expired_links_are_410_tampered_and_unknown_404(world, alice_m, client):
    board = _board(alice_m, widgets=EIGHT[:1])
    link, token = _share(board, alice_m)
    assert client.get(_public(token)).status_code == 200
    tampered = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    for bad in (tampered, "nonsense", token.split(":")[0]):
        page = client.get(_public(bad))
        assert page.status_code == 404 and 'id="share-gone"' in page.content.decode()
    services.revoke_share_link(link, dashboard=board, by=alice_m)
    gone = client.get(_public(token))
    assert gone.status_code == 410 and 'data-reason="revoked"' in gone.content.decode()
    assert "Dashboard share link" in gone.content.decode()
    assert AuditEvent.objects.unscoped().filter(action="dashboard_share.revoked").count() == 1

    expiring, token2 = _share(board, alice_m, expires_at=timezone.now() + timedelta(hours=1))
    assert client.get(_public(token2)).status_code == 200
    ShareLink.objects.for_org(board.organization).filter(pk=expiring.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    gone = client.get(_public(token2))
    assert gone.status_code == 410 and 'data-reason="expired"' in gone.content.decode()


def test_a_calendar_token_does_not_open_a_dashboard(world, org_a, alice_m, client):
    from publishing.calendar import services as calendar_services

    _link, token = calendar_services.create_share_link(org_a, by=alice_m, name="Cal", filters={})
    assert client.get(_public(token)).status_code == 404


def test_the_creator_losing_analytics_or_the_dashboard_deleted_is_410(world, org_a, client):
    analyst = f.make_user("ana@alpha.test", name="Ana Analyst")
    ana_m = f.add_member(org_a, analyst, Role.ANALYST)
    board = _board(ana_m, widgets=EIGHT[:1])
    _link, token = _share(board, ana_m)
    ana_m.role = Role.VIEWER  # no analytics any more
    ana_m.save(update_fields=["role"])
    gone = client.get(_public(token))
    assert gone.status_code == 410 and 'data-reason="revoked"' in gone.content.decode()
    ana_m.role = Role.ANALYST
    ana_m.save(update_fields=["role"])
    assert client.get(_public(token)).status_code == 200
    ana_m.is_active = False
    ana_m.save(update_fields=["is_active"])
    assert client.get(_public(token)).status_code == 410
    ana_m.is_active = True
    ana_m.save(update_fields=["is_active"])
    services.delete_dashboard(board, by=ana_m)
    assert client.get(_public(token)).status_code == 410


def test_offboarding_the_creator_revokes_the_link(world, org_a, alice_m, client):
    from governance.offboarding import services as offboarding

    analyst = f.make_user("ana@alpha.test", name="Ana Analyst")
    ana_m = f.add_member(org_a, analyst, Role.ANALYST)
    board = _board(ana_m, widgets=EIGHT[:1])
    link, token = _share(board, ana_m, name="Exec board")
    report = offboarding.offboard_member(ana_m, by=alice_m)
    rows = [(r["label"], r["detail"]) for r in report.items if r["kind"] == "share_links"]
    assert rows == [("Exec board", "Dashboard share link")]
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert client.get(_public(token)).status_code == 410


def test_the_public_page_takes_a_fixed_number_of_queries(world, alice_m, client, org_a):
    board = _board(alice_m)
    _link, token = _share(board, alice_m)
    client.get(_public(token), RANGE)  # marks the link used
    with CaptureQueriesContext(connection) as first:
        assert client.get(_public(token), RANGE).status_code == 200
    services.add_widget(board, by=alice_m, kind="kpi", metric="reach")
    from ..channels.factories import bulk_channels

    bulk_channels(org_a, 5, provider="bluesky")
    with CaptureQueriesContext(connection) as second:
        assert client.get(_public(token), RANGE).status_code == 200
    assert len(second) == len(first)
    # the link (with its organization and creator), the creator's membership, the dashboard, + 11
    assert len(first) <= 14, [q["sql"][:100] for q in first.captured_queries]


# --- tenancy ---------------------------------------------------------------------------------------


def test_another_organizations_dashboard_and_links_are_404(world, alice_m, bob_m, alice_client):
    theirs = _board(bob_m, name="Bravo board", widgets=EIGHT[:1])
    their_link, _token = _share(theirs, bob_m)
    ours = _board(alice_m, widgets=EIGHT[:1])
    our_link, _t = _share(ours, alice_m)
    for method, url in [
        ("get", _url("analytics_dashboard_share", theirs.pk)),
        ("post", _url("analytics_dashboard_share", theirs.pk)),
        ("post", _url("analytics_dashboard_share_revoke", theirs.pk, their_link.pk)),
        # their link under our dashboard, our link under another of our dashboards
        ("post", _url("analytics_dashboard_share_revoke", ours.pk, their_link.pk)),
    ]:
        assert getattr(alice_client, method)(url, {"name": "x"}).status_code == 404, url
    other = _board(alice_m, name="Other", widgets=EIGHT[:1])
    assert (
        alice_client.post(
            _url("analytics_dashboard_share_revoke", other.pk, our_link.pk)
        ).status_code
        == 404
    )
    their_link.refresh_from_db()
    our_link.refresh_from_db()
    assert their_link.revoked_at is None and our_link.revoked_at is None
    page = alice_client.get(_url("analytics_dashboard_share", ours.pk)).content.decode()
    assert "Bravo" not in page


def test_api_create_list_revoke_and_tenancy(world, org_a, alice_m, bob_m, alice_api, client):
    base = "/api/v1/analytics/dashboard-share-links/"
    board = _board(alice_m, widgets=EIGHT[:1])
    created = alice_api.post(base, {"dashboard": board.pk, "name": "CEO"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["dashboard"] == board.pk and body["expires_at"] is None
    assert body["state"] == "active" and body["url"].endswith(_public(body["token"]))
    assert client.get(_public(body["token"]), RANGE).status_code == 200
    listed = alice_api.get(base, {"dashboard": board.pk}).json()["results"]
    assert [r["id"] for r in listed] == [body["id"]] and "token" not in listed[0]
    assert "token" not in alice_api.get(f"{base}{body['id']}/").json()
    revoked = alice_api.post(f"{base}{body['id']}/revoke/", format="json")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert client.get(_public(body["token"])).status_code == 410
    # bad input: 400s naming the field
    for bad, field in [
        ({"name": "x"}, "dashboard"),
        ({"dashboard": board.pk, "name": ""}, "name"),
        ({"dashboard": board.pk, "name": "x", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"dashboard": board.pk, "name": "x", "expires_at": "soon"}, "expires_at"),
    ]:
        answer = alice_api.post(base, bad, format="json")
        assert answer.status_code == 400, (bad, answer.content)
        assert field in answer.content.decode()
    # another organization's dashboard and links
    theirs = _board(bob_m, name="Bravo board", widgets=EIGHT[:1])
    their_link, _token = _share(theirs, bob_m)
    assert (
        alice_api.post(base, {"dashboard": theirs.pk, "name": "x"}, format="json").status_code
        == 400
    )
    assert alice_api.get(f"{base}{their_link.pk}/").status_code == 404
    assert alice_api.post(f"{base}{their_link.pk}/revoke/", format="json").status_code == 404
    assert their_link.pk not in [r["id"] for r in alice_api.get(base).json()["results"]]
    their_link.refresh_from_db()
    assert their_link.revoked_at is None
    # an analyst neither shares another's dashboard nor sees its links
    ana_api = api_client_for(
        f.add_member(org_a, f.make_user("ana@alpha.test", name="Ana"), Role.ANALYST)
    )
    assert (
        ana_api.post(base, {"dashboard": board.pk, "name": "x"}, format="json").status_code == 403
    )
    assert ana_api.get(base).json()["results"] == []
    assert ana_api.post(f"{base}{body['id']}/revoke/", format="json").status_code == 404
