"""Reads of approvals, each naming the organization first."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.capabilities import Capability, can
from accounts.selectors import subtree_of, team_parents

from .models import (
    ApprovalAssignment,
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalRequest,
    OutOfOffice,
    PostComment,
    Stage,
    StageApprover,
    Workflow,
)


def policy_of(organization) -> ApprovalPolicy:
    """The organization's approval policy (an unsaved row with the defaults when none was saved)."""
    found = ApprovalPolicy.objects.for_org(organization).first()
    return found or ApprovalPolicy(organization=organization)


def workflows_of(organization) -> QuerySet[Workflow]:
    return Workflow.objects.for_org(organization).order_by("priority", "name", "pk")


def workflows_with_stages(organization) -> QuerySet[Workflow]:
    """Workflows with their stages, approvers (people and teams) and backups: four queries in all."""
    from django.db.models import Prefetch

    from .models import Stage, StageApprover

    approvers = StageApprover.objects.for_org(organization).select_related(
        "membership__user", "team"
    )
    stages = (
        Stage.objects.for_org(organization)
        .select_related("backup_approver__user")
        .order_by("position", "pk")
        .prefetch_related(Prefetch("approvers", queryset=approvers))
    )
    return workflows_of(organization).prefetch_related(Prefetch("stages", queryset=stages))


def get_workflow(organization, workflow_id) -> Workflow:
    try:
        workflow_id = int(workflow_id)
    except (TypeError, ValueError):
        raise Http404("No such workflow.") from None
    found = Workflow.objects.for_org(organization).filter(pk=workflow_id).first()
    if found is None:
        raise Http404("No such workflow.")
    return found


def _post_facts(post) -> dict:
    from publishing.selectors import variants_of

    variants = list(variants_of(post))
    return {
        "channel_ids": {v.channel_id for v in variants},
        "networks": {v.channel.provider for v in variants},
        "campaign_id": post.campaign_id,
        "team_id": post.team_id,
        "tags": {str(t).lower() for t in (post.tags or [])},
    }


def _matches(workflow: Workflow, post, facts: dict, parents: dict[int, int | None]) -> bool:
    if workflow.team_ids:
        # a team deleted since the workflow was saved covers nothing
        roots = [t for t in workflow.team_ids if t in parents]
        if facts["team_id"] is None or facts["team_id"] not in subtree_of(parents, roots):
            return False
    if workflow.channel_ids and not facts["channel_ids"] & set(workflow.channel_ids):
        return False
    if workflow.networks and not facts["networks"] & set(workflow.networks):
        return False
    if workflow.campaign_ids and facts["campaign_id"] not in set(workflow.campaign_ids):
        return False
    return not (workflow.tags and not facts["tags"] & {str(t).lower() for t in workflow.tags})


def applicable_workflow(post) -> Workflow | None:
    """The workflow a post goes through, or None (it schedules without approval).

    Order: the first active workflow (by priority) whose conditions all match; else the default
    workflow of the post's team or its nearest ancestor; else an active workflow with no conditions
    and no team defaults (organization-wide).
    """
    workflows = list(
        Workflow.objects.for_org(post.organization_id)
        .filter(is_active=True)
        .order_by("priority", "name", "pk")
    )
    if not workflows:
        return None
    facts = _post_facts(post)
    parents = team_parents(
        post.organization_id
    )  # the team tree, read once for every condition below
    for workflow in workflows:
        if workflow.has_conditions and _matches(workflow, post, facts, parents):
            return workflow
    if post.team_id is not None:
        team_id, seen = post.team_id, set()
        while team_id is not None and team_id not in seen:
            seen.add(team_id)
            for workflow in workflows:
                if team_id in (workflow.default_for_team_ids or []):
                    return workflow
            team_id = parents.get(team_id)
    for workflow in workflows:
        if not workflow.has_conditions and not workflow.default_for_team_ids:
            return workflow
    return None


def requests_of_post(post) -> QuerySet[ApprovalRequest]:
    return (
        ApprovalRequest.objects.for_org(post.organization_id)
        .filter(post=post)
        .order_by("-submitted_at", "-pk")
    )


