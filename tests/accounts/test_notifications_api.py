"""/api/v1/notifications/: a token sees and marks only its holder's notifications in its organization."""

from __future__ import annotations

import pytest
from django.test import TestCase

from accounts.capabilities import Role
from accounts.models import Notification
from accounts.notifications import NotificationKind, notify
from tests import factories as f
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"


def _note(org, user, title="Approved", **kw):
    with TestCase.captureOnCommitCallbacks(execute=True):
        (n,) = notify(
            org,
            recipients=[user],
            kind=NotificationKind.COMMENT,
            template="generic",
            context={"title": title, "message": "body"},
            url="/o/x/",
            **kw,
        )
    return n


def test_the_list_has_only_my_notifications_in_the_tokens_organization(
    org_a, org_b, alice, alice_m, vera, bob
):
    f.add_member(org_b, alice, Role.VIEWER)
    mine = _note(org_a, alice, title="Mine", actor=vera)
    _note(org_a, vera, title="Veras")
    _note(org_b, alice, title="Mine in bravo")
    response = api_client_for(alice_m).get(LIST)
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["id"] == mine.pk and row["title"] == "Mine" and row["unread"] is True
    assert row["actor"] == "Vera Viewer" and row["kind"] == "comment" and row["url"] == "/o/x/"


def test_the_list_filters_unread(org_a, alice, alice_m):
    read = _note(org_a, alice, title="Read")
    _note(org_a, alice, title="Unread")
    api = api_client_for(alice_m)
    api.post(f"{LIST}{read.pk}/read/")
    assert [r["title"] for r in api.get(LIST, {"unread": "true"}).json()["results"]] == ["Unread"]
    assert len(api.get(LIST).json()["results"]) == 2


def test_marking_one_read(org_a, alice, alice_m):
    n = _note(org_a, alice)
    response = api_client_for(alice_m).post(f"{LIST}{n.pk}/read/")
    assert response.status_code == 200 and response.json()["unread"] is False
    n.refresh_from_db()
    assert n.read_at is not None


def test_someone_elses_or_another_organizations_notification_is_a_404(
    org_a, org_b, alice, alice_m, vera, bob
):
    veras = _note(org_a, vera)
    bobs = _note(org_b, bob)
    api = api_client_for(alice_m)
    assert api.post(f"{LIST}{veras.pk}/read/").status_code == 404
    assert api.post(f"{LIST}{bobs.pk}/read/").status_code == 404
    assert not Notification.objects.for_org(org_a).filter(read_at__isnull=False).exists()
    assert not Notification.objects.for_org(org_b).filter(read_at__isnull=False).exists()


def test_mark_all_read_counts_and_touches_only_mine(org_a, alice, alice_m, vera):
    _note(org_a, alice)
    _note(org_a, alice)
    veras = _note(org_a, vera)
    api = api_client_for(alice_m)
    assert api.post(f"{LIST}read-all/").json() == {"marked": 2}
    assert api.post(f"{LIST}read-all/").json() == {"marked": 0}
    veras.refresh_from_db()
    assert veras.read_at is None


def test_a_viewer_may_read_their_own(org_a, vera):
    n = _note(org_a, vera)
    api = api_client_for(f.membership(org_a, vera))
    assert api.get(LIST).status_code == 200
    assert api.post(f"{LIST}{n.pk}/read/").status_code == 200


def test_the_schema_documents_the_endpoints(alice_client):
    schema = alice_client.get("/api/schema/").content.decode()
    assert (
        "/api/v1/notifications/read-all/" in schema and "/api/v1/notifications/{id}/read/" in schema
    )
