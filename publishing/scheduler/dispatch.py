"""The dispatcher: claims due variants in the database and hands them to worker tasks in batches.

Run by the beat task ``publishing.tasks.dispatch`` every few seconds (and kicked on commit by
"publish now"). The row is the source of truth, not the broker:

- a due variant (``scheduled`` / ``unconfirmed`` / ``pending`` whose ``due_at`` and
  ``next_attempt_at`` have passed) is claimed in one transaction: status ``publishing``, a
  lease, and (for a scheduled one) a new ``PublishAttempt`` with a fresh idempotency key, in a
  fixed number of statements per batch. The worker tasks are enqueued only when that
  transaction commits: ``publish_attempts`` with up to ``PUBLISHING_WORKER_BATCH`` (20) attempt
  ids of one organization each (:func:`batches`). Each attempt in a batch keeps every guarantee
  of its own (see ``scheduling.perform_attempts``); what a batch shares is reading and the
  recording of confirmed publishes, so a publish costs the database about two statements of
  ours (the conditional take and a share of the batch) instead of about twenty.
- PostgreSQL: the candidates are locked with ``SELECT … FOR UPDATE SKIP LOCKED``, so two
  dispatchers running at once take disjoint rows and never wait on each other.
- SQLite (one writer at a time): each claim is a conditional ``UPDATE … WHERE status = <seen>``;
  a row another dispatcher claimed first matches nothing and is skipped.
- a variant is claimed up to one beat interval early (``PUBLISHING_DISPATCH_LOOKAHEAD_SECONDS``,
  2 s) and its task gets that short countdown (the worker also waits out any rest), so it leaves
  on time instead of up to a tick late; every longer wait is a row, never a countdown.
- a variant an active freeze covers becomes ``held`` instead (released by ``lift_freeze``).
- a claim's lease is short (``PUBLISHING_LEASE_SECONDS``, 30 s): the worker batch that picks it
  up stamps its own token and renews it while it works (``scheduling.pick_up`` /
  ``renew_leases``). A lapsed lease (status ``publishing``, ``lease_expires_at`` past: a killed
  worker, a lost message, a broker restarted empty) is taken back at the next tick: an attempt
  never taken for the network call is released and claimed again with a new attempt; one that
  may have reached the network turns the variant ``unconfirmed``, settled by asking the network
  (``find_existing``), never by publishing blindly (:func:`recover_lapsed_leases`).
- at most ``PUBLISHING_MAX_WAITING`` claims wait for a worker at once: a backlog stays in the
  database, where losing the broker cannot take it (:func:`dispatch_due`).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from ..models import Post, PostVariant, PublishAttempt
from . import services as scheduling

log = logging.getLogger(__name__)

V = PostVariant.Status
A = PublishAttempt.Outcome

__all__ = [
    "Claim",
    "batches",
    "claim_due",
    "dispatch_due",
    "max_waiting",
    "recover_lapsed_leases",
    "waiting_claims",
    "worker_batch_size",
]


def worker_batch_size() -> int:
    return max(1, int(getattr(settings, "PUBLISHING_WORKER_BATCH", 20)))


def batches(claims: list[Claim], size: int) -> list[list[Claim]]:
    """``claims`` (in due order) cut into worker batches of about ``size``.

    A batch holds one organization's claims (its publishes are recorded in one transaction with
    one audit append) and a post's variants stay in one batch (two batches never record the same
    post at once). Each organization's claims keep their due order.
    """
    by_org: dict[int, list[Claim]] = {}
    for claim in claims:
        by_org.setdefault(claim.organization_id, []).append(claim)
    out: list[list[Claim]] = []
    for group in by_org.values():
        current: list[Claim] = []
        for claim in group:
            if len(current) >= size and claim.post_id != current[-1].post_id:
                out.append(current)
                current = []
            current.append(claim)
        if current:
            out.append(current)
    return out


def _enqueue(pairs: list[Claim]) -> None:
    from . import tasks

    for batch in batches(pairs, worker_batch_size()):
        wait = min(c.wait for c in batch)
        try:
            # A short countdown (at most the lookahead, a couple of seconds, far below the
            # broker's visibility timeout) so a batch claimed early leaves on time; the worker
            # waits out the rest for each variant.
            tasks.publish_attempts.apply_async(
                ([c.attempt_id for c in batch],), countdown=wait if wait > 0.05 else None
            )
        except Exception:  # noqa: BLE001 - the leases lapse and the rows are resumed: nothing is lost
            log.warning(
                "Could not enqueue attempts %s; their leases will recover them.",
                [c.attempt_id for c in batch],
                exc_info=True,
            )


def recover_lapsed_leases(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publishing variants whose lease lapsed (nobody picked the claim up in time, or the worker
    holding it stopped renewing: it died) are taken back.

    - The attempt is still ``running``: it was never taken for the network call (``_take`` is the
      only way out of ``running`` and happens right before it), so the network cannot have it.
      The claim is released: the attempt is abandoned and the variant scheduled again, claimed
      with a new attempt at the next tick, without asking the network.
    - Otherwise (in flight when its worker died, or a poll / settle that did not finish) nobody
      knows whether the network has it: the variant becomes unconfirmed and is settled by asking
      the network (``find_existing``), never by publishing blindly.

    Each row is taken back in one transaction. The attempt row decides between the two cases
    (``scheduling.release_untaken``: its conditional ``running`` → ``abandoned`` races the
    worker's conditional take, and the row lock makes exactly one of them win). The variant's
    UPDATE is conditional on the lapsed lease; a renewal (``scheduling.renew_leases``) is
    conditional on the lease not having lapsed, so exactly one of those wins too.
    """
    now = now or timezone.now()
    lapsed = list(
        PostVariant.objects.unscoped()
        .filter(status=V.PUBLISHING, lease_expires_at__lt=now)
        .values_list("pk", "organization_id", "claimed_attempt_id")[:limit]
    )
    recovered = 0
    for pk, org_id, attempt_id in lapsed:
        with transaction.atomic():
            mine = PostVariant.objects.for_org(org_id).filter(
                pk=pk, status=V.PUBLISHING, lease_expires_at__lt=now, claimed_attempt_id=attempt_id
            )
            if attempt_id is None:
                recovered += mine.update(
                    status=V.SCHEDULED, lease_expires_at=None, lease_owner="", updated_at=now
                )
                continue
            if scheduling.release_untaken(
                org_id,
                pk,
                attempt_id,
                now=now,
                lapsed_by=now,
                reason=(
                    "Not started within its lease (a lost message or a dead worker); never sent."
                ),
            ):
                recovered += 1
                continue
            if not mine.update(
                status=V.UNCONFIRMED,
                lease_expires_at=None,
                lease_owner="",
                next_attempt_at=now,
                updated_at=now,
            ):
                continue  # renewed meanwhile, or released just above
            PublishAttempt.objects.for_org(org_id).filter(
                pk=attempt_id, outcome=A.UNCONFIRMED
            ).update(finished_at=now, error="The worker's lease lapsed.")
            recovered += 1
    if recovered:
        log.info("took back %s variants whose lease lapsed", recovered)
    return recovered


