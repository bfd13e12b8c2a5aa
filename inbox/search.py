"""Full-text search of the inbox.

On PostgreSQL an item matches when its author and text match the words asked (the ``inbox_search``
text search configuration: ``simple`` words with accents removed, since PostgreSQL has no
Indonesian stemmer), or when the text contains the string asked (partial words, via pg_trgm).
Both are answered from indexes (``inbox.0002_search``, ``inbox.0008``: the item's words are kept
in its ``search_vector`` column), so a search does not read every item. On SQLite (development)
it is plain ``icontains``.

Relevance (``item_rank``): ``ts_rank`` of the words plus the trigram ``word_similarity`` of the
search to the text, so a part of a word ranks too.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, F, FloatField, Func, Q, Subquery

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
        text, p_text = compiler.compile(self.source_expressions[1])
        sql = (
            f"({_vector_of(text)} @@ websearch_to_tsquery('{CONFIG}'::regconfig, %s)"
            f" OR UPPER({text}) LIKE UPPER(%s))"
        )
        return sql, (*p_text, self.search, "%" + _like_escape(self.search) + "%")


class _ItemRank(Func):
    """How well an item answers ``search``: ``ts_rank`` of its words, plus the trigram
    ``word_similarity`` of the search to its text (for part of a word). PostgreSQL."""

    output_field = FloatField()

    def __init__(self, search: str):
        super().__init__(F("text"))
        self.search = search

    def as_sql(self, compiler, connection, **extra_context):
        text, p_text = compiler.compile(self.source_expressions[0])
        sql = (
            f"(ts_rank({_vector_of(text)}, websearch_to_tsquery('{CONFIG}'::regconfig, %s))"
            f" + word_similarity(UPPER(%s), UPPER({text})))"
        )
        return sql, (self.search, self.search, *p_text)


class _AnyOf(Func):
    """``column = ANY(ARRAY(subquery))`` (PostgreSQL): the subquery runs once, first (an InitPlan),
    and the ids it names are looked up through the column's index.

    ``column IN (subquery)`` inside an OR (a search also matches the author) can only be checked
    row by row: the planner walks the newest conversations one by one against a hash of the
    subquery, every one of them when few or none match (~90 ms for no match on 1,000,000 items),
    or, when that hash would not fit in ``work_mem`` (a common word), against a Materialize of the
    subquery searched linearly for each row (minutes)."""

    output_field = BooleanField()

    def __init__(self, column, queryset):
        super().__init__(column, Subquery(queryset))

    def as_sql(self, compiler, connection, **extra_context):
        column, p_column = compiler.compile(self.source_expressions[0])
        subquery, p_subquery = compiler.compile(self.source_expressions[1])  # "(SELECT …)"
        return f"{column} = ANY(ARRAY{subquery})", (*p_column, *p_subquery)


def pk_in(queryset) -> Q | _AnyOf:
    """A filter: the row's ``pk`` is one of the values ``queryset`` (one column) names, the
    subquery run once on PostgreSQL (``_AnyOf``)."""
    if not is_postgresql():
        return Q(pk__in=queryset)
    return _AnyOf(F("pk"), queryset)


def _vector_of(text_column: str) -> str:
    """The item's ``search_vector`` column (``inbox.0008``), on the table ``text_column`` is on."""
    if text_column.endswith('"text"'):
        return text_column[: -len('"text"')] + '"search_vector"'
    return "search_vector"


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def item_matches(search: str) -> Q | _ItemMatches:
    """A filter on ``Item`` for the words (or part of a word) in ``search``."""
    if not is_postgresql():
        return Q(text__icontains=search) | Q(author_name__icontains=search)
    # websearch_to_tsquery never raises on user input ("a OR b", quotes, a lone "-" ...);
    # Django's icontains is UPPER(col) LIKE UPPER(%x%), which the trigram indexes serve.
    return _ItemMatches(search)


def item_rank(search: str) -> _ItemRank:
    """An item's relevance to ``search`` (PostgreSQL only: the caller checks)."""
    return _ItemRank(search)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
