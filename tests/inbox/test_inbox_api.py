"""The inbox API: conversations (filters, retrieve with items, assign, close, reopen, status),
items (hide, unhide, delete where the network allows), replies (send, failure kept, edit, resend);
the same visibility as the pages; another organization's ids are 404s."""

from __future__ import annotations

import pytest

from accounts.capabilities import Role
from channels_registry import services as channel_services
from channels_registry.providers.errors import ContentRejected
from channels_registry.providers.sandbox import SandboxProvider
from inbox.models import Conversation, Item, Reply
from socialops.audit.models import AuditEvent

from .. import factories as f
from ..conftest import api_client_for
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db

API = "/api/v1/conversations/"


@pytest.fixture
def channel(org_a, alice_m):
    return sandbox_channel(org_a, alice_m)


@pytest.fixture
def conv(channel):
    return inbox_with_conversation(channel, text="Apakah ada cabang di Bandung?")


@pytest.fixture
def moderator(org_a):
    return f.add_member(org_a, f.make_user("mona@alpha.test", name="Mona"), Role.MODERATOR)


def test_list_and_retrieve_with_items_and_an_etag(alice_api, conv):
    listed = alice_api.get(API)
    assert listed.status_code == 200, listed.json()
    (row,) = listed.json()["results"]
    assert row["id"] == conv.pk and row["status"] == "new" and row["network"] == "sandbox"
    assert row["snippet"] == "Apakah ada cabang di Bandung?" and row["assignee"] is None
    one = alice_api.get(f"{API}{conv.pk}/")
    assert one.status_code == 200 and one.has_header("ETag")
    (item,) = one.json()["items"]
    assert item["text"] == "Apakah ada cabang di Bandung?" and item["direction"] == "inbound"


def test_filters_narrow_the_list(alice_api, alice_m, channel, conv):
    dm = inbox_with_conversation(
        channel, kind="dm", text="Love this!", author="sari", lang="en", hint="praise"
    )

    def ids(**params):
        response = alice_api.get(API, params)
        assert response.status_code == 200, response.json()
        return {r["id"] for r in response.json()["results"]}

    assert ids(language="en") == {dm.pk}
    assert ids(sentiment="positive") == {dm.pk}
    assert ids(network="sandbox", channel=channel.pk) == {conv.pk, dm.pk}
    assert ids(network="x") == set()
    assert ids(assignee="none") == {conv.pk, dm.pk} and ids(assignee="me") == set()
    alice_api.post(f"{API}{dm.pk}/assign/", {"assignee": alice_m.pk}, format="json")
    assert ids(assignee="me") == {dm.pk} and ids(assignee=str(alice_m.pk)) == {dm.pk}
    assert ids(status="open") == {dm.pk} and ids(status="active") == {conv.pk, dm.pk}
    assert ids(created_since="2000-01-01T00:00:00Z") == {conv.pk, dm.pk}
    assert ids(updated_since="2999-01-01T00:00:00Z") == set()
    assert ids(q="bandung") == {conv.pk} and ids(q="love") == {dm.pk} and ids(q="sar") == {dm.pk}
    assert ids(q="bandung", status="open") == set() and ids(q="nowhere") == set()
    for bad in ({"assignee": "someone"}, {"status": "lost"}, {"colour": "x"}, {"q": "x" * 201}):
        assert alice_api.get(API, bad).status_code == 400


def test_a_search_pages_through_every_match_with_the_cursor(alice_api, channel):
    """The first page is found among the latest conversations, the next ones (the cursor's) by
    the items' indexes: together every match once."""
    made = [
        inbox_with_conversation(channel, text=f"Pesanan nomor {i} belum sampai", author=f"p{i}")
        for i in range(7)
    ]
    inbox_with_conversation(channel, text="Something else", author="other")
    seen, url, params = [], API, {"q": "pesanan", "limit": 3}
    while url:
        page = alice_api.get(url, params).json()
        seen += [r["id"] for r in page["results"]]
        url, params = page["next"], None
    assert sorted(seen) == sorted(c.pk for c in made) and len(seen) == len(set(seen))