def current_request(post) -> ApprovalRequest | None:
    return requests_of_post(post).select_related("submitted_by").first()


def has_current_approval(post) -> bool:
    return (
        ApprovalRequest.objects.for_org(post.organization_id)
        .filter(post=post, status=ApprovalRequest.Status.APPROVED, post_version=post.version)
        .exists()
    )


def get_request_for_member(
    membership, request_id, *, need: str = Capability.VIEW
) -> ApprovalRequest:
    try:
        request_id = int(request_id)
    except (TypeError, ValueError):
        raise Http404("No such request.") from None
    found = (
        ApprovalRequest.objects.for_org(membership.organization)
        .select_related("post", "submitted_by")
        .filter(pk=request_id)
        .first()
    )
    if found is None:
        raise Http404("No such request.")
    from publishing.selectors import visible_posts

    if not visible_posts(membership).filter(pk=found.post_id).exists():
        raise Http404("No such request.")
    if not can(membership, need, found.post):
        raise PermissionDenied
    return found


def _decidable_by(membership) -> QuerySet:
    """Posts ``membership`` may decide on: those they may see every channel of (the approvers' rule,
    ``publishing.selectors.wholly_visible_posts``). An assignment made before they lost a grant
    stays in the database but is neither shown nor usable."""
    from publishing.selectors import wholly_visible_posts

    return wholly_visible_posts(membership).order_by().values("pk")


def pending_assignment_for(request: ApprovalRequest, membership) -> ApprovalAssignment | None:
    return (
        ApprovalAssignment.objects.for_org(request.organization_id)
        .filter(
            request=request,
            membership=membership,
            round=request.round,
            stage_index=request.current_stage,
            status=ApprovalAssignment.Status.PENDING,
            request__post_id__in=_decidable_by(membership),
        )
        .first()
    )


def waiting_for(membership) -> QuerySet[ApprovalAssignment]:
    """The approvals this person must decide now (the "Waiting for me" queue): never a post they
    cannot see every channel of."""
    return (
        ApprovalAssignment.objects.for_org(membership.organization)
        .filter(
            membership=membership,
            status=ApprovalAssignment.Status.PENDING,
            request__status=ApprovalRequest.Status.PENDING,
            request__post_id__in=_decidable_by(membership),
        )
        .select_related("request", "request__post", "request__submitted_by", "on_behalf_of__user")
        .order_by("due_at", "pk")
    )


def waiting_count(membership) -> int:
    return (
        ApprovalAssignment.objects.for_org(membership.organization)
        .filter(
            membership=membership,
            status=ApprovalAssignment.Status.PENDING,
            request__status=ApprovalRequest.Status.PENDING,
            request__post_id__in=_decidable_by(membership),
        )
        .count()
    )


def channel_label(channel) -> str:
    """How a channel is named in a content snapshot and its diff ("Mastodon @news@example.social")."""
    from publishing import services as publishing

    return f"{publishing.network_name(channel.provider)} {channel.display_handle or channel.name}".strip()


def diff_for(request: ApprovalRequest, membership) -> list[dict]:
    """The request's diff as ``membership`` may read it: without the entries of channels they may not
    see. An entry names its channel (``None`` for the post's own fields); entries written before
    they did are matched by label against the channels hidden from the member."""
    from channels_registry.selectors import restricted_channels, visible_channels

    diff = list(request.diff or [])
    channel_ids = {e["channel"] for e in diff if e.get("channel")}
    legacy = any("channel" not in e for e in diff)
    if not channel_ids and not legacy:
        return diff
    hidden = restricted_channels(request.organization_id).exclude(
        pk__in=visible_channels(membership).order_by().values("pk")
    )
    if not legacy:
        hidden = hidden.filter(pk__in=channel_ids)
    hidden = list(hidden)
    hidden_ids = {c.pk for c in hidden}
    hidden_labels = {channel_label(c) for c in hidden}
    return [
        e
        for e in diff
        if e.get("channel") not in hidden_ids
        and not ("channel" not in e and e.get("field") in hidden_labels)
    ]


