"""Internal notes on a conversation: in the timeline, marked as internal, never sent to the network;
@mentions of members who may work the conversation notify them once; the API lists and writes them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.capabilities import Role
from accounts.models import Notification
from channels_registry import services as channel_services
from inbox.models import ConversationNote, Item, Reply
from inbox.services import add_note
from socialops.audit.models import AuditEvent
from socialops.errors import NotAllowed, ValidationFailed

from .. import factories as f
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db

API = "/api/v1/conversation-notes/"


@pytest.fixture
def channel(org_a, alice_m):
    return sandbox_channel(org_a, alice_m)


@pytest.fixture
def conv(channel):
    return inbox_with_conversation(channel, text="Apakah ada cabang di Bandung?")


@pytest.fixture
def dewi(org_a):
    return f.add_member(org_a, f.make_user("dewi@alpha.test", name="Dewi Lestari"), Role.MODERATOR)


def _mentions(user):
    return Notification.objects.unscoped().filter(recipient=user, kind="mention")


def test_a_note_with_a_mention_notifies_the_member_once_and_is_audited(alice_m, conv, dewi):
    note = add_note(conv, by=alice_m, text="@dewi can you check the Bandung branch? @dewi")
    assert note.mentions == [dewi.pk]
    (told,) = _mentions(dewi.user)
    assert told.template == "inbox_mention" and f"#note-{note.pk}" in told.url
    assert AuditEvent.objects.unscoped().filter(action="inbox.note_added").count() == 1
    assert not _mentions(alice_m.user).exists()  # the author is not told about their own note


def test_a_member_who_may_not_work_the_conversation_is_not_told(org_a, alice_m, channel, conv):
    vera = f.add_member(org_a, f.make_user("vera@alpha.test", name="Vera"), Role.VIEWER)
    channel_services.set_channel_access(channel, by=alice_m, access="restricted")
    mona = f.add_member(org_a, f.make_user("mona@alpha.test", name="Mona"), Role.MODERATOR)
    note = add_note(conv, by=alice_m, text="@vera @mona look")
    assert note.mentions == []
    assert not _mentions(vera.user).exists() and not _mentions(mona.user).exists()


def test_a_note_is_never_sent_to_the_network(alice_m, conv, dewi):
    items_before = Item.objects.for_org(conv.organization).count()
    add_note(conv, by=alice_m, text="internal only @dewi")
    assert Item.objects.for_org(conv.organization).count() == items_before
    assert not Reply.objects.for_org(conv.organization).exists()


def test_an_empty_or_overlong_note_is_refused(alice_m, conv):
    with pytest.raises(ValidationFailed):
        add_note(conv, by=alice_m, text="   ")
    with pytest.raises(ValidationFailed):
        add_note(conv, by=alice_m, text="x" * 5001)
    assert not ConversationNote.objects.for_org(conv.organization).exists()


def test_a_viewer_may_not_write_a_note(org_a, conv):
    vera = f.add_member(org_a, f.make_user("vera@alpha.test", name="Vera"), Role.VIEWER)
    with pytest.raises(NotAllowed):
        add_note(conv, by=vera, text="hi")


def test_the_page_shows_the_note_in_the_timeline_marked_internal(alice_client, conv, dewi):
    url = reverse("inbox_note", args=["alpha", conv.pk])
    response = alice_client.post(url, {"text": "Ask @dewi about stock"})
    note = ConversationNote.objects.for_org(conv.organization).get()
    assert response.status_code == 302 and response.url.endswith(f"#note-{note.pk}")
    page = alice_client.get(reverse("inbox_conversation", args=["alpha", conv.pk]))
    body = page.content.decode()
    assert f'id="note-{note.pk}"' in body and "Ask @dewi about stock" in body
    assert "Internal note" in body and 'class="thread-item note"' in body
    assert body.index("Apakah ada cabang") < body.index("Ask @dewi about stock")
    assert _mentions(dewi.user).count() == 1


def test_the_page_refuses_an_empty_note_with_a_message(alice_client, conv):
    response = alice_client.post(reverse("inbox_note", args=["alpha", conv.pk]), {"text": ""})
    assert response.status_code == 400 and "Write a note first." in response.content.decode()


def test_mention_suggestions_offer_only_people_who_may_work_the_conversation(
    org_a, alice_client, alice_m, channel, conv, dewi
):
    f.add_member(org_a, f.make_user("devi@alpha.test", name="Devi Viewer"), Role.VIEWER)
    url = reverse("inbox_mentions", args=["alpha", conv.pk])
    results = alice_client.get(url, {"q": "de"}).json()["results"]
    assert [r["handle"] for r in results] == ["dewi"]


def test_the_api_writes_and_lists_notes_and_validates_input(alice_api, conv, dewi, org_b, bob_m):
    created = alice_api.post(
        API, {"conversation": conv.pk, "text": "@dewi please call back"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["mentions"] == [dewi.pk]
    listed = alice_api.get(API, {"conversation": conv.pk})
    assert [n["text"] for n in listed.json()["results"]] == ["@dewi please call back"]
    assert (
        alice_api.post(API, {"conversation": conv.pk, "text": ""}, format="json").status_code == 400
    )
    missing = alice_api.post(API, {"conversation": 999999, "text": "hi"}, format="json")
    assert missing.status_code == 400 and "conversation" in missing.json()["error"]["fields"]
    assert alice_api.post(API, {"text": "hi"}, format="json").status_code == 400
    assert alice_api.get(API, {"conversation": "abc"}).status_code == 400
    assert _mentions(dewi.user).count() == 1
