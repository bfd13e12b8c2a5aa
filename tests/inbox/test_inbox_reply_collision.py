"""A second reply in flight: the reply form carries the newest item and reply its writer saw; an
answer written since (or one being sent) is refused with a warning quoting it, and sent only when
the writer confirms ("Send anyway" / ``force``): never silently sent twice."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.capabilities import Role
from inbox.models import Item, Reply
from inbox.services import ReplyCollision, Seen, seen_marker, send_reply
from socialops.audit.models import AuditEvent

from .. import factories as f
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db

API = "/api/v1/conversation-replies/"


@pytest.fixture
def conv(org_a, alice_m):
    return inbox_with_conversation(sandbox_channel(org_a, alice_m), text="Ada cabang di Bandung?")


@pytest.fixture
def dewi(org_a):
    return f.add_member(org_a, f.make_user("dewi@alpha.test", name="Dewi Lestari"), Role.MODERATOR)


def _sent(conv):
    return Reply.objects.for_org(conv.organization).filter(status=Reply.Status.SENT)


def test_a_reply_sent_by_someone_else_since_the_writer_looked_is_warned_about(conv, alice_m, dewi):
    seen = seen_marker(conv)  # Alice opens the conversation
    send_reply(conv, by=dewi, text="Ada kak, di Jl. Braga.")  # Dewi answers first
    with pytest.raises(ReplyCollision) as refused:
        send_reply(conv, by=alice_m, text="Ada, di Braga!", seen=seen)
    assert refused.value.code == "reply_collision"
    assert "Dewi" in refused.value.message and "Jl. Braga" in refused.value.message
    assert [r.text for r in _sent(conv)] == ["Ada kak, di Jl. Braga."]


def test_the_writer_may_send_anyway_by_confirming_and_the_audit_says_so(conv, alice_m, dewi):
    seen = seen_marker(conv)
    send_reply(conv, by=dewi, text="Ada kak.")
    reply = send_reply(conv, by=alice_m, text="Ada, di Braga!", seen=seen, force=True)
    assert reply.status == Reply.Status.SENT and _sent(conv).count() == 2
    event = AuditEvent.objects.for_org(conv.organization).filter(action="inbox.reply_sent").last()
    assert event.changes.get("forced") is True


def test_a_reply_written_with_the_current_view_goes_out_without_a_warning(conv, alice_m, dewi):
    send_reply(conv, by=dewi, text="Ada kak.")
    reply = send_reply(conv, by=alice_m, text="Juga di Dago.", seen=seen_marker(conv))
    assert reply.status == Reply.Status.SENT


def test_the_writers_own_earlier_reply_is_not_a_collision(conv, alice_m):
    seen = seen_marker(conv)
    send_reply(conv, by=alice_m, text="Ada kak.")
    assert send_reply(conv, by=alice_m, text="Dan di Dago.", seen=seen).status == "sent"


def test_an_answer_from_the_networks_own_app_since_is_warned_about(conv, alice_m):
    from channels_registry.providers.base import InboxItem
    from inbox.services import ingest

    seen = seen_marker(conv)
    answered = Item.objects.for_org(conv.organization).get()
    ingest(
        conv.channel,
        [
            InboxItem(
                external_id="native_app_reply",
                kind="reply",
                text="Answered from the phone app",
                author_id=conv.channel.external_id,
                author_name=conv.channel.name,
                post_external_id=answered.post_external_id,
                parent_external_id=answered.external_id,
                thread_id=conv.external_thread_id,
            )
        ],
    )
    assert Item.objects.for_org(conv.organization).filter(direction="outbound").exists()
    with pytest.raises(ReplyCollision, match="phone app"):
        send_reply(conv, by=alice_m, text="Ada kak", seen=seen)


def test_a_reply_being_sent_is_a_collision_even_without_what_was_seen(conv, alice_m, dewi):
    Reply.objects.create(
        organization=conv.organization,
        conversation=conv,
        in_reply_to=Item.objects.for_org(conv.organization).get(),
        author=dewi,
        text="on its way",
        status=Reply.Status.SENDING,
    )
    with pytest.raises(ReplyCollision, match="being sent"):
        send_reply(conv, by=alice_m, text="second", seen=Seen(item=0, reply=0))
    with pytest.raises(ReplyCollision):
        send_reply(conv, by=alice_m, text="second")


def test_the_page_shows_the_other_reply_and_sends_anyway_only_when_confirmed(
    alice_client, conv, dewi
):
    page = alice_client.get(reverse("inbox_conversation", args=["alpha", conv.pk]))
    seen_item = int(page.context["form"].initial["last_seen_item"])
    seen_reply = int(page.context["form"].initial["last_seen_reply"])
    send_reply(conv, by=dewi, text="Dewi's answer first")
    url = reverse("inbox_reply", args=["alpha", conv.pk])
    post = {"text": "Mine", "last_seen_item": seen_item, "last_seen_reply": seen_reply}
    warned = alice_client.post(url, post)
    body = warned.content.decode()
    assert warned.status_code == 400 and 'id="reply-collision"' in body
    assert "Dewi&#x27;s answer first" in body and 'id="send-anyway"' in body
    assert "\nMine</textarea>" in body  # the writer's text is kept
    assert _sent(conv).count() == 1
    confirmed = alice_client.post(url, {**post, "force": "1"})
    assert confirmed.status_code == 302 and _sent(conv).count() == 2


def test_the_api_answers_409_reply_collision_unless_force(alice_api, conv, dewi):
    seen = seen_marker(conv)
    send_reply(conv, by=dewi, text="Dewi first")
    body = {
        "conversation": conv.pk,
        "text": "Mine",
        "last_seen_item": seen.item,
        "last_seen_reply": seen.reply,
    }
    refused = alice_api.post(API, body, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "reply_collision"
    assert "Dewi first" in refused.json()["error"]["message"]
    forced = alice_api.post(API, {**body, "force": True}, format="json")
    assert forced.status_code == 201 and forced.json()["status"] == "sent"
    bad = alice_api.post(API, {**body, "last_seen_item": -1}, format="json")
    assert bad.status_code == 400 and "last_seen_item" in bad.json()["error"]["fields"]
    assert alice_api.post(API, {**body, "force": "maybe"}, format="json").status_code == 400
