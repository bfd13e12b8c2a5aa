"""A built world, kept once per test process and put back for each test that asks for it.

Some live-server tests share one large, slow world (the accessibility tests' demo organization:
``seed_demo`` and a dozen services, several seconds a test). They run with ``transactional_db``,
whose flush empties every table after each test, so a fixture cannot simply be module-scoped.
``restored(key, build)`` builds the world the first time in a process and copies every table's
rows out (PostgreSQL's ``COPY … TO STDOUT``, in memory); the next time it empties the tables and
copies the same rows back (milliseconds), with the primary-key sequences moved past them, and
returns what ``build`` returned then (ids, names: the rows are the same rows).

On SQLite (no ``COPY``), or without a superuser's right to turn triggers and foreign-key checks off
for the copy (``session_replication_role``, as the flush in tests/conftest.py needs), it builds
every time.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connection, transaction

T = TypeVar("T")

#: key -> (what build returned, {table: (columns, COPY data)})
_KEPT: dict[str, tuple[Any, dict[str, tuple[str, bytes]]]] = {}


def _superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        return bool(cursor.fetchone()[0])


def _tables(cursor) -> dict[str, str]:
    """Each ordinary table of the schema -> its column list, less stored generated columns (COPY
    cannot write those; the database computes them again)."""
    cursor.execute(
        """
        SELECT c.relname,
               string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
        FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace
          AND a.attgenerated = ''
        GROUP BY c.relname
        """
    )
    return dict(cursor.fetchall())


def _dump() -> dict[str, tuple[str, bytes]]:
    out: dict[str, tuple[str, bytes]] = {}
    with connection.cursor() as cursor:
        for table, columns in _tables(cursor).items():
            buffer = io.BytesIO()
            cursor.cursor.copy_expert(
                f'COPY "{table}" ({columns}) TO STDOUT WITH (FORMAT binary)', buffer
            )
            out[table] = (columns, buffer.getvalue())
    return out


def _load(tables: dict[str, tuple[str, bytes]]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        # triggers and foreign-key checks off while every table is emptied and refilled in any order
        cursor.execute("SET LOCAL session_replication_role = replica")
        for table in _tables(cursor):
            cursor.execute(f'DELETE FROM "{table}"')  # noqa: S608
        for table, (columns, data) in tables.items():
            cursor.cursor.copy_expert(
                f'COPY "{table}" ({columns}) FROM STDIN WITH (FORMAT binary)', io.BytesIO(data)
            )
        # every sequence owned by a column: at least past the rows put back (a flush since may
        # have restarted it)
        cursor.execute(
            """
            SELECT s.seq, c.relname, a.attname
            FROM pg_class c
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            CROSS JOIN LATERAL
              (SELECT pg_get_serial_sequence(quote_ident(c.relname), a.attname) AS seq) s
            WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace
              AND s.seq IS NOT NULL
            """
        )
        for sequence, table, column in cursor.fetchall():
            cursor.execute(
                f'SELECT setval(%s, GREATEST((SELECT MAX("{column}") FROM "{table}"), '  # noqa: S608
                f"(SELECT last_value FROM {sequence}), 1))",
                [sequence],
            )


def restored(key: str, build: Callable[[], T]) -> T:
    """``build()``'s world in the database: built the first time in this process, copied back
    afterwards. ``build`` must leave its world committed (a ``transactional_db`` test)."""
    if connection.vendor != "postgresql" or not _superuser():
        return build()
    if key in _KEPT:
        value, tables = _KEPT[key]
        _load(tables)
    else:
        value = build()
        _KEPT[key] = (value, _dump())
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # the content types' ids are the kept ones again
    return value
