"""The dispatcher: claims due variants in the database and hands each to a worker task.

Run by the beat task ``publishing.tasks.dispatch`` every few seconds (and kicked on commit by
"publish now"). The row is the source of truth, not the broker:

- a due variant (``scheduled`` / ``unconfirmed`` / ``pending`` whose ``due_at`` and
  ``next_attempt_at`` have passed) is claimed in one transaction: status ``publishing``, a
  lease, and (for a scheduled one) a new ``PublishAttempt`` with a fresh idempotency key. The
  worker task is enqueued only when that transaction commits.
- PostgreSQL: the candidates are locked with ``SELECT … FOR UPDATE SKIP LOCKED``, so two
  dispatchers running at once take disjoint rows and never wait on each other.
- SQLite (one writer at a time): each claim is a conditional ``UPDATE … WHERE status = <seen>``;
  a row another dispatcher claimed first matches nothing and is skipped.
- a variant is claimed up to one beat interval early (``PUBLISHING_DISPATCH_LOOKAHEAD_SECONDS``,
  2 s) and its task gets that short countdown (the worker also waits out any rest), so it leaves
  on time instead of up to a tick late; every longer wait is a row, never a countdown.
- a variant an active freeze covers becomes ``held`` instead (released by ``lift_freeze``).
- a lapsed lease (status ``publishing``, ``lease_expires_at`` past: a killed worker, a lost
  message, a restarted broker) turns the variant ``unconfirmed`` and its attempt too; the next
  claim settles it by asking the network (``find_existing``), never by publishing blindly.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import Post, PostVariant, PublishAttempt
from .services import scheduling

log = logging.getLogger(__name__)

V = PostVariant.Status
A = PublishAttempt.Outcome

__all__ = ["Claim", "claim_due", "dispatch_due", "recover_lapsed_leases"]


def _enqueue(pairs: list[Claim]) -> None:
    from . import tasks

    for variant_id, attempt_id, wait in pairs:
        try:
            # A short countdown (at most the lookahead, a couple of seconds, far below the
            # broker's visibility timeout) so a variant claimed early leaves on time.
            tasks.publish_variant.apply_async((variant_id, attempt_id), countdown=wait if wait > 0.05 else None)
        except Exception:  # noqa: BLE001 - the lease lapses and the row is resumed: nothing is lost
            log.warning("Could not enqueue variant %s attempt %s; the lease will recover it.", variant_id,
                        attempt_id, exc_info=True)


def recover_lapsed_leases(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publishing variants whose lease lapsed become unconfirmed (settled by asking the network)."""
    now = now or timezone.now()
    lapsed = list(PostVariant.objects.unscoped().filter(status=V.PUBLISHING, lease_expires_at__lt=now)
                  .values_list("pk", "organization_id", "claimed_attempt_id")[:limit])
    recovered = 0
    for pk, org_id, attempt_id in lapsed:
        with transaction.atomic():
            won = PostVariant.objects.for_org(org_id).filter(
                pk=pk, status=V.PUBLISHING, lease_expires_at__lt=now, claimed_attempt_id=attempt_id,
            ).update(status=V.UNCONFIRMED, lease_expires_at=None, next_attempt_at=now, updated_at=now)
            if not won:
                continue
            if attempt_id is None:
                PostVariant.objects.for_org(org_id).filter(pk=pk).update(status=V.SCHEDULED)
            else:
                # RUNNING (the task never ran) or UNCONFIRMED in flight (the worker died mid-call):
                # either way nobody knows whether the network has it, so it is settled by asking.
                PublishAttempt.objects.for_org(org_id).filter(
                    pk=attempt_id, outcome__in=[A.RUNNING, A.UNCONFIRMED]).update(
                    outcome=A.UNCONFIRMED, finished_at=now, error="The worker's lease lapsed.")
            recovered += 1
    if recovered:
        log.info("recovered %s variants whose lease lapsed", recovered)
    return recovered


def _candidates(now: datetime, limit: int):
    return (PostVariant.objects.unscoped().filter(scheduling.due_filter(now))
            .select_related("channel", "post").order_by("due_at", "pk"))