def requests_of(organization) -> QuerySet[ApprovalRequest]:
    return (
        ApprovalRequest.objects.for_org(organization)
        .select_related("post", "submitted_by")
        .order_by("-submitted_at", "-pk")
    )


def decisions_of(request: ApprovalRequest) -> QuerySet[ApprovalDecision]:
    return (
        ApprovalDecision.objects.for_org(request.organization_id)
        .filter(request=request)
        .select_related("decided_by")
    )


def decisions_of_post(post) -> QuerySet[ApprovalDecision]:
    return (
        ApprovalDecision.objects.for_org(post.organization_id)
        .filter(request__post=post)
        .select_related("decided_by")
        .order_by("created_at", "pk")
    )


def assignments_of(request: ApprovalRequest) -> QuerySet[ApprovalAssignment]:
    return (
        ApprovalAssignment.objects.for_org(request.organization_id)
        .filter(request=request)
        .select_related("membership__user", "on_behalf_of__user")
        .order_by("round", "stage_index", "pk")
    )


def comments_of(post) -> QuerySet[PostComment]:
    return (
        PostComment.objects.for_org(post.organization_id)
        .filter(post=post)
        .select_related("author")
        .order_by("created_at", "pk")
    )


def active_out_of_office(membership, *, at=None):
    at = at or timezone.now()
    return (
        OutOfOffice.objects.for_org(membership.organization_id)
        .filter(membership=membership, starts_at__lte=at, ends_at__gt=at, delegate__is_active=True)
        .select_related("delegate__user")
        .order_by("-starts_at")
        .first()
    )


def covering_for(membership) -> QuerySet[OutOfOffice]:
    """Absences (now or planned) where ``membership`` is the delegate."""
    return (
        OutOfOffice.objects.for_org(membership.organization_id)
        .filter(delegate=membership, ends_at__gt=timezone.now())
        .select_related("membership__user")
        .order_by("starts_at")
    )


def out_of_office_of(membership) -> QuerySet[OutOfOffice]:
    return (
        OutOfOffice.objects.for_org(membership.organization_id)
        .filter(membership=membership, ends_at__gt=timezone.now())
        .select_related("delegate__user")
        .order_by("starts_at")
    )


def get_out_of_office_for_member(membership, ooo_id) -> OutOfOffice:
    try:
        ooo_id = int(ooo_id)
    except (TypeError, ValueError):
        raise Http404("No such absence.") from None
    found = (
        OutOfOffice.objects.for_org(membership.organization)
        .filter(pk=ooo_id, membership=membership)
        .first()
    )
    if found is None:
        raise Http404("No such absence.")
    return found


# --- Routing: who approves when an approver cannot see the post (approvals.routing) ----------------


def fallback_admin(organization, *, exclude_user_id: int | None = None):
    """The admin a stage falls to when neither its approvers nor its backup may see the post: the
    longest-standing active admin, else owner (both see every channel), never ``exclude_user_id``."""
    from accounts.capabilities import Role
    from accounts.models import Membership

    found = list(
        Membership.objects.for_org(organization)
        .filter(role__in=[Role.ADMIN, Role.OWNER], is_active=True, user__is_active=True)
        .exclude(user_id=exclude_user_id)
        .select_related("user")
        .order_by("pk")
    )
    return next((m for m in found if m.role == Role.ADMIN), found[0] if found else None)


def _stage_members(organization, spec) -> list:
    """The active members a stage's approvers (``services.StageSpec``) name today."""
    from django.db.models import Q

    from accounts.models import Membership

    person_ids = {a.membership.pk for a in spec.approvers if a.kind == "person" and a.membership}
    team_ids = {a.team.pk for a in spec.approvers if a.kind == "team" and a.team}
    roles = {a.role for a in spec.approvers if a.kind == "role" and a.role}
    q = Q(pk__in=person_ids) | Q(role__in=roles)
    if team_ids:
        q |= Q(teams__id__in=team_ids)
    return list(
        Membership.objects.for_org(organization)
        .filter(q, is_active=True, user__is_active=True)
        .select_related("user")
        .distinct()
        .order_by("pk")
    )


