"""The API of routing rules, SLA targets, and of team leads and working hours: CRUD, ordering,
validation errors naming the field, and who may write."""

from __future__ import annotations

import pytest

from accounts.capabilities import Role
from inbox.models import RoutingRule, SlaTarget

from .. import factories as f
from ..conftest import api_client_for

pytestmark = pytest.mark.django_db

RULES = "/api/v1/inbox-routing-rules/"
TARGETS = "/api/v1/inbox-sla-targets/"


@pytest.fixture
def care(org_a, alice_m):
    return f.make_team(org_a, "Customer care", by=alice_m)


def test_a_rule_is_created_listed_changed_moved_and_deleted(alice_api, org_a, alice_m, care):
    made = alice_api.post(
        RULES,
        {"name": "Refunds", "keywords": ["refund"], "assign_team": care.pk, "priority": "high"},
        format="json",
    )
    assert made.status_code == 201, made.content
    first = made.json()
    assert (first["position"], first["keywords"], first["assign_team"]) == (1, ["refund"], care.pk)
    second = alice_api.post(RULES, {"name": "All", "assign_to": alice_m.pk}, format="json").json()
    assert second["position"] == 2
    listed = alice_api.get(RULES).json()["results"]
    assert [r["name"] for r in listed] == ["Refunds", "All"]
    moved = alice_api.patch(f"{RULES}{second['id']}/", {"position": 1}, format="json")
    assert moved.status_code == 200 and moved.json()["position"] == 1
    assert [r["name"] for r in alice_api.get(RULES).json()["results"]] == ["All", "Refunds"]
    changed = alice_api.patch(f"{RULES}{first['id']}/", {"is_active": False}, format="json")
    assert changed.json()["is_active"] is False and changed.json()["keywords"] == ["refund"]
    assert alice_api.delete(f"{RULES}{first['id']}/").status_code == 204
    assert RoutingRule.objects.for_org(org_a).count() == 1


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "x"}, "assign_team"),
        ({"name": "x", "assign_team": 999999}, "assign_team"),
        ({"name": "x", "assign_to": 999999}, "assign_to"),
        ({"name": "x", "assign_to": "me"}, "assign_to"),
        ({"name": "", "assign_to": None}, "name"),
        ({"name": "x", "channels": [999999], "assign_to": None}, "channels"),
        ({"name": "x", "sentiments": ["furious"]}, "sentiments"),
        ({"name": "x", "networks": ["myspace"], "assign_team": None}, "networks"),
        ({"name": "x", "languages": ["english!"], "assign_team": None}, "languages"),
        ({"name": "x", "priority": "asap"}, "priority"),
        ({"name": "x", "tags": [999999]}, "tags"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field(alice_api, org_a, alice_m, care, payload, field):
    payload = {**payload}
    if "assign_team" not in payload and "assign_to" not in payload and field != "assign_team":
        payload["assign_team"] = care.pk
    if payload.get("assign_team") is None and field not in ("assign_team", "assign_to", "name"):
        payload["assign_team"] = care.pk
    response = alice_api.post(RULES, payload, format="json")
    assert response.status_code == 400, response.content
    assert any(k.split(".")[0] == field for k in response.json()["error"]["fields"])
    assert not RoutingRule.objects.for_org(org_a).exists()


def test_another_organizations_team_is_not_a_valid_target(alice_api, org_a, org_b, bob_m):
    theirs = f.make_team(org_b, "Bravo care", by=bob_m)
    response = alice_api.post(RULES, {"name": "x", "assign_team": theirs.pk}, format="json")
    assert response.status_code == 400
    assert "assign_team" in response.json()["error"]["fields"]


def test_a_moderator_may_neither_read_nor_write_rules(org_a, care):
    mo = f.add_member(org_a, f.make_user("mo@alpha.test"), Role.MODERATOR)
    api = api_client_for(mo)
    assert api.get(RULES).status_code == 403
    assert api.post(RULES, {"name": "x", "assign_team": care.pk}, format="json").status_code == 403


def test_sla_targets_are_set_listed_and_removed(alice_api, org_a, care):
    made = alice_api.post(
        TARGETS, {"team": care.pk, "priority": "urgent", "hours": 1.5}, format="json"
    )
    assert made.status_code == 201, made.content
    assert made.json()["hours"] == 1.5
    assert [t["team"] for t in alice_api.get(TARGETS).json()["results"]] == [care.pk]
    gone = alice_api.post(
        TARGETS, {"team": care.pk, "priority": "urgent", "hours": None}, format="json"
    )
    assert gone.status_code == 204
    assert not SlaTarget.objects.for_org(org_a).exists()


@pytest.mark.parametrize(
    "payload, field",
    [({"hours": 0}, "hours"), ({"hours": 99999}, "hours"), ({"hours": 3, "team": 999999}, "team")],
)
def test_a_bad_sla_target_is_refused(alice_api, payload, field):
    response = alice_api.post(TARGETS, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_a_team_gets_a_lead_zone_and_hours_through_the_api(alice_api, alice_m, care):
    response = alice_api.patch(
        f"/api/v1/teams/{care.pk}/",
        {
            "lead": alice_m.pk,
            "timezone": "Asia/Jakarta",
            "working_hours": {"days": {"mon": ["09:00", "17:00"]}},
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["lead"], body["timezone"]) == (alice_m.pk, "Asia/Jakarta")
    assert body["working_hours"] == {"days": {"mon": ["09:00", "17:00"]}}
    # a change of name alone keeps them
    renamed = alice_api.patch(f"/api/v1/teams/{care.pk}/", {"name": "Care"}, format="json")
    assert renamed.json()["lead"] == alice_m.pk


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"working_hours": {"days": {"mon": ["17:00", "09:00"]}}}, "working_hours"),
        ({"working_hours": {"days": {"mon": ["09:00"]}}}, "working_hours"),
        ({"lead": 999999}, "lead"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_bad_team_hours_or_lead_are_refused(alice_api, care, payload, field):
    response = alice_api.patch(f"/api/v1/teams/{care.pk}/", payload, format="json")
    assert response.status_code == 400, response.content
    assert any(k.startswith(field) for k in response.json()["error"]["fields"])
    care.refresh_from_db()
    assert (care.lead_id, care.working_hours) == (None, {})


def test_a_members_own_hours_are_set_through_the_api(alice_api, org_a):
    mo = f.add_member(org_a, f.make_user("mo@alpha.test"), Role.MODERATOR)
    response = alice_api.patch(
        f"/api/v1/members/{mo.pk}/", {"working_hours": {"always": True}}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["working_hours"] == {"always": True}
