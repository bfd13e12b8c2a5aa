"""Who sees a conversation: channel grants and restricted channels decide, as for posts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.capabilities import Role
from channels_registry import services as channel_services

from .. import factories as f
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m, account="sbx-kitchen")
    channel_services.set_channel_access(channel, by=alice_m, access="restricted")
    return channel


@pytest.fixture
def open_channel(org_a, alice_m):
    return sandbox_channel(org_a, alice_m, account="sbx-kopi")


@pytest.fixture
def moderator(org_a):
    user = f.make_user("mona@alpha.test", name="Mona Moderator")
    return f.add_member(org_a, user, Role.MODERATOR)


def _client(client, membership):
    client.force_login(membership.user)
    return client


def test_a_moderator_without_a_grant_sees_neither_the_restricted_conversation_nor_its_page(
    client, restricted, open_channel, moderator
):
    hidden = inbox_with_conversation(restricted, text="Secret kitchen complaint")
    visible = inbox_with_conversation(open_channel, text="Bakery question")
    c = _client(client, moderator)
    page = c.get(reverse("inbox", args=["alpha"])).content.decode()
    assert "Bakery question" in page and "Secret kitchen complaint" not in page
    assert c.get(reverse("inbox_conversation", args=["alpha", hidden.pk])).status_code == 404
    reply = c.post(reverse("inbox_reply", args=["alpha", hidden.pk]), {"text": "hi"})
    assert reply.status_code == 404
    assert c.get(reverse("inbox_conversation", args=["alpha", visible.pk])).status_code == 200
    assert b">1<" in c.get(reverse("inbox_count", args=["alpha"])).content


def test_a_moderate_grant_on_the_restricted_channel_opens_it(
    client, alice_m, restricted, moderator
):
    hidden = inbox_with_conversation(restricted, text="Secret kitchen complaint")
    channel_services.grant_channel_access(
        restricted, by=alice_m, capability="moderate", membership=moderator
    )
    c = _client(client, moderator)
    assert "Secret kitchen complaint" in c.get(reverse("inbox", args=["alpha"])).content.decode()
    assert c.get(reverse("inbox_conversation", args=["alpha", hidden.pk])).status_code == 200


def test_a_contributor_with_a_moderate_grant_works_that_channel_only(
    client, org_a, alice_m, restricted, open_channel
):
    user = f.make_user("cody@alpha.test", name="Cody Contributor")
    contributor = f.add_member(org_a, user, Role.CONTRIBUTOR)
    granted = inbox_with_conversation(open_channel, text="Bakery question")
    other = inbox_with_conversation(restricted, text="Secret kitchen complaint")
    channel_services.grant_channel_access(
        open_channel, by=alice_m, capability="moderate", membership=contributor
    )
    c = _client(client, contributor)
    page = c.get(reverse("inbox", args=["alpha"])).content.decode()
    assert "Bakery question" in page and "Secret kitchen complaint" not in page
    assert c.get(reverse("inbox_conversation", args=["alpha", granted.pk])).status_code == 200
    assert c.get(reverse("inbox_conversation", args=["alpha", other.pk])).status_code == 404
