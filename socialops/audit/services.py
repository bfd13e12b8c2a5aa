"""The audit log's only writer and its verifier: the API every app records through.

``record_event`` / ``record_events`` + ``Entry`` append, ``audit_context`` / ``set_audit_actor``
say who is acting and how, ``verify_chain`` (and, for an operator, ``reanchor_chain``) check the
chain. Human and API actions are audited; ingested network items are not (see the package
docstring, :mod:`socialops.audit`).
"""

from __future__ import annotations

import contextlib
import contextvars
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from . import chain
from .chain import GENESIS_HASH
from .models import AuditChainHead, AuditEvent, AuditRetention
from .selectors import retention_of


class AuditChainBroken(RuntimeError):
    """The chain cannot be extended safely (its head is missing while entries exist)."""


@dataclass(frozen=True)
class AuditContext:
    actor: Any = None
    ip_address: str | None = None
    via: str = AuditEvent.Via.SYSTEM
    extra: dict = field(default_factory=dict)


_EMPTY = AuditContext()
_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "audit_context",
    default=_EMPTY,  # noqa: B039 - frozen
)


@contextlib.contextmanager
def audit_context(
    *, actor: Any = None, ip_address: str | None = None, via: str = AuditEvent.Via.SYSTEM
) -> Iterator[None]:
    """Who is acting, from where and how; set by middleware, API auth and tasks."""
    token = _context.set(AuditContext(actor=actor, ip_address=ip_address, via=via))
    try:
        yield
    finally:
        _context.reset(token)


def set_audit_actor(actor: Any, *, via: str | None = None) -> None:
    """Called by API authentication, which runs after the middleware bound the context."""
    current = _context.get()
    _context.set(AuditContext(actor=actor, ip_address=current.ip_address, via=via or current.via))


def record_event(
    organization,
    action: str,
    *,
    obj: Any = None,
    changes: dict | None = None,
    actor: Any = None,
    via: str | None = None,
) -> AuditEvent:
    """Append one event to ``organization``'s chain, inside the caller's transaction.

    The organization's chain head row is locked for the append, so concurrent writers of the
    same organization queue and the chain stays linear (``seq`` is also unique per organization
    as a second guard). The lock is held until the caller's transaction ends: callers that do
    more work after recording should record last. Nothing else waits for it: the Organization
    row is not locked (see :class:`socialops.audit.models.AuditChainHead`).
    """
    entry = Entry(action, obj=obj, changes=changes, actor=actor, via=via)
    batch = _batch.get()
    if batch is not None and batch[0] == organization.pk:
        batch[1].append(entry)
        return AuditEvent(organization=organization, action=action)  # written by the batch's end
    (event,) = record_events(organization, [entry])
    return event


_batch: contextvars.ContextVar[tuple[int, list] | None] = contextvars.ContextVar(
    "audit_batch", default=None
)


@contextlib.contextmanager
def batched_events(organization) -> Iterator[None]:
    """Inside a transaction: :func:`record_event` calls for ``organization`` are kept and appended at
    the end of the block with one :func:`record_events` (two or three statements instead of that
    many per event), in the order they were made. Nothing is written if the block raises (its transaction
    rolls back anyway). Used by the bulk schedule, where each post would otherwise lock, insert and
    move the chain head twice."""
    if _batch.get() is not None:  # already batching (nested): the outer block writes
        yield
        return
    pending: list[Entry] = []
    token = _batch.set((organization.pk, pending))
    try:
        yield
    finally:
        _batch.reset(token)
    record_events(organization, pending)


@dataclass(frozen=True)
class Entry:
    """One event for :func:`record_events` (the same arguments as :func:`record_event`)."""

    action: str
    obj: Any = None
    changes: dict | None = None
    actor: Any = None
    via: str | None = None


