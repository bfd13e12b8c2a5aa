"""The inbox's outgoing webhook events: ``conversation.created`` from ingest (one emit per batch,
no query per conversation), ``conversation.assigned`` and ``conversation.closed`` from the
services, each with the full conversation."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inbox.models import Conversation
from inbox.services import assign_conversation, ingest, set_conversation_status
from socialops.webhooks import services as webhooks
from socialops.webhooks.events import EVENT_TYPES
from socialops.webhooks.models import WebhookDelivery

from .factories import comment, dm, sandbox_channel

pytestmark = pytest.mark.django_db

EVENTS = ["conversation.created", "conversation.assigned", "conversation.closed"]


@pytest.fixture
def listening(org_a, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.SITE_URL = "https://socialops.example"
    return webhooks.create_endpoint(org_a, url="http://127.0.0.1:9/hooks", events=EVENTS)


def _events(org, event_type):
    rows = WebhookDelivery.objects.for_org(org).filter(event_type=event_type).order_by("pk")
    return [(row.object_key, json.loads(row.body)) for row in rows]


def test_the_events_are_in_the_catalogue():
    assert set(EVENTS) <= set(EVENT_TYPES)


def test_ingest_emits_one_created_event_per_new_conversation_and_none_for_known_ones(
    org_a, alice_m, listening
):
    channel = sandbox_channel(org_a, alice_m)
    ingest(channel, [comment("p1"), comment("p1"), dm("u_budi")])
    created = _events(org_a, "conversation.created")
    assert len(created) == 2
    bodies = {body["data"]["kind"]: body for _key, body in created}
    thread = bodies["comment_thread"]["data"]
    assert thread["external_thread_id"] == "p1" and thread["status"] == "new"
    assert thread["channel"]["id"] == channel.pk and thread["assignee"] is None
    assert thread["snippet"] and thread["organization"] == "alpha"
    assert thread["url"].startswith("https://socialops.example/o/alpha/inbox/")
    # the same thread again, and a new comment on it: no new conversation, no event
    ingest(channel, [comment("p1")])
    assert len(_events(org_a, "conversation.created")) == 2


def test_a_big_ingest_batch_emits_in_one_insert_without_a_query_per_conversation(
    org_a, alice_m, listening
):
    channel = sandbox_channel(org_a, alice_m)
    ingest(channel, [comment("warmup")])

    def count(n, start):
        with CaptureQueriesContext(connection) as ctx:
            ingest(channel, [comment(f"post{start + i}") for i in range(n)])
        return len(ctx.captured_queries)

    assert count(3, 0) == count(30, 100)
    assert len(_events(org_a, "conversation.created")) == 1 + 3 + 30


def test_no_endpoint_listening_costs_no_payload(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    ingest(channel, [comment("p1")])
    assert not WebhookDelivery.objects.for_org(org_a).exists()


def test_assigning_and_closing_emit_the_conversation(org_a, alice_m, listening):
    channel = sandbox_channel(org_a, alice_m)
    ingest(channel, [comment("p1")])
    conversation = Conversation.objects.for_org(org_a).get()
    assign_conversation(conversation, by=alice_m, assignee=alice_m)
    ((key, body),) = _events(org_a, "conversation.assigned")
    assert body["data"]["assignee"]["id"] == alice_m.pk
    assert body["data"]["assignee"]["email"] == alice_m.user.email
    assert body["data"]["status"] == "open"
    set_conversation_status(conversation, by=alice_m, status="open")  # unchanged: nothing
    assert not _events(org_a, "conversation.closed")
    set_conversation_status(conversation, by=alice_m, status="closed")
    ((_key, body),) = _events(org_a, "conversation.closed")
    assert body["type"] == "conversation.closed" and body["data"]["status"] == "closed"
    assert body["data"]["id"] == conversation.pk
