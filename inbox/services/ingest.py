"""The one way items enter the inbox: ``ingest(channel, items)``, for pollers and webhooks alike.

A batch costs a fixed number of statements whatever its size: one read of the items already
known, one read of their threads (conversations), when some threads are new one insert of those
(``RETURNING`` names them: no read back), then the items' ``COPY`` and one update of the threads
they moved (routing adds a few per batch that opens conversations; nothing is read or written per
item). On PostgreSQL a batch's rows travel as one JSON parameter per statement (``_recordset``),
the items as one CSV stream, and the reads and the update are prepared once per database session
(``_execute``). A repeated, partly repeated or reordered delivery changes nothing:
items are unique on ``(channel, external_id)`` (two deliveries of the same new item at once: the
second's batch runs again and finds it known) and a thread's "latest" fields follow the newest
item by the network's own time, not by arrival. What PostgreSQL cannot store in a text does not
stop an item: a NUL character is taken out of its texts, ids and raw fields, a lone surrogate (half
an emoji a network cut in two) becomes "?".
"""

from __future__ import annotations

import csv
import io
import json
import logging
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from channels_registry.providers.base import InboxItem
from socialops import prepared

from .. import webhook_events
from ..models import Conversation, Item
from .facts import OrgFacts
from .first_response import record_first_responses
from .routing import route_new_conversations
from .sla import SlaClock

log = logging.getLogger(__name__)

#: a channel in these states takes nothing in: its items are dropped with a log line
_CLOSED_CHANNEL = ("disconnected", "archived")
#: raw network fields kept with an item, at most (as JSON)
RAW_LIMIT = 2000
SNIPPET = 280


@dataclass
class IngestResult:
    received: int = 0
    created: int = 0
    duplicates: int = 0
    conversations_created: int = 0
    dropped: int = 0


@dataclass(frozen=True)
class _Analysis:
    language: str
    sentiment: str
    score: float | None


_SENTIMENTS = ("positive", "neutral", "negative")
#: what the Sandbox's audience says it meant (``sentiment_hint``)
_HINTS = {"praise": "positive", "complaint": "negative", "question": "neutral"}


def _analyse(items: list[InboxItem]) -> list[_Analysis]:
    """Language and sentiment of each item's text (``inbox.nlp``); without it, the network's hints."""
    try:
        from ..nlp import analyse_many
    except ImportError:  # the analyser is not installed in this build
        analyse_many = None
    if analyse_many is not None and items:
        # (``inbox.nlp``'s results have the same three fields: taken as they are)
        return analyse_many([i.text or "" for i in items])
    out = []
    for i in items:
        raw = i.raw or {}
        hint = str(raw.get("sentiment") or raw.get("sentiment_hint") or "")
        sentiment = _HINTS.get(hint, hint if hint in _SENTIMENTS else "")
        out.append(_Analysis(str(raw.get("language") or "")[:8], sentiment, None))
    return out


def thread_of(item: InboxItem) -> tuple[str, str]:
    """(conversation kind, the network's thread id) an item belongs to."""
    if item.kind == "dm":
        return Conversation.Kind.DM, item.thread_id or item.author_id or item.external_id
    if item.kind == "review":
        return Conversation.Kind.REVIEW, item.thread_id or item.external_id
    if item.kind == "mention":
        return Conversation.Kind.MENTION, item.thread_id or item.external_id
    # a comment or a reply: the post it is on is the thread
    thread = item.post_external_id or item.thread_id or item.parent_external_id or item.external_id
    return Conversation.Kind.COMMENT_THREAD, thread


def _raw_json(raw: dict) -> str:
    """The network's fields as JSON text, or ``{"truncated": true}`` past ``RAW_LIMIT``; ``{}``
    when they do not make JSON (PostgreSQL refuses NaN: the item still comes in)."""
    if not raw:
        return "{}"
    try:
        text = json.dumps(raw, default=str, allow_nan=False, ensure_ascii=False)
        if "\\u0000" in text or not _utf8(text):  # (rare: cleaned only then) jsonb refuses them
            text = json.dumps(_storable(raw), default=str, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError):
        return "{}"
    return text if len(text) <= RAW_LIMIT else '{"truncated": true}'


def _utf8(text: str) -> bool:
    """Can ``text`` be written in UTF-8? Not with a lone surrogate (half of an emoji a network
    cut in two, decoded from JSON's ``\\ud83d``)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable(value):
    """``value`` with its texts as ``_text`` makes them, at any depth."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        return {_text(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_storable(v) for v in value]
    return value


