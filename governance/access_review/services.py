"""Access reviews' state changes: start a campaign, keep or remove, close it, remind, record exports.

Each runs in one transaction and writes its audit entries there; notifications go through
``accounts.notifications.notify`` (their e-mails leave on commit). A removal revokes the person's
grants on the channel at once through ``channels_registry.services.revoke_grants_on_review``,
which writes one ``channel.access_revoked`` entry a grant naming the campaign; access that comes
through a team takes the person out of that team (``accounts.services.remove_from_teams_on_review``),
and their other pending items that came only through it are marked removed with it.
"""

from __future__ import annotations

import hashlib
from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services as accounts_services
from accounts.capabilities import Capability, require
from accounts.notifications import NotificationKind, notify
from channels_registry import selectors as channels_selectors
from channels_registry import services as channels_services
from socialops.audit.services import batched_events, record_event
from socialops.errors import Conflict, ValidationFailed

from . import selectors
from .models import ReviewCampaign, ReviewItem

NAME_MAX = 200
NOTE_MAX = 500


def _review_url(campaign: ReviewCampaign) -> str:
    return reverse("access_review_mine", args=[campaign.organization.slug, campaign.pk])


def start_review(
    organization,
    *,
    by,
    due_on: date,
    name: str = "",
    team=None,
    networks=(),
) -> ReviewCampaign:
    """Open a campaign over ``team``'s subtree (None: everyone) and ``networks`` (empty: all).

    One item per person × channel they hold grants on in person, each with its reviewer, who is
    told. Refused, with nothing created, when there is nothing to review, when someone's access
    has nobody to review it, or for a due date in the past.
    """
    require(by, Capability.MANAGE_GOVERNANCE)
    name = (name or "").strip()
    if len(name) > NAME_MAX:
        raise ValidationFailed(
            _("The name is too long."), fields={"name": [_("At most 200 characters.")]}
        )
    today = selectors.today_in(organization)
    if due_on < today:
        message = _("The due date is in the past.")
        raise ValidationFailed(message, fields={"due_on": [message]})
    if team is not None and team.organization_id != organization.pk:
        message = _("Choose a team of this organization.")
        raise ValidationFailed(message, fields={"team": [message]})
    known = set(channels_selectors.provider_names())
    networks = sorted(set(networks or ()))
    unknown = [n for n in networks if n not in known]
    if unknown:
        message = _("Unknown network: %(names)s.") % {"names": ", ".join(unknown)}
        raise ValidationFailed(message, fields={"networks": [message]})
    starter = by if getattr(by, "pk", None) else None
    with transaction.atomic():
        return _open_campaign(
            organization,
            by=by,
            starter=starter,
            name=name,
            team=team,
            networks=networks,
            due_on=due_on,
            today=today,
        )


def _open_campaign(organization, *, by, starter, name, team, networks, due_on, today):
    # the scope is read in the transaction that stores it
    scope = selectors.review_scope(organization, team=team, networks=networks, starter=starter)
    if not scope.items:
        message = _(
            "Nothing to review: nobody in this scope holds access to a channel in person. "
            "Widen the scope (another team, every network) and start again."
        )
        raise ValidationFailed(message, fields={"team": [message]}, code="no_reviewers")
    missing = scope.without_reviewer
    if missing:
        names = ", ".join(sorted(str(m.user) for m in missing))
        message = _(
            "Nobody can review the access of %(names)s: give their team a lead, or make someone "
            "else an owner or admin. Nothing was started."
        ) % {"names": names}
        raise ValidationFailed(message, fields={"team": [message]}, code="no_reviewers")
    if not name:
        name = _("Access review of %(date)s") % {"date": today.isoformat()}
    with batched_events(organization):
        campaign = ReviewCampaign.objects.create(
            organization=organization,
            name=name,
            team=team,
            team_label=team.name if team is not None else "",
            networks=networks,
            due_on=due_on,
            started_by=by.user,
            started_by_label=selectors.person_label(by.user),
        )
        ReviewItem.objects.bulk_create(
            [
                ReviewItem(
                    organization=organization,
                    campaign=campaign,
                    membership=item.membership,
                    channel=item.channel,
                    capabilities=item.capabilities,
                    team_capabilities=item.team_capabilities,
                    via_teams=item.via_teams,
                    reviewer=item.reviewer,
                )
                for item in scope.items
            ]
        )
        record_event(
            organization,
            "access_review.started",
            obj=campaign,
            actor=by.user,
            changes={
                "name": name,
                "team": team.pk if team is not None else None,
                "networks": networks,
                "due_on": due_on.isoformat(),
                "items": len(scope.items),
                "reviewers": [r.pk for r in scope.reviewers],
            },
        )
        counts: dict[int, int] = {}
        for item in scope.items:
            counts[item.reviewer.pk] = counts.get(item.reviewer.pk, 0) + 1
        for reviewer in scope.reviewers:
            notify(
                organization,
                recipients=[reviewer],
                kind=NotificationKind.ACCESS_REVIEW,
                template="access_review_requested",
                context={
                    "campaign": campaign.name,
                    "count": counts[reviewer.pk],
                    "due_on": due_on,
                    "started_by": str(by.user),
                },
                url=_review_url(campaign),
                actor=by.user,
                include_actor=True,  # a request to act reaches a starter who reviews too
                dedupe_key=f"access_review:{campaign.pk}:start",
            )
    return campaign