def _lock_head(organization) -> AuditChainHead:
    """The organization's chain head, locked ``FOR NO KEY UPDATE`` until the transaction ends (one
    statement once it exists). An organization's first append creates it; if entries exist but
    the head does not, the chain is not extended (that is how deleting the newest entries and the
    head together would otherwise go unnoticed): ``verify_audit_log --reanchor`` is the way out.
    """
    heads = AuditChainHead.objects.for_org(organization).select_for_update(no_key=True)
    head = next(iter(heads[:1]), None)  # no ORDER BY (one row at most): .first() would add one
    if head is None:
        if AuditEvent.objects.for_org(organization).exists():
            raise AuditChainBroken(
                f"The audit chain of {organization} has entries but no head; run manage.py verify_audit_log."
            )
        # Two first appends racing: the loser's insert waits for the winner, then does nothing.
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(organization=organization)], ignore_conflicts=True
        )
        head = heads.get()
    return head


def record_events(organization, entries: list[Entry]) -> list[AuditEvent]:
    """Append ``entries`` to ``organization``'s chain, in order, inside the caller's transaction.

    Two statements on PostgreSQL whatever the number of entries: lock (and read) the chain's head
    row, then insert every entry and move the head in one statement (three elsewhere: the insert
    and the move apart). The chain is the same as if each entry
    had been recorded by :func:`record_event` one after another, so :func:`verify_chain` checks it
    the same way. Used by the scheduler to record a worker's batch of publishes with one append
    instead of one per publish.

    No savepoint: an error here aborts the caller's transaction (an audit entry that cannot be
    written must take its change with it).
    """
    if not entries:
        return []
    ctx = _context.get()
    key_id, key = chain.signing_key()
    with transaction.atomic(savepoint=False):
        head = _lock_head(organization)
        seq, prev_hash = head.seq + 1, head.hash
        now = timezone.now()
        events = []
        for entry in entries:
            actor = entry.actor if entry.actor is not None else ctx.actor
            obj = entry.obj
            event = AuditEvent(
                organization=organization,
                seq=seq,
                created_at=now,
                actor=actor,
                actor_label=getattr(actor, "email", "") or "",
                ip_address=ctx.ip_address,
                via=entry.via or ctx.via,
                action=entry.action,
                object_type=obj._meta.label_lower if obj is not None else "",
                object_id=str(obj.pk) if obj is not None else "",
                object_repr=str(obj)[:200] if obj is not None else "",
                changes=json.loads(json.dumps(entry.changes or {}, cls=DjangoJSONEncoder)),
                prev_hash=prev_hash,
                key_id=key_id,
            )
            event.hash = chain.entry_hash(prev_hash, event, key)
            events.append(event)
            seq, prev_hash = seq + 1, event.hash
        last = events[-1]
        mac = chain.seal_head(
            key,
            organization.pk,
            last.seq,
            last.hash,
            head.legacy_seq,
            head.checkpoint_seq,
            head.checkpoint_hash,
        )
        if connection.vendor == "postgresql":
            _insert_and_move_head(head.pk, events, key_id=key_id, mac=mac, now=now)
        else:
            if len(events) == 1:
                events[0].save()
            else:
                AuditEvent.objects.bulk_create(events)
            AuditChainHead.objects.for_org(organization).filter(pk=head.pk).update(
                seq=last.seq, hash=last.hash, key_id=key_id, updated_at=now, mac=mac
            )
    return events


#: AuditEvent's columns but its id, in model order (the INSERT of :func:`_insert_and_move_head`)
_EVENT_FIELDS = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