def _text(value) -> str:
    """A network's text as PostgreSQL stores it: "" for none, without NUL characters, a lone
    surrogate replaced by "?"."""
    if not value:
        return ""
    value = str(value)
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not _utf8(value):
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


_KINDS = frozenset(Item.Kind.values)


def _kind(value: str) -> str:
    return value if value in _KINDS else Item.Kind.COMMENT.value


@dataclass(slots=True)
class _Row:
    """A new item on its way in: an ``Item``'s own fields (``raw`` as JSON text), without a model
    instance per item. Routing and the conversations' move read it as they would an ``Item``."""

    conversation: Conversation
    external_id: str
    kind: str
    direction: str
    author_name: str
    author_handle: str
    author_external_id: str
    text: str
    created_at: datetime
    language: str
    sentiment: str
    score: float | None
    parent_external_id: str
    post_external_id: str
    permalink: str
    is_hidden: bool
    raw: str


_THREAD_IDS = ("thread_id", "author_id", "post_external_id", "parent_external_id")


def _normalise(items: Iterable[InboxItem]) -> tuple[list[InboxItem], int]:
    """Drop items without an id and repeats within the batch (the first copy wins)."""
    seen: dict[str, InboxItem] = {}
    repeats = 0
    for item in items:
        ext = _text(item.external_id).strip()[:255]
        if not ext:
            continue
        if ext in seen:
            repeats += 1
            continue
        item.external_id = ext
        for name in _THREAD_IDS:  # (what names the thread: storable, as ``_text`` makes it)
            value = getattr(item, name)
            if value and ("\x00" in value or not value.isascii()):
                setattr(item, name, _text(value))
        if item.created_at is None:
            item.created_at = timezone.now()
        elif timezone.is_naive(item.created_at):
            item.created_at = item.created_at.replace(tzinfo=UTC)
        seen[ext] = item
    return list(seen.values()), repeats


def ingest(channel, items: list[InboxItem]) -> IngestResult:
    """Take ``items`` from ``channel``'s network into the inbox; safe to repeat and to reorder."""
    items = list(items)
    result = IngestResult(received=len(items))
    if channel is None or channel.status in _CLOSED_CHANNEL:
        log.warning(
            "Inbox: dropped %d item(s) for channel %s (%s).",
            len(items),
            getattr(channel, "pk", None),
            getattr(channel, "status", "unknown"),
        )
        result.dropped = len(items)
        return result
    batch, repeats = _normalise(items)
    result.duplicates = repeats
    if not batch:
        return result
    for attempt in range(1, RACE_ATTEMPTS + 1):
        try:
            return _take_in(channel, batch, IngestResult(**vars(result)))
        except IntegrityError as exc:
            # another delivery committed some of these items after this one read the known
            # ones: the batch runs again (its transaction was rolled back) and finds them known
            if attempt == RACE_ATTEMPTS or not _raced_on_items(exc):
                raise
            log.info("Inbox: a batch for channel %s met another delivery; again.", channel.pk)
    raise AssertionError("unreachable")


#: how many times a batch that met another delivery of the same items runs, at most
RACE_ATTEMPTS = 3


