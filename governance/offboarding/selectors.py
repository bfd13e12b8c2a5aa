"""Offboarding's reads: the plan (the preview: every item and where it goes) and the reports.

The plan is built from each app's own selectors, one query a kind (300 grants are one query, not 300),
and is what the run executes: the preview and the run can never disagree about what changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts import selectors as accounts_selectors
from accounts.capabilities import Capability, Role, can
from accounts.models import Membership
from approvals import selectors as approvals_selectors
from approvals.services import why_cannot_take_assignment
from channels_registry import selectors as channels_selectors
from inbox import selectors as inbox_selectors
from publishing import selectors as publishing_selectors
from socialops.sharing import selectors as sharing_selectors
from socialops.sharing.kinds import kind_label

from ..access_review import selectors as access_review_selectors
from .models import FollowUpTask, OffboardingReport

# --- What changes, kind by kind ---------------------------------------------------------------------

GRANTS = "grants"
TEAMS = "teams"
STAGE_SEATS = "stage_seats"
STAGE_BACKUPS = "stage_backups"
ASSIGNMENTS = "assignments"
REVIEWS = "reviews"
CONVERSATIONS = "conversations"
POSTS = "posts"
SHARE_LINKS = "share_links"
TOKENS = "tokens"
SESSIONS = "sessions"
NOTIFICATIONS = "notifications"

#: the kinds in the order the preview and the report list them, with their headings
KINDS: dict[str, Any] = {
    GRANTS: gettext_lazy("Channel access"),
    TEAMS: gettext_lazy("Team memberships"),
    STAGE_SEATS: gettext_lazy("Approval stages where they approve"),
    STAGE_BACKUPS: gettext_lazy("Approval stages where they are the backup"),
    ASSIGNMENTS: gettext_lazy("Approvals waiting on them"),
    REVIEWS: gettext_lazy("Access reviews waiting on them"),
    CONVERSATIONS: gettext_lazy("Open inbox conversations assigned to them"),
    POSTS: gettext_lazy("Drafts and scheduled posts they own"),
    SHARE_LINKS: gettext_lazy("Share links they created (calendar, dashboards)"),
    TOKENS: gettext_lazy("API tokens"),
    SESSIONS: gettext_lazy("Signed-in sessions"),
    NOTIFICATIONS: gettext_lazy("Notification subscriptions"),
}

#: kinds whose items go to someone, and the capability that someone needs
CHOOSABLE: dict[str, str] = {
    STAGE_SEATS: Capability.APPROVE,
    STAGE_BACKUPS: Capability.APPROVE,
    ASSIGNMENTS: Capability.APPROVE,
    CONVERSATIONS: Capability.MODERATE,
    POSTS: Capability.COMPOSE,
}
#: choosable kinds where "nobody" is a valid choice, and what it means
NOBODY_MEANS: dict[str, Any] = {
    STAGE_SEATS: gettext_lazy("Removed from the stage"),
    STAGE_BACKUPS: gettext_lazy("The stage has no backup"),
    ASSIGNMENTS: gettext_lazy("Left to the SLA sweep (escalates to the backup or an admin)"),
    CONVERSATIONS: gettext_lazy("Unassigned (back to the queue)"),
}
#: choosable kinds whose items share one choice on the page (hundreds of rows); the API may still
#: choose per item with the item's key
GROUP_CHOICE = (CONVERSATIONS, POSTS)


@dataclass
class PlanItem:
    kind: str
    key: str
    label: str
    detail: str = ""
    obj: Any = None
    #: for choosable kinds: who it goes to (None: nobody, see NOBODY_MEANS)
    goes_to: Membership | None = None
    #: for the other kinds: what happens to it
    action: str = ""
    error: str = ""

    @property
    def goes_to_label(self) -> str:
        if self.kind not in CHOOSABLE:
            return self.action
        if self.goes_to is None:
            return str(NOBODY_MEANS.get(self.kind, _("Nobody")))
        return str(self.goes_to.user)


@dataclass
class FollowUp:
    title: str
    url: str
    channel: Any = None


@dataclass
class Section:
    kind: str
    heading: str
    items: list[PlanItem]
    choosable: bool
    grouped: bool
    candidates: list[Membership]
    nobody_label: str
    group_target: Membership | None


@dataclass
class OffboardingPlan:
    membership: Membership
    refusal: str = ""
    groups: dict[str, list[PlanItem]] = field(default_factory=dict)
    follow_ups: list[FollowUp] = field(default_factory=list)
    #: choosable kind → the members who may be chosen (active, not the leaving person, capable)
    candidates: dict[str, list[Membership]] = field(default_factory=dict)
    #: the group choice shown for GROUP_CHOICE kinds ("" = nobody)
    group_choice: dict[str, Membership | None] = field(default_factory=dict)

    @property
    def errors(self) -> dict[str, str]:
        return {i.key: i.error for items in self.groups.values() for i in items if i.error}

    @property
    def is_valid(self) -> bool:
        return not self.refusal and not self.errors

    def sections(self) -> list[Section]:
        """Every kind, in order (empty ones too: "nothing to change"), with what its choices offer."""
        return [
            Section(
                kind=k,
                heading=str(KINDS[k]),
                items=self.groups.get(k, []),
                choosable=k in CHOOSABLE,
                grouped=k in GROUP_CHOICE,
                candidates=self.candidates.get(k, []),
                nobody_label=str(NOBODY_MEANS.get(k, "")),
                group_target=self.group_choice.get(k),
            )
            for k in KINDS
        ]

    def count(self) -> int:
        return sum(len(v) for v in self.groups.values())


def refusal_for(membership: Membership, *, by) -> str:
    """Why ``membership`` may not be offboarded by ``by`` ("" when it may)."""
    if not membership.is_active:
        return _("%(name)s has already been offboarded.") % {"name": membership.user}
    if by is not None and getattr(by, "pk", None) == membership.pk:
        return _("You cannot offboard yourself: ask another admin.")
    if membership.role == Role.OWNER:
        others = (
            accounts_selectors.members_of(membership.organization, include_inactive=False)
            .filter(role=Role.OWNER)
            .exclude(pk=membership.pk)
            .exists()
        )
        if not others:
            return _(
                "%(name)s is the last owner: make someone else an owner first, or the organization "
                "would have nobody who can manage owners."
            ) % {"name": membership.user}
        if by is not None and not can(by, Capability.MANAGE_OWNERS):
            return _("Only an owner can offboard an owner.")
    return ""


def _active_members(org) -> list[Membership]:
    return list(
        accounts_selectors.members_of(org, include_inactive=False)
        .filter(user__is_active=True)
        .order_by("user__full_name", "user__email")
    )


def _pick(choices: dict, key: str, group: str | None, default, members_by_id: dict):
    """The chosen target for ``key`` (its own choice, else its group's, else ``default``).

    Returns (membership or None, error). A choice is a membership id, or None / "" for nobody.
    """
    for name in (key, group):
        if name is None or name not in choices:
            continue
        raw = choices[name]
        if raw in (None, "", 0, "0"):
            return None, ""
        try:
            target_id = int(raw)
        except (TypeError, ValueError):
            return None, _("Choose a member.")
        target = members_by_id.get(target_id)
        if target is None:
            return None, _("That person is not an active member of this organization.")
        return target, ""
    return default, ""


def _check_target(kind: str, target: Membership | None, leaving: Membership, obj=None) -> str:
    if target is None:
        if kind not in NOBODY_MEANS:
            return _("Choose who takes this.")
        return ""
    if target.pk == leaving.pk:
        return _("%(name)s is the person being offboarded.") % {"name": target.user}
    if not target.is_active or not target.user.is_active:
        return _("%(name)s is being offboarded or is deactivated.") % {"name": target.user}
    if kind == ASSIGNMENTS and obj is not None:
        return why_cannot_take_assignment(obj, target) or ""
    if kind == CONVERSATIONS and obj is not None:
        if not can(target, Capability.MODERATE, obj.channel):
            return _("%(name)s may not answer on %(channel)s.") % {
                "name": target.user,
                "channel": obj.channel,
            }
        return ""
    need = CHOOSABLE[kind]
    if not can(target, need):
        return _("%(name)s lacks the capability: %(capability)s.") % {
            "name": target.user,
            "capability": Capability(need).label,
        }
    return ""


def _eligible(member: Membership | None, leaving: Membership, capability: str) -> bool:
    return (
        member is not None
        and member.pk != leaving.pk
        and member.is_active
        and member.user.is_active
        and can(member, capability)
    )


def plan_offboarding(membership: Membership, *, by, choices: dict | None = None) -> OffboardingPlan:
    """Everything that changes when ``membership`` leaves, each with where it goes.

    ``choices`` maps an item's key (``"assignment:12"``) or a kind (``"conversations"``, ``"posts"``:
    every item of it) to a membership id, or to None for nobody where that is allowed. Anything not
    chosen goes to its default: a stage's backup or the longest-standing admin for approvals, the
    person running it for posts, nobody (the queue) for conversations.
    """
    choices = dict(choices or {})
    org = membership.organization
    leaving = membership
    plan = OffboardingPlan(membership=membership, refusal=refusal_for(membership, by=by))
    members = _active_members(org)
    members_by_id = {m.pk: m for m in members}
    for kind, capability in CHOOSABLE.items():
        plan.candidates[kind] = [m for m in members if _eligible(m, leaving, capability)]
    fallback_id = getattr(
        approvals_selectors.fallback_admin(org, exclude_user_id=leaving.user_id), "pk", None
    )
    fallback = members_by_id.get(fallback_id)
    runner = members_by_id.get(getattr(by, "pk", None))

    def add(item: PlanItem) -> None:
        plan.groups.setdefault(item.kind, []).append(item)

    def choose(kind: str, key: str, default, obj=None) -> tuple[Membership | None, str]:
        group = kind if kind in GROUP_CHOICE else None
        target, error = _pick(choices, key, group, default, members_by_id)
        return target, error or _check_target(kind, target, leaving, obj)

    # Channel access: one query, whatever the number of grants.
    grant_channels = {}
    for grant in channels_selectors.grants_of_member(leaving):
        grant_channels.setdefault(grant.channel_id, (grant.channel, set()))[1].add(grant.capability)
        add(
            PlanItem(
                GRANTS,
                f"grant:{grant.pk}",
                str(grant.channel),
                detail=grant.get_capability_display(),
                obj=grant,
                action=_("Removed"),
            )
        )
    for team in leaving.teams.all():
        add(PlanItem(TEAMS, f"team:{team.pk}", team.name, obj=team, action=_("Left")))

    for seat in approvals_selectors.stage_seats_of(leaving):
        stage = seat.stage
        backup = members_by_id.get(stage.backup_approver_id)
        default = backup if _eligible(backup, leaving, Capability.APPROVE) else fallback
        target, error = choose(STAGE_SEATS, f"stage_seat:{seat.pk}", default)
        add(
            PlanItem(
                STAGE_SEATS,
                f"stage_seat:{seat.pk}",
                f"{stage.workflow.name} · {stage.name}",
                obj=seat,
                goes_to=target,
                error=error,
            )
        )
    for stage in approvals_selectors.stages_backed_up_by(leaving):
        target, error = choose(STAGE_BACKUPS, f"stage_backup:{stage.pk}", fallback)
        add(
            PlanItem(
                STAGE_BACKUPS,
                f"stage_backup:{stage.pk}",
                f"{stage.workflow.name} · {stage.name}",
                obj=stage,
                goes_to=target,
                error=error,
            )
        )
    for assignment in approvals_selectors.pending_assignments_of(leaving):
        request = assignment.request
        stage = request.stages[assignment.stage_index] if request.stages else {}
        default = None
        for candidate in (members_by_id.get(stage.get("backup_membership_id")), fallback, runner):
            if (
                candidate is not None
                and _eligible(candidate, leaving, Capability.APPROVE)
                and not why_cannot_take_assignment(assignment, candidate)
            ):
                default = candidate
                break
        key = f"assignment:{assignment.pk}"
        target, error = choose(ASSIGNMENTS, key, default, assignment)
        add(
            PlanItem(
                ASSIGNMENTS,
                key,
                str(request.post),
                detail=stage.get("name", ""),
                obj=assignment,
                goes_to=target,
                error=error,
            )
        )

    # Access reviews: their pending items in open campaigns go to the next lead up the reviewed
    # person's team tree, else the campaign's starter, else the person running this.
    reviews: dict[tuple[int, int | None], list] = {}
    for handover in access_review_selectors.reviewer_handover(org, [leaving.pk], runner=by):
        key = (handover.item.campaign_id, getattr(handover.to, "pk", None))
        reviews.setdefault(key, []).append(handover)
    for (campaign_id, to_id), handovers in reviews.items():
        count = len(handovers)
        to = handovers[0].to
        add(
            PlanItem(
                REVIEWS,
                f"review:{campaign_id}:{to_id or 0}",
                handovers[0].item.campaign.name,
                detail=ngettext("%(count)d item to review", "%(count)d items to review", count)
                % {"count": count},
                obj=[h.item for h in handovers],
                goes_to=to,
                action=str(to.user) if to is not None else _("Nobody else can review them"),
            )
        )

    # Conversations: one channel object per channel, so a target's per-channel access is read once.
    channels: dict[int, Any] = {}
    for conversation in inbox_selectors.open_conversations_assigned_to(leaving):
        conversation.channel = channels.setdefault(conversation.channel_id, conversation.channel)
        key = f"conversation:{conversation.pk}"
        target, error = choose(CONVERSATIONS, key, None, conversation)
        add(
            PlanItem(
                CONVERSATIONS,
                key,
                str(conversation),
                detail=str(conversation.channel),
                obj=conversation,
                goes_to=target,
                error=error,
            )
        )
    plan.group_choice[CONVERSATIONS] = _pick(choices, CONVERSATIONS, None, None, members_by_id)[0]

    post_default = runner if _eligible(runner, leaving, Capability.COMPOSE) else fallback
    for post in publishing_selectors.open_posts_authored_by(org, leaving.user):
        key = f"post:{post.pk}"
        target, error = choose(POSTS, key, post_default)
        add(
            PlanItem(
                POSTS,
                key,
                str(post),
                detail=post.get_status_display(),
                obj=post,
                goes_to=target,
                error=error,
            )
        )
    plan.group_choice[POSTS] = _pick(choices, POSTS, None, post_default, members_by_id)[0]

    for link in sharing_selectors.links_created_by(org, leaving.user):
        add(
            PlanItem(
                SHARE_LINKS,
                f"share_link:{link.pk}",
                link.name,
                detail=kind_label(link.kind),
                obj=link,
                action=_("Revoked"),
            )
        )
    for token in accounts_selectors.tokens_of(leaving).filter(revoked_at__isnull=True):
        if token.is_usable:
            add(PlanItem(TOKENS, f"token:{token.pk}", str(token), obj=token, action=_("Revoked")))
    for session in accounts_selectors.sessions_of(leaving.user):
        add(
            PlanItem(
                SESSIONS,
                f"session:{session.pk}",
                session.user_agent or _("Unknown device"),
                detail=session.ip,
                obj=session,
                action=_("Signed out"),
            )
        )
    for pref in accounts_selectors.notification_preferences_of(leaving):
        add(
            PlanItem(
                NOTIFICATIONS,
                f"notification:{pref.pk}",
                pref.get_kind_display(),
                obj=pref,
                action=_("Stopped"),
            )
        )

    # Roles on the networks themselves: channels they administered or connected.
    names = channels_selectors.provider_names()
    role_pages = channels_selectors.network_roles_pages()
    administered = {
        cid: channel
        for cid, (channel, caps) in grant_channels.items()
        if Capability.MANAGE_CHANNELS in caps
    }
    for channel in channels_selectors.channels_of(org).filter(connected_by=leaving.user):
        administered.setdefault(channel.pk, channel)
    for channel in sorted(administered.values(), key=lambda c: (c.provider, str(c))):
        role_page = role_pages.get(channel.provider, "")
        if role_page is None:
            continue
        plan.follow_ups.append(
            FollowUp(
                title=_("Remove any role %(name)s holds on %(channel)s at %(network)s")
                % {
                    "name": leaving.user,
                    "channel": channel,
                    "network": names.get(channel.provider, channel.provider),
                },
                url=role_page or channel.url,
                channel=channel,
            )
        )
    return plan


# --- Reports ---------------------------------------------------------------------------------------


def reports_of(organization):
    return OffboardingReport.objects.for_org(organization).select_related("run_by")


def get_report(organization, report_id) -> OffboardingReport:
    try:
        report_id = int(report_id)
    except (TypeError, ValueError):
        raise Http404("No such report.") from None
    report = reports_of(organization).filter(pk=report_id).first()
    if report is None:
        raise Http404("No such report.")
    return report


def tasks_of(report: OffboardingReport):
    return FollowUpTask.objects.for_org(report.organization_id).filter(report=report)


def get_task(report: OffboardingReport, task_id) -> FollowUpTask:
    try:
        task_id = int(task_id)
    except (TypeError, ValueError):
        raise Http404("No such task.") from None
    task = tasks_of(report).filter(pk=task_id).first()
    if task is None:
        raise Http404("No such task.")
    return task


def members_to_offboard(organization):
    """The active members, for the page where an admin picks a person."""
    return accounts_selectors.members_of(organization, include_inactive=False)


def get_member(organization, membership_id) -> Membership:
    try:
        membership_id = int(membership_id)
    except (TypeError, ValueError):
        raise Http404("No such member.") from None
    member = accounts_selectors.get_membership(organization, membership_id)
    return (
        accounts_selectors.members_of(organization).select_related("organization").get(pk=member.pk)
    )
