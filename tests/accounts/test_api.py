import pytest
from django.utils import timezone

from accounts import services
from accounts.capabilities import Role
from accounts.models import ApiToken, Team

from .. import factories as f
from ..conftest import api_client_for

pytestmark = pytest.mark.django_db


def test_the_token_names_the_organization(alice_api, org_a):
    body = alice_api.get("/api/v1/organization/").json()
    assert body["slug"] == "alpha"


def test_teams_crud_through_the_api(alice_api, org_a):
    r = alice_api.post("/api/v1/teams/", {"name": "HQ"}, format="json")
    assert r.status_code == 201
    hq = r.json()["id"]
    r = alice_api.post("/api/v1/teams/", {"name": "ID", "parent": hq}, format="json")
    child = r.json()["id"]
    listing = alice_api.get("/api/v1/teams/").json()
    assert len(listing["results"]) == 2 and {t["name"] for t in listing["results"]} == {"HQ", "ID"}
    r = alice_api.patch(f"/api/v1/teams/{hq}/", {"parent": child}, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["fields"]["parent"]
    assert alice_api.delete(f"/api/v1/teams/{child}/").status_code == 204


def test_validation_errors_have_one_shape(alice_api):
    r = alice_api.post("/api/v1/teams/", {}, format="json")
    assert r.status_code == 400
    body = r.json()["error"]
    assert body["code"] == "validation_error" and "name" in body["fields"] and body["message"]


def test_a_foreign_parent_id_is_a_field_error(alice_api, org_b, bob_m):
    foreign = f.make_team(org_b, "Bravo HQ", by=bob_m)
    r = alice_api.post("/api/v1/teams/", {"name": "X", "parent": foreign.pk}, format="json")
    assert r.status_code == 400 and "parent" in r.json()["error"]["fields"]
    assert not Team.objects.for_org(org_b).filter(name="X").exists()


def test_members_and_invitations_through_the_api(alice_api, org_a, vera):
    members = alice_api.get("/api/v1/members/").json()["results"]
    vera_row = next(m for m in members if m["email"] == vera.email)
    assert "view" in vera_row["capabilities"]
    r = alice_api.patch(f"/api/v1/members/{vera_row['id']}/", {"role": "analyst"}, format="json")
    assert r.json()["role"] == "analyst"
    r = alice_api.post(
        "/api/v1/invitations/", {"email": "new@example.test", "role": "viewer"}, format="json"
    )
    assert r.status_code == 201 and r.json()["status"] == "pending"
    r = alice_api.post(
        "/api/v1/invitations/", {"email": vera.email, "role": "viewer"}, format="json"
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    assert (
        alice_api.post(f"/api/v1/members/{vera_row['id']}/deactivate/").json()["is_active"] is False
    )


def test_a_viewer_token_cannot_write(org_a, vera):
    api = api_client_for(f.membership(org_a, vera))
    assert api.get("/api/v1/teams/").status_code == 200
    r = api.post("/api/v1/teams/", {"name": "Nope"}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"


def test_revoked_and_expired_tokens_are_refused(alice_m):
    issued = services.create_api_token(alice_m, name="t")
    from rest_framework.test import APIClient

    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    assert c.get("/api/v1/organization/").status_code == 200
    services.revoke_api_token(issued.token, by=alice_m)
    assert c.get("/api/v1/organization/").status_code == 401
    other = services.create_api_token(alice_m, name="t2")
    ApiToken.objects.for_org(alice_m.organization).filter(pk=other.token.pk).update(
        expires_at=timezone.now()
    )
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {other.raw}")
    assert c.get("/api/v1/organization/").status_code == 401


def test_tokens_are_stored_hashed(alice_m):
    issued = services.create_api_token(alice_m, name="t")
    row = ApiToken.objects.for_org(alice_m.organization).get(pk=issued.token.pk)
    assert issued.raw not in (row.key_hash, row.prefix) and len(row.key_hash) == 64


def test_a_malformed_authorization_header_is_a_clear_401(client):
    r = client.get("/api/v1/organization/", HTTP_AUTHORIZATION="Bearer nonsense")
    assert r.status_code == 401 and r.json()["error"]["message"]


def test_the_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_api_pagination(alice_api, org_a, alice_m):
    for i in range(55):
        f.make_team(org_a, f"T{i:02}", by=alice_m)
    page1 = alice_api.get("/api/v1/teams/").json()
    assert len(page1["results"]) == 50 and page1["next"] and page1["previous"] is None
    page2 = alice_api.get(page1["next"]).json()
    assert [t["name"] for t in page2["results"]] == [f"T{i}" for i in range(50, 55)]
    assert page2["next"] is None


def test_owner_role_on_invitation_requires_owner(org_a):
    admin = f.add_member(org_a, f.make_user(), Role.ADMIN)
    api = api_client_for(admin)
    r = api.post(
        "/api/v1/invitations/", {"email": "o@example.test", "role": "owner"}, format="json"
    )
    assert r.status_code == 403
