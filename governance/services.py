"""The audit log's only writer and its verifier."""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import AuditEvent

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditContext:
    actor: Any = None
    ip_address: str | None = None
    via: str = AuditEvent.Via.SYSTEM
    extra: dict = field(default_factory=dict)


_EMPTY = AuditContext()
_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar("audit_context", default=_EMPTY)  # noqa: B039 - frozen


@contextlib.contextmanager
def audit_context(*, actor: Any = None, ip_address: str | None = None, via: str = AuditEvent.Via.SYSTEM) -> Iterator[None]:
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


def _canonical(event: AuditEvent) -> str:
    body = {
        "organization": event.organization_id,
        "seq": event.seq,
        "created_at": event.created_at.isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "ip_address": event.ip_address,
        "via": event.via,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + _canonical(event)).encode()).hexdigest()


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

    The organization row is locked for the append, so concurrent writers queue and the
    chain stays linear (``seq`` is also unique per organization as a second guard). The lock
    is held until the caller's transaction ends: callers that do more work after recording
    should record last, so other writers of this organization wait as little as possible.
    """
    (event,) = record_events(organization, [Entry(action, obj=obj, changes=changes, actor=actor, via=via)])
    return event


@dataclass(frozen=True)
class Entry:
    """One event for :func:`record_events` (the same arguments as :func:`record_event`)."""

    action: str
    obj: Any = None
    changes: dict | None = None
    actor: Any = None
    via: str | None = None


def record_events(organization, entries: list[Entry]) -> list[AuditEvent]:
    """Append ``entries`` to ``organization``'s chain, in order, inside the caller's transaction.

    Three statements whatever the number of entries: lock the organization row, read the
    chain's last ``seq`` and hash, insert every entry in one multi-row ``INSERT``. The chain is
    the same as if each entry had been recorded by :func:`record_event` one after another, so
    :func:`verify_chain` checks it the same way. Used by the scheduler to record a worker's
    batch of publishes with one append instead of one per publish.

    No savepoint: an error here aborts the caller's transaction (an audit entry that cannot be
    written must take its change with it).
    """
    from accounts.selectors import lock_organization  # the one door into accounts

    if not entries:
        return []
    ctx = _context.get()
    with transaction.atomic(savepoint=False):
        lock_organization(organization.pk)
        last = (
            AuditEvent.objects.for_org(organization).order_by("-seq").values_list("seq", "hash").first()
        )
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
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
            )
            event.hash = compute_hash(prev_hash, event)
            events.append(event)
            seq, prev_hash = seq + 1, event.hash
        if len(events) == 1:
            events[0].save()
        else:
            AuditEvent.objects.bulk_create(events)
    return events


@dataclass
class ChainReport:
    organization_id: int
    checked: int
    ok: bool
    first_broken_seq: int | None = None
    reason: str = ""


def verify_chain(organization) -> ChainReport:
    """Recompute every hash of ``organization``'s chain; name the first entry that does not fit."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.for_org(organization).order_by("seq").iterator(chunk_size=2000):
        checked += 1
        if event.seq != expected_seq:
            return ChainReport(organization.pk, checked, False, expected_seq, f"entry #{expected_seq} is missing")
        if event.prev_hash != prev_hash:
            return ChainReport(organization.pk, checked, False, event.seq, "its link to the previous entry does not match")
        if compute_hash(prev_hash, event) != event.hash:
            return ChainReport(organization.pk, checked, False, event.seq, "its content does not match its hash")
        prev_hash = event.hash
        expected_seq += 1
    return ChainReport(organization.pk, checked, True)
