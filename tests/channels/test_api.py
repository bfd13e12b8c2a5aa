"""The channels API: filters, updates, actions, grants and groups — and never a credential."""

from __future__ import annotations

import json

import pytest

from accounts.capabilities import Role
from channels_registry import selectors
from channels_registry.models import Channel
from tests import factories as f
from tests.conftest import api_client_for

from .factories import connect_sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels(org_a, alice_m):
    return connect_sandbox(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])


def _no_secrets(response, channels):
    body = response.content.decode()
    for channel in channels:
        creds = selectors.credentials_for(channel)
        assert creds.access_token not in body and creds.refresh_token not in body
    assert "credential" not in body and 'token"' not in body


def test_the_api_lists_and_filters_channels_without_credentials(alice_api, org_a, channels):
    team = f.make_team(org_a, "Jakarta")
    Channel.objects.for_org(org_a).filter(pk=channels[0].pk).update(team=team)
    response = alice_api.get("/api/v1/channels/")
    assert response.status_code == 200
    assert {c["handle"] for c in response.json()["results"]} == {"nusantara.kitchen", "kopi.pagi"}
    _no_secrets(response, channels)
    assert [
        c["handle"] for c in alice_api.get("/api/v1/channels/", {"team": team.pk}).json()["results"]
    ] == ["nusantara.kitchen"]
    assert alice_api.get("/api/v1/channels/", {"status": "archived"}).json()["results"] == []
    detail = alice_api.get(f"/api/v1/channels/{channels[0].pk}/")
    assert detail.status_code == 200 and detail.json()["network"] == "sandbox"
    _no_secrets(detail, channels)


def test_the_api_updates_team_timezone_and_access(alice_api, org_a, channels):
    team = f.make_team(org_a, "Surabaya")
    response = alice_api.patch(
        f"/api/v1/channels/{channels[0].pk}/",
        data=json.dumps({"team": team.pk, "timezone": "Asia/Makassar", "access": "restricted"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["team"] == team.pk and response.json()["timezone"] == "Asia/Makassar"
    assert response.json()["access"] == "restricted"
    bad = alice_api.patch(
        f"/api/v1/channels/{channels[0].pk}/",
        data=json.dumps({"team": 999999}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["team"]


def test_the_api_archives_and_disconnects(alice_api, org_a, channels):
    response = alice_api.post(f"/api/v1/channels/{channels[0].pk}/disconnect/")
    assert response.status_code == 200 and response.json()["status"] == "disconnected"
    again = alice_api.post(f"/api/v1/channels/{channels[0].pk}/disconnect/")
    assert again.status_code == 409
    response = alice_api.post(f"/api/v1/channels/{channels[1].pk}/archive/")
    assert response.json()["status"] == "archived"


def test_a_viewer_token_reads_but_cannot_change_channels(org_a, vera, channels):
    api = api_client_for(f.membership(org_a, vera))
    assert api.get("/api/v1/channels/").status_code == 200
    assert api.post(f"/api/v1/channels/{channels[0].pk}/archive/").status_code == 403
    assert api.get("/api/v1/channel-grants/").status_code == 403


def test_grants_and_groups_through_the_api(alice_api, org_a, channels, vera):
    vera_m = f.membership(org_a, vera)
    response = alice_api.post(
        "/api/v1/channel-grants/",
        data=json.dumps(
            {"channel": channels[0].pk, "capability": "publish", "membership": vera_m.pk}
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    grant_id = response.json()["id"]
    listed = alice_api.get("/api/v1/channel-grants/", {"channel": channels[0].pk}).json()["results"]
    assert [g["id"] for g in listed] == [grant_id]
    assert alice_api.delete(f"/api/v1/channel-grants/{grant_id}/").status_code == 204

    response = alice_api.post(
        "/api/v1/channel-groups/",
        data=json.dumps({"name": "Retail", "channels": [c.pk for c in channels]}),
        content_type="application/json",
    )
    assert response.status_code == 201 and sorted(response.json()["channels"]) == sorted(
        c.pk for c in channels
    )
    group_id = response.json()["id"]
    response = alice_api.patch(
        f"/api/v1/channel-groups/{group_id}/",
        data=json.dumps({"channels": []}),
        content_type="application/json",
    )
    assert response.json()["channels"] == []
    assert alice_api.delete(f"/api/v1/channel-groups/{group_id}/").status_code == 204


def test_another_organizations_channels_cannot_be_grouped_or_granted(alice_api, org_b, bob_m):
    (theirs,) = connect_sandbox(org_b, bob_m)
    response = alice_api.post(
        "/api/v1/channel-groups/",
        data=json.dumps({"name": "X", "channels": [theirs.pk]}),
        content_type="application/json",
    )
    assert response.status_code == 400
    response = alice_api.post(
        "/api/v1/channel-grants/",
        data=json.dumps({"channel": theirs.pk, "capability": "publish", "team": None}),
        content_type="application/json",
    )
    assert response.status_code == 400


def test_restricted_channels_are_not_listed_for_members_without_a_grant(org_a, channels):
    Channel.objects.for_org(org_a).filter(pk=channels[1].pk).update(
        access=Channel.Access.RESTRICTED
    )
    publisher = f.add_member(org_a, f.make_user("pub@alpha.test"), Role.PUBLISHER)
    api = api_client_for(publisher)
    assert [c["handle"] for c in api.get("/api/v1/channels/").json()["results"]] == [
        "nusantara.kitchen"
    ]
    assert api.get(f"/api/v1/channels/{channels[1].pk}/").status_code == 404
