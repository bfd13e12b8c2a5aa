"""Ingest's statements that every batch runs (the known items' read, the threads' read, the
threads' update) are prepared once per database session on PostgreSQL and then run by name; a
rolled back batch, a new connection or another organization changes nothing of what they do."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from inbox.models import Conversation, Item
from inbox.services import ingest

from .factories import comment, dm, sandbox_channel

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="statements are prepared on PostgreSQL only"
    ),
]


def _statements(queries) -> tuple[int, int]:
    sql = [q["sql"].lstrip().upper() for q in queries]
    return sum(s.startswith("PREPARE ") for s in sql), sum(s.startswith("EXECUTE ") for s in sql)


def test_a_session_prepares_once_and_then_runs_by_name(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    ingest(channel, [dm("u_a", n=1), comment("p1", n=2)])  # (opens the threads, starts clocks)
    ingest(channel, [dm("u_a", n=3), comment("p1", n=4)])  # (moves them: another update)
    with CaptureQueriesContext(connection) as third:
        ingest(channel, [dm("u_a", n=5), comment("p1", n=6)])
    prepared, executed = _statements(third)
    assert prepared == 0
    assert executed == 3  # known items, threads, the threads' update
    conversation = Conversation.objects.for_org(org_a).get(external_thread_id="dm_u_a")
    assert conversation.last_item_at == Item.objects.for_org(org_a).get(external_id="d5").created_at


def test_a_rolled_back_batch_and_a_new_connection_leave_ingest_working(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    with pytest.raises(RuntimeError), transaction.atomic():
        ingest(channel, [dm("u_a", n=1)])
        raise RuntimeError("roll back")
    # (the statements prepared in the rolled back transaction outlive it, as PostgreSQL keeps them)
    ingest(channel, [dm("u_a", n=2)])
    assert set(Item.objects.for_org(org_a).values_list("external_id", flat=True)) == {"d2"}


@pytest.mark.django_db(transaction=True)
def test_a_new_database_session_prepares_again(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    ingest(channel, [dm("u_a", n=1)])
    connection.close()  # a worker's connection reaches its age: the next batch opens another
    with CaptureQueriesContext(connection) as after:
        ingest(channel, [dm("u_a", n=2), dm("u_b", n=3)])
    prepared, _executed = _statements(after)
    assert prepared >= 2
    assert Item.objects.for_org(org_a).count() == 3
    assert Conversation.objects.for_org(org_a).count() == 2


def test_each_organization_reads_only_its_own_rows_through_the_same_statements(
    org_a, org_b, alice_m, bob_m
):
    mine = sandbox_channel(org_a, alice_m)
    theirs = sandbox_channel(org_b, bob_m)
    ingest(mine, [dm("u_same", n=1, text="first")])
    ingest(theirs, [dm("u_same", n=1, text="other organization")])
    ingest(mine, [dm("u_same", n=2, text="second")])
    a = Conversation.objects.for_org(org_a).get()
    b = Conversation.objects.for_org(org_b).get()
    assert (a.snippet, b.snippet) == ("second", "other organization")
    assert Item.objects.for_org(org_b).count() == 1


def test_the_insert_of_new_threads_is_prepared_once_too(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    ingest(channel, [dm("u_a", n=1), comment("p1", n=2)])  # (prepares every statement)
    with CaptureQueriesContext(connection) as later:
        ingest(channel, [dm("u_b", n=3), comment("p2", n=4)])  # two new threads
    prepared, _executed = _statements(later)
    inserts = [q["sql"] for q in later if "INSERT INTO" in q["sql"].upper()]
    assert prepared == 0 and inserts == []  # (the insert ran by name)
    assert Conversation.objects.for_org(org_a).count() == 4
