"""A poll and a webhook push bring the same new thread at the same instant: one conversation, and
one ``conversation.created`` event, however the two transactions interleave.

The interleaving that used to announce the conversation twice is forced, not hoped for: the first
delivery inserts and holds its transaction open; the second reads (no conversation yet), inserts,
and waits on the first's row in the unique index; only then does the first commit."""

from __future__ import annotations

import importlib
import threading
import time

import pytest
from django.db import connection, connections, transaction

from inbox.models import Conversation, Item
from inbox.services import ingest
from socialops.webhooks import services as webhooks
from socialops.webhooks.models import WebhookDelivery

from .. import factories as f
from .factories import comment, sandbox_channel

pytestmark = pytest.mark.django_db(transaction=True)


def _world(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    owner = f.make_user("own@alpha.test")
    org = f.make_org("Alpha", owner=owner)
    channel = sandbox_channel(org, f.membership(org, owner))
    webhooks.create_endpoint(org, url="http://127.0.0.1:9/hooks", events=["conversation.created"])
    return org, channel


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two concurrent writers")
def test_a_poll_and_a_push_of_the_same_new_thread_at_once_announce_it_once(settings):
    org, channel = _world(settings)
    inserted, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def poll():
        try:
            with transaction.atomic():
                ingest(channel, [comment("p1", n=1)])
                inserted.set()
                assert release.wait(20), "the push never reached the insert"
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            inserted.set()
        finally:
            connections.close_all()

    def push():
        try:
            # the same comment, by the other road
            ingest(channel, [comment("p1", n=1)])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    first = threading.Thread(target=poll)
    first.start()
    assert inserted.wait(20)
    second = threading.Thread(target=push)
    second.start()
    deadline = time.monotonic() + 20
    while not _waiting_on_a_lock() and second.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    blocked = second.is_alive()
    release.set()
    first.join(30)
    second.join(30)
    assert not errors
    assert blocked, "the push finished before the poll committed: the race was not staged"
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