def routing_warnings(organization, specs, *, channel_ids, networks, viewer) -> list[str]:
    """The workflow builder's flags: for each stage, who cannot see which restricted channel a post
    of this workflow could go to, and where the stage falls then (approvals.routing decides, as at
    submission). Channels ``viewer`` may not see are counted, never named.

    The channels considered: the workflow's channel conditions (when it has some), else every
    restricted channel of the organization (on the workflow's networks, when it names some).
    """
    from channels_registry.selectors import restricted_channels, visible_channels

    restricted = restricted_channels(organization, with_archived=False)
    if channel_ids:
        restricted = restricted.filter(pk__in=channel_ids)
    elif networks:
        restricted = restricted.filter(provider__in=networks)
    channels = list(restricted.order_by("provider", "handle", "pk"))
    if not channels or not specs:
        return []
    ids = [c.pk for c in channels]
    sees = _channel_sight(ids)
    shown = set(visible_channels(viewer).filter(pk__in=ids).values_list("pk", flat=True))
    admin = fallback_admin(organization)
    out: list[str] = []
    for number, spec in enumerate(specs, start=1):
        for routing, on in _stage_routings(organization, spec, channels, sees=sees, admin=admin):
            out.append(_routing_warning(spec.name or number, routing, on, shown=shown))
    return out


def _channel_sight(ids: list[int]):
    """``sees(member, channel)`` for the channels ``ids``, each member's visible channels read once."""
    from accounts.capabilities import Role
    from channels_registry.selectors import visible_channels

    seen: dict[int, set[int]] = {}

    def sees(member, channel) -> bool:
        if member.role in (Role.OWNER, Role.ADMIN):
            return True
        if member.pk not in seen:
            seen[member.pk] = set(
                visible_channels(member).filter(pk__in=ids).values_list("pk", flat=True)
            )
        return channel.pk in seen[member.pk]

    return sees


def _stage_routings(organization, spec, channels, *, sees, admin) -> list[tuple]:
    """``[(routing, channels)]``: the channels on which the stage leaves someone out, grouped by the
    same outcome (who is left out, where the stage falls, who stands in)."""
    from .routing import route_stage

    members = _stage_members(organization, spec)
    backup = spec.backup_approver
    if backup is not None and not (backup.is_active and backup.user.is_active):
        backup = None
    stage = {"rule": spec.rule, "quorum": spec.quorum}
    groups: dict[tuple, list] = {}
    for channel in channels:
        routing = route_stage(
            stage, members, backup, sees=lambda m, c=channel: sees(m, c), admin=lambda: admin
        )
        if routing.left_out:
            key = (
                tuple(m.pk for m in routing.left_out),
                routing.fell_to,
                routing.stand_in.pk if routing.stand_in is not None else None,
            )
            groups.setdefault(key, [routing, []])[1].append(channel)
    return [tuple(group) for group in groups.values()]