def _candidates(now: datetime, limit: int):
    return (
        PostVariant.objects.unscoped()
        .filter(scheduling.due_filter(now))
        .select_related("channel", "post")
        .order_by("due_at", "pk")
    )


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
                status=V.HELD, updated_at=now
            )
            held |= ids
    return held


class Claim(NamedTuple):
    variant_id: int
    attempt_id: int
    #: seconds until the variant is due (claimed up to one lookahead early)
    wait: float
    #: the variant's post and organization (worker batches keep an organization's claims and a
    #: post's variants together)
    post_id: int = 0
    organization_id: int = 0


def _won_on_sqlite(v: PostVariant) -> bool:
    """SQLite: the claim of one row is this conditional UPDATE; a competitor that claimed first
    changed the status (or the claimed attempt), so it matches nothing."""
    return bool(
        PostVariant.objects.for_org(v.organization_id)
        .filter(pk=v.pk, status=v.status, claimed_attempt_id=v.claimed_attempt_id)
        .update(status=V.PUBLISHING, updated_at=timezone.now())
    )


def claim_due(*, now: datetime | None = None, limit: int = 500) -> list[Claim]:
    """Claim up to ``limit`` due variants; returns the claims to hand to workers.

    The whole batch is claimed in a fixed number of statements (not a few per variant): the
    locked candidates (PostgreSQL ``SKIP LOCKED``), the freezes of each organization, the last
    attempt numbers of every variant, one multi-row ``INSERT`` of the new attempts and one
    ``UPDATE`` of the claimed variants (two when some resume an unconfirmed or pending attempt).
    On SQLite each row is first won with a conditional ``UPDATE`` (there is no ``SKIP LOCKED``).

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
            # Rows another dispatcher has locked are skipped, not waited for; the rows returned
            # stay locked until this transaction ends, so the bulk writes below cannot race.
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        variants = list(qs[:limit])
        held = _hold_frozen(variants, now)
        won = [v for v in variants if v.pk not in held and (postgres or _won_on_sqlite(v))]
        fresh = [v for v in won if v.status == V.SCHEDULED]
        # unconfirmed (settle) or pending (poll) without an attempt to ask about: scheduled again
        orphans = [v for v in won if v.status != V.SCHEDULED and v.claimed_attempt_id is None]
        if orphans:
            for org_id, ids in _by_org(orphans).items():
                PostVariant.objects.for_org(org_id).filter(pk__in=ids).update(
                    status=V.SCHEDULED, next_attempt_at=None, updated_at=now
                )
        attempts = scheduling.new_attempts(fresh)
        resumed = [v for v in won if v.status != V.SCHEDULED and v.claimed_attempt_id is not None]
        for v in fresh + resumed:
            attempt_id = attempts[v.pk].pk if v.status == V.SCHEDULED else v.claimed_attempt_id
            claimed.append(
                Claim(
                    v.pk,
                    attempt_id,
                    scheduling.seconds_until_due(v, now=now),
                    v.post_id,
                    v.organization_id,
                )
            )
            started[v.organization_id].add(v.post_id)
        # Two UPDATEs for the batch (the rows are ours: locked, or won above on SQLite). A fresh
        # claim points at the attempt just inserted for it: its highest number.
        newest = (
            PublishAttempt.objects.unscoped()
            .filter(variant_id=OuterRef("pk"))
            .order_by("-number")
            .values("pk")
        )
        # No owner yet: the worker batch that picks the claim up stamps its own (scheduling.pick_up).
        if fresh:
            PostVariant.objects.unscoped().filter(pk__in=[v.pk for v in fresh]).update(
                status=V.PUBLISHING,
                lease_expires_at=lease_until,
                lease_owner="",
                updated_at=now,
                attempts_count=F("attempts_count") + 1,
                claimed_attempt_id=Subquery(newest[:1]),
            )
        if resumed:  # unconfirmed (settle) or pending (poll): the same attempt, asked about again
            PostVariant.objects.unscoped().filter(pk__in=[v.pk for v in resumed]).update(
                status=V.PUBLISHING, lease_expires_at=lease_until, lease_owner="", updated_at=now
            )
    # The posts' "scheduled → publishing" is cosmetic (the worker derives the post's status from
    # its variants) and runs after the claim committed: inside the claim it would lock post rows
    # after variant rows, the opposite order of cancel / schedule, and could deadlock with them.
    for org_id, post_ids in started.items():
        Post.objects.for_org(org_id).filter(pk__in=post_ids, status=Post.Status.SCHEDULED).update(
            status=Post.Status.PUBLISHING, updated_at=now
        )
    return claimed


def _by_org(variants: list[PostVariant]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for v in variants:
        out[v.organization_id].append(v.pk)
    return out


def max_waiting() -> int:
    return max(1, int(getattr(settings, "PUBLISHING_MAX_WAITING", 500)))


def waiting_claims() -> int:
    """Claims no worker has picked up yet: their messages wait in the broker (or are lost)."""
    return PostVariant.objects.unscoped().filter(status=V.PUBLISHING, lease_owner="").count()


def dispatch_due(
    *, now: datetime | None = None, limit: int = 500, budget_seconds: float = 2.0
) -> int:
    """One dispatcher tick: take back lapsed leases, claim due variants, enqueue their tasks on commit.

    A full batch is followed at once by another (a burst of thousands due at one instant is
    not paced by the beat interval), until a batch comes back short, ``budget_seconds`` pass, or
    ``PUBLISHING_MAX_WAITING`` (500) claims wait for a worker. That cap keeps a backlog in the
    database, not in the broker: a claim must be picked up within its short lease (30 s), and
    what a lost broker takes with it is at most that many claims, each taken back within one
    lease. The workers drain 500 claims in about five to ten seconds (see the README bench figures);
    lower the cap if they are much slower than that.
    """
    fixed_now = now
    started = time.monotonic()
    recover_lapsed_leases(now=now or timezone.now(), limit=limit)
    room = max_waiting() - waiting_claims()
    total = 0
    while room > 0:
        pairs = claim_due(now=fixed_now or timezone.now(), limit=min(limit, room))
        if pairs:
            # claim_due committed (or, inside an outer transaction, this runs when that commits)
            transaction.on_commit(lambda pairs=pairs: _enqueue(pairs))
        total += len(pairs)
        room -= len(pairs)
        if len(pairs) < limit or time.monotonic() - started > budget_seconds:
            break
    return total
