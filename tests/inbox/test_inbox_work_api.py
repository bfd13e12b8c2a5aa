"""The inbox's tags, saved replies, saved views and figures through the API: the page services'
rules, clear 400/403/409 errors, audit entries "via api"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.capabilities import Role
from inbox.models import ConversationTag, SavedReply, SavedView, Tag
from inbox.services.saved_views import save_view
from socialops.audit.models import AuditEvent

from .. import factories as f
from ..conftest import api_client_for
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db

TAGS = "/api/v1/inbox-tags/"
SAVED = "/api/v1/inbox-saved-replies/"
VIEWS = "/api/v1/inbox-saved-views/"
FIGURES = "/api/v1/inbox-figures/"


@pytest.fixture
def mona(org_a):
    return f.add_member(org_a, f.make_user("mona@alpha.test", name="Mona"), Role.MODERATOR)


@pytest.fixture
def mona_api(mona):
    return api_client_for(mona, name="mona")


# --- tags -------------------------------------------------------------------------------------------


def test_tags_are_created_renamed_and_deleted_with_audit_entries(alice_api, alice_m, org_a):
    created = alice_api.post(TAGS, {"name": "Refund", "colour": "#ff0000"}, format="json")
    assert created.status_code == 201, created.json()
    tag_id = created.json()["id"]
    renamed = alice_api.patch(f"{TAGS}{tag_id}/", {"name": "Refunds"}, format="json")
    assert renamed.status_code == 200, renamed.json()
    assert renamed.json()["name"] == "Refunds" and renamed.json()["colour"] == "#ff0000"
    channel = sandbox_channel(org_a, alice_m)
    conv = inbox_with_conversation(channel)
    ConversationTag.objects.create(organization=org_a, conversation=conv, tag_id=tag_id)
    assert alice_api.get(TAGS).json()["results"][0]["name"] == "Refunds"
    assert alice_api.delete(f"{TAGS}{tag_id}/").status_code == 204
    assert not Tag.objects.for_org(org_a).exists()
    assert not ConversationTag.objects.for_org(org_a).exists()
    actions = list(
        AuditEvent.objects.for_org(org_a)
        .filter(action__startswith="inbox.tag_")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["inbox.tag_created", "inbox.tag_changed", "inbox.tag_deleted"]


def test_a_duplicate_tag_name_is_a_clear_conflict(alice_api, org_a):
    alice_api.post(TAGS, {"name": "Refund"}, format="json")
    other = alice_api.post(TAGS, {"name": "Other"}, format="json").json()["id"]
    again = alice_api.post(TAGS, {"name": "refund"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate_name"
    clash = alice_api.patch(f"{TAGS}{other}/", {"name": "REFUND"}, format="json")
    assert clash.status_code == 409
    assert Tag.objects.for_org(org_a).get(pk=other).name == "Other"


@pytest.mark.parametrize(
    "body",
    [{"name": ""}, {"name": "x" * 51}, {"name": "Ok", "colour": "red"}, {"name": 5}, {}],
)
def test_bad_tags_are_400s(alice_api, org_a, body):
    response = alice_api.post(TAGS, body, format="json")
    assert response.status_code == 400, response.json()
    assert not Tag.objects.for_org(org_a).exists()


def test_a_viewer_may_read_tags_but_not_change_them(org_a, vera):
    Tag.objects.create(organization=org_a, name="Refund")
    viewer = api_client_for(f.membership(org_a, vera), name="vera")
    assert viewer.get(TAGS).status_code == 200
    assert viewer.post(TAGS, {"name": "New"}, format="json").status_code == 403


# --- saved replies ----------------------------------------------------------------------------------


def test_saved_replies_follow_the_page_rules(alice_api, mona_api, mona, org_a):
    team = f.make_team(org_a, "Care")
    mona.teams.add(team)
    shared = alice_api.post(SAVED, {"title": "Hi", "text": "Halo {first_name}!"}, format="json")
    assert shared.status_code == 201, shared.json()
    refused = mona_api.post(SAVED, {"title": "Hi", "text": "Halo"}, format="json")
    assert refused.status_code == 403  # shared ones: admins only
    mine = mona_api.post(
        SAVED,
        {"title": "Care hi", "text": "Halo", "team": team.pk, "language": "id"},
        format="json",
    )
    assert mine.status_code == 201, mine.json()
    assert mine.json()["team"] == team.pk and mine.json()["language"] == "id"
    changed = mona_api.patch(
        f"{SAVED}{mine.json()['id']}/", {"text": "Halo {agent}"}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["text"] == "Halo {agent}"
    assert mona_api.delete(f"{SAVED}{shared.json()['id']}/").status_code == 403
    assert {r["title"] for r in mona_api.get(SAVED, {"team": team.pk}).json()["results"]} == {
        "Care hi"
    }
    assert mona_api.delete(f"{SAVED}{mine.json()['id']}/").status_code == 204


@pytest.mark.parametrize(
    "body",
    [
        {"title": "Hi", "text": "Halo {name}"},
        {"title": "", "text": "Halo"},
        {"title": "Hi", "text": "Halo", "language": "fr"},
        {"title": "Hi", "text": "Halo", "team": 999999},
        {"title": "Hi", "text": "Halo", "team": "1"},
    ],
)
def test_bad_saved_replies_are_400s(alice_api, org_a, body):
    response = alice_api.post(SAVED, body, format="json")
    assert response.status_code == 400, response.json()
    assert not SavedReply.objects.for_org(org_a).exists()


def test_another_organizations_team_is_unknown(alice_api, org_b, bob_m):
    team = f.make_team(org_b, "Bravo team", by=bob_m)
    response = alice_api.post(SAVED, {"title": "Hi", "text": "Hi", "team": team.pk}, format="json")
    assert response.status_code == 400 and "team" in response.json()["error"]["fields"]


# --- saved views ------------------------------------------------------------------------------------


def test_saved_views_are_the_members_own_and_the_shared_ones(alice_api, alice_m, mona, mona_api):
    save_view(alice_m, name="Alice private", query="status=open")
    shared = save_view(alice_m, name="Alice shared", query="sentiment=negative", shared=True)
    created = mona_api.post(
        VIEWS,
        {"name": "Mine", "query": "status=open&page=3&junk=1", "shared": False},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["query"] == "status=open"
    names = {v["name"] for v in mona_api.get(VIEWS).json()["results"]}
    assert names == {"Alice shared", "Mine"}
    assert mona_api.delete(f"{VIEWS}{shared.pk}/").status_code == 403
    assert mona_api.delete(f"{VIEWS}{created.json()['id']}/").status_code == 204
    assert mona_api.post(VIEWS, {"name": ""}, format="json").status_code == 400
    assert mona_api.post(VIEWS, {"name": "x" * 81}, format="json").status_code == 400
    long = "&".join(f"{key}={'%25' * 150}" for key in ("q", "channel", "network"))
    too_long = mona_api.post(VIEWS, {"name": "Long", "query": long[:1000]}, format="json")
    assert too_long.status_code == 400 and "query" in too_long.json()["error"]["fields"]
    assert SavedView.objects.for_org(mona.organization).count() == 2


def test_a_member_renames_their_own_saved_view(mona, mona_api):
    view = save_view(mona, name="Mine", query="status=open", shared=True)
    renamed = mona_api.patch(f"{VIEWS}{view.pk}/", {"name": "  Open ones "}, format="json")
    assert renamed.status_code == 200, renamed.json()
    assert renamed.json()["name"] == "Open ones" and renamed.json()["query"] == "status=open"
    view.refresh_from_db()
    assert view.name == "Open ones" and view.query == "status=open" and view.shared


def test_a_rename_needs_a_name_that_is_not_another_of_the_members_views(mona, mona_api, alice_m):
    view = save_view(mona, name="Mine", query="status=open")
    save_view(mona, name="Other", query="q=refund")
    save_view(alice_m, name="Alice's", query="q=x")
    url = f"{VIEWS}{view.pk}/"
    for bad in ("", "   ", "x" * 81):
        response = mona_api.patch(url, {"name": bad}, format="json")
        assert response.status_code == 400, (bad, response.json())
        assert "name" in response.json()["error"]["fields"]
    assert mona_api.patch(url, {}, format="json").status_code == 400
    duplicate = mona_api.patch(url, {"name": "Other"}, format="json")
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "duplicate_name"
    assert "name" in duplicate.json()["error"]["fields"]
    # another member's name is no clash, and the view's own name is no change
    assert mona_api.patch(url, {"name": "Alice's"}, format="json").status_code == 200
    assert mona_api.patch(url, {"name": "Alice's"}, format="json").status_code == 200
    names = set(SavedView.objects.for_org(mona.organization).values_list("name", flat=True))
    assert names == {"Alice's", "Other"}
    assert SavedView.objects.for_org(mona.organization).get(pk=view.pk).query == "status=open"


def test_only_the_owner_renames_a_saved_view(alice_api, alice_m, mona, mona_api):
    private = save_view(alice_m, name="Alice private", query="status=open")
    shared = save_view(alice_m, name="Alice shared", query="q=b", shared=True)
    # a private view is out of sight (404), a shared one is seen but not the member's (403)
    assert (
        mona_api.patch(f"{VIEWS}{private.pk}/", {"name": "Mona's"}, format="json").status_code
        == 404
    )
    assert (
        mona_api.patch(f"{VIEWS}{shared.pk}/", {"name": "Mona's"}, format="json").status_code == 403
    )
    assert set(SavedView.objects.for_org(alice_m.organization).values_list("name", flat=True)) == {
        "Alice private",
        "Alice shared",
    }


def test_another_organizations_saved_view_cannot_be_renamed_through_the_api(alice_api, bob_m):
    theirs = save_view(bob_m, name="Bob shared", query="q=b", shared=True)
    response = alice_api.patch(f"{VIEWS}{theirs.pk}/", {"name": "Taken"}, format="json")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Bob shared"


# --- figures ----------------------------------------------------------------------------------------


def test_the_figures_endpoint_answers_one_range(alice_api, alice_m, org_a):
    channel = sandbox_channel(org_a, alice_m)
    inbox_with_conversation(channel)
    response = alice_api.get(FIGURES)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["scope"]["kind"] == "organization" and len(body["days"]) == 7
    assert body["total"]["opened"] == 1 and body["total"]["inbound"] == 1
    today = timezone.now().date()
    since = (today - timedelta(days=29)).isoformat()
    month = alice_api.get(FIGURES, {"since": since, "until": today.isoformat(), "member": "me"})
    assert month.status_code == 200 and len(month.json()["days"]) == 30
    assert month.json()["scope"]["kind"] == "member"


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-13-01"},
        {"since": "2026-03-05", "until": "2026-03-01"},
        {"since": "2020-01-01", "until": "2026-03-01"},
        {"since": "9999-12-31", "until": "9999-12-31"},
        {"since": "0001-01-01", "until": "0001-01-02"},
        {"member": "someone"},
        {"team": "x"},
        {"team": "1", "member": "me"},
        {"zone": "UTC"},
    ],
)
def test_bad_figure_requests_are_400s(alice_api, params):
    assert alice_api.get(FIGURES, params).status_code == 400


def test_other_peoples_figures_are_for_managers(org_a, alice_m, mona_api, org_b, bob_m):
    assert mona_api.get(FIGURES).json()["scope"]["kind"] == "member"
    assert mona_api.get(FIGURES, {"member": alice_m.pk}).status_code == 403
    team = f.make_team(org_a, "Sales")
    assert mona_api.get(FIGURES, {"team": team.pk}).status_code == 403
    bravo = f.make_team(org_b, "Bravo", by=bob_m)
    assert mona_api.get(FIGURES, {"team": bravo.pk}).status_code == 404