def _raced_on_items(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == "item_unique_external"


def _take_in(channel, batch: list[InboxItem], result: IngestResult) -> IngestResult:
    """``ingest``'s one transaction for a normalised ``batch``."""
    org_id = channel.organization_id
    with transaction.atomic():
        known = _known_external_ids(channel, [i.external_id for i in batch])
        fresh = [i for i in batch if i.external_id not in known]
        result.duplicates += len(batch) - len(fresh)
        if not fresh:
            return result
        result.created = len(fresh)
        threads = {i.external_id: thread_of(i) for i in fresh}
        conversations, opened = _open_conversations(channel, fresh, threads, result)
        analyses = _analyse(fresh)
        inbound, outbound = Item.Direction.INBOUND.value, Item.Direction.OUTBOUND.value
        rows = [
            _Row(
                conversation=conversations[threads[item.external_id]],
                external_id=item.external_id,
                kind=_kind(item.kind),
                direction=outbound
                if item.author_id and item.author_id == channel.external_id
                else inbound,
                author_name=_text(item.author_name)[:255],
                author_handle=_text(item.author_handle)[:255],
                author_external_id=_text(item.author_id)[:255],
                text=_text(item.text),
                created_at=item.created_at,
                language=analysis.language,
                sentiment=analysis.sentiment,
                score=analysis.score,
                parent_external_id=_text(item.parent_external_id)[:255],
                post_external_id=_text(item.post_external_id)[:255],
                permalink=_text(item.permalink)[:1000],
                is_hidden=bool(item.is_hidden),
                raw=_raw_json(item.raw),
            )
            for item, analysis in zip(fresh, analyses, strict=True)
        ]
        # Two deliveries racing past the read above meet here: the constraint keeps one row and
        # the other's batch runs again (``ingest``).
        _insert_items(channel, rows)
        facts = OrgFacts(org_id)
        routed = _route(channel, conversations, rows, opened, facts)
        _move_conversations(conversations, rows, routed=routed, facts=facts)
        # (figures, issue 14 point 7: the one place a first response is noted)
        record_first_responses(
            org_id, {r.conversation.id for r in rows if r.direction == Item.Direction.OUTBOUND}
        )
        if opened:
            webhook_events.conversations_created(
                channel,
                [c for c in {c.id: c for c in conversations.values()}.values() if c.id in opened],
                facts=facts,
            )
    return result


def _known_external_ids(channel, external_ids: list[str]) -> set[str]:
    """Which of ``external_ids`` ``channel`` already has: one read of the unique index
    ``item_unique_external`` (on PostgreSQL written out, the ORM's compiling being most of its
    cost)."""
    org_id = channel.organization_id
    if connection.vendor != "postgresql":
        return set(
            Item.objects.for_org(org_id)
            .filter(channel=channel, external_id__in=external_ids)
            .values_list("external_id", flat=True)
        )
    meta = Item._meta
    quote = connection.ops.quote_name
    column = quote(meta.get_field("external_id").column)
    # (the ids as one JSON text: psycopg2 adapts a list value by value, 0.05 ms a page of 100)
    sql = (
        f"SELECT {column} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {quote(meta.get_field('channel').column)} = %s AND {column} = ANY(ARRAY("
        f"SELECT jsonb_array_elements_text(%s::jsonb))) "
        f"AND {quote(meta.get_field('organization').column)} = %s"
    )
    with connection.cursor() as cursor:
        _execute(cursor, sql, [channel.pk, json.dumps(external_ids), org_id])
        return {external_id for (external_id,) in cursor.fetchall()}


def _execute(cursor, sql: str, params: list) -> None:
    """``cursor.execute(sql, params)`` for a statement every batch runs (PostgreSQL): prepared once
    per database session and then run by name (``socialops.prepared``), so the server parses and
    plans it once, not once a batch (measured on a page of 100 items: planning took 0.1 to 0.3 ms
    a statement, a fifth to two fifths of each read's time)."""
    prepared.execute(cursor, sql, params, prefix="inbox_ingest")


def _json_value(value):
    """``json.dumps``'s ``default``: a time as ISO 8601 (with its offset), which PostgreSQL reads."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not stored by ingest")


#: a ``_recordset`` column's type: a time sent as whole microseconds since 1970 (``_micros_of``),
#: made a ``timestamptz`` again by the server, exactly (an interval times a bigint under 2**53)
MICROS = "micros"
_MICROS_SQL = "(timestamptz 'epoch' + (e ->> {index})::bigint * interval '1 microsecond')"
_ONE_MICROSECOND = timedelta(microseconds=1)


def _micros_of(name: str):
    """A getter of the time ``name`` as whole microseconds since 1970, which ``_recordset`` carries
    as a ``MICROS`` column: a fifth of ``isoformat``'s cost (measured: 0.2 against 1 µs; the
    conversations' update sends up to six times a conversation). A naive time is taken as UTC, as
    the database session read its ISO text before."""

    def micros(obj, name=name):
        value = getattr(obj, name)
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return (value - _EPOCH) // _ONE_MICROSECOND

    return micros


def _recordset(columns: dict[str, str], rows: list[list]) -> tuple[str, str]:
    """``(SELECT … FROM jsonb_array_elements(%s::jsonb)) AS r`` with ``columns`` (name: type) and
    its one parameter: ``rows`` (a list of values per row, in the order of ``columns``) as one
    JSON text of arrays.

    How a batch's values reach PostgreSQL: one parameter whatever the batch's size, parsed by the
    server in one pass. A parameter per value (a ``VALUES`` list) costs the parser and planner a
    node each, and arrays adapted by psycopg2 cost the client an adapter per value (each was
    several milliseconds a page of 100, as much as the writes themselves). ``jsonb``, not ``json``:
    the server parses the text once; ``json``'s ``->>`` parses a row's array again for each
    column it reads."""
    text = json.dumps(rows, default=_json_value, allow_nan=False, separators=(",", ":"))
    # ``->>`` gives the value as text (NULL for null), which the type's input reads
    selected = ", ".join(
        f"{_MICROS_SQL.format(index=index) if kind == MICROS else f'(e ->> {index})::{kind}'} "
        f"AS {name}"
        for index, (name, kind) in enumerate(columns.items())
    )
    # only our own column names and types are formatted in; the values are the one parameter
    return f"(SELECT {selected} FROM jsonb_array_elements(%s::jsonb) AS e) AS r", text  # noqa: S608


def _recordset_cte(columns: dict[str, str], rows: list[list]) -> tuple[str, str]:
    """``_recordset`` as ``WITH r AS (SELECT …)``, for a statement that reads the rows twice."""
    source, text = _recordset(columns, rows)
    return f"WITH r AS {source.removesuffix(' AS r')} ", text


def _insert_items(channel, rows: list[_Row]) -> None:
    """Insert ``rows`` (none of them known when ``ingest`` read): on PostgreSQL by ``COPY``
    (``_copy_items``), straight from the rows (Django's ``bulk_create`` wants a model instance per
    item and prepares every value through its field); elsewhere ``bulk_create``."""
    meta = Item._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    own = set(_Row.__slots__)
    # the fields a row does not carry: the same for the whole batch (received_at is now)
    fixed = {
        "organization_id": channel.organization_id,
        "channel_id": channel.pk,
        **{f.attname: f.get_default() for f in fields if f.name not in own and not f.is_relation},
    }
    if connection.vendor != "postgresql":
        # (SQLite: a writer holds the database from its first statement, so no other delivery
        # can have inserted these since the read)
        Item.objects.bulk_create(
            [
                Item(
                    **fixed,
                    conversation=row.conversation,
                    **{
                        name: json.loads(row.raw) if name == "raw" else getattr(row, name)
                        for name in own - {"conversation"}
                    },
                )
                for row in rows
            ]
        )
        return
    _copy_items(fields, fixed, own, rows)


def _copy_items(fields, fixed: dict, own: set[str], rows: list[_Row]) -> None:
    """``COPY … FROM STDIN`` of ``rows`` as CSV (PostgreSQL): the cheapest way in for a batch of
    rows, a fifth of an ``INSERT … SELECT`` of the same rows as one JSON parameter. It has no
    ``ON CONFLICT``: an item another delivery committed since ``ingest`` read the known ones
    fails it on ``item_unique_external`` (``ingest`` then runs the batch again, which finds it
    known)."""
    quote = connection.ops.quote_name
    # the batch-wide values first, then each row's, read by one ``attrgetter`` (a C call per row)
    shared = [f for f in fields if f.attname in fixed]
    own_fields = [f for f in fields if f.attname not in fixed]
    for f in own_fields:
        if f.attname != "conversation_id" and f.name not in own:
            raise TypeError(f"ingest does not know what to store in Item.{f.name}")
    # (made text once for the batch, as ``csv`` would make it for each row: ``str``, None kept)
    prefix = tuple(None if (v := fixed[f.attname]) is None else str(v) for f in shared)
    values = operator.attrgetter(
        *("conversation.id" if f.attname == "conversation_id" else f.name for f in own_fields)
    )
    buffer = io.StringIO()
    # CSV as ``csv`` writes it: a time as ``str`` gives it (ISO 8601, its offset), a boolean as
    # True or False, None as an empty field, which COPY reads as null only where the column may
    # be null (``FORCE_NOT_NULL`` elsewhere: an empty text stays an empty text)
    csv.writer(buffer, lineterminator="\n").writerows(prefix + values(row) for row in rows)
    buffer.seek(0)
    ordered = [*shared, *own_fields]
    columns = ", ".join(quote(f.column) for f in ordered)
    not_null = ", ".join(quote(f.column) for f in ordered if not f.null)
    sql = (
        f"COPY {quote(Item._meta.db_table)} ({columns}) FROM STDIN "
        f"WITH (FORMAT csv, FORCE_NOT_NULL ({not_null}))"
    )
    # (Django wraps the driver's errors for ``execute``, not for ``copy_expert``: an
    # ``IntegrityError`` here is Django's, as ``ingest`` expects)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.copy_expert(sql, buffer)


def _route(channel, conversations, rows: list[Item], opened: set[int], facts) -> set[int]:
    """The routing rules on the conversations this batch opened; the ids of those it opened."""
    if not opened:
        return set()
    items: dict[int, list[Item]] = {}
    for row in rows:
        items.setdefault(row.conversation.id, []).append(row)
    new = {
        c.id: (c, items.get(c.id, []))
        for c in {c.id: c for c in conversations.values()}.values()
        if c.id in opened
    }
    route_new_conversations(channel, new, facts=facts)
    return set(new)


def _open_conversations(
    channel, fresh, threads, result
) -> tuple[dict[tuple[str, str], Conversation], set[int]]:
    """The conversations of ``fresh`` items, created where missing, and the ids of those this call
    created: one read of those that exist; when some are missing, one insert of those only (and a
    read of those another delivery inserted first; a thread already known costs nothing more)."""
    org_id = channel.organization_id
    wholes = set(threads.values())
    keys = {(kind, thread[:255]) for kind, thread in wholes}
    found = {(c.kind, c.external_thread_id): c for c in _conversations_of(channel, keys)}
    missing = sorted(k for k in keys if k not in found)
    opened: set[int] = set()
    if missing:
        first_at: dict[tuple[str, str], datetime] = {}
        post_ids: dict[tuple[str, str], str] = {}
        for item in fresh:
            kind, thread = threads[item.external_id]
            key = (kind, thread[:255])
            if key not in first_at or item.created_at < first_at[key]:
                first_at[key] = item.created_at
            if kind == Conversation.Kind.COMMENT_THREAD and item.post_external_id:
                post_ids[key] = item.post_external_id
        variants = _published_variants(channel, {post_ids[k] for k in missing if k in post_ids})
        rows = [
            Conversation(
                organization_id=org_id,
                channel=channel,
                kind=kind,
                external_thread_id=thread,
                post_variant_id=variants.get(post_ids.get((kind, thread), "")),
                assigned_team_id=channel.team_id,
                # the oldest of its items; moved to the newest below
                last_item_at=first_at[(kind, thread)],
            )
            # sorted: two batches lock the threads they share in the same order
            for kind, thread in missing
        ]
        if _returns_inserted_rows():
            inserted = _insert_new_conversations(rows)
            for row in rows:
                key = (row.kind, row.external_thread_id)
                if key in inserted:
                    # what the insert wrote is this instance's values: no read back
                    row.pk = inserted[key]
                    row._state.adding = False
                    row._state.db = connection.alias
                    found[key] = row
                    opened.add(row.pk)
            lost = [k for k in missing if k not in found]
        else:
            # SQLite before 3.35: its transactions are IMMEDIATE (settings), so a writer holds the
            # database from its first statement and nobody inserted since the read above
            Conversation.objects.bulk_create(rows, ignore_conflicts=True)
            lost = missing
        # the threads another delivery opened first (or all, without RETURNING): read as they are
        for c in _conversations_of(channel, lost):
            key = (c.kind, c.external_thread_id)
            if key not in found:
                found[key] = c
                if not _returns_inserted_rows():
                    opened.add(c.pk)
    result.conversations_created = len(opened)
    return {(kind, thread): found[(kind, thread[:255])] for kind, thread in wholes}, opened


def _conversations_of(channel, keys) -> list[Conversation]:
    """The conversations of ``channel`` on the threads ``keys`` (``(kind, thread id)`` pairs).

    On PostgreSQL one statement built from the model's columns, the rows made into instances
    without a queryset (the ORM's compiling and its per-row work were most of the read's cost);
    elsewhere the ORM."""
    keys = sorted(set(keys))
    if not keys:
        return []
    org_id = channel.organization_id
    if connection.vendor != "postgresql":
        wanted = set(keys)
        qs = Conversation.objects.for_org(org_id).filter(
            channel=channel, external_thread_id__in={thread for _kind, thread in keys}
        )
        return [c for c in qs if (c.kind, c.external_thread_id) in wanted]
    meta = Conversation._meta
    quote = connection.ops.quote_name
    fields = meta.concrete_fields
    # The unique index ``conversation_unique_thread`` answers it, a thread at a time: a lateral
    # probe (``LIMIT 1``: the planner cannot fold it into a join) whatever the planner thinks of
    # the table. As a join, the plan followed the statistics: on a channel of a thousand
    # conversations the prepared statement's plan read the whole channel into a hash (1 ms a
    # batch against 0.3 ms for the probes, measured on the ingest bench).
    # (the keys as one JSON text of ``[kind, thread]`` pairs, as ``_known_external_ids``' ids)
    sql = (
        f"SELECT {', '.join('c.' + quote(f.column) for f in fields)} "  # noqa: S608
        f"FROM jsonb_array_elements(%s::jsonb) AS k(pair) CROSS JOIN LATERAL ("
        f"SELECT * FROM {quote(meta.db_table)} AS t "
        f"WHERE t.{quote(meta.get_field('channel').column)} = %s "
        f"AND t.{quote(meta.get_field('kind').column)} = k.pair ->> 0 "
        f"AND t.{quote(meta.get_field('external_thread_id').column)} = k.pair ->> 1 "
        f"AND t.{quote(meta.get_field('organization').column)} = %s LIMIT 1) AS c"
    )
    names = [f.attname for f in fields]
    with connection.cursor() as cursor:
        _execute(cursor, sql, [json.dumps(keys), channel.pk, org_id])
        return _loaded(Conversation, connection.alias, names, cursor.fetchall())


def _loaded(model, alias: str, names: list[str], rows) -> list:
    """``model.from_db(alias, names, row)`` for each of ``rows``, which hold every concrete field
    in order, without ``__init__``: what ``from_db`` gives (the values as the database sent
    them, the state of a saved row) at a fifth of its cost, ``__init__``'s per-field work and its
    ``pre_init``/``post_init`` signals (no receiver listens to ``model``'s: checked here) being most
    of it. A batch reads about one conversation per item."""
    from django.db.models import signals

    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return [model.from_db(alias, names, row) for row in rows]
    new = model.__new__
    out = []
    for row in rows:
        obj = new(model)
        obj.__dict__.update(zip(names, row, strict=True))
        state = ModelState()
        state.adding = False
        state.db = alias
        obj._state = state
        out.append(obj)
    return out


def _returns_inserted_rows() -> bool:
    """Can one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` name the rows it inserted? (PostgreSQL;
    SQLite from 3.35)"""
    return connection.vendor in ("postgresql", "sqlite") and (
        connection.features.can_return_rows_from_bulk_insert
    )


def _insert_new_conversations(rows: list[Conversation]) -> dict[tuple[str, str], int]:
    """Insert the conversations whose thread has none yet; the ids of those this statement
    inserted, by ``(kind, thread id)``.

    The race it closes: a poll and a webhook push bring the same new thread at the same instant.
    Both read "no such conversation", both insert. The second insert waits on the first's
    uncommitted row in the unique index (``conversation_unique_thread``) and, once the first
    commits, skips it: ``RETURNING`` names only the rows this statement wrote, so the second
    delivery neither routes that conversation nor announces ``conversation.created`` again.
    (Comparing a read before the insert with one after cannot tell: under READ COMMITTED the
    read after sees the other's committed row and takes it for its own.)
    """
    meta = Conversation._meta
    quote = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    if connection.vendor == "postgresql":
        # the rows as one JSON parameter (``_recordset``)
        source, values = _recordset(
            {f"c{i}": f.cast_db_type(connection) for i, f in enumerate(fields)},
            [[f.pre_save(row, add=True) for f in fields] for row in rows],
        )
        selected = f"SELECT {', '.join(f'r.c{i}' for i in range(len(fields)))} FROM {source}"  # noqa: S608
        params: list = [values]
    else:
        params = []
        for row in rows:
            for field in fields:
                params.append(field.get_db_prep_save(field.pre_save(row, add=True), connection))
        placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
        selected = f"VALUES {', '.join([placeholders] * len(rows))}"
    target = ", ".join(
        quote(meta.get_field(name).column) for name in ("channel", "kind", "external_thread_id")
    )
    # Only the model's own table and column names are formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"{selected} "
        f"ON CONFLICT ({target}) DO NOTHING RETURNING {quote(meta.pk.column)}, "
        f"{quote(meta.get_field('kind').column)}, "
        f"{quote(meta.get_field('external_thread_id').column)}"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _execute(cursor, sql, params)  # (one parameter: the same text for every batch)
        else:
            cursor.execute(sql, params)
        return {(kind, thread): pk for pk, kind, thread in cursor.fetchall()}


def _published_variants(channel, post_external_ids: set[str]) -> dict[str, int]:
    if not post_external_ids:
        return {}
    from publishing.selectors import published_variant_ids

    return published_variant_ids(channel, post_external_ids)


def _move_conversations(
    conversations, rows: list[Item], *, routed: set[int] = frozenset(), facts=None
) -> None:
    """Each touched conversation follows its newest item (by the network's time) and its SLA
    clock (starts at the customer's first unanswered item, stops at our answer): one update."""
    latest: dict[int, Item] = {}
    inbound: dict[int, Item] = {}
    inbound_times: dict[int, list[datetime]] = {}
    answered_at: dict[int, datetime] = {}
    for row in rows:
        cid = row.conversation.id
        if cid not in latest or row.created_at > latest[cid].created_at:
            latest[cid] = row
        if row.direction == Item.Direction.INBOUND:
            inbound_times.setdefault(cid, []).append(row.created_at)
            if cid not in inbound or row.created_at > inbound[cid].created_at:
                inbound[cid] = row
        elif cid not in answered_at or row.created_at > answered_at[cid]:
            answered_at[cid] = row.created_at
    changed = []
    clocks: list[tuple[Conversation, datetime]] = []
    now = timezone.now()
    for conversation in {c.id: c for c in conversations.values()}.values():
        newest = latest.get(conversation.id)
        if newest is None:
            continue
        conversation._sla_moved = False
        customer = inbound.get(conversation.id)
        shown_at = conversation.last_inbound_at
        answer = answered_at.get(conversation.id)
        times = inbound_times.get(conversation.id, [])
        if customer is not None and (shown_at is None or customer.created_at >= shown_at):
            conversation.last_inbound_at = customer.created_at
            conversation.snippet = (customer.text or "")[:SNIPPET]
            conversation.author_name = customer.author_name
            conversation.author_handle = customer.author_handle
            conversation.language = customer.language
            conversation.sentiment = customer.sentiment
            # someone wrote again: a closed or snoozed thread needs an eye again
            if conversation.status in (
                Conversation.Status.CLOSED,
                Conversation.Status.SNOOZED,
                Conversation.Status.PENDING,
            ):
                if conversation.status == Conversation.Status.CLOSED:
                    times = _since_closing(times, conversation.closed_at, now)
                conversation.status = Conversation.Status.OPEN
                conversation.snoozed_until = None
        start = _clock_start(conversation, times, answer)
        if start is not None:
            clocks.append((conversation, start))
        if newest.created_at > conversation.last_item_at:
            conversation.last_item_at = newest.created_at
        changed.append(conversation)
    if clocks:
        clock = SlaClock.load(
            changed[0].organization_id,
            {c.assigned_team_id for c, _s in clocks},
            around=min(start for _c, start in clocks),
            facts=facts,
        )
        for conversation, start in clocks:
            conversation.sla_started_at = start
            conversation.sla_due_at = clock.due(
                team_id=conversation.assigned_team_id, priority=conversation.priority, start=start
            )
            conversation.sla_breach_notified_at = None
            conversation._sla_moved = True
    if changed:
        _save_moved(changed, routed)


def _since_closing(times: list[datetime], closed_at: datetime | None, now: datetime):
    """The customer's messages that reopen a closed conversation, as its SLA clock counts them: the
    clock restarts at the reopening, which is the first message written after the closing, or now
    when every one predates it (written before the closing, delivered late)."""
    if closed_at is None:
        return times
    return [t for t in times if t >= closed_at] or [now]


def _clock_start(conversation, inbound_times: list[datetime], answer: datetime | None):
    """Stops the SLA clock when our ``answer`` came after everything the customer wrote; returns
    the instant a new clock starts from (the first unanswered item's), or None."""
    last_customer = max([*inbound_times, conversation.last_inbound_at or answer or _EPOCH])
    if answer is not None and answer >= last_customer:
        if conversation.sla_due_at is not None:
            conversation.sla_started_at = conversation.sla_due_at = None
            conversation.sla_breach_notified_at = None
            conversation._sla_moved = True
        return None
    if conversation.status in (Conversation.Status.SPAM, Conversation.Status.CLOSED):
        return None  # (a closed one this batch reopened is open by now)
    waiting = [t for t in inbound_times if answer is None or t > answer]
    running = conversation.sla_due_at is not None and (
        answer is None or answer < (conversation.sla_started_at or answer)
    )
    if running:
        return None
    if not waiting:
        # our answer came between earlier messages: the clock restarts at the customer's latest
        return last_customer if answer is not None and conversation.sla_due_at is not None else None
    return min(waiting)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


#: the fields ``_move_conversations`` changes, with their PostgreSQL types (for the update's row types)
_MOVED = {
    "snippet": "text",
    "author_name": "text",
    "author_handle": "text",
    "language": "text",
    "sentiment": "text",
    "status": "text",
    "snoozed_until": "timestamptz",
    "last_item_at": "timestamptz",
    "last_inbound_at": "timestamptz",
}
#: set only on the conversations routing decided (``routed``); the others keep what they have, so
#: an assignment made by hand while the batch ran is not overwritten
_ROUTED = {"assignee_id": "bigint", "assigned_team_id": "bigint", "priority": "text"}
#: set only where the SLA clock moved
_CLOCK = {
    "sla_started_at": "timestamptz",
    "sla_due_at": "timestamptz",
    "sla_breach_notified_at": "timestamptz",
}


def _save_moved(changed: list[Conversation], routed: set[int]) -> None:
    """One ``UPDATE … FROM`` the rows as JSON on PostgreSQL (``_recordset``; Django's
    ``bulk_update`` builds a CASE per field and row, which costs more than the rest of ingest
    together); ``bulk_update`` elsewhere."""
    org_id = changed[0].organization_id
    clock_moved = any(getattr(c, "_sla_moved", False) for c in changed)
    if connection.vendor != "postgresql":
        fields = list(_MOVED) + (["assignee", "assigned_team", "priority"] if routed else [])
        fields += list(_CLOCK) if clock_moved else []
        now = timezone.now()
        for conversation in changed:
            conversation.updated_at = now  # (``bulk_update`` does not apply ``auto_now``)
        Conversation.objects.for_org(org_id).bulk_update(changed, [*fields, "updated_at"])
        return
    table = connection.ops.quote_name(Conversation._meta.db_table)
    names = list(_MOVED)
    types = dict(_MOVED)
    gated: dict[str, str] = {}
    if routed:
        names += [*_ROUTED, "routed"]
        types.update(_ROUTED, routed="boolean")
        gated.update(dict.fromkeys(_ROUTED, "routed"))
    if clock_moved:
        names += [*_CLOCK, "clock"]
        types.update(_CLOCK, clock="boolean")
        gated.update(dict.fromkeys(_CLOCK, "clock"))
    gates = {"routed": lambda c: c.id in routed, "clock": lambda c: getattr(c, "_sla_moved", False)}
    getters = [
        gates.get(n) or (_micros_of(n) if types[n] == "timestamptz" else operator.attrgetter(n))
        for n in names
    ]
    rows, values = _recordset_cte(
        {"id": "bigint", **{n: MICROS if types[n] == "timestamptz" else types[n] for n in names}},
        [[c.id, *(get(c) for get in getters)] for c in changed],
    )
    sets = []
    for n in names:
        if n in gates:
            continue
        column = connection.ops.quote_name(n)
        if n in gated:
            sets.append(f"{column} = CASE WHEN r.{gated[n]} THEN r.{n} ELSE c.{column} END")
        else:
            sets.append(f"{column} = r.{n}")
    # Only our own table and column names are formatted in; every value is a parameter.
    # (``updated_at`` as ``auto_now`` would: the API's ``updated_since`` finds a conversation moved)
    sets.append(f"{connection.ops.quote_name('updated_at')} = %s")
    # (the ids again, as an array of the same rows: the planner looks them up in the primary key
    # whatever it thinks of the table; joined to the JSON rows alone it read a channel's thousand
    # conversations into a hash, 1 ms a batch against 0.3 ms for the look-ups)
    sql = f"{rows}UPDATE {table} AS c SET {', '.join(sets)} FROM r "  # noqa: S608
    sql += "WHERE c.id = r.id AND c.id = ANY(ARRAY(SELECT id FROM r)) AND c.organization_id = %s"
    with connection.cursor() as cursor:
        _execute(cursor, sql, [values, timezone.now(), org_id])