def _insert_and_move_head(head_pk: int, events: list[AuditEvent], *, key_id, mac, now) -> None:
    """PostgreSQL: insert ``events`` and move the chain head in ONE statement (a data-modifying
    ``WITH``), built by hand rather than by the ORM: the append is on every audited request's path,
    and the round trip and the query compilation it saves are most of what it cost (issue 15: an
    entry may add at most 2 ms p95 to a request; ``make bench``'s audit_log row). Both parts are
    one statement, so they succeed or fail together; the head row is already locked by
    :func:`_lock_head`. The new rows' ids are set on ``events``, in order."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in _EVENT_FIELDS)
    row = "(" + ", ".join(["%s"] * len(_EVENT_FIELDS)) + ")"
    params: list = []
    for event in events:
        params.extend(
            f.get_db_prep_save(f.pre_save(event, True), connection=connection)
            for f in _EVENT_FIELDS
        )
    last = events[-1]
    head_table = quote(AuditChainHead._meta.db_table)
    # only model metadata and placeholders are interpolated; every value is a parameter
    event_table = quote(AuditEvent._meta.db_table)
    values = ", ".join([row] * len(events))
    sql = (
        f"WITH ins AS (INSERT INTO {event_table} ({columns}) VALUES {values} RETURNING id, seq) "  # noqa: S608
        f"UPDATE {head_table} SET seq = %s, hash = %s, key_id = %s, updated_at = %s, mac = %s "
        f"WHERE id = %s RETURNING (SELECT array_agg(id ORDER BY seq) FROM ins)"
    )
    params.extend([last.seq, last.hash, key_id, now, mac, head_pk])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (ids,) = cursor.fetchone()
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding = False
        event._state.db = connection.alias


@dataclass
class ChainReport:
    organization_id: int
    checked: int
    ok: bool
    first_broken_seq: int | None = None
    reason: str = ""
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    #: entries up to this one were purged under the retention (0: none)
    checkpoint_seq: int = 0


def _broken(organization, checked: int, seq: int | None, reason: str, head=None) -> ChainReport:
    return ChainReport(
        organization.pk,
        checked,
        False,
        seq,
        reason,
        head.seq if head else 0,
        head.hash if head else GENESIS_HASH,
    )


@dataclass
class _Walk:
    checked: int
    last_seq: int
    last_hash: str
    broken_seq: int | None = None
    reason: str = ""


def _walk(
    organization,
    legacy_seq: int,
    *,
    start_seq: int = 0,
    start_hash: str = GENESIS_HASH,
    through_seq: int | None = None,
) -> _Walk:
    """Recompute every link after ``start_seq`` (a checkpoint: entries up to it were purged, the
    last one's hash was ``start_hash``), up to ``through_seq`` if given; stop at the first entry
    that does not fit. Rows at or below ``start_seq`` are not read."""
    ring = chain.key_ring()
    prev_hash, expected_seq, checked = start_hash, start_seq + 1, 0
    entries = AuditEvent.objects.for_org(organization).filter(seq__gt=start_seq)
    if through_seq is not None:
        entries = entries.filter(seq__lte=through_seq)
    for event in entries.order_by("seq").iterator(chunk_size=2000):
        checked += 1
        broken = None
        key = ring.get(event.key_id) if event.key_id else None
        if event.seq != expected_seq:
            broken = (expected_seq, f"entry #{expected_seq} is missing")
        elif event.prev_hash != prev_hash:
            broken = (event.seq, "its link to the previous entry does not match")
        elif event.key_id and key is None:
            broken = (
                event.seq,
                f"it is signed with a chain key this server does not have (id {event.key_id})",
            )
        elif not event.key_id and event.seq > legacy_seq:
            broken = (event.seq, "it is not signed with the chain key")
        elif chain.entry_hash(prev_hash, event, key) != event.hash:
            broken = (event.seq, "its content does not match its hash")
        if broken:
            return _Walk(checked, expected_seq - 1, prev_hash, *broken)
        prev_hash = event.hash
        expected_seq += 1
    return _Walk(checked, expected_seq - 1, prev_hash)


def _head_seal(head, organization) -> str:
    key = chain.key_ring().get(head.key_id)
    if not key:
        return ""
    return chain.seal_head(
        key,
        organization.pk,
        head.seq,
        head.hash,
        head.legacy_seq,
        head.checkpoint_seq,
        head.checkpoint_hash,
    )


def verify_chain(organization) -> ChainReport:
    """Recompute every link of ``organization``'s chain and compare its end with the sealed head;
    name the first entry that does not fit, or say what is wrong with the head.

    Entries up to the head's ``legacy_seq`` (written before the chain was keyed) verify with the
    original sha256; every later entry must carry the id of a configured key and its HMAC.
    """
    head = AuditChainHead.objects.for_org(organization).first()
    # After a purge the chain starts at the head's checkpoint: the last purged entry's position
    # and hash, sealed with the head. Old entries deleted without one still break the walk
    # ("entry #1 is missing"); a checkpoint moved without the key breaks the seal below.
    walk = _walk(
        organization,
        head.legacy_seq if head else 0,
        start_seq=head.checkpoint_seq if head else 0,
        start_hash=(head.checkpoint_hash or GENESIS_HASH) if head else GENESIS_HASH,
    )
    if walk.broken_seq is not None:
        return _broken(organization, walk.checked, walk.broken_seq, walk.reason, head)
    if head is None:
        if walk.checked:
            return _broken(organization, walk.checked, None, "the chain's head is missing")
        return ChainReport(organization.pk, 0, True)
    seal = _head_seal(head, organization)
    if not seal or not hmac.compare_digest(seal.encode(), head.mac.encode()):
        return _broken(
            organization,
            walk.checked,
            None,
            "the chain's head has been altered (its seal does not match)",
            head,
        )
    if head.seq > walk.last_seq:
        return _broken(
            organization,
            walk.checked,
            walk.last_seq + 1,
            f"entries #{walk.last_seq + 1} to #{head.seq} are missing (the newest entries were deleted)",
            head,
        )
    if head.seq < walk.last_seq:
        return _broken(
            organization,
            walk.checked,
            head.seq + 1,
            "entries after the chain's head are not anchored",
            head,
        )
    if head.hash != walk.last_hash:
        return _broken(
            organization,
            walk.checked,
            head.seq,
            "the newest entry is not the one the head sealed",
            head,
        )
    return ChainReport(
        organization.pk,
        walk.checked,
        True,
        head_seq=head.seq,
        head_hash=head.hash,
        checkpoint_seq=head.checkpoint_seq,
    )


@transaction.atomic
def reanchor_chain(organization) -> AuditChainHead:
    """Give a chain whose head row is missing a new head at its newest entry, and record that.

    For an operator, after ``verify_audit_log`` reported "the chain's head is missing": until
    then the organization cannot record anything. Whether newest entries were deleted together
    with the head cannot be known any more; the entry recording the re-anchoring says from where.
    """
    if AuditChainHead.objects.for_org(organization).exists():
        raise AuditChainBroken("This chain has a head; only a missing head is re-anchored.")
    # Entries from before the key keep verifying the old way, but only as the chain's beginning:
    # an unkeyed entry after a keyed one (which anyone could compute) does not verify.
    entries = AuditEvent.objects.for_org(organization)
    first_keyed = entries.exclude(key_id="").order_by("seq").values_list("seq", flat=True).first()
    legacy_seq = first_keyed - 1 if first_keyed else entries.count()
    walk = _walk(organization, legacy_seq)
    if walk.broken_seq is not None:
        raise AuditChainBroken(f"Entry #{walk.broken_seq} does not verify: {walk.reason}.")
    if not walk.checked:
        raise AuditChainBroken("This chain has no entries; its first append creates its head.")
    key_id, key = chain.signing_key()
    AuditChainHead.objects.create(
        organization=organization,
        seq=walk.last_seq,
        hash=walk.last_hash,
        legacy_seq=legacy_seq,
        key_id=key_id,
        mac=chain.seal_head(key, organization.pk, walk.last_seq, walk.last_hash, legacy_seq),
    )
    record_event(organization, "audit.head_reanchored", changes={"at_seq": walk.last_seq})
    return AuditChainHead.objects.for_org(organization).get()


# --- Retention -------------------------------------------------------------------------------------


@transaction.atomic
def set_retention(organization, *, years: int, actor: Any = None) -> AuditRetention:
    """Keep ``organization``'s audit entries ``years`` years (1 … 50); recorded in the log."""
    if isinstance(years, bool) or not isinstance(years, int):
        raise ValueError("years must be a whole number")
    if not AuditRetention.MIN_YEARS <= years <= AuditRetention.MAX_YEARS:
        raise ValueError(
            f"years must be from {AuditRetention.MIN_YEARS} to {AuditRetention.MAX_YEARS}"
        )
    previous = retention_of(organization)
    row, _created = AuditRetention.objects.for_org(organization).update_or_create(
        organization=organization, defaults={"years": years}
    )
    if previous != years:
        record_event(
            organization,
            "audit.retention_changed",
            obj=row,
            actor=actor,
            changes={"years": [previous, years]},
        )
    return row


@dataclass
class PurgeResult:
    organization_id: int
    purged: int
    checkpoint_seq: int
    checkpoint_hash: str


def purge_entries(organization, *, before) -> PurgeResult:
    """Delete ``organization``'s entries created before ``before``, keeping the chain verifiable.

    In one transaction, holding the chain's head lock (appends wait):

    1. the entries to purge are a prefix of the chain: every entry up to the newest one created
       before ``before`` (never the newest entry: the head must keep pointing at a row);
    2. the head's seal is checked and that range is walked, from the current checkpoint: a purge
       never deletes entries that do not verify nor re-seals an altered head (it would erase the
       evidence) — :class:`AuditChainBroken` and nothing changes;
    3. the head stores the checkpoint (the last purged entry's seq and hash), sealed with the key,
       so :func:`verify_chain` starts from it; on PostgreSQL the append-only trigger lets a DELETE
       through only for rows at or below the head's ``checkpoint_seq``;
    4. the rows are deleted and the purge itself is recorded (``audit.purged``) in the chain.
    """
    with transaction.atomic():
        head = _lock_head(organization)
        through = (
            AuditEvent.objects.for_org(organization)
            .filter(created_at__lt=before, seq__gt=head.checkpoint_seq, seq__lt=head.seq)
            .order_by("-seq")
            .values_list("seq", flat=True)
            .first()
        )
        if through is None:
            return PurgeResult(organization.pk, 0, head.checkpoint_seq, head.checkpoint_hash)
        # The purge re-seals the head: it must not seal over a head someone altered.
        seal = _head_seal(head, organization)
        if not seal or not hmac.compare_digest(seal.encode(), head.mac.encode()):
            raise AuditChainBroken(
                "The chain's head has been altered (its seal does not match); nothing was purged."
            )
        walk = _walk(
            organization,
            head.legacy_seq,
            start_seq=head.checkpoint_seq,
            start_hash=head.checkpoint_hash or GENESIS_HASH,
            through_seq=through,
        )
        if walk.broken_seq is not None or walk.last_seq != through:
            raise AuditChainBroken(
                f"Entry #{walk.broken_seq or walk.last_seq + 1} does not verify "
                f"({walk.reason or 'missing'}); nothing was purged."
            )
        key_id, key = chain.signing_key()
        AuditChainHead.objects.for_org(organization).filter(pk=head.pk).update(
            checkpoint_seq=through,
            checkpoint_hash=walk.last_hash,
            key_id=key_id,
            mac=chain.seal_head(
                key, organization.pk, head.seq, head.hash, head.legacy_seq, through, walk.last_hash
            ),
        )
        purged = (
            AuditEvent.objects.for_org(organization).filter(seq__lte=through).dangerously_purge()
        )
        record_event(
            organization,
            "audit.purged",
            changes={
                "through_seq": through,
                "purged": purged,
                "before": before,
                "checkpoint_hash": walk.last_hash,
                "retention_years": retention_of(organization),
            },
        )
    return PurgeResult(organization.pk, purged, through, walk.last_hash)