def _locked_open(campaign: ReviewCampaign) -> ReviewCampaign:
    locked = (
        ReviewCampaign.objects.for_org(campaign.organization_id)
        .select_for_update()
        .select_related("organization")
        .filter(pk=campaign.pk)
        .first()
    )
    if locked is None:
        raise Conflict(_("This review does not exist any more."))
    if not locked.is_open:
        raise Conflict(_("This review is closed: its decisions can no longer change."))
    return locked


def decide_items(
    campaign: ReviewCampaign, *, by, item_ids, decision: str, note: str = ""
) -> list[ReviewItem]:
    """Keep or remove the items ``item_ids`` of ``campaign``, which must be ``by``'s to review.

    A removal revokes the person's grants on that channel at once, and takes them out of the teams
    that bring it (their other items that came only through those teams are removed with it). A
    removed item stays removed
    (its grants are gone: grant them again on the channel). All or nothing: an id that is not one
    of ``by``'s items in this campaign refuses the whole request.
    """
    if decision not in (ReviewItem.Decision.KEEP, ReviewItem.Decision.REMOVE):
        message = _("Choose keep or remove.")
        raise ValidationFailed(message, fields={"decision": [message]})
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        message = _("The note is too long (at most 500 characters).")
        raise ValidationFailed(message, fields={"note": [message]})
    try:
        ids = sorted({int(i) for i in item_ids})
    except (TypeError, ValueError):
        ids = []
    if not ids:
        message = _("Choose at least one item.")
        raise ValidationFailed(message, fields={"items": [message]})
    require(by, Capability.VIEW)
    org = campaign.organization
    with transaction.atomic():
        campaign = _locked_open(campaign)
        items = list(
            ReviewItem.objects.for_org(org)
            .select_for_update(of=("self",))
            .select_related("membership__user", "channel")
            .filter(campaign=campaign, pk__in=ids, reviewer_id=getattr(by, "pk", None) or -1)
            .order_by("pk")
        )
        found = {i.pk for i in items}
        strangers = [i for i in ids if i not in found]
        if strangers:
            message = _("These are not items of yours in this review: %(ids)s.") % {
                "ids": ", ".join(str(i) for i in strangers)
            }
            raise ValidationFailed(message, fields={"items": [message]})
        gone = [i for i in items if i.decision == ReviewItem.Decision.REMOVE]
        if gone and decision == ReviewItem.Decision.KEEP:
            message = _(
                "%(person)s's access to %(channel)s was already removed: grant it again on the "
                "channel's page if it is needed."
            ) % {"person": gone[0].membership.user, "channel": gone[0].channel.name}
            raise ValidationFailed(message, fields={"items": [message]})
        now = timezone.now()
        left: dict[int, set[int]] = {}  # membership id -> teams they left in this request
        with batched_events(org):
            for item in items:
                if item.decision == decision:
                    continue  # said twice: nothing changes
                if decision == ReviewItem.Decision.REMOVE:
                    item.revoked = channels_services.revoke_grants_on_review(
                        item.membership, item.channel, review=campaign.pk
                    )
                    # access through a team: the person leaves the team(s) that bring it
                    team_ids = [t["id"] for t in item.via_teams]
                    if team_ids:
                        item.left_teams = accounts_services.remove_from_teams_on_review(
                            item.membership, team_ids, review=campaign.pk, actor=by.user
                        )
                        left.setdefault(item.membership_id, set()).update(team_ids)
                _decide(item, decision=decision, by=by, at=now, note=note, campaign=campaign)
            if left:
                _follow_team_removals(campaign, left, by=by, at=now)
    return items


