"""Full-text search of the inbox.

On PostgreSQL an item matches when its author and text match the words asked (the ``inbox_search``
text search configuration: ``simple`` words with accents removed, since PostgreSQL has no
Indonesian stemmer), or when the text contains the string asked (partial words, via pg_trgm).
Both are answered from indexes made in ``inbox.0002_search``, so a search does not read every
item. On SQLite (development) it is plain ``icontains``.

The SQL below must stay identical to the index expressions of the migration, or the planner
cannot use them.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, F, Func, Q

CONFIG = "inbox_search"


class _ItemMatches(Func):
    """``vector @@ query OR UPPER(text) LIKE UPPER('%search%')`` on ``Item`` (PostgreSQL).

    Columns are compiled, not spelled, so the expression still holds inside a subquery whose
    table Django renames; the planner matches the indexes by expression, not by alias."""

    output_field = BooleanField()

    def __init__(self, search: str):
        super().__init__(F("author_name"), F("text"))
        self.search = search

    def as_sql(self, compiler, connection, **extra_context):
        author, p_author = compiler.compile(self.source_expressions[0])
        text, p_text = compiler.compile(self.source_expressions[1])
        vector = f"to_tsvector('{CONFIG}'::regconfig, (COALESCE({author}, '') || ' ' || COALESCE({text}, '')))"
        sql = (
            f"({vector} @@ websearch_to_tsquery('{CONFIG}'::regconfig, %s)"
            f" OR UPPER({text}) LIKE UPPER(%s))"
        )
        return sql, (*p_author, *p_text, self.search, "%" + _like_escape(self.search) + "%")


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def item_matches(search: str) -> Q | _ItemMatches:
    """A filter on ``Item`` for the words (or part of a word) in ``search``."""
    if not is_postgresql():
        return Q(text__icontains=search) | Q(author_name__icontains=search)
    # websearch_to_tsquery never raises on user input ("a OR b", quotes, a lone "-" ...);
    # Django's icontains is UPPER(col) LIKE UPPER(%x%), which the trigram indexes serve.
    return _ItemMatches(search)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
