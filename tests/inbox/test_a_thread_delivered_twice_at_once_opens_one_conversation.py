"""A poll and a webhook push bring the same new thread at the same instant: one conversation, and
one ``conversation.created`` event, however the two transactions interleave.

The interleaving that used to announce the conversation twice is forced, not hoped for: the first
delivery inserts and holds its transaction open; the second reads (no conversation yet), inserts,
and waits on the first's row in the unique index; only then does the first commit."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

from inbox.models import Conversation, Item
from inbox.services import ingest
from socialops.webhooks import services as webhooks
from socialops.webhooks.models import WebhookDelivery

from .. import factories as f
from ..interleave import second_while_first_holds
from .factories import comment, sandbox_channel

pytestmark = pytest.mark.django_db(transaction=True)


def _world(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    owner = f.make_user("own@alpha.test")
    org = f.make_org("Alpha", owner=owner)
    channel = sandbox_channel(org, f.membership(org, owner))
    webhooks.create_endpoint(org, url="http://127.0.0.1:9/hooks", events=["conversation.created"])
    return org, channel


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two concurrent writers")
def test_a_poll_and_a_push_of_the_same_new_thread_at_once_announce_it_once(settings):
    org, channel = _world(settings)
    staged = second_while_first_holds(
        lambda: ingest(channel, [comment("p1", n=1)]),  # the poll
        lambda: ingest(channel, [comment("p1", n=1)]),  # the same comment, by the other road
    )
    assert staged, "the push finished before the poll committed: the race was not staged"
    assert Conversation.objects.for_org(org).count() == 1
    assert Item.objects.for_org(org).count() == 1
    created = WebhookDelivery.objects.for_org(org).filter(event_type="conversation.created")
    assert created.count() == 1


def test_a_repeated_delivery_after_the_first_opens_nothing_on_any_database(settings):
    org, channel = _world(settings)
    first = ingest(channel, [comment("p1", n=1), comment("p2", n=2)])
    again = ingest(channel, [comment("p1", n=3), comment("p2", n=1), comment("p3", n=4)])
    assert (first.conversations_created, again.conversations_created) == (2, 1)
    assert Conversation.objects.for_org(org).count() == 3
    created = WebhookDelivery.objects.for_org(org).filter(event_type="conversation.created")
    assert sorted(created.values_list("object_key", flat=True)) == sorted(
        f"conversation:{pk}"
        for pk in Conversation.objects.for_org(org).values_list("pk", flat=True)
    )


def test_without_insert_returning_the_reads_around_the_insert_tell_the_new_ones(
    settings, monkeypatch
):
    """SQLite before 3.35 (no ``RETURNING``): its IMMEDIATE transactions keep the reads honest."""
    # (the module, not the function ``inbox.services`` exports under the same name)
    ingest_module = importlib.import_module("inbox.services.ingest")
    monkeypatch.setattr(ingest_module, "_returns_inserted_rows", lambda: False)
    org, channel = _world(settings)
    first = ingest(channel, [comment("p1", n=1)])
    again = ingest(channel, [comment("p1", n=2), comment("p2", n=3)])
    assert (first.conversations_created, again.conversations_created) == (1, 1)
    created = WebhookDelivery.objects.for_org(org).filter(event_type="conversation.created")
    assert created.count() == 2
