"""The pages: routing rules (list, create, edit, reorder, delete) and SLA targets for those who
manage teams; a team's lead and working hours; a member's own hours; SLA time left in the list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import Role
from inbox.models import Conversation, RoutingRule, SlaTarget
from inbox.services import ingest

from .. import factories as f
from .factories import dm, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def care(org_a, alice_m):
    return f.make_team(org_a, "Customer care", by=alice_m)


def _url(org, name, *args):
    return reverse(name, args=[org.slug, *args])


def test_a_manager_adds_a_rule_from_the_page_and_sees_it_listed(alice_client, org_a, care):
    response = alice_client.post(
        _url(org_a, "inbox_routing_rules"),
        {
            "name": "Refunds",
            "is_active": "on",
            "keywords": "refund, uang kembali",
            "languages": "en, id",
            "kinds": ["dm"],
            "assign_team": care.pk,
            "priority": "high",
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.for_org(org_a).get()
    assert (rule.keywords, rule.languages, rule.kinds) == (
        ["refund", "uang kembali"],
        ["en", "id"],
        ["dm"],
    )
    page = alice_client.get(_url(org_a, "inbox_routing_rules")).content.decode()
    assert "Refunds" in page and "uang kembali" in page


def test_a_rule_without_anyone_to_assign_to_is_refused_with_a_message(alice_client, org_a):
    response = alice_client.post(_url(org_a, "inbox_routing_rules"), {"name": "Nowhere"})
    assert response.status_code == 400
    assert "Choose a team or a person to assign to." in response.content.decode()
    assert not RoutingRule.objects.for_org(org_a).exists()


def test_rules_are_edited_moved_and_deleted(alice_client, org_a, alice_m, care):
    first = RoutingRule.objects.create(organization=org_a, name="A", position=1, assign_team=care)
    second = RoutingRule.objects.create(organization=org_a, name="B", position=2, assign_team=care)
    alice_client.post(
        _url(org_a, "inbox_routing_rule", second.pk),
        {"name": "B renamed", "assign_to": alice_m.pk, "is_active": "on"},
    )
    second.refresh_from_db()
    assert (second.name, second.assign_to_id) == ("B renamed", alice_m.pk)
    alice_client.post(_url(org_a, "inbox_routing_rule_move", second.pk), {"direction": "up"})
    order = list(
        RoutingRule.objects.for_org(org_a).order_by("position").values_list("pk", flat=True)
    )
    assert order == [second.pk, first.pk]
    alice_client.post(_url(org_a, "inbox_routing_rule_delete", first.pk))
    assert list(RoutingRule.objects.for_org(org_a).values_list("pk", flat=True)) == [second.pk]


def test_a_moderator_may_not_open_the_routing_pages(client, org_a, care):
    mo = f.add_member(org_a, f.make_user("mo@alpha.test"), Role.MODERATOR)
    client.force_login(mo.user)
    assert client.get(_url(org_a, "inbox_routing_rules")).status_code == 403
    assert client.post(_url(org_a, "inbox_routing_sla"), {"hours": "3"}).status_code == 403
    assert not SlaTarget.objects.for_org(org_a).exists()


def test_an_sla_target_is_set_and_removed_from_the_page(alice_client, org_a, care):
    alice_client.post(
        _url(org_a, "inbox_routing_sla"), {"team": care.pk, "priority": "urgent", "hours": "2"}
    )
    target = SlaTarget.objects.for_org(org_a).get()
    assert (target.team_id, target.priority, float(target.hours)) == (care.pk, "urgent", 2.0)
    alice_client.post(_url(org_a, "inbox_routing_sla"), {"team": care.pk, "priority": "urgent"})
    assert not SlaTarget.objects.for_org(org_a).exists()


def test_the_team_page_sets_its_lead_zone_and_hours(alice_client, org_a, alice_m, care):
    alice_m.teams.add(care)  # a lead is one of the team
    data = {
        "name": "Customer care",
        "description": "",
        "lead": alice_m.pk,
        "timezone": "Asia/Jakarta",
        "hours_mode": "days",
        "mon_open": "09:00",
        "mon_close": "17:00",
        "sat_open": "10:00",
        "sat_close": "24:00",
    }
    assert alice_client.post(_url(org_a, "team_detail", care.pk), data).status_code == 302
    care.refresh_from_db()
    assert care.lead_id == alice_m.pk
    assert care.timezone == "Asia/Jakarta"
    assert care.working_hours == {"days": {"mon": ["09:00", "17:00"], "sat": ["10:00", "24:00"]}}


def test_a_lead_from_outside_the_team_is_refused_on_the_page(alice_client, org_a, alice_m, care):
    response = alice_client.post(
        _url(org_a, "team_detail", care.pk), {"name": "Customer care", "lead": alice_m.pk}
    )
    assert response.status_code == 200
    care.refresh_from_db()
    assert care.lead_id is None


def test_the_team_page_says_which_day_is_wrong(alice_client, org_a, care):
    data = {
        "name": "Customer care",
        "hours_mode": "days",
        "tue_open": "18:00",
        "tue_close": "09:00",
    }
    response = alice_client.post(_url(org_a, "team_detail", care.pk), data)
    assert response.status_code == 200
    assert "The closing time must be after the opening time." in response.content.decode()
    care.refresh_from_db()
    assert care.working_hours == {}


def test_a_member_sets_their_own_hours(client, org_a):
    mo = f.add_member(org_a, f.make_user("mo@alpha.test"), Role.MODERATOR)
    client.force_login(mo.user)
    url = _url(org_a, "my_working_hours")
    assert client.get(url).status_code == 200
    assert client.post(url, {"hours_mode": "always"}).status_code == 302
    mo.refresh_from_db()
    assert mo.working_hours == {"always": True}


def test_the_inbox_list_shows_the_time_left_and_marks_a_breach(alice_client, org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    now = timezone.now()
    ingest(
        channel,
        [
            dm("u_late", text="still waiting", created_at=now - timedelta(hours=30)),
            dm("u_soon", text="quick question", created_at=now - timedelta(hours=23, minutes=30)),
            dm("u_fresh", text="hello there", created_at=now - timedelta(minutes=5)),
        ],
    )
    page = alice_client.get(_url(org_a, "inbox")).content.decode()
    late = Conversation.objects.for_org(org_a).get(external_thread_id="dm_u_late")
    soon = Conversation.objects.for_org(org_a).get(external_thread_id="dm_u_soon")
    fresh = Conversation.objects.for_org(org_a).get(external_thread_id="dm_u_fresh")
    assert f'sla-breached" id="conversation-{late.pk}"' in page
    assert f'sla-near" id="conversation-{soon.pk}"' in page
    assert f'sla-ok" id="conversation-{fresh.pk}"' in page
    assert "SLA missed" in page and "left" in page


def test_the_conversation_page_shows_its_priority_and_time_left(alice_client, org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    RoutingRule.objects.create(
        organization=org_a, name="All", position=1, assign_to=alice_m, priority="urgent"
    )
    ingest(channel, [dm("u_budi", text="halo", created_at=timezone.now() - timedelta(hours=2))])
    conv = Conversation.objects.for_org(org_a).get()
    page = alice_client.get(_url(org_a, "inbox_conversation", conv.pk)).content.decode()
    assert "priority-urgent" in page
    assert 'id="conversation-sla"' in page and "left" in page
