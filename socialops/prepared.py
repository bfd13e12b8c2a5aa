"""Statements a hot path runs again and again (PostgreSQL): written out once from the models'
metadata, prepared once per database session and then run by name.

Two costs go: the ORM's compiling of the query in Python (for a read joining a few tables, more than
the read itself) and the server's parsing and planning of it (0.1 to 1 ms a statement, more with
every table joined). Used where a statement runs for every request or every batch: the API token's
lookup (``accounts.services.authenticate_token``), the inbox's ingest reads and update.

A prepared statement lives as long as its database session and outlives a rolled-back transaction;
a new connection (Django's ``CONN_MAX_AGE`` ends one, a test closes one) prepares again. Only
PostgreSQL: callers keep the ORM elsewhere.
"""

from __future__ import annotations

import hashlib
import weakref

#: the driver's connection -> names of the statements prepared on it
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def execute(cursor, sql: str, params: list, *, prefix: str = "sop") -> None:
    """``cursor.execute(sql, params)``, the statement prepared on first use in this database session
    (``PREPARE``, its ``%s`` as ``$1``, ``$2``…) and run by name (``EXECUTE``) from then on. Its
    name is ``prefix`` and a hash of ``sql``: the same text is the same statement."""
    raw = cursor.connection
    names = _PREPARED.get(raw)
    if names is None:
        names = _PREPARED[raw] = set()
    name = f"{prefix}_" + hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()
    if name not in names:
        parts = sql.split("%s")
        numbered = "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], 1)) + parts[-1]
        cursor.execute(f"PREPARE {name} AS {numbered}")
        names.add(name)
    cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)


class Selected:
    """A model's columns in a written-out ``SELECT`` (under the table alias ``alias``) and the
    instance a row's slice of them makes, through the fields' own conversions (``from_db_value``:
    JSON, sealed secrets…) and ``Model.from_db``, as a queryset would make it."""

    def __init__(self, model, alias: str, connection):
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        self.model = model
        self.width = len(fields)
        self.columns = [f"{alias}.{quote(field.column)}" for field in fields]
        self.names = [field.attname for field in fields]
        self.pk_index = self.names.index(model._meta.pk.attname)
        self.converters = []
        for index, field in enumerate(fields):
            column = field.get_col(alias)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                self.converters.append((index, column, found))

    def instance(self, row, start: int, connection):
        """The instance of ``row[start:start + width]``; None when its primary key is null (the
        row of a ``LEFT JOIN`` that found nothing)."""
        values = list(row[start : start + self.width])
        if values[self.pk_index] is None:
            return None
        for index, column, converters in self.converters:
            value = values[index]
            for convert in converters:
                value = convert(value, column, connection)
            values[index] = value
        return self.model.from_db(connection.alias, self.names, values)
