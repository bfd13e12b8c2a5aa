"""An optional read replica for the heavy read-only pages (analytics dashboards, shared dashboards,
report rendering): ``DATABASE_REPLICA_URL`` adds the ``replica`` database and this router sends
reads there, but only where a caller asked for it.

Reads go to the replica only inside :func:`replica_reads` (a context manager and decorator), and
never inside a transaction on the primary (what was just written must be read back from where it
was written), and never for a write. Everything else, including every read outside such a block,
stays on the primary: a replica lags behind, so a page that shows what its user just changed (the
composer, the inbox, the calendar) must not read from it. Without ``DATABASE_REPLICA_URL`` the
router answers "no opinion" and everything runs on ``default`` as before.

Migrations run on ``default`` only; the replica gets the schema by replication.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import connections

REPLICA = "replica"

_reading_from_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "reading_from_replica", default=False
)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Within the block, reads (outside a primary transaction) may go to the replica."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def reads_from_replica(view: Callable) -> Callable:
    """Decorator form of :func:`replica_reads` for a read-only view or function."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    """Django database router (``DATABASE_ROUTERS``): see the module docstring."""

    def db_for_read(self, model, **hints):
        if not _reading_from_replica.get() or not replica_configured():
            return None
        if connections["default"].in_atomic_block:
            return None  # read your own writes: inside a primary transaction, stay there
        return REPLICA

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # both aliases hold the same data: an object read from the replica may be linked to one
        # from the primary
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