def _decide(item: ReviewItem, *, decision: str, by, at, note: str, campaign) -> None:
    item.decision = decision
    item.decided_by = by.user
    item.decided_at = at
    item.note = note
    item.save(
        update_fields=["decision", "decided_by", "decided_at", "note", "revoked", "left_teams"]
    )
    record_event(
        campaign.organization,
        "access_review.item_decided",
        obj=campaign,
        actor=by.user,
        changes={
            "item": item.pk,
            "membership": item.membership_id,
            "channel": item.channel_id,
            "decision": decision,
            "note": note,
            "revoked": item.revoked,
            "left_teams": item.left_teams,
        },
    )


def _follow_team_removals(campaign, left: dict[int, set[int]], *, by, at) -> None:
    """Leaving a team ends the access it brought on other channels too: the campaign's pending
    items of that person that came only through those teams are marked removed with it."""
    note = _("Removed with the team membership.")
    pending = (
        ReviewItem.objects.for_org(campaign.organization_id)
        .select_for_update(of=("self",))
        .filter(
            campaign=campaign,
            membership_id__in=list(left),
            decision=ReviewItem.Decision.PENDING,
        )
        .order_by("pk")
    )
    for item in pending:
        via = {t["id"] for t in item.via_teams}
        if item.capabilities or not via or not via <= left[item.membership_id]:
            continue
        _decide(
            item, decision=ReviewItem.Decision.REMOVE, by=by, at=at, note=note, campaign=campaign
        )


def close_review(campaign: ReviewCampaign, *, by) -> ReviewCampaign:
    """Close ``campaign``: no decision changes after this; the result is stored as evidence.

    Items still pending stay so, and are listed as not reviewed.
    """
    require(by, Capability.MANAGE_GOVERNANCE)
    org = campaign.organization
    with transaction.atomic():
        campaign = _locked_open(campaign)
        rows = [selectors.evidence_row(item) for item in selectors.items_of(campaign)]
        counts = {d: 0 for d in ReviewItem.Decision.values}
        for row in rows:
            counts[row["decision"]] += 1
        campaign.status = ReviewCampaign.Status.CLOSED
        campaign.closed_at = timezone.now()
        campaign.closed_by_label = selectors.person_label(by.user)
        campaign.result = {"counts": {**counts, "total": len(rows)}, "items": rows}
        campaign.save(update_fields=["status", "closed_at", "closed_by_label", "result"])
        record_event(
            org,
            "access_review.closed",
            obj=campaign,
            actor=by.user,
            changes={"counts": campaign.result["counts"]},
        )
    return campaign


def remind_reviewers(campaign: ReviewCampaign, *, today: date | None = None) -> int:
    """Tell each reviewer with pending items of ``campaign`` that its due date nears (or passed).

    At most once a day each (the notification's dedupe key names the day): safe to run again.
    Nothing before ``REMIND_DAYS`` ahead of the due date or once closed. Returns how many
    reviewers were told now.
    """
    org = campaign.organization
    today = today or selectors.today_in(org)
    # read again: the caller's copy may predate a close
    campaign = ReviewCampaign.objects.for_org(org).filter(pk=campaign.pk).first() or campaign
    if not campaign.is_open or (campaign.due_on - today).days > selectors.REMIND_DAYS:
        return 0
    pending = selectors.pending_by_reviewer(campaign)
    if not pending:
        return 0
    from accounts.selectors import members_of

    reviewers = members_of(org, include_inactive=False).filter(pk__in=list(pending))
    key = f"access_review:{campaign.pk}:remind:{today.isoformat()}"
    with transaction.atomic():
        before = _told(org, key)
        for reviewer in reviewers:
            notify(
                org,
                recipients=[reviewer],
                kind=NotificationKind.ACCESS_REVIEW,
                template="access_review_reminder",
                context={
                    "campaign": campaign.name,
                    "count": pending[reviewer.pk],
                    "due_on": campaign.due_on,
                    "overdue": today > campaign.due_on,
                },
                url=_review_url(campaign),
                include_actor=True,
                dedupe_key=key,
            )
        return _told(org, key) - before