def test_assign_close_reopen_and_status(alice_api, alice_m, moderator, conv):
    url = f"{API}{conv.pk}/"
    assigned = alice_api.post(f"{url}assign/", {"assignee": moderator.pk}, format="json")
    assert assigned.status_code == 200, assigned.json()
    assert assigned.json()["assignee"]["id"] == moderator.pk
    assert assigned.json()["status"] == "open"
    assert (
        alice_api.post(f"{url}assign/", {"assignee": None}, format="json").json()["assignee"]
        is None
    )
    assert alice_api.post(f"{url}assign/", {"assignee": 999999}, format="json").status_code == 400
    assert alice_api.post(f"{url}close/").json()["status"] == "closed"
    assert alice_api.post(f"{url}reopen/").json()["status"] == "open"
    spam = alice_api.post(f"{url}status/", {"status": "spam"}, format="json")
    assert spam.status_code == 200 and spam.json()["status"] == "spam"
    assert alice_api.post(f"{url}status/", {"status": "new"}, format="json").status_code == 400
    actions = set(
        AuditEvent.objects.for_org(conv.organization)
        .filter(via="api")
        .values_list("action", flat=True)
    )
    assert {"inbox.assigned", "inbox.closed", "inbox.reopened", "inbox.marked_spam"} <= actions


