"""The preview lists every item that changes when a person leaves, each with where it goes, and reads
300 channel grants with the same number of queries as 3."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_registry import services as channels_services
from governance.offboarding import selectors

from ..channels.factories import bulk_channels

pytestmark = pytest.mark.django_db


def _items(plan, kind):
    return [(i.label, i.goes_to_label) for i in plan.groups.get(kind, [])]


def test_the_preview_names_every_item_and_where_it_goes(office, alice_m):
    plan = selectors.plan_offboarding(office.lena, by=alice_m)
    assert plan.is_valid
    assert len(plan.groups["grants"]) == 4
    assert _items(plan, "teams") == [("Jakarta", "Left")]
    # Her stage seat goes to the stage's backup; the stage she backs up to the longest-standing admin.
    assert _items(plan, "stage_seats") == [("Brand review · Brand", "Bea Backup")]
    assert _items(plan, "stage_backups") == [("Brand review · Legal", "Bea Backup")]
    assert _items(plan, "assignments") == [("Fresh bread at seven", "Bea Backup")]
    assert _items(plan, "conversations")[0][1] == "Unassigned (back to the queue)"
    assert sorted(_items(plan, "posts")) == [
        ("Opening hours", "Alice Alpha"),
        ("Weekend menu draft", "Alice Alpha"),
    ]
    assert _items(plan, "share_links") == [("Agency view", "Revoked")]
    assert [label for label, _ in _items(plan, "tokens")] == [str(office.token.token)]
    (follow_up,) = plan.follow_ups
    assert "alpha.page" in follow_up.title and follow_up.url.startswith("https://business.facebook")


def test_the_preview_page_shows_each_section_and_the_confirm_button(client, office, alice):
    client.force_login(alice)
    page = client.get(f"/o/alpha/governance/offboarding/members/{office.lena.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        "Channel access",
        "nusantara.kitchen",
        "Brand review · Brand",
        "Fresh bread at seven",
        "Agency view",
        "Zapier",
        "alpha.page",
        'id="offboarding-confirm"',
        f'name="assignment:{office.request.assignments.get().pk}"',
    ):
        assert text in html, text


def test_the_index_page_picks_a_person_and_goes_to_their_preview(client, office, alice):
    client.force_login(alice)
    index = client.get("/o/alpha/governance/offboarding/")
    assert "Lena Leaving" in index.content.decode()
    picked = client.get(f"/o/alpha/governance/offboarding/?member={office.lena.pk}")
    assert picked["Location"].endswith(f"/governance/offboarding/members/{office.lena.pk}/")


def test_300_grants_take_the_same_queries_as_3(org_a, alice_m):
    from accounts.capabilities import Role

    from .. import factories as f

    few = f.add_member(org_a, f.make_user("few@alpha.test"), Role.PUBLISHER)
    many = f.add_member(org_a, f.make_user("many@alpha.test"), Role.PUBLISHER)
    channels = bulk_channels(org_a, 300, provider="facebook")
    for i, channel in enumerate(channels):
        for member in (few, many) if i < 3 else (many,):
            channels_services.grant_channel_access(
                channel, by=alice_m, capability="manage_channels", membership=member
            )

    def queries(member):
        with CaptureQueriesContext(connection) as ctx:
            plan = selectors.plan_offboarding(member, by=alice_m)
        return len(ctx.captured_queries), plan

    few_count, few_plan = queries(few)
    many_count, many_plan = queries(many)
    assert len(few_plan.groups["grants"]) == 3 and len(many_plan.groups["grants"]) == 300
    assert len(many_plan.follow_ups) == 300
    assert many_count == few_count