def _told(org, key: str) -> int:
    """How many people a notification with this dedupe key reached (in the app or by e-mail)."""
    from accounts.models import NotificationSent

    return (
        NotificationSent.objects.for_org(org)
        .filter(kind=NotificationKind.ACCESS_REVIEW, dedupe_key=key)
        .count()
    )


def record_access_export(membership, *, what: str, filters: dict, via: str = "web") -> None:
    """An export of who may do what is itself recorded (the matrix, or a campaign's evidence)."""
    with transaction.atomic():
        record_event(
            membership.organization,
            "access_review.exported",
            actor=membership.user,
            via=via,
            changes={"what": what, "filters": filters},
        )


def hand_over_reviews(organization, *, leaving_ids, by=None) -> list[selectors.Handover]:
    """Give the pending items of open campaigns reviewed by ``leaving_ids`` to other reviewers.

    Where each goes: :func:`selectors.reviewer_handover` (the next lead up the team tree, else the
    campaign's starter, else ``by``, else another admin). Called by offboarding (``by``: the admin
    running it) and by the sweep for reviewers deactivated elsewhere. One
    ``access_review.reviewer_replaced`` entry a campaign and former reviewer, naming each item and
    its new reviewer; each new reviewer is told. Items nobody else can review keep their reviewer.
    """
    with transaction.atomic():
        # lock the items that move: a decision on one of them waits for the handover
        list(
            ReviewItem.objects.for_org(organization)
            .select_for_update()
            .filter(
                campaign__status=ReviewCampaign.Status.OPEN,
                decision=ReviewItem.Decision.PENDING,
                reviewer_id__in=list(leaving_ids),
            )
            .values_list("pk", flat=True)
        )
        plan = [
            h for h in selectors.reviewer_handover(organization, leaving_ids, runner=by) if h.to
        ]
        groups: dict[tuple[int, int], list[selectors.Handover]] = {}
        for handover in plan:
            key = (handover.item.campaign_id, handover.item.reviewer_id)
            groups.setdefault(key, []).append(handover)
        actor = getattr(by, "user", None)
        with batched_events(organization):
            for (_campaign_id, former_id), handovers in groups.items():
                campaign = handovers[0].item.campaign
                record_event(
                    organization,
                    "access_review.reviewer_replaced",
                    obj=campaign,
                    actor=actor,
                    changes={
                        "from": former_id,
                        "items": {str(h.item.pk): h.to.pk for h in handovers},
                    },
                )
            for handover in plan:
                ReviewItem.objects.for_org(organization).filter(pk=handover.item.pk).update(
                    reviewer=handover.to
                )
                handover.item.reviewer = handover.to
        told: dict[tuple[int, int], list[selectors.Handover]] = {}
        for handover in plan:
            told.setdefault((handover.item.campaign_id, handover.to.pk), []).append(handover)
        for (campaign_id, _to), handovers in told.items():
            campaign = handovers[0].item.campaign
            notify(
                organization,
                recipients=[handovers[0].to],
                kind=NotificationKind.ACCESS_REVIEW,
                template="access_review_requested",
                context={
                    "campaign": campaign.name,
                    "count": len(handovers),
                    "due_on": campaign.due_on,
                    "started_by": campaign.started_by_label,
                },
                url=_review_url(campaign),
                actor=actor,
                include_actor=True,
                # one message a handover: its items, hashed (a lead may get hundreds)
                dedupe_key=f"access_review:{campaign_id}:handover:"
                + hashlib.sha256(",".join(str(h.item.pk) for h in handovers).encode()).hexdigest()[
                    :32
                ],
            )
    return plan


def hand_over_from_departed(campaign: ReviewCampaign) -> int:
    """The sweep's step: items of ``campaign`` whose reviewer has left go to another; how many moved."""
    leaving = selectors.departed_reviewer_ids(campaign)
    if not leaving or not campaign.is_open:
        return 0
    return len(hand_over_reviews(campaign.organization, leaving_ids=leaving))
