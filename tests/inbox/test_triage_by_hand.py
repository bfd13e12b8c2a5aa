"""Triage by hand: a conversation's priority and team set from its page or the API
(``set_conversation_triage``); a running SLA clock keeps its start and takes the due the new team's
target for the new priority gives; audited; another organization's conversation or team is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import Role
from inbox.models import Conversation, SlaTarget
from inbox.services import set_conversation_status, set_conversation_triage
from socialops.audit.models import AuditEvent
from socialops.errors import NotAllowed, ValidationFailed

from .. import factories as f
from ..conftest import api_client_for
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db

API = "/api/v1/conversations/"


@pytest.fixture
def conv(org_a, alice_m):
    return inbox_with_conversation(sandbox_channel(org_a, alice_m), text="Refund saya kapan?")


@pytest.fixture
def care(org_a, alice_m):
    return f.make_team(org_a, "Customer care", by=alice_m)


@pytest.fixture
def targets(org_a, care):
    """Urgent: 2 hours; the care team: 4 hours, 1 when urgent; otherwise the default 24."""
    for team, priority, hours in ((None, "urgent", 2), (care, "", 4), (care, "urgent", 1)):
        SlaTarget.objects.create(organization=org_a, team=team, priority=priority, hours=hours)


def _fresh(conv):
    return Conversation.objects.for_org(conv.organization_id).get(pk=conv.pk)


def _triaged(org):
    return AuditEvent.objects.for_org(org).filter(action="inbox.triaged")


# --- the service ---------------------------------------------------------------------------------


def test_the_priority_moves_the_running_due_from_the_same_start(org_a, alice_m, conv, targets):
    start = conv.sla_started_at
    assert start is not None and conv.sla_due_at == start + timedelta(hours=24)
    set_conversation_triage(conv, by=alice_m, priority="urgent")
    row = _fresh(conv)
    assert row.priority == "urgent" and row.sla_started_at == start
    assert row.sla_due_at == start + timedelta(hours=2)
    (event,) = _triaged(org_a)
    assert event.changes["priority"] == ["normal", "urgent"]
    assert event.changes["sla_due_at"] == [
        (start + timedelta(hours=24)).isoformat(),
        (start + timedelta(hours=2)).isoformat(),
    ]
    assert "team" not in event.changes


def test_the_team_brings_its_own_target_and_no_team_the_organizations(
    org_a, alice_m, conv, care, targets
):
    start = conv.sla_started_at
    set_conversation_triage(conv, by=alice_m, team=care)
    row = _fresh(conv)
    assert row.assigned_team_id == care.pk and row.sla_due_at == start + timedelta(hours=4)
    set_conversation_triage(row, by=alice_m, priority="urgent", team=care)
    assert _fresh(conv).sla_due_at == start + timedelta(hours=1)
    set_conversation_triage(row, by=alice_m, team=None)
    row = _fresh(conv)
    assert row.assigned_team_id is None and row.priority == "urgent"
    assert row.sla_due_at == start + timedelta(hours=2)
    assert [e.changes.get("team") for e in _triaged(org_a).order_by("pk")] == [
        [None, care.pk],
        None,
        [care.pk, None],
    ]


def test_the_team_business_hours_count(org_a, alice_m, conv, care):
    from accounts import services as accounts

    # open only 09:00-10:00 UTC on Mondays: 24 business hours are 24 weeks away at least
    accounts.update_team(
        care,
        by=alice_m,
        name=care.name,
        parent=None,
        timezone_name="UTC",
        working_hours={"days": {"mon": ["09:00", "10:00"]}},
    )
    set_conversation_triage(conv, by=alice_m, team=care)
    assert _fresh(conv).sla_due_at > conv.sla_started_at + timedelta(weeks=20)


def test_a_stopped_clock_stays_stopped(org_a, alice_m, conv, targets):
    set_conversation_status(conv, by=alice_m, status="closed")
    set_conversation_triage(conv, by=alice_m, priority="high")
    row = _fresh(conv)
    assert row.priority == "high" and row.sla_due_at is None and row.sla_started_at is None


def test_a_new_due_still_ahead_will_be_told_when_it_is_missed(org_a, alice_m, conv, targets):
    Conversation.objects.for_org(org_a).filter(pk=conv.pk).update(
        sla_breach_notified_at=timezone.now()
    )
    set_conversation_triage(_fresh(conv), by=alice_m, priority="urgent")
    row = _fresh(conv)
    assert row.sla_due_at > timezone.now() and row.sla_breach_notified_at is None


def test_nothing_changed_writes_nothing(org_a, alice_m, conv):
    set_conversation_triage(conv, by=alice_m, priority="normal", team=None)
    assert not _triaged(org_a).exists()


def test_neither_a_priority_nor_a_team_is_refused(alice_m, conv):
    with pytest.raises(ValidationFailed) as refused:
        set_conversation_triage(conv, by=alice_m)
    assert refused.value.message == "Give a priority, a team, or both."


def test_an_unknown_priority_and_another_organizations_team_are_refused(
    org_a, org_b, alice_m, bob_m, conv
):
    with pytest.raises(ValidationFailed) as refused:
        set_conversation_triage(conv, by=alice_m, priority="asap")
    assert "priority" in refused.value.fields
    bravo = f.make_team(org_b, "Bravo care", by=bob_m)
    with pytest.raises(ValidationFailed) as refused:
        set_conversation_triage(conv, by=alice_m, team=bravo)
    assert "team" in refused.value.fields
    assert _fresh(conv).assigned_team_id is None and not _triaged(org_a).exists()


def test_someone_who_may_not_moderate_may_not_triage(org_a, conv):
    viewer = f.add_member(org_a, f.make_user("val@alpha.test"), Role.VIEWER)
    with pytest.raises(NotAllowed):
        set_conversation_triage(conv, by=viewer, priority="high")


# --- the page ------------------------------------------------------------------------------------


def _url(name, conv):
    return reverse(name, args=[conv.organization.slug, conv.pk])


def test_the_page_sets_priority_and_team_and_no_team(alice_client, org_a, conv, care, targets):
    page = alice_client.get(_url("inbox_conversation", conv)).content.decode()
    assert 'id="triage-form"' in page and "No team" in page and "Customer care" in page
    response = alice_client.post(
        _url("inbox_triage", conv), {"priority": "urgent", "team": str(care.pk)}
    )
    assert response.status_code == 302
    row = _fresh(conv)
    assert (row.priority, row.assigned_team_id) == ("urgent", care.pk)
    assert row.sla_due_at == row.sla_started_at + timedelta(hours=1)
    page = alice_client.get(_url("inbox_conversation", conv)).content.decode()
    assert "Priority and team saved." in page
    alice_client.post(_url("inbox_triage", conv), {"priority": "urgent", "team": "none"})
    assert _fresh(conv).assigned_team_id is None
    assert [e.via for e in _triaged(org_a)] == ["web", "web"]


def test_the_page_says_what_is_wrong_and_changes_nothing(alice_client, org_a, org_b, bob_m, conv):
    bravo = f.make_team(org_b, "Bravo care", by=bob_m)
    alice_client.post(_url("inbox_triage", conv), {"priority": "high", "team": str(bravo.pk)})
    page = alice_client.get(_url("inbox_conversation", conv)).content.decode()
    assert "Select a valid choice" in page
    alice_client.post(_url("inbox_triage", conv), {})
    page = alice_client.get(_url("inbox_conversation", conv)).content.decode()
    assert "Give a priority, a team, or both." in page
    row = _fresh(conv)
    assert (row.priority, row.assigned_team_id) == ("normal", None)
    assert not _triaged(org_a).exists()


def test_another_organizations_conversation_is_a_404_on_the_page(client, bob, org_b, conv):
    client.force_login(bob)
    response = client.post(
        reverse("inbox_triage", args=[org_b.slug, conv.pk]), {"priority": "urgent"}
    )
    assert response.status_code == 404
    assert _fresh(conv).priority == "normal"


# --- the API -------------------------------------------------------------------------------------


def test_the_api_triages_and_answers_the_conversation(alice_api, org_a, conv, care, targets):
    url = f"{API}{conv.pk}/triage/"
    response = alice_api.post(url, {"priority": "high", "team": care.pk}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["priority"] == "high" and body["assigned_team"] == care.pk
    row = _fresh(conv)
    assert body["sla_due_at"] is not None and row.sla_due_at == row.sla_started_at + timedelta(
        hours=4
    )
    response = alice_api.post(url, {"team": None}, format="json")
    assert response.status_code == 200 and response.json()["assigned_team"] is None
    assert response.json()["priority"] == "high"
    event = _triaged(org_a).order_by("pk").last()
    assert event.via == "api" and event.changes["team"] == [care.pk, None]


def test_the_api_refuses_nothing_given_a_foreign_team_and_a_bad_priority(
    alice_api, org_b, bob_m, conv
):
    url = f"{API}{conv.pk}/triage/"
    nothing = alice_api.post(url, {}, format="json")
    assert nothing.status_code == 400
    assert nothing.json()["error"]["message"] == "Give a priority, a team, or both."
    bravo = f.make_team(org_b, "Bravo care", by=bob_m)
    foreign = alice_api.post(url, {"team": bravo.pk}, format="json")
    assert foreign.status_code == 400 and "team" in foreign.json()["error"]["fields"]
    missing = alice_api.post(url, {"team": 2**40}, format="json")
    assert missing.status_code == 400 and "team" in missing.json()["error"]["fields"]
    bad = alice_api.post(url, {"priority": "asap"}, format="json")
    assert bad.status_code == 400 and "priority" in bad.json()["error"]["fields"]
    row = _fresh(conv)
    assert (row.priority, row.assigned_team_id) == ("normal", None)


def test_the_api_keeps_organizations_apart_and_needs_the_write_scope(bob_m, alice_m, conv):
    from rest_framework.test import APIClient

    from accounts import services as account_services

    url = f"{API}{conv.pk}/triage/"
    assert api_client_for(bob_m).post(url, {"priority": "urgent"}, format="json").status_code == 404
    issued = account_services.create_api_token(alice_m, name="reader", scopes=["inbox:read"])
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    assert reader.post(url, {"priority": "urgent"}, format="json").status_code == 403
    assert _fresh(conv).priority == "normal"


def test_the_operation_is_in_the_schema_with_its_errors(alice_client):
    import yaml

    schema = yaml.safe_load(alice_client.get("/api/schema/").content)
    operation = schema["paths"]["/api/v1/conversations/{id}/triage/"]["post"]
    assert operation["summary"] == "Set a conversation's priority and team"
    assert {"200", "400", "403", "404"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][body.rsplit("/", 1)[1]]["properties"]
    assert set(fields) == {"priority", "team"}


def test_a_breach_already_told_is_not_told_again_for_a_new_due_also_passed(
    org_a, alice_m, conv, targets
):
    start = timezone.now() - timedelta(days=3)
    told = timezone.now() - timedelta(days=2)
    Conversation.objects.for_org(org_a).filter(pk=conv.pk).update(
        sla_started_at=start, sla_due_at=start + timedelta(hours=24), sla_breach_notified_at=told
    )
    set_conversation_triage(_fresh(conv), by=alice_m, priority="urgent")
    row = _fresh(conv)
    assert row.sla_due_at == start + timedelta(hours=2) and row.sla_breach_notified_at == told