def _hold_frozen(variants: list[PostVariant], now: datetime) -> set[int]:
    by_org: dict[int, list[PostVariant]] = defaultdict(list)
    for v in variants:
        by_org[v.organization_id].append(v)
    held: set[int] = set()
    for org_id, vs in by_org.items():
        # Only a variant that has not started may be held; one being settled or polled goes on.
        ids = scheduling.frozen_channel_ids(org_id, [v for v in vs if v.status == V.SCHEDULED])
        if ids:
            PostVariant.objects.for_org(org_id).filter(pk__in=ids, status=V.SCHEDULED).update(
                status=V.HELD, updated_at=now)
            held |= ids
    return held


class Claim(NamedTuple):
    variant_id: int
    attempt_id: int
    #: seconds until the variant is due (claimed up to one lookahead early)
    wait: float


def _claim_one(v: PostVariant, now: datetime, lease_until: datetime, *, conditional: bool) -> Claim | None:
    qs = PostVariant.objects.for_org(v.organization_id).filter(pk=v.pk)
    if conditional:
        # SQLite: the claim is this conditional UPDATE; a competitor that claimed first changed
        # the status (or the claimed attempt), so this matches nothing.
        qs = qs.filter(status=v.status, claimed_attempt_id=v.claimed_attempt_id)
    if v.status == V.SCHEDULED:
        if not qs.update(status=V.PUBLISHING, lease_expires_at=lease_until, updated_at=now,
                         attempts_count=F("attempts_count") + 1):
            return None
        attempt = scheduling.new_attempt(v, content_version=v.post.version)
        PostVariant.objects.for_org(v.organization_id).filter(pk=v.pk).update(claimed_attempt=attempt)
        return Claim(v.pk, attempt.pk, scheduling.seconds_until_due(v, now=now))
    # unconfirmed (settle) or pending (poll): the same attempt, asked about again
    if v.claimed_attempt_id is None:
        qs.update(status=V.SCHEDULED, next_attempt_at=None, updated_at=now)
        return None
    if not qs.update(status=V.PUBLISHING, lease_expires_at=lease_until, updated_at=now):
        return None
    return Claim(v.pk, v.claimed_attempt_id, scheduling.seconds_until_due(v, now=now))


def claim_due(*, now: datetime | None = None, limit: int = 500) -> list[Claim]:
    """Claim up to ``limit`` due variants; returns the claims to hand to workers.

    The tasks are enqueued by :func:`dispatch_due` after the claim commits; tests call this and
    run ``perform_attempt`` themselves.
    """
    now = now or timezone.now()
    lease_until = now + scheduling.lease_duration()
    postgres = connection.vendor == "postgresql"
    claimed: list[Claim] = []
    started: dict[int, set[int]] = defaultdict(set)
    with transaction.atomic():
        qs = _candidates(now, limit)
        if postgres:
            # Rows another dispatcher has locked are skipped, not waited for.
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        variants = list(qs[:limit])
        held = _hold_frozen(variants, now)
        for v in variants:
            if v.pk in held:
                continue
            pair = _claim_one(v, now, lease_until, conditional=not postgres)
            if pair is not None:
                claimed.append(pair)
                started[v.organization_id].add(v.post_id)
        for org_id, post_ids in started.items():
            Post.objects.for_org(org_id).filter(pk__in=post_ids, status=Post.Status.SCHEDULED).update(
                status=Post.Status.PUBLISHING, updated_at=now)
    return claimed


def dispatch_due(*, now: datetime | None = None, limit: int = 500, budget_seconds: float = 2.0) -> int:
    """One dispatcher tick: recover lapsed leases, claim due variants, enqueue their tasks on commit.

    A full batch is followed at once by another (a burst of thousands due at one instant is
    not paced by the beat interval), until a batch comes back short or ``budget_seconds`` pass.
    """
    fixed_now = now
    started = time.monotonic()
    recover_lapsed_leases(now=now or timezone.now(), limit=limit)
    total = 0
    while True:
        pairs = claim_due(now=fixed_now or timezone.now(), limit=limit)
        if pairs:
            # claim_due committed (or, inside an outer transaction, this runs when that commits)
            transaction.on_commit(lambda pairs=pairs: _enqueue(pairs))
        total += len(pairs)
        if len(pairs) < limit or time.monotonic() - started > budget_seconds:
            return total
