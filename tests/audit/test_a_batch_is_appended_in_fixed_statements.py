"""Several events appended at once form the same chain as one at a time, in three statements
(two on PostgreSQL, where the insert and the head's move are one statement).

(Three before the head row too: lock the organization, read the newest entry, insert. The head
row holds the newest seq and hash, so locking it replaces both the organization lock and the
read; moving it is the third statement.)"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from socialops.audit.models import AuditEvent
from socialops.audit.services import Entry, record_event, record_events, verify_chain

pytestmark = pytest.mark.django_db


def test_a_batch_is_appended_in_order_and_the_chain_still_verifies(org_a, alice):
    record_event(org_a, "test.before", changes={"n": 0})
    events = record_events(
        org_a, [Entry("test.batch", changes={"n": i}, actor=alice) for i in range(1, 6)]
    )
    record_event(org_a, "test.after")
    rows = list(AuditEvent.objects.for_org(org_a).order_by("seq"))
    assert [e.seq for e in rows] == list(range(1, len(rows) + 1))
    batch = [e for e in rows if e.action == "test.batch"]
    assert [e.changes["n"] for e in batch] == [1, 2, 3, 4, 5]
    assert [e.hash for e in batch] == [e.hash for e in events]
    assert [e.pk for e in batch] == [e.pk for e in events]  # the returned events carry their ids
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    assert verify_chain(org_a).ok


def test_a_batch_costs_three_statements_whatever_its_size(org_a):
    record_event(org_a, "test.first")
    with CaptureQueriesContext(connection) as one:
        record_events(org_a, [Entry("test.batch")])
    with CaptureQueriesContext(connection) as fifty:
        record_events(org_a, [Entry("test.batch", changes={"n": i}) for i in range(50)])
    # lock and read the chain's head row (it holds the last seq and hash), insert, move the head;
    # on PostgreSQL the insert and the move are one statement (a data-modifying WITH)
    expected = 2 if connection.vendor == "postgresql" else 3
    assert len(one) == len(fifty) == expected
    assert verify_chain(org_a).ok


def test_an_empty_batch_writes_nothing(org_a):
    before = AuditEvent.objects.for_org(org_a).count()
    assert record_events(org_a, []) == []
    assert AuditEvent.objects.for_org(org_a).count() == before
