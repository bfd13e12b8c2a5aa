"""publishing.scheduler.services: schedule, publish now, cancel, retry, freezes, and the worker's step.

The database row is the source of truth. A variant moves::

    draft → scheduled ─(dispatcher claims, new PublishAttempt)→ publishing ─(worker)→ published
                     ↘ held (a freeze)          ↘ pending (network processing; polled)
                                                ↘ unconfirmed (outcome unknown; settled by asking)
                                                ↘ scheduled again (rate limit / transient, with backoff)
                                                ↘ failed (permanent, auth expired, too many tries)

The worker never trusts its message: :func:`perform_attempt` re-reads the variant, its post and
the attempt, and takes the attempt with a conditional update (``running`` → ``unconfirmed``,
"in flight") that also checks, in the same statement, that the attempt is still the variant's
claim and that the post's version and status have not moved. A second delivery of the same
message finds the attempt no longer ``running`` and does nothing. A worker killed during the
network call leaves the attempt ``unconfirmed`` and the variant ``publishing`` with a lease; the
dispatcher finds the lapsed lease and the variant is settled by ``find_existing`` (never by a
blind retry).

Leases: a claim's lease is short (30 s). The batch that picks a claim up stamps it with its own
token (:func:`pick_up`), renews it every third of a lease while it works (:class:`_LeaseKeeper`,
:func:`renew_leases`: only its own rows, only leases not yet lapsed), and takes an attempt only
while it still owns it with a third of a lease left (:func:`_take`). So a dead worker's claims
are taken back within one lease, a live one's never are, and a worker whose claim was taken
over (it stalled past its lease) does not send it.

Batches: the dispatcher hands a worker up to 20 claimed attempts of one organization at once
(:func:`perform_attempts`). Every attempt still goes through the same re-read and conditional
take right before its own network call; the batch shares the reads (one query for the attempts,
one for the media, one per channel for the credentials) and records the publishes the network
confirmed together (:func:`_record_published_many`), with one audit entry per publish appended
in one multi-row insert. Until that record commits, a confirmed attempt is "in flight" under its
lease, exactly like a worker killed right after the network call: settled by asking the network.

Lock order: every transaction that records an outcome locks the post row(s) first (in id order),
then the attempt and variant rows, and appends to the audit chain (the organization row lock)
last — the same order as schedule / cancel (post, variants, audit), so they cannot deadlock, and
the organization's chain lock is held only from the append to the commit.

Time zones: ``schedule_post`` takes an aware datetime. :func:`local_to_utc` turns a wall-clock
time in a zone into UTC: a time that does not exist (the spring-forward gap) is moved forward by
the length of the gap (02:30 in a one-hour gap → 03:30, the same rule Python's ``fold=0`` and
most calendars apply); an ambiguous time (the fall-back hour) means its first occurrence.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections, models, transaction
from django.db.models import Case, Max, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, can
from accounts.selectors import team_subtree_ids
from socialops.audit.services import Entry, record_event, record_events
from socialops.errors import ApplicationError, Conflict, NotAllowed, ValidationFailed

from .. import hooks, webhook_events
from ..models import (
    Post,
    PostMedia,
    PostVariant,
    PublishAttempt,
    PublishingFreeze,
)

__all__ = [
    "ACTIVE_VARIANT_STATUSES",
    "cancel_post",
    "create_freeze",
    "derive_post_status",
    "frozen_channel_ids",
    "lift_freeze",
    "local_to_utc",
    "move_channel_schedule",
    "ScheduleMove",
    "perform_attempt",
    "perform_attempts",
    "publish_now",
    "retry_variant",
    "schedule_post",
    "unschedule_post",
]

log = logging.getLogger(__name__)

V = PostVariant.Status
P = Post.Status
A = PublishAttempt.Outcome

#: variants the scheduler is still working on (not a final state)
ACTIVE_VARIANT_STATUSES = (V.SCHEDULED, V.PUBLISHING, V.UNCONFIRMED, V.PENDING, V.HELD)
#: a post in one of these may be (re)scheduled
_SCHEDULABLE_POST = (
    P.DRAFT,
    P.APPROVED,
    P.SCHEDULED,
    P.CANCELLED,
    P.FAILED,
    P.PARTIALLY_PUBLISHED,
    P.PUBLISHING,
)
#: variants that have (or may have) reached the network: scheduling and cancelling leave them alone
_OUT_OR_IN_FLIGHT = (V.PUBLISHED, V.PUBLISHING, V.UNCONFIRMED, V.PENDING)
#: the post states in which a claimed variant may still go out
_POST_MAY_PUBLISH = (P.SCHEDULED, P.PUBLISHING, P.PARTIALLY_PUBLISHED, P.FAILED, P.PUBLISHED)


def _setting(name: str, default):
    return getattr(settings, name, default)


def lease_duration() -> timedelta:
    """A claim's lease: how long a claim may wait for a worker, and how long a worker's hold lasts
    between two renewals (a live worker renews every third of it)."""
    return timedelta(seconds=_setting("PUBLISHING_LEASE_SECONDS", 30))


MAX_TRANSIENT_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 30 * 60
PENDING_POLL_SECONDS = 15
#: an unconfirmed attempt is looked for among the network's posts since it started, minus this margin
FIND_EXISTING_MARGIN = timedelta(minutes=5)


# --- Time zones --------------------------------------------------------------------------------


def _zone(timezone_name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(timezone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationFailed(
            _("Unknown time zone “%(zone)s”.") % {"zone": timezone_name},
            fields={"timezone": [_("Choose a valid time zone.")]},
        ) from None


def local_to_utc(local: datetime, timezone_name: str) -> datetime:
    """The UTC instant of wall-clock ``local`` (naive) in ``timezone_name`` (DST rules in the module doc)."""
    zone = _zone(timezone_name)
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    # fold=0: a time in a gap gets the offset from before the transition, i.e. it lands the gap's
    # length later on the wall clock; an ambiguous time is its first occurrence.
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


# --- Checks shared by schedule / publish now / retry -------------------------------------------


def _variants_of(post: Post):
    return (
        PostVariant.objects.for_org(post.organization_id)
        .filter(post=post)
        .select_related("channel")
        .order_by("pk")
    )


def _check_channels(variants, *, by) -> None:
    problems = []
    for v in variants:
        ch = v.channel
        label = ch.handle or ch.name
        if not can(by, Capability.VIEW, ch):
            # a restricted channel without a grant: said without its name (nor its state)
            problems.append(
                _(
                    "This post also goes to a channel you cannot see: someone with access to it must "
                    "schedule or publish it."
                )
            )
            continue
        if ch.status == ch.Status.NEEDS_REAUTH:
            problems.append(
                _("%(channel)s needs to be reconnected before anything can be published to it.")
                % {"channel": label}
            )
        elif ch.status != ch.Status.ACTIVE:
            problems.append(
                _("%(channel)s is not active (%(status)s).")
                % {"channel": label, "status": ch.get_status_display()}
            )
        elif not can(by, Capability.PUBLISH, ch):
            problems.append(_("You may not publish to %(channel)s.") % {"channel": label})
    if problems:
        raise ValidationFailed(problems[0], fields={"channels": problems})


def _lock_post(post: Post) -> Post:
    locked = Post.objects.for_org(post.organization_id).select_for_update().get(pk=post.pk)
    if Post.organization.is_cached(post):  # the caller's organization: no query to read it again
        locked.organization = post.organization
    return locked


def _require_publish(by, post: Post) -> None:
    if not can(by, Capability.PUBLISH, post):
        raise NotAllowed(_("You do not have permission to schedule or publish posts."))


def _schedule(
    post: Post,
    *,
    by,
    due: datetime,
    timezone_name: str,
    action: str,
    source: str = "web",
    cleared_gates=(),
) -> Post:
    _require_publish(by, post)
    post = _lock_post(post)
    if post.status == P.IN_REVIEW:
        raise Conflict(
            _("This post is waiting for approval; it can be scheduled once it is approved.")
        )
    previous_at = post.scheduled_at
    post.scheduled_at, post.schedule_timezone = due, timezone_name  # what the gates are asked about
    hooks.check_schedule_gates(post, by, cleared_gates=cleared_gates)
    if post.status not in _SCHEDULABLE_POST:
        raise Conflict(
            _("This post cannot be scheduled now (it is %(status)s).")
            % {"status": post.get_status_display()}
        )
    variants = [v for v in _variants_of(post) if v.status not in _OUT_OR_IN_FLIGHT]
    if not variants:
        raise ValidationFailed(
            _("Choose at least one channel that has not published this post yet."),
            fields={"channels": [_("Choose at least one channel.")]},
        )
    _check_channels(variants, by=by)
    post.status = P.SCHEDULED
    post.save(update_fields=["scheduled_at", "schedule_timezone", "status", "updated_at"])
    ids = [v.pk for v in variants]
    PostVariant.objects.for_org(post.organization_id).filter(pk__in=ids).update(
        status=V.SCHEDULED,
        due_at=due,
        next_attempt_at=None,
        failure_reason="",
        claimed_attempt=None,
        lease_expires_at=None,
        is_late=False,
        content_version=post.version,
        updated_at=timezone.now(),
    )
    record_event(
        post.organization,
        action,
        obj=post,
        actor=by.user,
        changes={"scheduled_at": due, "timezone": timezone_name, "variants": ids},
    )
    webhook_events.post_scheduled(post)  # outgoing webhook, in this transaction
    hooks.post_scheduled.send(
        sender=Post, post=post, by=by, previous_at=previous_at, source=source, action=action
    )
    return post


@transaction.atomic
def schedule_post(
    post: Post,
    *,
    by,
    at: datetime,
    timezone_name: str,
    source: str = "web",
    cleared_gates: Iterable[hooks.ScheduleGate] = (),
) -> Post:
    """Schedule every not-yet-published variant of ``post`` for ``at`` (aware), meant in ``timezone_name``.

    ``cleared_gates``: the schedule gates (``publishing.hooks``) the caller has itself satisfied in
    this transaction (approvals scheduling the post it has just approved); they are not asked again.
    """
    _zone(timezone_name)
    if at is None or timezone.is_naive(at):
        raise ValidationFailed(
            _("Give the time with its time zone."),
            fields={"at": [_("Enter a valid date and time.")]},
        )
    at = at.astimezone(UTC)
    if at <= timezone.now():
        raise ValidationFailed(
            _("The scheduled time is in the past: choose a time in the future."),
            fields={"at": [_("Choose a time in the future.")]},
        )
    return _schedule(
        post,
        by=by,
        due=at,
        timezone_name=timezone_name,
        action="post.scheduled",
        source=source,
        cleared_gates=cleared_gates,
    )


def _kick_dispatcher() -> None:
    from . import tasks

    try:
        tasks.dispatch.delay()
    except Exception:  # noqa: BLE001 - the beat tick picks it up anyway
        log.warning(
            "Could not enqueue the dispatcher; the next beat tick will publish.", exc_info=True
        )


@transaction.atomic
def publish_now(post: Post, *, by, source: str = "web") -> Post:
    """Due now: the dispatcher picks it up at once (kicked on commit) or at the next beat tick."""
    now = timezone.now()
    post = _schedule(
        post,
        by=by,
        due=now,
        timezone_name=post.schedule_timezone or "UTC",
        action="post.publish_now",
        source=source,
    )
    transaction.on_commit(_kick_dispatcher)
    return post


def _stop(post: Post, *, by, variant_status: str, post_status: str, action: str) -> Post:
    _require_publish(by, post)
    post = _lock_post(post)
    variants = PostVariant.objects.for_org(post.organization_id).filter(post=post)
    # A claimed (publishing) variant is stopped too: the worker re-reads the row before the
    # network call and abandons the attempt. Pending / unconfirmed ones may already be out: the
    # scheduler settles them with the network and records the truth.
    stopped = list(
        variants.filter(
            status__in=[V.DRAFT, V.SCHEDULED, V.HELD, V.PUBLISHING, V.FAILED]
        ).values_list("pk", flat=True)
    )
    variants.filter(pk__in=stopped).update(
        status=variant_status,
        next_attempt_at=None,
        lease_expires_at=None,
        updated_at=timezone.now(),
    )
    if post_status == P.DRAFT:
        post.scheduled_at = None
    post.status = post_status
    post.save(update_fields=["status", "scheduled_at", "updated_at"])
    record_event(post.organization, action, obj=post, actor=by.user, changes={"variants": stopped})
    if post_status == P.CANCELLED and variants.filter(status=V.PUBLISHED).exists():
        _refresh_post_status(post.organization_id, post.pk, keep_cancelled=True)
    return post


@transaction.atomic
def cancel_post(post: Post, *, by) -> Post:
    """Nothing more of ``post`` goes out; already published variants stay published."""
    if post.status in (P.PUBLISHED,):
        raise Conflict(_("This post is already published."))
    return _stop(
        post, by=by, variant_status=V.CANCELLED, post_status=P.CANCELLED, action="post.cancelled"
    )


@transaction.atomic
def unschedule_post(post: Post, *, by) -> Post:
    """Back to draft: the schedule is dropped, the content kept."""
    if post.status in (P.PUBLISHED,):
        raise Conflict(_("This post is already published."))
    return _stop(
        post, by=by, variant_status=V.DRAFT, post_status=P.DRAFT, action="post.unscheduled"
    )


@transaction.atomic
def retry_variant(variant: PostVariant, *, by) -> PostVariant:
    """Retry one failed channel (only that one), due now."""
    post = _lock_post(variant.post)
    _require_publish(by, post)
    variant = (
        PostVariant.objects.for_org(post.organization_id)
        .select_for_update()
        .select_related("channel")
        .get(pk=variant.pk)
    )
    if variant.status != V.FAILED:
        raise Conflict(
            _("Only a failed variant can be retried (this one is %(status)s).")
            % {"status": variant.get_status_display()}
        )
    _check_channels([variant], by=by)
    now = timezone.now()
    variant.status = V.SCHEDULED
    variant.due_at = now
    variant.next_attempt_at = None
    variant.failure_reason = ""
    variant.claimed_attempt = None
    variant.lease_expires_at = None
    variant.attempts_count = 0
    variant.content_version = post.version
    variant.save(
        update_fields=[
            "status",
            "due_at",
            "next_attempt_at",
            "failure_reason",
            "claimed_attempt",
            "lease_expires_at",
            "attempts_count",
            "content_version",
            "updated_at",
        ]
    )
    post.status = P.PUBLISHING
    post.save(update_fields=["status", "updated_at"])
    record_event(
        post.organization,
        "post.variant_retried",
        obj=variant,
        actor=by.user,
        changes={"post": post.pk, "channel": variant.channel_id},
    )
    transaction.on_commit(_kick_dispatcher)
    return variant


@dataclass
class ScheduleMove:
    """What :func:`move_channel_schedule` did, by post id."""

    moved: list[int] = field(default_factory=list)  # now going to the new channel
    already_there: list[int] = field(default_factory=list)  # the post already went there too
    unscheduled: list[int] = field(default_factory=list)  # this channel's variant back to draft


@transaction.atomic
def move_channel_schedule(channel, *, by, to=None) -> ScheduleMove:
    """The posts waiting to go out on ``channel`` (scheduled or held): each goes to ``to`` instead,
    at the same time, or (``to`` None) its variant for ``channel`` goes back to draft (and the post
    too when nothing else of it was waiting). A post that already goes to ``to`` keeps that variant
    and this one is cancelled. Used when a channel is retired; the caller archives it.

    Refuses (nothing changed) a ``to`` of another organization or another network, the channel
    itself, one that is not active, or one ``by`` may not publish to. Posts are locked first, in
    id order, then their variants (the scheduler's lock order); a variant the dispatcher already
    claimed is in flight and stays where it is.
    """
    org_id = channel.organization_id
    if not can(by, Capability.PUBLISH, channel):
        raise NotAllowed(_("You may not publish to this channel."))
    if to is not None:
        _check_move_target(channel, to, by=by)
    waiting = PostVariant.objects.for_org(org_id).filter(
        channel=channel, status__in=[V.SCHEDULED, V.HELD]
    )
    statuses = _lock_posts(org_id, set(waiting.values_list("post_id", flat=True)))
    rows = list(
        waiting.filter(post_id__in=list(statuses))
        .select_related("post")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    result = ScheduleMove()
    if not rows:
        return result
    now = timezone.now()
    entries: list[Entry] = []
    if to is not None:
        on_target = set(
            PostVariant.objects.for_org(org_id)
            .filter(channel=to, post_id__in=[v.post_id for v in rows])
            .values_list("post_id", flat=True)
        )
        clash = [v.pk for v in rows if v.post_id in on_target]
        fine = [v.pk for v in rows if v.post_id not in on_target]
        PostVariant.objects.for_org(org_id).filter(pk__in=clash).update(
            status=V.CANCELLED, next_attempt_at=None, updated_at=now
        )
        # scheduled again on the new channel: the dispatcher holds it if a freeze covers that one
        PostVariant.objects.for_org(org_id).filter(pk__in=fine).update(
            channel=to, status=V.SCHEDULED, next_attempt_at=None, updated_at=now
        )
        for v in rows:
            moved = v.pk in fine
            (result.moved if moved else result.already_there).append(v.post_id)
            entries.append(
                Entry(
                    "post.channel_moved" if moved else "post.variant_cancelled",
                    obj=v.post,
                    actor=by.user,
                    changes={"variant": v.pk, "channel": [channel.pk, to.pk]}
                    if moved
                    else {"variant": v.pk, "channel": channel.pk, "already_on": to.pk},
                )
            )
        _refresh_post_statuses(org_id, statuses)
    else:
        ids = [v.pk for v in rows]
        PostVariant.objects.for_org(org_id).filter(pk__in=ids).update(
            status=V.DRAFT, due_at=None, next_attempt_at=None, updated_at=now
        )
        others = set(
            PostVariant.objects.for_org(org_id)
            .filter(post_id__in=list(statuses))
            .exclude(pk__in=ids)
            .exclude(status__in=[V.DRAFT, V.CANCELLED])
            .values_list("post_id", flat=True)
        )
        alone = [pk for pk in statuses if pk not in others]
        Post.objects.for_org(org_id).filter(pk__in=alone).update(
            status=P.DRAFT, scheduled_at=None, updated_at=now
        )
        _refresh_post_statuses(org_id, {pk: st for pk, st in statuses.items() if pk in others})
        for v in rows:
            result.unscheduled.append(v.post_id)
            entries.append(
                Entry(
                    "post.variant_unscheduled",
                    obj=v.post,
                    actor=by.user,
                    changes={
                        "variant": v.pk,
                        "channel": channel.pk,
                        "post_to_draft": v.post_id in alone,
                    },
                )
            )
    record_events(channel.organization, entries)
    return result


def _check_move_target(channel, to, *, by) -> None:
    def refuse(message):
        raise ValidationFailed(message, fields={"move_to": [message]})

    if to.organization_id != channel.organization_id or not can(by, Capability.VIEW, to):
        refuse(_("Choose a channel of this organization."))
    if to.pk == channel.pk:
        refuse(_("Choose another channel than the one being retired."))
    if to.provider != channel.provider:
        refuse(_("Choose a channel of the same network: posts are written for it."))
    if to.status != to.Status.ACTIVE:
        refuse(
            _("%(channel)s is not active (%(status)s): choose an active channel.")
            % {"channel": to.handle or to.name, "status": to.get_status_display()}
        )
    if not can(by, Capability.PUBLISH, to):
        refuse(_("You may not publish to %(channel)s.") % {"channel": to.handle or to.name})


# --- Freezes -------------------------------------------------------------------------------------


def active_freezes(organization_id: int):
    return (
        PublishingFreeze.objects.for_org(organization_id)
        .filter(lifted_at__isnull=True)
        .select_related("team")
    )


def _covered(freeze: PublishingFreeze, variant: PostVariant, subtree_cache: dict) -> bool:
    if freeze.scope == PublishingFreeze.Scope.ORGANIZATION:
        return True
    if freeze.scope == PublishingFreeze.Scope.CHANNEL:
        return variant.channel_id == freeze.channel_id
    if freeze.team_id not in subtree_cache:
        subtree_cache[freeze.team_id] = team_subtree_ids(freeze.organization, freeze.team)
    teams = subtree_cache[freeze.team_id]
    return variant.channel.team_id in teams or variant.post.team_id in teams


def frozen_channel_ids(organization_id: int, variants, freezes=None) -> set[int]:
    """Ids of ``variants`` (with channel and post loaded) that an active freeze holds."""
    freezes = list(active_freezes(organization_id)) if freezes is None else freezes
    if not freezes:
        return set()
    cache: dict = {}
    return {v.pk for v in variants if any(_covered(f, v, cache) for f in freezes)}


@transaction.atomic
def create_freeze(
    organization,
    *,
    by,
    scope: str,
    team=None,
    channel=None,
    reason: str,
    on_lift: str = PublishingFreeze.OnLift.PUBLISH,
) -> PublishingFreeze:
    """Hold every due post of the organization, a team subtree or one channel until lifted."""
    _require_freeze(by, scope, channel)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why publishing is frozen.")]
    if scope not in PublishingFreeze.Scope.values:
        errors["scope"] = [_("Choose a valid scope.")]
    if on_lift not in PublishingFreeze.OnLift.values:
        errors["on_lift"] = [_("Choose what happens to held posts.")]
    if scope == PublishingFreeze.Scope.TEAM and team is None:
        errors["team"] = [_("Choose the team to freeze.")]
    if scope == PublishingFreeze.Scope.CHANNEL and channel is None:
        errors["channel"] = [_("Choose the channel to freeze.")]
    for obj in (team, channel):
        if obj is not None and obj.organization_id != organization.pk:
            raise ValidationFailed(_("That team or channel does not exist."))
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    freeze = PublishingFreeze.objects.create(
        organization=organization,
        scope=scope,
        reason=reason[:300],
        on_lift=on_lift,
        created_by=by.user,
        team=team if scope == PublishingFreeze.Scope.TEAM else None,
        channel=channel if scope == PublishingFreeze.Scope.CHANNEL else None,
    )
    record_event(
        organization,
        "publishing.freeze_created",
        obj=freeze,
        actor=by.user,
        changes={
            "scope": scope,
            "team": freeze.team_id,
            "channel": freeze.channel_id,
            "reason": reason,
            "on_lift": on_lift,
        },
    )
    return freeze


def _require_freeze(by, scope, channel) -> None:
    if can(by, Capability.MANAGE_GOVERNANCE):
        return
    if (
        scope == PublishingFreeze.Scope.CHANNEL
        and channel is not None
        and can(by, Capability.MANAGE_CHANNELS, channel)
    ):
        return
    raise NotAllowed(_("You do not have permission to freeze or unfreeze publishing."))


@transaction.atomic
def lift_freeze(freeze: PublishingFreeze, *, by) -> PublishingFreeze:
    """Lift ``freeze``; the posts it held go out (marked late, or cancelled, per its choice)."""
    _require_freeze(by, freeze.scope, freeze.channel)
    freeze = (
        PublishingFreeze.objects.for_org(freeze.organization_id)
        .select_for_update()
        .get(pk=freeze.pk)
    )
    if freeze.lifted_at is not None:
        raise Conflict(_("This freeze was already lifted."))
    now = timezone.now()
    freeze.lifted_at = now
    freeze.lifted_by = by.user
    freeze.save(update_fields=["lifted_at", "lifted_by"])
    held = list(
        PostVariant.objects.for_org(freeze.organization_id)
        .filter(status=V.HELD)
        .select_related("channel", "post")
    )
    cache: dict = {}
    mine = [v for v in held if _covered(freeze, v, cache)]
    still = frozen_channel_ids(freeze.organization_id, mine)
    released = [v.pk for v in mine if v.pk not in still]
    qs = PostVariant.objects.for_org(freeze.organization_id).filter(pk__in=released, status=V.HELD)
    if freeze.on_lift == PublishingFreeze.OnLift.CANCEL:
        qs.update(status=V.CANCELLED, updated_at=now)
    else:
        qs.update(
            status=V.SCHEDULED,
            next_attempt_at=None,
            is_late=freeze.on_lift == PublishingFreeze.OnLift.MARK_LATE,
            updated_at=now,
        )
    record_event(
        freeze.organization,
        "publishing.freeze_lifted",
        obj=freeze,
        actor=by.user,
        changes={"released": released, "on_lift": freeze.on_lift},
    )
    for post_id in set(
        PostVariant.objects.for_org(freeze.organization_id)
        .filter(pk__in=released)
        .values_list("post_id", flat=True)
    ):
        _refresh_post_status(freeze.organization_id, post_id)
    transaction.on_commit(_kick_dispatcher)
    return freeze


# --- Post status from its variants ---------------------------------------------------------------


def derive_post_status(statuses: list[str], current: str) -> str:
    """published / partially_published / failed / publishing / scheduled, from the variants' states."""
    live = [s for s in statuses if s not in (V.CANCELLED, V.DRAFT)]
    if not live:
        return current
    if any(s in (V.PUBLISHING, V.UNCONFIRMED, V.PENDING) for s in live):
        return P.PUBLISHING
    if any(s in (V.SCHEDULED, V.HELD) for s in live):
        started = any(s in (V.PUBLISHED, V.FAILED) for s in live)
        return P.PUBLISHING if started else P.SCHEDULED
    published = sum(1 for s in live if s == V.PUBLISHED)
    if published == len(live):
        return P.PUBLISHED
    return P.PARTIALLY_PUBLISHED if published else P.FAILED


def _lock_posts(organization_id: int, post_ids) -> dict[int, str]:
    """Lock ``post_ids`` (in id order) and return their statuses.

    Every transaction that records a worker's outcome takes its posts' locks first, before any
    variant row: the same order as schedule / cancel (post, then its variants), so the two never
    deadlock. And two variants of one post finishing at once take turns: the second re-reads
    the first's committed status before deriving the post's, so a post whose variants all went
    out never stays "publishing".
    """
    return dict(
        Post.objects.for_org(organization_id)
        .filter(pk__in=list(post_ids))
        .select_for_update()
        .order_by("pk")
        .values_list("pk", "status")
    )


def _refresh_post_statuses(
    organization_id: int, current: dict[int, str], *, keep_cancelled: bool = False
) -> None:
    """Derive each post's status from its variants (``current``: the posts' locked statuses).

    One query for every post's variants and one UPDATE per distinct new status.
    """
    wanted = {
        pk: st
        for pk, st in current.items()
        if st not in (P.DRAFT, P.IN_REVIEW, P.APPROVED) and (st != P.CANCELLED or keep_cancelled)
    }
    if not wanted:
        return
    statuses: dict[int, list[str]] = {pk: [] for pk in wanted}
    for post_id, status in (
        PostVariant.objects.for_org(organization_id)
        .filter(post_id__in=list(wanted))
        .order_by()
        .values_list("post_id", "status")
    ):
        statuses[post_id].append(status)
    changes: dict[str, list[int]] = {}
    for post_id, old in wanted.items():
        new = derive_post_status(statuses[post_id], old)
        if old == P.CANCELLED and new not in (P.PUBLISHED, P.PARTIALLY_PUBLISHED):
            continue
        if new != old:
            changes.setdefault(new, []).append(post_id)
    now = timezone.now()
    for new, ids in changes.items():
        Post.objects.for_org(organization_id).filter(pk__in=ids).update(status=new, updated_at=now)


def _refresh_post_status(
    organization_id: int, post_id: int, *, keep_cancelled: bool = False
) -> None:
    _refresh_post_statuses(
        organization_id, _lock_posts(organization_id, [post_id]), keep_cancelled=keep_cancelled
    )


# --- Building the request ------------------------------------------------------------------------


def add_utm(url: str, campaign) -> str:
    """``url`` with the campaign's UTM parameters (existing query parameters kept, ours win)."""
    if not url or campaign is None:
        return url
    ours = {
        k: v
        for k, v in (
            ("utm_source", campaign.utm_source),
            ("utm_medium", campaign.utm_medium),
            ("utm_campaign", campaign.utm_campaign or campaign.name),
        )
        if v
    }
    if not ours:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ours]
    query += list(ours.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _reader(path: str):
    def read() -> bytes:
        with default_storage.open(path, "rb") as fh:
            return fh.read()

    return read


def build_request(
    variant: PostVariant, attempt: PublishAttempt, provider, *, media_items=None
) -> object:
    from channels_registry.media_urls import signed_media_url
    from channels_registry.providers.base import MediaItem, PublishRequest

    from ..media.services import publish_file_for

    post = variant.post
    caps = provider.capabilities
    media = []
    items = (
        media_items
        if media_items is not None
        else PostMedia.objects.for_org(post.organization_id)
        .filter(post=post)
        .select_related("asset")
        .order_by("position", "pk")
    )
    for pm in items:
        # The same choice the composer validated: one rule for what is checked and what is sent.
        chosen = publish_file_for(pm.asset, caps, variant.format, alt_text=pm.alt_text)
        path = chosen.storage_path
        media.append(
            MediaItem(
                kind=pm.asset.kind,
                url=signed_media_url(path, organization_id=post.organization_id),
                read=_reader(path),
                mime_type=chosen.mime_type,
                width=chosen.width,
                height=chosen.height,
                size_bytes=chosen.size_bytes,
                duration_seconds=chosen.duration_seconds,
                alt_text=chosen.alt_text,
            )
        )
    first_comment = variant.first_comment or post.first_comment
    return PublishRequest(
        text=variant.effective_text(post),
        media=media,
        link=add_utm(post.link_url, post.campaign) or None,
        format=variant.format,
        first_comment=(first_comment or None) if caps.first_comment else None,
        idempotency_key=attempt.idempotency_key,
    )


# --- The worker step -----------------------------------------------------------------------------


@dataclass
class AttemptResult:
    outcome: str
    variant_status: str = ""
    detail: str = ""


def _load(attempt_id: int):
    attempt = (
        PublishAttempt.objects.unscoped()
        .filter(pk=attempt_id)
        .select_related("variant__post__campaign", "variant__channel", "organization")
        .first()
    )
    return attempt


def _finish_attempt(
    attempt: PublishAttempt,
    outcome: str,
    *,
    error: str = "",
    external_id: str = "",
    pending_ref: str = "",
) -> None:
    fields = {"outcome": outcome, "finished_at": timezone.now(), "error": error[:2000]}
    if external_id:
        fields["external_id"] = external_id
    if pending_ref:
        fields["pending_ref"] = pending_ref
    PublishAttempt.objects.for_org(attempt.organization_id).filter(pk=attempt.pk).update(**fields)


def _variant_qs(attempt: PublishAttempt):
    return PostVariant.objects.for_org(attempt.organization_id).filter(
        pk=attempt.variant_id, claimed_attempt_id=attempt.pk
    )


def _abandon(attempt: PublishAttempt, reason: str) -> AttemptResult:
    """The content changed, or the post was cancelled, after the claim: this attempt never goes out.

    Only an attempt still ``running`` (never sent) is abandoned: one that another delivery of the
    same message has in flight is left to that worker.
    """
    with transaction.atomic():
        posts = _lock_posts(attempt.organization_id, [attempt.variant.post_id])
        if (
            not PublishAttempt.objects.for_org(attempt.organization_id)
            .filter(pk=attempt.pk, outcome=A.RUNNING)
            .update(outcome=A.ABANDONED, finished_at=timezone.now(), error=reason[:2000])
        ):
            return AttemptResult(A.UNCONFIRMED, detail="in flight elsewhere")
        variant = (
            PostVariant.objects.for_org(attempt.organization_id)
            .filter(pk=attempt.variant_id)
            .select_related("post")
            .first()
        )
        if (
            variant is not None
            and variant.claimed_attempt_id == attempt.pk
            and variant.status == V.PUBLISHING
        ):
            post = variant.post
            if post.status in _POST_MAY_PUBLISH:
                new = (
                    V.SCHEDULED
                )  # edited while claimed (or the lease ran short): a new attempt goes out
            elif post.status == P.CANCELLED:
                new = V.CANCELLED
            else:
                new = V.DRAFT  # unapproved / back to draft
            _variant_qs(attempt).filter(status=V.PUBLISHING).update(
                status=new,
                claimed_attempt=None,
                lease_expires_at=None,
                next_attempt_at=None,
                content_version=post.version,
                updated_at=timezone.now(),
            )
            _refresh_post_statuses(attempt.organization_id, posts)
    return AttemptResult(A.ABANDONED, detail=reason)


def _take(attempt: PublishAttempt, owner: str) -> bool:
    """Take the attempt for the network call, in one statement that re-checks everything.

    ``running`` → ``unconfirmed`` (in flight, ``finished_at`` empty) only while the attempt is
    still the variant's claim, held by this batch (``owner``) with at least a third of its lease
    left, the variant is publishing, and the post has the attempt's version and a status that
    lets it go out. A duplicate delivery, a lease that lapsed and was taken over (released or
    claimed again: the owner changed), an edit, an unapproval or a cancel that happened before
    this statement makes it match nothing.
    """
    now = timezone.now()
    claimed = (
        PostVariant.objects.for_org(attempt.organization_id)
        .filter(
            pk=attempt.variant_id,
            claimed_attempt_id=attempt.pk,
            status=V.PUBLISHING,
            lease_owner=owner,
            # enough lease left for the call: a lapsing lease would let the sweep settle it mid-call
            # (the batch's lease keeper renews it every third of a lease while the call runs)
            lease_expires_at__gt=now + lease_duration() / 3,
            post__version=attempt.content_version,
            post__status__in=_POST_MAY_PUBLISH,
        )
        .values("pk")
    )
    return bool(
        PublishAttempt.objects.for_org(attempt.organization_id)
        .filter(
            pk=attempt.pk,
            outcome=A.RUNNING,
            variant_id__in=claimed,
        )
        .update(outcome=A.UNCONFIRMED, started_at=now, finished_at=None)
    )


def _record_published(attempt: PublishAttempt, result, *, late_reason: str = "") -> AttemptResult:
    _record_published_many([(attempt, result, timezone.now())], late_reason=late_reason)
    return AttemptResult(A.PUBLISHED, V.PUBLISHED)


def _record_published_many(
    items: list[tuple[PublishAttempt, object, datetime]], *, late_reason: str = ""
) -> None:
    """Record that the network has each ``(attempt, result, answered_at)``: one transaction per
    organization and a fixed number of statements whatever the number of items.

    Posts locked first (:func:`_lock_posts`), the attempts and variants updated with one
    ``UPDATE … CASE`` each, the posts' statuses derived once per post, and one audit entry per
    publish appended last, in one multi-row insert (the organization's chain lock is held only
    from there to the commit).
    """
    by_org: dict[int, list[tuple[PublishAttempt, object, datetime]]] = {}
    for item in items:
        by_org.setdefault(item[0].organization_id, []).append(item)
    for org_id, group in by_org.items():
        with transaction.atomic():
            posts = _lock_posts(org_id, {a.variant.post_id for a, _r, _t in group})
            entries = []
            for attempt, result, _at in group:
                variant = attempt.variant
                entries.append(
                    Entry(
                        "post.variant_published",
                        obj=variant,
                        changes={
                            "post": variant.post_id,
                            "channel": variant.channel_id,
                            "attempt": attempt.number,
                            "external_id": result.external_id,
                        },
                    )
                )
            now = timezone.now()
            attempt_ids = [a.pk for a, _r, _t in group]
            variant_ids = [a.variant_id for a, _r, _t in group]
            PublishAttempt.objects.for_org(org_id).filter(pk__in=attempt_ids).update(
                outcome=A.PUBLISHED,
                error=late_reason[:2000],
                finished_at=now,
                external_id=_by_pk(
                    {a.pk: r.external_id[:255] for a, r, _t in group}, models.CharField()
                ),
            )
            # The network has it: record the truth even if someone cancelled meanwhile.
            PostVariant.objects.for_org(org_id).filter(pk__in=variant_ids).exclude(
                status=V.PUBLISHED
            ).update(
                status=V.PUBLISHED,
                failure_reason="",
                lease_expires_at=None,
                next_attempt_at=None,
                updated_at=now,
                external_id=_by_pk(
                    {a.variant_id: r.external_id[:255] for a, r, _t in group}, models.CharField()
                ),
                external_url=_by_pk(
                    {a.variant_id: (r.url or "")[:1000] for a, r, _t in group}, models.CharField()
                ),
                published_at=_by_pk(
                    {a.variant_id: t for a, _r, t in group}, models.DateTimeField()
                ),
            )
            _refresh_post_statuses(org_id, posts)
            webhook_events.variants_published(
                group[0][0].organization, variant_ids
            )  # outgoing webhooks
            record_events(group[0][0].organization, entries)


def _by_pk(values: dict, output_field):
    """``CASE id WHEN … THEN …``: one column set per row in a single UPDATE."""
    return Case(
        *[When(pk=pk, then=Value(v, output_field=output_field)) for pk, v in values.items()],
        output_field=output_field,
    )


def _record_failed(attempt: PublishAttempt, message: str, *, notify: bool = True) -> AttemptResult:
    now = timezone.now()
    with transaction.atomic():
        posts = _lock_posts(attempt.organization_id, [attempt.variant.post_id])
        _finish_attempt(attempt, A.FAILED, error=message)
        changed = (
            _variant_qs(attempt)
            .exclude(status__in=[V.PUBLISHED, V.CANCELLED])
            .update(
                status=V.FAILED,
                failure_reason=message[:2000],
                lease_expires_at=None,
                next_attempt_at=None,
                updated_at=now,
            )
        )
        variant = attempt.variant
        _refresh_post_statuses(attempt.organization_id, posts)
        record_event(
            attempt.organization,
            "post.variant_failed",
            obj=variant,
            changes={
                "post": variant.post_id,
                "channel": variant.channel_id,
                "attempt": attempt.number,
                "reason": message[:500],
            },
        )
        if changed:
            webhook_events.variant_failed(variant)  # outgoing webhook, in this transaction
        if changed and notify:
            from .notifications import notify_publish_failure

            variant_id = variant.pk
            transaction.on_commit(lambda: notify_publish_failure(variant_id))
    return AttemptResult(A.FAILED, V.FAILED, message)


def _record_retry(
    attempt: PublishAttempt, message: str, *, wait: float, outcome: str = A.RETRY
) -> AttemptResult:
    now = timezone.now()
    with transaction.atomic():
        posts = _lock_posts(attempt.organization_id, [attempt.variant.post_id])
        _finish_attempt(attempt, outcome, error=message)
        _variant_qs(attempt).exclude(status__in=[V.PUBLISHED, V.CANCELLED, V.DRAFT]).update(
            status=V.SCHEDULED,
            claimed_attempt=None,
            lease_expires_at=None,
            next_attempt_at=now + timedelta(seconds=max(0.0, wait)),
            failure_reason=message[:2000],
            updated_at=now,
        )
        _refresh_post_statuses(attempt.organization_id, posts)
    return AttemptResult(outcome, V.SCHEDULED, message)


def _record_unconfirmed(attempt: PublishAttempt, message: str) -> AttemptResult:
    now = timezone.now()
    with transaction.atomic():
        _finish_attempt(attempt, A.UNCONFIRMED, error=message)
        # Keep the claim on this attempt: the settle step asks the network about *this* attempt.
        _variant_qs(attempt).exclude(status=V.PUBLISHED).update(
            status=V.UNCONFIRMED, lease_expires_at=None, next_attempt_at=now, updated_at=now
        )
    return AttemptResult(A.UNCONFIRMED, V.UNCONFIRMED, message)


def _record_pending(attempt: PublishAttempt, result) -> AttemptResult:
    now = timezone.now()
    with transaction.atomic():
        PublishAttempt.objects.for_org(attempt.organization_id).filter(pk=attempt.pk).update(
            outcome=A.PENDING,
            pending_ref=result.pending_ref[:1000],
            external_id=result.external_id[:255],
        )
        _variant_qs(attempt).exclude(status=V.PUBLISHED).update(
            status=V.PENDING,
            lease_expires_at=None,
            next_attempt_at=now + timedelta(seconds=PENDING_POLL_SECONDS),
            updated_at=now,
        )
    return AttemptResult(A.PENDING, V.PENDING)


def backoff_seconds(attempt_number: int) -> float:
    """Exponential backoff with ±20 % jitter: 30 s, 60 s, 120 s … capped at 30 min."""
    base = min(BACKOFF_BASE_SECONDS * 2 ** max(0, attempt_number - 1), BACKOFF_MAX_SECONDS)
    return base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security


def _handle_error(attempt: PublishAttempt, exc) -> AttemptResult:
    from channels_registry.providers.errors import (
        AuthExpired,
        ContentRejected,
        RateLimited,
        UnknownOutcome,
    )

    message = getattr(exc, "message", "") or str(exc)
    if isinstance(exc, AuthExpired):
        from channels_registry.services import mark_needs_reauth

        result = _record_failed(
            attempt,
            _(
                "The network no longer accepts this channel's authorization: "
                "reconnect it, then retry. (%(reason)s)"
            )
            % {"reason": message},
        )
        mark_needs_reauth(attempt.variant.channel, reason=message)
        return result
    if isinstance(exc, RateLimited):
        return _record_retry(attempt, message, wait=float(exc.retry_after or 60.0))
    if isinstance(exc, UnknownOutcome):
        return _record_unconfirmed(attempt, message)
    if isinstance(exc, ContentRejected) or getattr(exc, "permanent", False):
        return _record_failed(attempt, message)
    # Transient (5xx, refused connection, malformed answer): back off, then give up.
    tries = max(attempt.variant.attempts_count, 1)
    if tries >= MAX_TRANSIENT_ATTEMPTS:
        return _record_failed(
            attempt, _("Gave up after %(n)s attempts: %(reason)s") % {"n": tries, "reason": message}
        )
    return _record_retry(attempt, message, wait=backoff_seconds(tries))


_providers: dict[tuple[str, str], object] = {}


@dataclass
class _Batch:
    """What one worker batch reads once and shares: each channel's decrypted credentials (read
    when its first attempt of the batch starts, so never older than the batch), the posts'
    media, and the publishes the network confirmed, recorded together at the end. ``owner`` is
    the batch's lease token (:func:`pick_up`)."""

    owner: str = ""
    credentials: dict = field(default_factory=dict)
    media: dict = field(default_factory=dict)
    published: list = field(default_factory=list)


# --- Leases: picked up, renewed while the worker works, released when handed back -------------


def pick_up(
    attempt_ids, owner: str, *, take_over: bool = False, now: datetime | None = None
) -> int:
    """The worker batch ``owner`` (a fresh random token) picks up the claims of ``attempt_ids``:
    one conditional UPDATE that stamps the token and starts a full lease.

    Only a claim still waiting for a worker is picked up: publishing, claimed by one of these
    attempts, no owner yet, lease not lapsed. So a second delivery of a message, or one that
    turns up after its lease lapsed and the claim was released or claimed again, finds the claim
    owned or gone and does nothing; only the owner renews the lease and may take an attempt
    (:func:`_take`).

    ``take_over``: the broker redelivered the message (``reject_on_worker_lost`` requeues it when
    the worker process running it was killed). The claims another batch holds whose attempt it
    never took are released at once (:func:`release_untaken`) and the dispatcher kicked, so they
    go out again within seconds instead of after the dead batch's lease.
    """
    now = now or timezone.now()
    ids = list(attempt_ids)
    if take_over:
        held = list(
            PostVariant.objects.unscoped()
            .filter(
                claimed_attempt_id__in=ids,
                status=V.PUBLISHING,
                claimed_attempt__outcome=A.RUNNING,
            )
            .exclude(lease_owner__in=["", owner])
            .values_list("organization_id", "pk", "claimed_attempt_id")
        )
        reason = (
            "Its worker process died before sending it (the message was redelivered); never sent."
        )
        if sum(
            release_untaken(org_id, pk, attempt_id, now=now, reason=reason)
            for org_id, pk, attempt_id in held
        ):
            transaction.on_commit(_kick_dispatcher)
    return (
        PostVariant.objects.unscoped()
        .filter(
            claimed_attempt_id__in=ids,
            status=V.PUBLISHING,
            lease_owner="",
            lease_expires_at__gt=now,
        )
        .update(lease_owner=owner, lease_expires_at=now + lease_duration(), updated_at=now)
    )


def release_untaken(
    organization_id: int,
    variant_id: int,
    attempt_id: int,
    *,
    now: datetime,
    reason: str,
    lapsed_by: datetime | None = None,
) -> bool:
    """Release a claim whose attempt was never taken for the network call: the attempt is
    abandoned and the variant scheduled again (claimed with a new attempt at the next tick,
    without asking the network: it cannot have it). ``lapsed_by``: only if the lease had lapsed
    by then. Returns whether it was released.

    The attempt row decides: its conditional ``running`` → ``abandoned`` races the worker's
    take (``running`` → ``unconfirmed``, also conditional on the attempt row), and the row lock
    makes exactly one of them win. If the variant's conditional UPDATE then matches nothing (its
    lease was renewed meanwhile, or it moved on), the release is rolled back.
    """
    with transaction.atomic():
        if (
            not PublishAttempt.objects.for_org(organization_id)
            .filter(pk=attempt_id, outcome=A.RUNNING)
            .update(outcome=A.ABANDONED, finished_at=now, error=reason[:2000])
        ):
            return False
        variant = PostVariant.objects.for_org(organization_id).filter(
            pk=variant_id, status=V.PUBLISHING, claimed_attempt_id=attempt_id
        )
        if lapsed_by is not None:
            variant = variant.filter(lease_expires_at__lt=lapsed_by)
        if variant.update(
            status=V.SCHEDULED,
            claimed_attempt=None,
            lease_expires_at=None,
            lease_owner="",
            next_attempt_at=None,
            attempts_count=models.F("attempts_count") - 1,
            updated_at=now,
        ):
            return True
        transaction.set_rollback(True)
        return False


def renew_leases(owner: str, variant_ids, *, now: datetime | None = None) -> int:
    """Extend the leases ``owner`` still holds (the variants it has not finished) by a full lease.

    Conditional on the owner and on the lease not having lapsed: a lease that lapsed was (or is
    about to be) taken over by the dispatcher, and a renewal must never revive it. What it does
    not renew is no longer this worker's to send (:func:`_take` checks the owner). On PostgreSQL
    the rows the worker itself is recording right now are skipped (``SKIP LOCKED``; they are
    being finished), so the keeper never waits on, or deadlocks with, its own batch.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            PostVariant.objects.unscoped()
            .filter(
                pk__in=list(variant_ids),
                lease_owner=owner,
                status=V.PUBLISHING,
                lease_expires_at__gt=now,
            )
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        return (
            PostVariant.objects.unscoped()
            .filter(pk__in=ids)
            # not ``updated_at``: a lease renewal is no change a sync client (updated_since) sees
            .update(lease_expires_at=now + lease_duration())
        )


def _hand_back(owner: str, attempt_ids) -> None:
    """Claims a batch did not start (over its time budget) go back to waiting for a worker, with a
    fresh lease, so the task they are handed to can pick them up."""
    now = timezone.now()
    PostVariant.objects.unscoped().filter(
        claimed_attempt_id__in=list(attempt_ids),
        lease_owner=owner,
        status=V.PUBLISHING,
    ).update(lease_owner="", lease_expires_at=now + lease_duration(), updated_at=now)


class _LeaseKeeper:
    """Renews a batch's leases every third of a lease while the batch works (a thread).

    A batch normally ends long before the first renewal is due (its time budget is 10 s; the
    lease 30 s). It matters when a network call is slow: the lease stays alive exactly as long as
    the worker process does, so a dead worker's claims are taken over within one lease, while a
    live worker's are never taken over mid-call.
    """

    def __init__(self, owner: str, variant_ids):
        self.owner, self.variant_ids = owner, list(variant_ids)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"lease-keeper-{owner[:8]}", daemon=True
        )

    def __enter__(self) -> _LeaseKeeper:
        if self.variant_ids:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=lease_duration().total_seconds())

    def _run(self) -> None:
        interval = lease_duration().total_seconds() / 3
        try:
            while not self._stop.wait(interval):
                try:
                    renew_leases(self.owner, self.variant_ids)
                except Exception:  # noqa: BLE001 - a failed renewal only lets the lease run down
                    log.warning("could not renew the leases of batch %s", self.owner, exc_info=True)
        finally:
            connections.close_all()  # this thread's own database connection


def _provider_and_credentials(channel, batch: _Batch | None = None):
    """The channel's provider (one per network and configuration in this process: building one
    builds an HTTP client and its TLS context, which costs more than the publish itself) and
    its decrypted credentials."""
    from channels_registry.selectors import credentials_for, provider_for

    key = (
        channel.provider,
        repr(getattr(settings, "SOCIALOPS_PROVIDERS", {}).get(channel.provider)),
    )
    provider = _providers.get(key)
    if provider is None:
        provider = _providers[key] = provider_for(channel)
    if batch is None:
        return provider, credentials_for(channel)
    if channel.pk not in batch.credentials:
        batch.credentials[channel.pk] = credentials_for(channel)
    return provider, batch.credentials[channel.pk]


def _publish(attempt: PublishAttempt, batch: _Batch) -> AttemptResult:
    from channels_registry.providers.errors import ProviderError

    variant = attempt.variant
    if variant.channel.status != variant.channel.Status.ACTIVE:
        return _record_failed(
            attempt,
            _("The channel %(channel)s is not active: reconnect it, then retry.")
            % {"channel": variant.channel.handle or variant.channel.name},
        )
    try:
        provider, credentials = _provider_and_credentials(variant.channel, batch)
        request = build_request(
            variant, attempt, provider, media_items=batch.media.get(variant.post_id, [])
        )
    except ApplicationError as exc:
        return _record_failed(attempt, exc.message)
    wait = seconds_until_due(variant)
    if wait > 0:
        time.sleep(wait)  # claimed up to one beat interval early, so it leaves on time
    if not _take(attempt, batch.owner):
        return _abandon(
            attempt,
            "The post changed, was cancelled or was taken by another worker after the claim.",
        )
    try:
        result = provider.publish(credentials, variant.channel.external_id, request)
    except ProviderError as exc:
        return _handle_error(attempt, exc)
    except Exception as exc:  # noqa: BLE001 - a bug or an unmapped network failure: the outcome is unknown
        log.exception("publish of variant %s raised", variant.pk)
        return _record_unconfirmed(attempt, f"{type(exc).__name__}: {exc}")
    if result.status == "pending":
        return _record_pending(attempt, result)
    # Recorded with the rest of the batch; until then the attempt is "in flight" (unconfirmed,
    # no finished_at) under its lease, so a worker killed before the record leaves it to be
    # settled by asking the network, never sent again.
    batch.published.append((attempt, result, timezone.now()))
    return AttemptResult(A.PUBLISHED, V.PUBLISHED)


def _check_pending(attempt: PublishAttempt) -> AttemptResult:
    from channels_registry.providers.errors import ProviderError

    variant = attempt.variant
    try:
        provider, credentials = _provider_and_credentials(variant.channel)
        result = provider.check_publish(
            credentials, variant.channel.external_id, attempt.pending_ref
        )
    except ProviderError as exc:
        if exc.permanent:  # AuthExpired, ContentRejected, a 404 for the container …
            return _handle_error(attempt, exc)
        # still unknown: poll again later, keep the attempt pending
        with transaction.atomic():
            now = timezone.now()
            _variant_qs(attempt).update(
                status=V.PENDING,
                lease_expires_at=None,
                next_attempt_at=now + timedelta(seconds=PENDING_POLL_SECONDS),
                updated_at=now,
            )
        return AttemptResult(A.PENDING, V.PENDING, getattr(exc, "message", str(exc)))
    except ApplicationError as exc:
        return _record_failed(attempt, exc.message)
    if result.status == "pending":
        return _record_pending(attempt, result)
    return _record_published(attempt, result)


def _settle(attempt: PublishAttempt) -> AttemptResult:
    """Did the unconfirmed attempt go out? Ask the network; only a "no" leads to a new attempt."""
    from channels_registry.providers.errors import ProviderError

    variant = attempt.variant
    try:
        provider, credentials = _provider_and_credentials(variant.channel)
        request = build_request(variant, attempt, provider)
        found = provider.find_existing(
            credentials,
            variant.channel.external_id,
            request,
            since=attempt.started_at - FIND_EXISTING_MARGIN,
        )
    except ProviderError as exc:
        from channels_registry.providers.errors import AuthExpired

        if isinstance(exc, AuthExpired):
            return _handle_error(attempt, exc)
        # Could not ask: stay unconfirmed and ask again later (never publish blindly).
        now = timezone.now()
        _variant_qs(attempt).filter(status=V.PUBLISHING).update(
            status=V.UNCONFIRMED,
            lease_expires_at=None,
            next_attempt_at=now + timedelta(seconds=backoff_seconds(1)),
            updated_at=now,
        )
        return AttemptResult(A.UNCONFIRMED, V.UNCONFIRMED, getattr(exc, "message", str(exc)))
    except ApplicationError as exc:
        return _record_failed(attempt, exc.message)
    if found is not None:
        return _record_published(attempt, found)
    post = (
        Post.objects.for_org(attempt.organization_id)
        .filter(pk=variant.post_id)
        .only("status", "version")
        .first()
    )
    if (
        post is None
        or post.status not in _POST_MAY_PUBLISH
        or post.version != attempt.content_version
    ):
        # Not out, and meanwhile cancelled, unapproved or edited: it must not go out in this form.
        with transaction.atomic():
            posts = _lock_posts(attempt.organization_id, [variant.post_id])
            _finish_attempt(
                attempt, A.ABANDONED, error="Not on the network; the post changed meanwhile."
            )
            new = (
                V.CANCELLED
                if post is None or post.status == P.CANCELLED
                else (V.SCHEDULED if post.status in _POST_MAY_PUBLISH else V.DRAFT)
            )
            _variant_qs(attempt).exclude(status=V.PUBLISHED).update(
                status=new,
                claimed_attempt=None,
                lease_expires_at=None,
                next_attempt_at=None,
                updated_at=timezone.now(),
            )
            if post is not None:
                _refresh_post_statuses(attempt.organization_id, posts)
        return AttemptResult(A.ABANDONED, new)
    # Not on the network: a new attempt (new idempotency key) at the next tick.
    return _record_retry(
        attempt,
        _("The network does not have this post: publishing it again."),
        wait=0,
        outcome=A.FAILED,
    )


def perform_attempt(attempt_id: int) -> AttemptResult:
    """The worker's step for one claimed attempt: publish, poll a pending one, or settle an unconfirmed one.

    A batch of one, so there is one path for workers, tests and the bench alike."""
    results, _left = perform_attempts([attempt_id])
    return (
        results[0]
        if results
        else AttemptResult(A.ABANDONED, detail="no such attempt (the post was deleted)")
    )


def _perform(attempt: PublishAttempt, batch: _Batch) -> AttemptResult:
    variant = attempt.variant
    if variant.claimed_attempt_id != attempt.pk or variant.status != V.PUBLISHING:
        if attempt.outcome == A.RUNNING:
            return _abandon(attempt, "The variant is no longer claimed by this attempt.")
        return AttemptResult(
            attempt.outcome, variant.status, "not claimed by this attempt: nothing to do"
        )
    if variant.lease_owner != batch.owner:
        # another delivery of the message has it, or its lease lapsed before this one came
        return AttemptResult(
            attempt.outcome, variant.status, "held by another worker: nothing to do"
        )
    if attempt.outcome == A.RUNNING:
        return _publish(attempt, batch)
    if attempt.outcome == A.PENDING:
        return _check_pending(attempt)
    if attempt.outcome == A.UNCONFIRMED and attempt.finished_at is not None:
        return _settle(attempt)
    # UNCONFIRMED with no finished_at: another worker has it in flight right now.
    return AttemptResult(attempt.outcome, variant.status, "in flight elsewhere")


def perform_attempts(
    attempt_ids: list[int], *, budget_seconds: float | None = None, take_over: bool = False
) -> tuple[list[AttemptResult], list[int]]:
    """The worker's step for a batch of claimed attempts (one task from the dispatcher).

    Each attempt goes through exactly the checks of :func:`perform_attempt` — the conditional
    take right before its own network call included — in due order. What the batch shares is
    reading: the attempts, variants, posts and channels in one query, the posts' media in one,
    each channel's credentials once; and the publishes the network confirmed are recorded
    together at the end (:func:`_record_published_many`: a fixed number of statements and one
    audit append per organization). The other outcomes (errors, retries, pending, settling)
    are rare and recorded one by one, as by :func:`perform_attempt`.

    ``budget_seconds``: stop starting new attempts after this long and return the ids not
    started (the caller re-enqueues them; they stay claimed under their leases), so one slow
    network does not hold a whole batch back. Returns ``(results, ids not started)``.

    The batch first picks its claims up (:func:`pick_up`; ``take_over`` for a redelivered
    message) and works only on those it owns, renewing their leases while it works.
    """
    started = time.monotonic()
    batch = _Batch(owner=uuid.uuid4().hex)
    pick_up(attempt_ids, batch.owner, take_over=take_over)
    attempts = list(
        PublishAttempt.objects.unscoped()
        .filter(pk__in=list(attempt_ids))
        .select_related("variant__post__campaign", "variant__channel", "organization")
    )
    attempts.sort(
        key=lambda a: (
            max(
                d
                for d in (a.variant.due_at, a.variant.next_attempt_at, a.started_at)
                if d is not None
            ),
            a.pk,
        )
    )
    mine = [a.variant_id for a in attempts if a.variant.lease_owner == batch.owner]
    to_publish = {a.variant.post_id for a in attempts if a.outcome == A.RUNNING}
    if to_publish:
        # renditions prefetched: publish_file_for picks one per network for every image of every variant
        for pm in (
            PostMedia.objects.unscoped()
            .filter(post_id__in=to_publish)
            .select_related("asset")
            .prefetch_related("asset__renditions")
            .order_by("position", "pk")
        ):
            batch.media.setdefault(pm.post_id, []).append(pm)
    results: list[AttemptResult] = []
    left: list[int] = []
    with _LeaseKeeper(batch.owner, mine):
        try:
            for i, attempt in enumerate(attempts):
                if budget_seconds is not None and time.monotonic() - started > budget_seconds:
                    left = [a.pk for a in attempts[i:]]
                    break
                try:
                    results.append(_perform(attempt, batch))
                except Exception:  # noqa: BLE001 - one attempt's bug must not stop the others; its lease recovers it
                    log.exception("attempt %s of variant %s raised", attempt.pk, attempt.variant_id)
                    results.append(AttemptResult(A.UNCONFIRMED, detail="raised; left to its lease"))
        finally:
            _record_published_many(batch.published)
        if left:
            _hand_back(batch.owner, left)
    return results, left


def new_attempts(variants: list[PostVariant]) -> dict[int, PublishAttempt]:
    """The next attempt of each of ``variants`` (with their posts loaded; the caller holds the
    claims), bound to its post's current version: two statements for the whole batch."""
    if not variants:
        return {}
    last = dict(
        PublishAttempt.objects.unscoped()
        .filter(variant_id__in=[v.pk for v in variants])
        .values("variant_id")
        .annotate(last=Max("number"))
        .values_list("variant_id", "last")
    )
    rows = [
        PublishAttempt(
            organization_id=v.organization_id,
            variant_id=v.pk,
            number=(last.get(v.pk) or 0) + 1,
            idempotency_key=uuid.uuid4().hex,
            content_version=v.post.version,
        )
        for v in variants
    ]
    created = PublishAttempt.objects.unscoped().bulk_create(rows)
    return {a.variant_id: a for a in created}


def dispatch_lookahead() -> timedelta:
    """How far ahead of its due time a variant is claimed (one beat interval; the worker waits the rest)."""
    return timedelta(seconds=_setting("PUBLISHING_DISPATCH_LOOKAHEAD_SECONDS", 2.0))


def due_filter(now: datetime) -> Q:
    horizon = now + dispatch_lookahead()
    return Q(status__in=[V.SCHEDULED, V.UNCONFIRMED, V.PENDING], due_at__lte=horizon) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=horizon)
    )


def seconds_until_due(variant: PostVariant, *, now: datetime | None = None) -> float:
    """A variant claimed up to one lookahead early waits this long (never more than the lookahead)."""
    now = now or timezone.now()
    due = max(d for d in (variant.due_at, variant.next_attempt_at, now) if d is not None)
    return min((due - now).total_seconds(), dispatch_lookahead().total_seconds())
