"""Bluesky chat through the real polling and reply paths (issue 14): a connected Bluesky channel's
DMs become DM conversations, answers go out with sendMessage, and a channel whose app password
does not allow DMs keeps its comments and says on its page why DMs are missing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from channels_registry import services as channels
from channels_registry.models import Channel
from inbox.models import Conversation, Item, PollState, Reply
from inbox.services import poll_channel, send_reply
from tests.fakes.bluesky import (
    APP_PASSWORD,
    BRAND_DID,
    BRAND_HANDLE,
    CHAT_APP_PASSWORD,
    FAN_DID,
    BlueskyFake,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(settings):
    server = BlueskyFake().start()
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.SOCIALOPS_PROVIDERS = {
        **settings.SOCIALOPS_PROVIDERS,
        "bluesky": {"urls": server.provider_urls(), "poll_interval": 0},
    }
    yield server
    server.stop()


def connect(org, by, app_password):
    attempt = channels.connect_with_app_password(
        org, by=by, provider_key="bluesky", handle=BRAND_HANDLE, app_password=app_password
    )
    (channel,) = channels.add_channels(
        attempt, by=by, external_ids=[BRAND_DID], timezone_name="UTC"
    )
    return channel


def test_bluesky_dms_become_dm_conversations_and_an_answer_goes_out_with_send_message(
    fake, org_a, alice_m
):
    channel = connect(org_a, alice_m, CHAT_APP_PASSWORD)
    first = fake.add_dm(FAN_DID, "Is the shop open on Sunday?")
    fake.add_dm(FAN_DID, "And on holidays?")

    assert poll_channel(channel).created == 2

    conversation = Conversation.objects.for_org(org_a).get(channel=channel)
    assert conversation.kind == Conversation.Kind.DM
    assert conversation.external_thread_id == first["convoId"]
    assert (conversation.author_name, conversation.snippet) == ("A Fan", "And on holidays?")
    assert conversation.items.filter(direction=Item.Direction.INBOUND).count() == 2
    state = PollState.objects.for_org(org_a).get(channel=channel)
    assert state.cursor and state.last_error == ""
    assert poll_channel(channel).received == 0  # the cursor knows the conversation

    reply = send_reply(conversation, by=alice_m, text="Yes, 10 to 4 on both!")

    assert reply.status == Reply.Status.SENT
    sent = fake.convos[first["convoId"]]["messages"][-1]
    assert (sent["sender"], sent["text"], sent["id"]) == (
        BRAND_DID,
        "Yes, 10 to 4 on both!",
        reply.external_id,
    )
    mine = Item.objects.for_org(org_a).get(external_id=reply.external_id)
    assert mine.direction == Item.Direction.OUTBOUND and mine.conversation_id == conversation.pk

    fake.add_dm(FAN_DID, "Thanks!")
    assert poll_channel(channel).created == 1  # our own message is not read back as new
    conversation.refresh_from_db()
    assert conversation.items.count() == 4 and conversation.status == Conversation.Status.OPEN


def test_a_channel_whose_app_password_has_no_dm_access_keeps_comments_and_says_why(
    fake, org_a, alice_m, alice_client
):
    channel = connect(org_a, alice_m, APP_PASSWORD)
    post = fake.seed_post(BRAND_DID, "New menu")
    fake.add_reply(FAN_DID, post["uri"], "Looks great")
    fake.add_dm(FAN_DID, "A private question")

    result = poll_channel(channel)

    assert result.created == 1
    (conversation,) = Conversation.objects.for_org(org_a).filter(channel=channel)
    assert conversation.kind == Conversation.Kind.COMMENT_THREAD
    state = PollState.objects.for_org(org_a).get(channel=channel)
    assert state.failures == 0 and state.last_error == ""  # not an error, and no retry loop
    assert not [r for r in fake.requests if r.path.startswith("/xrpc/chat.bsky.")]

    channels.check_channel_health(channel)
    channel = Channel.objects.for_org(org_a).get(pk=channel.pk)
    assert channel.metadata["direct_messages"] is False
    page = alice_client.get(reverse("channel_detail", args=[org_a.slug, channel.pk]))
    assert "Direct messages are not read for this channel" in page.content.decode()


def test_a_channel_with_dm_access_shows_no_such_notice(fake, org_a, alice_m, alice_client):
    channel = connect(org_a, alice_m, CHAT_APP_PASSWORD)
    channels.check_channel_health(channel)
    channel = Channel.objects.for_org(org_a).get(pk=channel.pk)
    assert channel.metadata["direct_messages"] is True
    page = alice_client.get(reverse("channel_detail", args=[org_a.slug, channel.pk]))
    assert "Direct messages are not read" not in page.content.decode()
