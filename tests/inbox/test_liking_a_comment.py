"""Liking a comment as the channel's account, where the network allows it (the sandbox network
does): a Like button on the conversation page, like/unlike in the API, audited; a DM or a network
without likes is a clear refusal and nothing changes."""

from __future__ import annotations

import dataclasses

import pytest
from django.urls import reverse

from channels_registry.models import SandboxInteraction
from channels_registry.providers.sandbox import SandboxProvider
from inbox.models import Item
from inbox.services import moderate_item
from socialops.audit.models import AuditEvent
from socialops.errors import ValidationFailed

from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org_a, alice_m):
    return sandbox_channel(org_a, alice_m)


@pytest.fixture
def conv(channel):
    return inbox_with_conversation(channel, text="Enak banget kak!", hint="praise")


def _on_network(org, item):
    return SandboxInteraction.objects.for_org(org).get(external_id=item.external_id)


def test_a_comment_is_liked_and_unliked_on_the_network(org_a, alice_m, conv):
    item = conv.items.get()
    liked = moderate_item(item, by=alice_m, action="like")
    assert liked.is_liked and _on_network(org_a, item).is_liked
    unliked = moderate_item(item, by=alice_m, action="unlike")
    assert not unliked.is_liked and not _on_network(org_a, item).is_liked
    actions = AuditEvent.objects.for_org(org_a).filter(
        action__in=["inbox.item_like", "inbox.item_unlike"]
    )
    assert actions.count() == 2


def test_the_conversation_page_has_a_like_button_that_likes(alice_client, org_a, conv):
    item = conv.items.get()
    url = reverse("inbox_conversation", args=["alpha", conv.pk])
    page = alice_client.get(url).content.decode()
    assert 'value="like"' in page and "data-like" in page
    alice_client.post(
        reverse("inbox_item_moderate", args=["alpha", conv.pk, item.pk]), {"action": "like"}
    )
    assert Item.objects.for_org(org_a).get(pk=item.pk).is_liked
    page = alice_client.get(url).content.decode()
    assert 'value="unlike"' in page and 'aria-pressed="true"' in page


def test_the_api_likes_and_unlikes(alice_api, conv):
    item = conv.items.get()
    url = f"/api/v1/conversation-items/{item.pk}/"
    liked = alice_api.post(f"{url}like/")
    assert liked.status_code == 200 and liked.json()["is_liked"] is True
    assert alice_api.post(f"{url}unlike/").json()["is_liked"] is False


def test_a_direct_message_is_not_liked(alice_api, org_a, channel):
    dm = inbox_with_conversation(channel, kind="dm", text="halo", author="budi")
    item = dm.items.get()
    response = alice_api.post(f"/api/v1/conversation-items/{item.pk}/like/")
    assert response.status_code == 400
    assert not Item.objects.for_org(org_a).get(pk=item.pk).is_liked


def test_a_network_without_likes_refuses_and_shows_no_button(
    alice_client, alice_m, org_a, conv, monkeypatch
):
    monkeypatch.setattr(
        SandboxProvider,
        "capabilities",
        dataclasses.replace(SandboxProvider.capabilities, like_comments=False),
    )
    item = conv.items.get()
    with pytest.raises(ValidationFailed):
        moderate_item(item, by=alice_m, action="like")
    assert not _on_network(org_a, item).is_liked
    page = alice_client.get(reverse("inbox_conversation", args=["alpha", conv.pk])).content
    assert b"data-like" not in page