def test_if_match_guards_a_stale_write(alice_api, conv):
    etag = alice_api.get(f"{API}{conv.pk}/")["ETag"]
    assert alice_api.post(f"{API}{conv.pk}/close/", HTTP_IF_MATCH=etag).status_code == 200
    stale = alice_api.post(f"{API}{conv.pk}/reopen/", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412


def test_items_list_per_conversation_hide_unhide_delete(alice_api, channel, conv):
    other = inbox_with_conversation(channel, text="Another thread")
    listed = alice_api.get("/api/v1/conversation-items/", {"conversation": conv.pk})
    assert listed.status_code == 200
    (item,) = listed.json()["results"]
    assert item["conversation"] == conv.pk and other.pk != conv.pk
    url = f"/api/v1/conversation-items/{item['id']}/"
    assert alice_api.post(f"{url}hide/").json()["is_hidden"] is True
    assert alice_api.post(f"{url}unhide/").json()["is_hidden"] is False
    deleted = alice_api.post(f"{url}delete/")
    assert deleted.status_code == 200 and deleted.json()["is_deleted"] is True


def test_a_dm_cannot_be_hidden(alice_api, channel):
    dm = inbox_with_conversation(channel, kind="dm", text="hello", author="budi")
    item = Item.objects.for_org(dm.organization).get(conversation=dm)
    response = alice_api.post(f"/api/v1/conversation-items/{item.pk}/hide/")
    assert response.status_code == 400


def test_a_reply_is_sent_through_the_service_and_listed(alice_api, conv):
    sent = alice_api.post(
        "/api/v1/conversation-replies/",
        {"conversation": conv.pk, "text": "Ada kak, di Jl. Braga 12."},
        format="json",
    )
    assert sent.status_code == 201, sent.json()
    assert sent.json()["status"] == "sent" and sent.json()["external_id"].startswith("sbxr_")
    assert Item.objects.for_org(conv.organization).filter(direction="outbound").count() == 1
    listed = alice_api.get("/api/v1/conversation-replies/", {"conversation": conv.pk})
    assert [r["id"] for r in listed.json()["results"]] == [sent.json()["id"]]
    too_long = alice_api.post(
        "/api/v1/conversation-replies/",
        {"conversation": conv.pk, "text": "x" * 5001},
        format="json",
    )
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "reply_too_long"


def test_a_failed_reply_is_kept_edited_and_resent(alice_api, conv, monkeypatch):
    real = SandboxProvider.reply

    def refuse(self, *args, **kwargs):
        raise ContentRejected("The sandbox refuses this reply today.")

    monkeypatch.setattr(SandboxProvider, "reply", refuse)
    failed = alice_api.post(
        "/api/v1/conversation-replies/", {"conversation": conv.pk, "text": "Ada kak"}, format="json"
    )
    assert failed.status_code == 201
    body = failed.json()
    assert body["status"] == "failed" and "refuses" in body["error"]
    url = f"/api/v1/conversation-replies/{body['id']}/"
    edited = alice_api.patch(url, {"text": "Ada kak, di Bandung!"}, format="json")
    assert edited.status_code == 200 and edited.json()["text"] == "Ada kak, di Bandung!"
    monkeypatch.setattr(SandboxProvider, "reply", real)
    resent = alice_api.post(f"{url}resend/")
    assert resent.status_code == 200 and resent.json()["status"] == "sent"
    assert Reply.objects.for_org(conv.organization).get().text == "Ada kak, di Bandung!"
    # sent: no more edits, no second send
    assert alice_api.patch(url, {"text": "again"}, format="json").status_code == 409
    assert alice_api.post(f"{url}resend/").status_code == 409


def test_one_reply_in_flight(alice_api, conv):
    item = Item.objects.for_org(conv.organization).get()
    Reply.objects.create(
        organization=conv.organization,
        conversation=conv,
        in_reply_to=item,
        text="first",
        status=Reply.Status.SENDING,
    )
    second = alice_api.post(
        "/api/v1/conversation-replies/", {"conversation": conv.pk, "text": "second"}, format="json"
    )
    assert second.status_code == 409
    assert Reply.objects.for_org(conv.organization).count() == 1


def test_a_restricted_channel_is_invisible_without_a_grant(org_a, alice_m, moderator):
    restricted = sandbox_channel(org_a, alice_m, account="sbx-kitchen")
    channel_services.set_channel_access(restricted, by=alice_m, access="restricted")
    hidden = inbox_with_conversation(restricted, text="Secret kitchen complaint")
    item = Item.objects.for_org(org_a).get(conversation=hidden)
    api = api_client_for(moderator)
    assert api.get(API).json()["results"] == []
    assert api.get(f"{API}{hidden.pk}/").status_code == 404
    assert api.post(f"{API}{hidden.pk}/close/").status_code == 404
    assert api.get("/api/v1/conversation-items/").json()["results"] == []
    assert api.post(f"/api/v1/conversation-items/{item.pk}/hide/").status_code == 404
    reply = api.post(
        "/api/v1/conversation-replies/", {"conversation": hidden.pk, "text": "hi"}, format="json"
    )
    assert reply.status_code == 400 and not Reply.objects.for_org(org_a).exists()
    channel_services.grant_channel_access(
        restricted, by=alice_m, capability="moderate", membership=moderator
    )
    assert [r["id"] for r in api.get(API).json()["results"]] == [hidden.pk]


def test_a_conversation_is_not_assigned_to_someone_who_may_not_moderate_its_channel(
    org_a, alice_m, alice_api, moderator
):
    restricted = sandbox_channel(org_a, alice_m, account="sbx-kitchen")
    channel_services.set_channel_access(restricted, by=alice_m, access="restricted")
    hidden = inbox_with_conversation(restricted, text="Secret kitchen complaint")
    response = alice_api.post(
        f"{API}{hidden.pk}/assign/", {"assignee": moderator.pk}, format="json"
    )
    assert response.status_code == 400
    assert Conversation.objects.for_org(org_a).get(pk=hidden.pk).assignee_id is None


def test_another_organization_sees_nothing_and_gets_404s(bob_m, conv):
    api = api_client_for(bob_m)
    item = Item.objects.for_org(conv.organization).get()
    assert api.get(API).json()["results"] == []
    assert api.get(f"{API}{conv.pk}/").status_code == 404
    assert api.post(f"{API}{conv.pk}/assign/", {"assignee": None}, format="json").status_code == 404
    assert api.get("/api/v1/conversation-items/").json()["results"] == []
    assert api.post(f"/api/v1/conversation-items/{item.pk}/delete/").status_code == 404
    assert api.get("/api/v1/conversation-replies/").json()["results"] == []
    sent = api.post(
        "/api/v1/conversation-replies/", {"conversation": conv.pk, "text": "hi"}, format="json"
    )
    assert sent.status_code == 400
    assert Conversation.objects.for_org(conv.organization).get().status == "new"


def test_an_inbox_read_token_reads_but_cannot_write(alice_m, conv):
    from rest_framework.test import APIClient

    from accounts import services as account_services

    issued = account_services.create_api_token(alice_m, name="reader", scopes=["inbox:read"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    assert api.get(API).status_code == 200
    refused = api.post(f"{API}{conv.pk}/close/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    assert api.get("/api/v1/posts/").status_code == 403


def test_a_conversation_moved_by_a_new_item_is_found_by_updated_since(alice_api, channel, conv):
    """A system syncing conversations by ``updated_since`` sees the one a customer wrote in again
    (ingest moves its latest fields, snippet and status in its own update)."""
    from datetime import timedelta

    from django.utils import timezone

    from inbox.services import ingest

    from .factories import comment

    old = timezone.now() - timedelta(hours=1)
    Conversation.objects.for_org(conv.organization_id).filter(pk=conv.pk).update(updated_at=old)
    since = (old + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert alice_api.get(API, {"updated_since": since}).json()["results"] == []
    ingest(
        channel,
        [comment(conv.external_thread_id, text="Halo? Masih ada?", created_at=timezone.now())],
    )
    (row,) = alice_api.get(API, {"updated_since": since}).json()["results"]
    assert row["id"] == conv.pk and row["snippet"] == "Halo? Masih ada?"
