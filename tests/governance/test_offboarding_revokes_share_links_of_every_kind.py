"""Offboarding revokes every share link the person made, of every kind (the calendar's and a
dashboard's), each shown with its kind in the preview and the report; another person's link and a
link already revoked are left alone."""

from __future__ import annotations

import pytest

from governance.offboarding import selectors, services
from socialops.sharing import kinds
from socialops.sharing import services as sharing
from socialops.sharing.models import ShareLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def dashboard_kind():
    registered = any(k.key == "dashboard" for k in kinds.registered_kinds())
    if not registered:
        kinds.register_kind("dashboard", label="Dashboard share link")
    yield "dashboard"
    if not registered:
        kinds.unregister_kind("dashboard")


def test_her_calendar_and_dashboard_links_are_revoked_with_their_kind_shown(
    office, alice, alice_m, dashboard_kind
):
    board, board_token = sharing.create_link(
        office.org, kind=dashboard_kind, by=office.lena.user, name="Exec board", target_id=3
    )
    old, _t = sharing.create_link(office.org, kind=dashboard_kind, by=office.lena.user, name="Old")
    sharing.revoke_link(old, by=alice)
    theirs, _t = sharing.create_link(office.org, kind=dashboard_kind, by=alice, name="Alice board")

    plan = selectors.plan_offboarding(office.lena, by=alice_m)
    shown = sorted((i.label, i.detail, i.goes_to_label) for i in plan.groups["share_links"])
    assert shown == [
        ("Agency view", "Calendar share link", "Revoked"),
        ("Exec board", "Dashboard share link", "Revoked"),
    ]

    report = services.offboard_member(office.lena, by=alice_m)
    rows = sorted(
        (r["label"], r["detail"], r["outcome"]) for r in report.items if r["kind"] == "share_links"
    )
    assert rows == [
        ("Agency view", "Calendar share link", "Revoked"),
        ("Exec board", "Dashboard share link", "Revoked"),
    ]
    links = ShareLink.objects.for_org(office.org)
    assert links.get(pk=board.pk).revoked_by == alice
    assert links.get(pk=office.link.pk).revoked_at is not None
    assert links.get(pk=theirs.pk).revoked_at is None
    with pytest.raises(sharing.ShareLinkGone):
        sharing.resolve(board_token, kind=dashboard_kind)
