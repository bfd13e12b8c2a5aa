"""Two writers at once, in a forced order: the first does its work in a transaction it holds open,
the second starts meanwhile, and the first commits only once PostgreSQL shows a session waiting on
a lock (or the second has ended). The interleavings a race needs are staged, not hoped for."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import connection, connections, transaction


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def second_while_first_holds(first: Callable[[], object], second: Callable[[], object]) -> bool:
    """Run ``first`` in a transaction held open after it returns, then ``second``; commit the
    first once the second waits on a lock (or ends). Raises what either raised; returns whether
    the second was still running when the first committed (the race was staged)."""
    done, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold():
        try:
            with transaction.atomic():
                first()
                done.set()
                assert release.wait(20), "the second writer never started"
        except BaseException as exc:  # noqa: BLE001 - raised below
            errors.append(exc)
            done.set()
        finally:
            connections.close_all()

    def run():
        try:
            second()
        except BaseException as exc:  # noqa: BLE001 - raised below
            errors.append(exc)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert done.wait(20)
    other = threading.Thread(target=run)
    other.start()
    deadline = time.monotonic() + 20
    while not waiting_on_a_lock() and other.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    staged = other.is_alive()
    release.set()
    holder.join(30)
    other.join(30)
    if errors:
        raise errors[0]
    return staged
