"""A service account (an API integration, no membership row) writes notes and replies with the
collision check; it is never asked for approval and never approves a reply."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.capabilities import Role
from accounts.service_accounts import services as sa_services
from inbox.models import ConversationNote
from inbox.services import seen_marker, send_reply

from .. import factories as f
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def robot(org_a, alice_m):
    account = sa_services.create_service_account(org_a, by=alice_m, name="Robot")
    raw = sa_services.create_service_account_token(
        account, by=alice_m, name="t", scopes=["inbox:read", "inbox:write"]
    ).raw
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def conv(org_a, alice_m):
    return inbox_with_conversation(sandbox_channel(org_a, alice_m), text="Halo kak")


def test_a_service_account_writes_a_note_that_mentions_a_member(robot, org_a, conv):
    dewi = f.add_member(org_a, f.make_user("dewi@alpha.test", name="Dewi"), Role.MODERATOR)
    created = robot.post(
        "/api/v1/conversation-notes/",
        {"conversation": conv.pk, "text": "@dewi escalated"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["author"] is None and created.json()["mentions"] == [dewi.pk]
    assert ConversationNote.objects.for_org(org_a).count() == 1


def test_a_service_accounts_reply_meets_the_collision_check(robot, org_a, alice_m, conv):
    seen = seen_marker(conv)
    send_reply(conv, by=alice_m, text="Alice first")
    body = {
        "conversation": conv.pk,
        "text": "Robot",
        "last_seen_item": seen.item,
        "last_seen_reply": seen.reply,
    }
    refused = robot.post("/api/v1/conversation-replies/", body, format="json")
    assert refused.status_code == 409, refused.json()
    assert refused.json()["error"]["code"] == "reply_collision"
