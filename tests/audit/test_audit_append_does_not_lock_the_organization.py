"""An audit append serializes on its organization's chain head row, not on the Organization row.

On PostgreSQL every insert of a row with a foreign key to the organization takes ``FOR KEY SHARE``
on the organization row; ``SELECT … FOR UPDATE`` there (how appends used to serialize) conflicts
with it, so while any transaction held an append open, every such insert of that tenant waited.
The head row is locked ``FOR NO KEY UPDATE``, which conflicts with neither that nor an update of
the organization's own columns. SQLite has no row locks (its writers are serialized as a whole).
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection, connections, transaction

from accounts.models import Organization, Team
from socialops.audit.models import AuditEvent
from socialops.audit.services import record_event, verify_chain

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks exist on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def append_held_open(org_a):
    """A second connection (a thread) that has appended to org A's chain and not committed yet."""
    appended, release, errors = threading.Event(), threading.Event(), []

    def hold():
        try:
            with transaction.atomic():
                record_event(org_a, "test.held_open")
                appended.set()
                release.wait(15)
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
            appended.set()
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=hold)
    thread.start()
    assert appended.wait(15)
    yield
    release.set()
    thread.join(15)
    assert not errors


def _with_lock_timeout(fn, ms=2000):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{int(ms)}ms'")
        return fn()


def test_an_insert_referencing_the_organization_proceeds_while_an_append_is_open(
    org_a, append_held_open
):
    started = time.monotonic()
    _with_lock_timeout(lambda: Team.objects.create(organization=org_a, name="Inserted meanwhile"))
    _with_lock_timeout(
        lambda: Organization.objects.filter(pk=org_a.pk).update(name="Renamed meanwhile")
    )
    assert time.monotonic() - started < 1.5  # nothing waited for the open append


def test_a_second_append_to_the_same_chain_still_waits(org_a, append_held_open):
    with pytest.raises(OperationalError, match="lock timeout"):
        _with_lock_timeout(lambda: record_event(org_a, "test.second"), ms=300)


def test_appends_from_two_connections_keep_one_linear_chain(org_a):
    def append(n):
        try:
            for i in range(n):
                with transaction.atomic():
                    record_event(org_a, "test.concurrent", changes={"i": i})
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(10,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    seqs = list(AuditEvent.objects.for_org(org_a).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 21
    assert verify_chain(org_a).ok
