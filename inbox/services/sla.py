"""The inbox's SLA: when an answer is due, and telling the team lead once when it is not given.

A conversation's clock starts at the customer's first unanswered item (``ingest``) and the answer is
due after the target (``SlaTarget``: the team's for the priority, the team's, an ancestor team's,
the organization's for the priority, the organization's, else ``DEFAULT_SLA_HOURS``) counted in the
assigned team's business hours (``accounts.hours``: the team's weekly schedule in its zone, its
public holidays from the calendar's holiday regions). Without a team, or a team without hours,
every hour counts. An answer (ours, sent from here or on the network) stops the clock; closing or
marking as spam does too. Reopening restarts it from the reopening: by hand, from that moment
(``set_conversation_status``); by a new message, from the first one written after the closing,
or from its arrival when it was written before (``ingest``). Triage by hand
(``set_conversation_triage``) moves a running due to the new team's and priority's target. The beat sweep (``notify_sla_breaches``) tells the assigned team's lead,
else the organization's managers, once per breach.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import hours
from accounts.capabilities import Capability, Role
from accounts.models import Membership, Team
from accounts.notifications import NotificationKind, notify
from channels_registry.selectors import members_with_capability

from ..models import DEFAULT_SLA_HOURS, Conversation, SlaTarget

log = logging.getLogger(__name__)

#: how many conversations one sweep tells about, at most (the next sweep takes the rest)
SWEEP_BATCH = 500
#: near breach: less than this share of the target left, or less than an hour
NEAR_SHARE = 0.2
NEAR_MIN = timedelta(hours=1)
#: the public holidays a due time looks ahead to, from the clock's start
HOLIDAY_HORIZON_DAYS = 400


@dataclass
class SlaClock:
    """What computing dues for one organization needs, read once (a few queries) for a batch."""

    organization_timezone: str
    teams: dict[int, Team]
    parents: dict[int, int | None]
    targets: dict[tuple[int | None, str], Decimal]
    holidays: dict[int | None, frozenset[date]]

    @classmethod
    def load(
        cls, organization_id: int, team_ids, around: datetime | None = None, facts=None
    ) -> SlaClock:
        from .facts import OrgFacts

        facts = facts or OrgFacts(organization_id)
        team_ids = {t for t in team_ids if t is not None}
        targets = facts.kept(
            "sla targets",
            lambda: {
                (t.team_id, t.priority): t.hours
                for t in SlaTarget.objects.for_org(organization_id).only(
                    "team_id", "priority", "hours"
                )
            },
        )
        parents = facts.parents if team_ids and targets else {}
        teams = facts.teams(team_ids)
        # holidays only matter to a team with opening hours
        with_hours = [t for t in team_ids if t in teams and teams[t].working_hours]
        holidays: dict[int | None, frozenset[date]] = {}
        if with_hours:
            first = (around or timezone.now()).date() - timedelta(days=7)
            holidays = facts.holidays(
                with_hours, first, first + timedelta(days=HOLIDAY_HORIZON_DAYS)
            )
        org_tz = facts.timezone if teams else "UTC"
        return cls(org_tz, teams, parents, targets, holidays)

    def target_hours(self, team_id: int | None, priority: str) -> Decimal:
        chain: list[int | None] = []
        node = team_id
        while node is not None and node not in chain:
            chain.append(node)
            node = self.parents.get(node)
        chain.append(None)
        for team in chain:
            for p in (priority, ""):
                if (team, p) in self.targets:
                    return self.targets[(team, p)]
        return Decimal(DEFAULT_SLA_HOURS)

    def schedule(self, team_id: int | None) -> hours.Schedule:
        return hours.team_schedule(self.teams.get(team_id), self.organization_timezone)

    def due(self, *, team_id: int | None, priority: str, start: datetime) -> datetime:
        return hours.add_business_hours(
            self.schedule(team_id),
            start,
            float(self.target_hours(team_id, priority)),
            self.holidays.get(team_id, frozenset()),
        )


def sla_state(conversation, now: datetime | None = None) -> str:
    """``breached``, ``near`` (under a fifth of the time left, or under an hour) or ``ok``; ``""``
    when nothing awaits an answer."""
    due = conversation.sla_due_at
    if due is None or conversation.status in (
        Conversation.Status.CLOSED,
        Conversation.Status.SPAM,
    ):
        return ""
    now = now or timezone.now()
    left = due - now
    if left <= timedelta(0):
        return "breached"
    span = due - (conversation.sla_started_at or due)
    if left < NEAR_MIN or left < span * NEAR_SHARE:
        return "near"
    return "ok"


def sla_text(conversation, state: str, now: datetime | None = None) -> str:
    """What the list says of the time left: "3 hours, 20 minutes left" or "SLA missed 2 hours ago"."""
    from django.utils.timesince import timesince, timeuntil
    from django.utils.translation import gettext as _

    if not state:
        return ""
    now = now or timezone.now()
    if state == "breached":
        return _("SLA missed %(late)s ago") % {
            "late": timesince(conversation.sla_due_at, now, depth=1)
        }
    return _("%(left)s left") % {"left": timeuntil(conversation.sla_due_at, now, depth=2)}


# --- The breach sweep ------------------------------------------------------------------------------


def _managers(organization_id: int) -> list[Membership]:
    return list(
        Membership.objects.for_org(organization_id)
        .filter(is_active=True, role__in=[Role.OWNER, Role.ADMIN, Role.MANAGER])
        .select_related("user")
        .prefetch_related("teams")
    )


def _recipients(conversation: Conversation, managers_of) -> list[Membership]:
    """The assigned team's lead when active and allowed on the channel, else the organization's
    managers who may work the channel (a restricted channel's breach reaches nobody who may not
    see it)."""
    team = conversation.assigned_team
    lead = team.lead if team is not None else None
    if lead is not None and lead.is_active:
        if members_with_capability(conversation.channel, Capability.MODERATE, [lead]):
            return [lead]
    managers = managers_of(conversation.organization_id)
    allowed = members_with_capability(conversation.channel, Capability.MODERATE, managers)
    return [m for m in managers if m.pk in allowed]


def notify_sla_breaches(now: datetime | None = None) -> int:
    """Tell about every conversation whose answer is overdue and not yet told: once per breach
    (the row is claimed with a conditional update before anyone is told; the notification's
    dedupe key is the conversation and its due). Returns how many were told about."""
    now = now or timezone.now()
    due_ids = list(
        Conversation.objects.unscoped()
        .filter(
            sla_due_at__lte=now,
            sla_breach_notified_at__isnull=True,
        )
        .exclude(status__in=[Conversation.Status.CLOSED, Conversation.Status.SPAM])
        .order_by("sla_due_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    cache: dict[int, list[Membership]] = {}

    def managers_of(org_id: int) -> list[Membership]:
        if org_id not in cache:
            cache[org_id] = _managers(org_id)
        return cache[org_id]

    told = 0
    for pk in due_ids:
        with transaction.atomic():
            claimed = (
                Conversation.objects.unscoped()
                .filter(pk=pk, sla_breach_notified_at__isnull=True, sla_due_at__lte=now)
                .update(sla_breach_notified_at=now)
            )
            if not claimed:
                continue  # another sweep took it, or an answer stopped the clock
            conversation = (
                Conversation.objects.unscoped()
                .select_related(
                    "organization", "channel", "assigned_team__lead__user", "assignee__user"
                )
                .get(pk=pk)
            )
            recipients = _recipients(conversation, managers_of)
            if recipients:
                _tell(conversation, recipients)
            told += 1
    return told


def _tell(conversation: Conversation, recipients: list[Membership]) -> None:
    org = conversation.organization
    channel = conversation.channel
    notify(
        org,
        recipients=recipients,
        kind=NotificationKind.SLA_BREACH,
        template="inbox_sla_breach",
        context={
            "author": conversation.author_name or conversation.author_handle,
            "snippet": conversation.snippet[:140],
            "channel": channel.name or channel.handle,
            "team": conversation.assigned_team.name if conversation.assigned_team else "",
            "assignee": (
                conversation.assignee.user.get_full_name() if conversation.assignee else ""
            ),
            "due_at": conversation.sla_due_at,
            "priority": conversation.priority,
        },
        url=reverse("inbox_conversation", args=[org.slug, conversation.pk]),
        include_actor=True,
        dedupe_key=f"sla:{conversation.pk}:{conversation.sla_due_at.isoformat()}",
    )


# --- Targets -------------------------------------------------------------------------------------

MAX_TARGET_HOURS = Decimal(24 * 90)


@transaction.atomic
def set_sla_target(organization, *, by, team=None, priority: str = "", hours_: object = None):
    """The hours to answer within for ``team`` (None: the organization) and ``priority`` ("" any);
    ``hours_`` None or "" removes the row (the next less specific target applies). Dues already
    running keep their time; new messages get the new target."""
    from django.utils.translation import gettext as _

    from accounts.capabilities import require
    from socialops.audit.services import record_event
    from socialops.errors import ValidationFailed

    from ..models import Priority

    require(by, Capability.MANAGE_TEAMS)
    if team is not None and team.organization_id != organization.pk:
        raise ValidationFailed(
            _("Choose a team of this organization."),
            fields={"team": [_("Choose a team of this organization.")]},
        )
    if priority and priority not in Priority.values:
        message = _("Choose low, normal, high or urgent.")
        raise ValidationFailed(message, fields={"priority": [message]})
    rows = SlaTarget.objects.for_org(organization).filter(team=team, priority=priority or "")
    if hours_ in (None, ""):
        rows.delete()
        record_event(
            organization,
            "inbox.sla_target_removed",
            obj=organization,
            actor=by.user,
            changes={"team": team.pk if team else None, "priority": priority},
        )
        return None
    try:
        value = Decimal(str(hours_))
    except ArithmeticError:
        value = Decimal(-1)
    if not value.is_finite() or value <= 0 or value > MAX_TARGET_HOURS:
        message = _("Give a number of hours above 0 and at most 2160 (90 days).")
        raise ValidationFailed(message, fields={"hours": [message]})
    value = value.quantize(Decimal("0.01"))
    target, _created = SlaTarget.objects.update_or_create(
        organization=organization, team=team, priority=priority or "", defaults={"hours": value}
    )
    record_event(
        organization,
        "inbox.sla_target_set",
        obj=organization,
        actor=by.user,
        changes={"team": team.pk if team else None, "priority": priority, "hours": str(value)},
    )
    return target


def sla_targets_of(organization) -> list[SlaTarget]:
    return list(
        SlaTarget.objects.for_org(organization)
        .select_related("team")
        .order_by("team__name", "priority")
    )
