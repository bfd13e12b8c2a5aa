"""The API: GET coverage and the inventory (declared filters, governance only, admin scope),
POST retire (moves posts, refuses bad input with nothing changed, another organization's channel
is a 404)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as account_services
from accounts.capabilities import Role
from channels_registry.models import Channel
from publishing import services as publishing_services
from publishing.models import PostVariant
from tests.conftest import api_client_for
from tests.publishing.scheduler_factories import make_post, reload

from .coverage_factories import channel, person

pytestmark = pytest.mark.django_db

COVERAGE = "/api/v1/governance/coverage/"
INVENTORY = "/api/v1/channel-inventory/"


def test_coverage_answers_the_counts_and_the_gaps(alice_api, org_a, alice_m):
    kitchen = channel(org_a, "kitchen", status=Channel.Status.NEEDS_REAUTH)
    response = alice_api.get(COVERAGE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["counts"] == {"channels": 1, "stages": 0, "sole_admins": 0, "tokens": 1, "teams": 0}
    assert body["channels"][0]["channel"] == kitchen.pk
    assert body["channels"][0]["admins"][0]["membership"] == alice_m.pk
    assert body["tokens"][0] == {
        "channel": kitchen.pk,
        "name": "Kitchen",
        "reason": "needs_reauth",
        "token_expires_at": None,
    }


def test_the_inventory_answers_every_channel_and_takes_declared_filters_only(
    alice_api, org_a, org_b
):
    channel(org_a, "kopi.pagi", name="Kopi Pagi")
    channel(org_a, "kopi_pagi", name="Kopi Pagi")
    channel(org_a, "teh", provider="x")
    channel(org_b, "bravo")
    body = alice_api.get(INVENTORY).json()
    assert body["count"] == 3
    row = next(r for r in body["results"] if r["handle"] == "teh")
    assert row["measured"] is False and row["reach"] is None
    assert row["flags"] == ["inactive"]
    dup = alice_api.get(INVENTORY, {"flag": "duplicate"}).json()
    assert {r["handle"] for r in dup["results"]} == {"kopi.pagi", "kopi_pagi"}
    assert alice_api.get(INVENTORY, {"network": "x"}).json()["count"] == 1
    assert alice_api.get(INVENTORY, {"flag": "shiny"}).status_code == 400
    assert alice_api.get(INVENTORY, {"colour": "red"}).status_code == 400


def test_another_organizations_team_filter_is_a_400(alice_api, org_b, bob_m):
    from tests import factories as f

    bravo = f.make_team(org_b, "Bravo team", by=bob_m)
    response = alice_api.get(INVENTORY, {"team": bravo.pk})
    assert response.status_code == 400
    assert "team" in response.json()["error"]["fields"]


def test_members_without_governance_are_refused(org_a):
    manager = person(org_a, Role.MANAGER)
    api = api_client_for(manager)
    assert api.get(COVERAGE).status_code == 403
    assert api.get(INVENTORY).status_code == 403


def test_a_token_without_the_admin_scope_is_refused(org_a, alice_m):
    from rest_framework.test import APIClient

    issued = account_services.create_api_token(alice_m, name="scoped", scopes=["channels:write"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    response = api.get(COVERAGE)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


def _scheduled(org, by, ch):
    post = make_post(org, by.user, [ch])
    return publishing_services.schedule_post(
        post, by=by, at=timezone.now() + timedelta(hours=3), timezone_name="UTC"
    )


def test_retire_moves_the_scheduled_posts_and_archives(alice_api, org_a, alice_m):
    old = channel(org_a, "old")
    new = channel(org_a, "new")
    post = _scheduled(org_a, alice_m, old)
    response = alice_api.post(
        f"{INVENTORY}{old.pk}/retire/", {"disposal": "move", "move_to": new.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "channel": old.pk,
        "status": "archived",
        "moved_posts": [post.pk],
        "already_on_target": [],
        "unscheduled_posts": [],
    }
    assert PostVariant.objects.for_org(org_a).get(post=post).channel_id == new.pk


@pytest.mark.parametrize("case", ["other_org", "other_network", "missing_disposal", "wrong_type"])
def test_retire_refuses_bad_input_with_nothing_changed(alice_api, org_a, org_b, alice_m, case):
    old = channel(org_a, "old")
    _scheduled(org_a, alice_m, old)
    bodies = {
        "other_org": {"disposal": "move", "move_to": channel(org_b, "bravo").pk},
        "other_network": {"disposal": "move", "move_to": channel(org_a, "xx", provider="x").pk},
        "missing_disposal": {},
        "wrong_type": {"disposal": "move", "move_to": "7"},
    }
    response = alice_api.post(f"{INVENTORY}{old.pk}/retire/", bodies[case], format="json")
    assert response.status_code == 400, response.content
    assert reload(old).status == Channel.Status.ACTIVE


def test_retiring_another_organizations_channel_is_a_404(alice_api, org_b):
    bravo = channel(org_b, "bravo")
    response = alice_api.post(f"{INVENTORY}{bravo.pk}/retire/", {}, format="json")
    assert response.status_code == 404
    assert reload(bravo).status == Channel.Status.ACTIVE
