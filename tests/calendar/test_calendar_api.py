"""The calendar's API under /api/v1/: events per range, move, campaigns, notes, cadence, holidays, share links."""

from __future__ import annotations

import pytest
from django.utils import timezone

from publishing.models import Post

from ..conftest import api_client_for
from .conftest import P, V, in_days, make_post, month_range

pytestmark = pytest.mark.django_db


def test_events_and_move(org_a, alice, alice_m, channels):
    api = api_client_for(alice_m)
    post = make_post(
        org_a, alice, channels[:1], status=P.SCHEDULED, variant_status=V.SCHEDULED, at=in_days(2)
    )
    response = api.get("/api/v1/calendar/events/", month_range(in_days(2)))
    assert response.status_code == 200
    assert [e["post"] for e in response.json()["events"] if e["kind"] == "post"] == [post.pk]
    assert api.get("/api/v1/calendar/events/").status_code == 400
    response = api.post(
        f"/api/v1/posts/{post.pk}/move/", {"at": in_days(4).isoformat()}, format="json"
    )
    assert response.status_code == 200, response.content
    assert Post.objects.for_org(org_a).get(pk=post.pk).scheduled_at == in_days(4)
    response = api.post(
        f"/api/v1/posts/{post.pk}/move/", {"at": in_days(-4).isoformat()}, format="json"
    )
    assert response.status_code == 400 and "past" in response.json()["error"]["message"]


def test_campaigns_crud_and_archive(org_a, alice_m):
    api = api_client_for(alice_m)
    today = timezone.now().date().isoformat()
    response = api.post(
        "/api/v1/campaigns/",
        {"name": "Launch", "color": "#123456", "starts_on": today},
        format="json",
    )
    assert response.status_code == 201, response.content
    cid = response.json()["id"]
    response = api.patch(
        f"/api/v1/campaigns/{cid}/", {"name": "Launch 2", "utm_source": "ig"}, format="json"
    )
    assert response.status_code == 200 and response.json()["name"] == "Launch 2"
    assert response.json()["color"] == "#123456"
    assert api.post(f"/api/v1/campaigns/{cid}/archive/").json()["archived_at"]
    assert api.post(f"/api/v1/campaigns/{cid}/restore/").json()["archived_at"] is None
    assert api.post("/api/v1/campaigns/", {"name": "launch 2"}, format="json").status_code == 400


def test_notes_cadence_holidays_and_share_links(org_a, alice_m, channels):
    api = api_client_for(alice_m)
    day = timezone.now().date().isoformat()
    response = api.post(
        "/api/v1/calendar-notes/", {"title": "Closed", "starts_on": day}, format="json"
    )
    assert response.status_code == 201, response.content
    nid = response.json()["id"]
    assert (
        api.patch(f"/api/v1/calendar-notes/{nid}/", {"title": "Open"}, format="json").json()[
            "title"
        ]
        == "Open"
    )
    assert api.delete(f"/api/v1/calendar-notes/{nid}/").status_code == 204
    response = api.post(
        "/api/v1/cadence-targets/",
        {"channel": channels[0].pk, "min_per_week": 2, "max_per_week": 4},
        format="json",
    )
    assert response.status_code == 201, response.content
    listed = api.get("/api/v1/cadence-targets/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["max_per_week"] for r in rows] == [4]
    assert api.delete(f"/api/v1/cadence-targets/{response.json()['id']}/").status_code == 204
    response = api.post(
        "/api/v1/holiday-regions/", {"team": None, "countries": ["ID"]}, format="json"
    )
    assert response.status_code == 201 and response.json()["countries"] == ["ID"]
    assert (
        api.post("/api/v1/holiday-regions/", {"countries": ["ZZ"]}, format="json").status_code
        == 400
    )
    response = api.post(
        "/api/v1/calendar-share-links/", {"name": "Agency", "expires_in_days": 3}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token"] and body["url"].endswith(f"/calendar/shared/{body['token']}/")
    listed = api.get("/api/v1/calendar-share-links/").json()
    assert "token" not in str(listed)
    assert api.post(f"/api/v1/calendar-share-links/{body['id']}/revoke/").json()["revoked_at"]


def test_a_viewer_cannot_write(org_a, channels):
    from accounts.capabilities import Role

    from .. import factories as f

    viewer = f.add_member(org_a, f.make_user("viewer@alpha.test"), Role.VIEWER)
    api = api_client_for(viewer)
    assert api.post("/api/v1/campaigns/", {"name": "X"}, format="json").status_code == 403
    assert (
        api.post("/api/v1/calendar-share-links/", {"name": "X"}, format="json").status_code == 403
    )
    assert api.get("/api/v1/calendar/events/", month_range(in_days(1))).status_code == 200


def test_the_api_calendar_is_snake_case_with_offsets_in_the_asked_zone(
    org_a, alice, alice_m, channels
):
    from datetime import datetime

    api = api_client_for(alice_m)
    at = in_days(2)
    post = make_post(
        org_a, alice, channels[:1], status=P.SCHEDULED, variant_status=V.SCHEDULED, at=at
    )
    response = api.get("/api/v1/calendar/events/", {**month_range(at), "tz": "Asia/Jakarta"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["timezone"] == "Asia/Jakarta"
    (event,) = [e for e in body["events"] if e["kind"] == "post"]
    assert event["post"] == post.pk and event["variant"] == post.variants.get().pk
    assert event["start"].endswith("+07:00") and datetime.fromisoformat(event["start"]) == at
    assert "extendedProps" not in event and "allDay" not in event and "all_day" in event
    assert body["start"].endswith("+07:00")
    bad = api.get("/api/v1/calendar/events/", {**month_range(at), "tz": "Mars/Olympus"})
    assert bad.status_code == 400 and "tz" in bad.json()["error"]["fields"]


def test_the_calendar_page_keeps_its_own_json(org_a, alice, alice_m, alice_client, channels):
    make_post(
        org_a, alice, channels[:1], status=P.SCHEDULED, variant_status=V.SCHEDULED, at=in_days(2)
    )
    response = alice_client.get(f"/o/{org_a.slug}/calendar/events/", month_range(in_days(2)))
    assert response.status_code == 200
    (event,) = [e for e in response.json()["events"] if e["extendedProps"]["kind"] == "post"]
    assert "allDay" in event and "+" not in event["start"]