def _routing_warning(stage_name, routing, on, *, shown: set[int]) -> str:
    """One flag: who cannot see which channels (those ``shown`` named, the others counted) and where
    the stage falls."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    from .presentation import person_name

    names = [c.name or c.display_handle for c in on if c.pk in shown]
    hidden = len(on) - len(names)
    if hidden:
        names.append(
            ngettext("%(n)d channel you cannot see", "%(n)d channels you cannot see", hidden)
            % {"n": hidden}
        )
    people = [person_name(m) for m in routing.left_out]
    who = ", ".join(people[:5]) + (
        " " + _("and %(n)d more") % {"n": len(people) - 5} if len(people) > 5 else ""
    )
    parts = {
        "stage": stage_name,
        "who": who,
        "channels": ", ".join(names),
        "stand_in": person_name(routing.stand_in) if routing.stand_in is not None else "",
    }
    if routing.fell_to == "backup":
        text = _(
            "Stage “%(stage)s”: %(who)s cannot see %(channels)s. For posts going there this stage "
            "would fall to its backup, %(stand_in)s."
        )
    elif routing.fell_to == "admin":
        text = _(
            "Stage “%(stage)s”: %(who)s cannot see %(channels)s. For posts going there this stage "
            "would fall to an admin, %(stand_in)s (its backup cannot see them either, or it has "
            "none)."
        )
    elif routing.fell_to == "nobody":
        text = _(
            "Stage “%(stage)s”: %(who)s cannot see %(channels)s, and no backup or admin can stand "
            "in: posts going there could not be submitted."
        )
    else:
        text = _(
            "Stage “%(stage)s”: %(who)s cannot see %(channels)s. For posts going there the "
            "other approvers of this stage decide without them."
        )
    return text % parts


# --- The start page (home/) -------------------------------------------------------------------------


@dataclass
class ApprovalsOverview:
    """What waits for approval, seen from one member: their own decisions to make, and the posts they
    may see that wait for someone else's. Lists are oldest first (the most stuck on top)."""

    mine: list
    mine_count: int
    others: list
    others_count: int


def approvals_overview(membership, *, limit: int = 6) -> ApprovalsOverview:
    """At most six queries whatever the number of requests. Only posts the member may see
    (``publishing.selectors.visible_posts``). ``others[i].waiting_on``: the people whose turn it is."""
    from django.db.models import Prefetch

    from publishing.selectors import visible_posts

    org = membership.organization
    seen = visible_posts(membership).values("pk")
    mine = waiting_for(membership).filter(request__post__in=seen)
    mine_rows = list(mine[:limit])
    my_requests = (
        ApprovalAssignment.objects.for_org(org)
        .filter(membership=membership, status=ApprovalAssignment.Status.PENDING)
        .values("request_id")
    )
    others = (
        ApprovalRequest.objects.for_org(org)
        .filter(status=ApprovalRequest.Status.PENDING, post__in=seen)
        .exclude(pk__in=my_requests)
    )
    turns = (
        ApprovalAssignment.objects.for_org(org)
        .filter(status=ApprovalAssignment.Status.PENDING)
        .select_related("membership__user")
        .order_by("pk")
    )
    other_rows = list(
        others.select_related("post", "submitted_by")
        .prefetch_related(Prefetch("assignments", queryset=turns, to_attr="pending_turns"))
        .order_by("stage_started_at", "pk")[:limit]
    )
    for r in other_rows:
        r.waiting_on = [
            a.membership
            for a in r.pending_turns
            if a.round == r.round and a.stage_index == r.current_stage
        ]
    return ApprovalsOverview(
        mine_rows,
        mine.count() if mine_rows else 0,
        other_rows,
        others.count() if other_rows else 0,
    )


# --- Offboarding (governance): where one person holds a place in the approval machinery --------------


def stage_seats_of(membership) -> QuerySet[StageApprover]:
    """The stages that name ``membership`` as an approver in person, with stage and workflow."""
    return (
        StageApprover.objects.for_org(membership.organization_id)
        .filter(kind=StageApprover.Kind.PERSON, membership=membership)
        .select_related("stage__workflow")
        .order_by("stage__workflow__name", "stage__position", "pk")
    )


def stages_backed_up_by(membership) -> QuerySet[Stage]:
    """The stages whose backup approver is ``membership``."""
    return (
        Stage.objects.for_org(membership.organization_id)
        .filter(backup_approver=membership)
        .select_related("workflow")
        .order_by("workflow__name", "position", "pk")
    )


def pending_assignments_of(membership) -> QuerySet[ApprovalAssignment]:
    """Every decision waiting on ``membership`` (also those on posts they can no longer see)."""
    return (
        ApprovalAssignment.objects.for_org(membership.organization_id)
        .filter(
            membership=membership,
            status=ApprovalAssignment.Status.PENDING,
            request__status=ApprovalRequest.Status.PENDING,
        )
        .select_related("request__post", "request__organization", "request__submitted_by")
        .order_by("due_at", "pk")
    )
