"""approvals.services: every state change of approvals, one function each, audited in its transaction.

Flow: ``submit_for_approval`` snapshots the post's workflow into a request bound to the post's
version and starts stage 1 (approvers resolved into assignments, out-of-office delegation applied,
one single-use link e-mailed to each). ``decide`` records a decision (web, link or API); when a
stage's rule (any / all / quorum) is met the next stage starts, and after the last one the post is
approved (and scheduled at the requested time when someone involved may publish). A reject or a
request for changes sends the post back to draft with the comment.

Post states change only through publishing's services (``mark_in_review``, ``mark_approved``,
``return_to_draft``, ``schedule_post``). Publishing calls back through ``publishing.hooks``: the
schedule gate (:func:`schedule_gate`) and the content-changed signal (:func:`on_post_content_changed`).
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, Role, can, require
from accounts.models import Membership, NotificationKind
from publishing import services as publishing
from publishing.models import Post
from socialops.audit.services import record_event
from socialops.errors import ApplicationError, Conflict, NotAllowed, ValidationFailed

from . import selectors, webhook_events
from .models import (
    DEFAULT_LINK_TTL_HOURS,
    ApprovalAssignment,
    ApprovalDecision,
    ApprovalLink,
    ApprovalPolicy,
    ApprovalRequest,
    OutOfOffice,
    PostComment,
    Stage,
    StageApprover,
    Workflow,
)

log = logging.getLogger(__name__)

LINK_SALT = "approvals.link"
R = ApprovalRequest.Status
AS = ApprovalAssignment.Status
D = ApprovalDecision.Kind
_DECISION_STATUS = {
    D.APPROVE: AS.APPROVED,
    D.REJECT: AS.REJECTED,
    D.REQUEST_CHANGES: AS.CHANGES_REQUESTED,
}


def _user(by):
    return getattr(by, "user", None)


def _notify(org, **kwargs) -> None:
    from accounts.notifications import notify

    notify(org, **kwargs)


# --- Policy -------------------------------------------------------------------------------------------


@transaction.atomic
def set_policy(org, *, by, require_login: bool, reminder_hours: int = 4) -> ApprovalPolicy:
    require(by, Capability.MANAGE_WORKFLOWS)
    if reminder_hours < 0 or reminder_hours > 24 * 14:
        raise ValidationFailed(
            _("Choose between 0 and 336 hours."),
            fields={"reminder_hours": [_("Choose between 0 and 336 hours.")]},
        )
    policy, _created = ApprovalPolicy.objects.update_or_create(
        organization=org,
        defaults={"require_login": bool(require_login), "reminder_hours": reminder_hours},
    )
    record_event(
        org,
        "approval_policy.updated",
        obj=policy,
        changes={"require_login": policy.require_login, "reminder_hours": reminder_hours},
    )
    return policy


# --- Workflows ----------------------------------------------------------------------------------------


@dataclass
class ApproverSpec:
    kind: str
    membership: Membership | None = None
    team: object | None = None
    role: str = ""


@dataclass
class StageSpec:
    name: str
    rule: str = Stage.Rule.ANY
    quorum: int = 1
    sla_hours: int = 24
    backup_approver: Membership | None = None
    approvers: list[ApproverSpec] = field(default_factory=list)


def _check_org(org, obj, field_name: str) -> None:
    if obj is not None and obj.organization_id != org.pk:
        raise ValidationFailed(
            _("That choice was not found."), fields={field_name: [_("Choose a valid option.")]}
        )


MAX_STAGES = 10


def _clean_stages(org, stages: list[StageSpec]) -> list[StageSpec]:
    if not stages:
        raise ValidationFailed(
            _("A workflow needs at least one stage."), fields={"stages": [_("Add a stage.")]}
        )
    if len(stages) > MAX_STAGES:
        message = _("A workflow can have at most %(max)d stages.") % {"max": MAX_STAGES}
        raise ValidationFailed(message, fields={"stages": [message]})
    for i, stage in enumerate(stages, start=1):
        label = stage.name or _("Stage %(number)d") % {"number": i}
        if not (stage.name or "").strip():
            stage.name = label
        if stage.rule not in Stage.Rule.values:
            raise ValidationFailed(
                _("%(stage)s: choose any, all or quorum.") % {"stage": label},
                fields={f"stage_{i}_rule": [_("Choose a valid rule.")]},
            )
        if not stage.approvers:
            raise ValidationFailed(
                _("%(stage)s: add at least one approver.") % {"stage": label},
                fields={f"stage_{i}_approvers": [_("Add at least one approver.")]},
            )
        if stage.rule == Stage.Rule.QUORUM and stage.quorum < 1:
            raise ValidationFailed(
                _("%(stage)s: the quorum must be at least 1.") % {"stage": label},
                fields={f"stage_{i}_quorum": [_("Enter 1 or more.")]},
            )
        if stage.sla_hours < 0 or stage.sla_hours > 24 * 60:
            raise ValidationFailed(
                _("%(stage)s: the SLA must be between 0 and 1440 hours.") % {"stage": label},
                fields={f"stage_{i}_sla_hours": [_("Enter 0 to 1440.")]},
            )
        _check_org(org, stage.backup_approver, f"stage_{i}_backup")
        for a in stage.approvers:
            if a.kind == StageApprover.Kind.PERSON:
                _check_org(org, a.membership, f"stage_{i}_approvers")
                if a.membership is None:
                    raise ValidationFailed(
                        _("Choose a person."),
                        fields={f"stage_{i}_approvers": [_("Choose a person.")]},
                    )
            elif a.kind == StageApprover.Kind.TEAM:
                _check_org(org, a.team, f"stage_{i}_approvers")
                if a.team is None:
                    raise ValidationFailed(
                        _("Choose a team."), fields={f"stage_{i}_approvers": [_("Choose a team.")]}
                    )
            elif a.kind == StageApprover.Kind.ROLE:
                if a.role not in Role.values:
                    raise ValidationFailed(
                        _("Choose a role."), fields={f"stage_{i}_approvers": [_("Choose a role.")]}
                    )
            else:
                raise ValidationFailed(
                    _("Choose a person, a team or a role."),
                    fields={f"stage_{i}_approvers": [_("Choose a valid approver.")]},
                )
    return stages


def _write_stages(workflow: Workflow, stages: list[StageSpec]) -> None:
    org_id = workflow.organization_id
    Stage.objects.for_org(org_id).filter(workflow=workflow).delete()
    for position, spec in enumerate(stages):
        stage = Stage.objects.create(
            organization_id=org_id,
            workflow=workflow,
            position=position,
            name=spec.name[:120],
            rule=spec.rule,
            quorum=max(1, spec.quorum),
            sla_hours=spec.sla_hours,
            backup_approver=spec.backup_approver,
        )
        StageApprover.objects.bulk_create(
            [
                StageApprover(
                    organization_id=org_id,
                    stage=stage,
                    kind=a.kind,
                    membership=a.membership if a.kind == "person" else None,
                    team=a.team if a.kind == "team" else None,
                    role=a.role if a.kind == "role" else "",
                )
                for a in spec.approvers
            ]
        )


_WORKFLOW_FIELDS = (
    "description",
    "is_active",
    "priority",
    "team_ids",
    "channel_ids",
    "networks",
    "campaign_ids",
    "tags",
    "default_for_team_ids",
    "link_ttl_hours",
    "resubmit_to",
    "reapprove_on_reschedule",
)


def _apply_fields(org, workflow: Workflow, name: str, fields: dict) -> None:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Give the workflow a name."), fields={"name": [_("This field is required.")]}
        )
    clash = Workflow.objects.for_org(org).filter(name__iexact=name)
    if workflow.pk:
        clash = clash.exclude(pk=workflow.pk)
    if clash.exists():
        raise ValidationFailed(
            _("A workflow called “%(name)s” already exists.") % {"name": name},
            fields={"name": [_("Workflow names must be unique.")]},
        )
    workflow.name = name[:120]
    unknown = set(fields) - set(_WORKFLOW_FIELDS)
    if unknown:
        raise TypeError(f"unexpected workflow fields: {sorted(unknown)}")
    for key, value in fields.items():
        if key in ("team_ids", "channel_ids", "campaign_ids", "default_for_team_ids"):
            value = sorted({int(v) for v in (value or [])})
        elif key in ("networks", "tags"):
            value = sorted({str(v).strip().lower() for v in (value or []) if str(v).strip()})
        setattr(workflow, key, value)
    ttl = workflow.link_ttl_hours
    if not (1 <= ttl <= 24 * 30):
        raise ValidationFailed(
            _("Links must expire after 1 to 720 hours."),
            fields={"link_ttl_hours": [_("Enter 1 to 720.")]},
        )
    if workflow.resubmit_to not in Workflow.Resubmit.values:
        raise ValidationFailed(
            _("Choose where an edited post goes back to."),
            fields={"resubmit_to": [_("Choose a valid option.")]},
        )
    _check_ids(org, workflow)


def _check_ids(org, workflow: Workflow) -> None:
    from accounts.models import Team
    from channels_registry.models import Channel
    from publishing.models import Campaign

    for model, ids, name in (
        (Team, workflow.team_ids, "team_ids"),
        (Team, workflow.default_for_team_ids, "default_for_team_ids"),
        (Channel, workflow.channel_ids, "channel_ids"),
        (Campaign, workflow.campaign_ids, "campaign_ids"),
    ):
        if ids and model.objects.for_org(org).filter(pk__in=ids).count() != len(set(ids)):
            raise ValidationFailed(
                _("That choice was not found."), fields={name: [_("Choose valid options.")]}
            )


def _channel_conditions(by, workflow: Workflow, fields: dict) -> dict:
    """``fields`` with the channel conditions ``by`` may set. A channel ``by`` may not see was never
    offered to them: one already among the conditions stays; naming a new one is refused as if it did
    not exist (its id tells nothing)."""
    if "channel_ids" not in fields:
        return fields
    from channels_registry.selectors import visible_channels

    try:
        wanted = {int(v) for v in (fields["channel_ids"] or [])}
    except (TypeError, ValueError):
        return fields  # _apply_fields says what is wrong
    current = set(workflow.channel_ids or [])
    visible = set(
        visible_channels(by).filter(pk__in=wanted | current).values_list("pk", flat=True)
    )
    if wanted - visible - current:
        raise ValidationFailed(
            _("That choice was not found."), fields={"channel_ids": [_("Choose valid options.")]}
        )
    return {**fields, "channel_ids": sorted(wanted | (current - visible))}


@transaction.atomic
def create_workflow(org, *, by, name: str, stages: list[StageSpec], **fields) -> Workflow:
    require(by, Capability.MANAGE_WORKFLOWS)
    workflow = Workflow(organization=org)
    _apply_fields(org, workflow, name, _channel_conditions(by, workflow, fields))
    stages = _clean_stages(org, stages)
    workflow.save()
    _write_stages(workflow, stages)
    record_event(
        org,
        "workflow.created",
        obj=workflow,
        changes={"name": workflow.name, "stages": len(stages)},
    )
    return workflow


@transaction.atomic
def update_workflow(
    workflow: Workflow, *, by, name: str, stages: list[StageSpec] | None = None, **fields
) -> Workflow:
    """Change a workflow. Running requests keep the snapshot they were submitted with."""
    require(by, Capability.MANAGE_WORKFLOWS, workflow)
    org = workflow.organization
    workflow = Workflow.objects.for_org(org).select_for_update().get(pk=workflow.pk)
    _apply_fields(org, workflow, name, _channel_conditions(by, workflow, fields))
    workflow.save()
    if stages is not None:
        _write_stages(workflow, _clean_stages(org, stages))
    record_event(
        org,
        "workflow.updated",
        obj=workflow,
        changes={"name": workflow.name, "fields": sorted(fields), "stages": stages is not None},
    )
    return workflow


@transaction.atomic
def delete_workflow(workflow: Workflow, *, by) -> None:
    require(by, Capability.MANAGE_WORKFLOWS, workflow)
    record_event(
        workflow.organization, "workflow.deleted", obj=workflow, changes={"name": workflow.name}
    )
    Workflow.objects.for_org(workflow.organization_id).filter(pk=workflow.pk).delete()


def stage_specs_of(workflow: Workflow) -> list[StageSpec]:
    """The stages of ``workflow`` as specs (for the edit form and the API)."""
    stages = (
        Stage.objects.for_org(workflow.organization_id)
        .filter(workflow=workflow)
        .select_related("backup_approver__user")
        .order_by("position", "pk")
    )
    approvers = (
        StageApprover.objects.for_org(workflow.organization_id)
        .filter(stage__workflow=workflow)
        .select_related("membership__user", "team")
    )
    by_stage: dict[int, list[ApproverSpec]] = {}
    for a in approvers:
        by_stage.setdefault(a.stage_id, []).append(
            ApproverSpec(a.kind, a.membership, a.team, a.role)
        )
    return [
        StageSpec(s.name, s.rule, s.quorum, s.sla_hours, s.backup_approver, by_stage.get(s.pk, []))
        for s in stages
    ]


def snapshot_of(workflow: Workflow) -> dict:
    """The workflow as plain data: what a request keeps (edits to the workflow never reach it)."""
    stages = []
    for spec in stage_specs_of(workflow):
        stages.append(
            {
                "name": spec.name,
                "rule": spec.rule,
                "quorum": spec.quorum,
                "sla_hours": spec.sla_hours,
                "backup_membership_id": spec.backup_approver.pk if spec.backup_approver else None,
                "approvers": [
                    {
                        "kind": a.kind,
                        "membership_id": a.membership.pk if a.membership else None,
                        "team_id": a.team.pk if a.team else None,
                        "role": a.role,
                    }
                    for a in spec.approvers
                ],
            }
        )
    return {
        "workflow_id": workflow.pk,
        "name": workflow.name,
        "link_ttl_hours": workflow.link_ttl_hours,
        "resubmit_to": workflow.resubmit_to,
        "reapprove_on_reschedule": workflow.reapprove_on_reschedule,
        "stages": stages,
    }


# --- Content snapshots and diffs ------------------------------------------------------------------------


def content_of(post: Post) -> dict:
    """What approvers approve: the post's publishable content, per channel."""
    from publishing.selectors import media_of, variants_of

    variants = {}
    for v in variants_of(post):
        variants[selectors.channel_label(v.channel)] = {
            "text": publishing.variant_publish_text(v, post),
            "format": v.format,
            "channel": v.channel_id,  # who may read this entry (selectors.diff_for)
        }
    return {
        "title": post.title,
        "text": post.text,
        "link_url": post.link_url,
        "first_comment": post.first_comment,
        "campaign": post.campaign.name if post.campaign_id else "",
        "media": [
            f"{m.asset.original_name}{' — ' + m.alt_text if m.alt_text else ''}"
            for m in media_of(post)
        ],
        "variants": variants,
    }


def _word_diff(before: str, after: str) -> list[list[str]]:
    a, b = re.split(r"(\s+)", before or ""), re.split(r"(\s+)", after or "")
    out: list[list[str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(["same", "".join(a[i1:i2])])
        else:
            if i2 > i1:
                out.append(["removed", "".join(a[i1:i2])])
            if j2 > j1:
                out.append(["added", "".join(b[j1:j2])])
    return out


def content_diff(before: dict, after: dict) -> list[dict]:
    """What changed between two :func:`content_of` snapshots: one entry per changed field."""
    labels = {
        "title": _("Internal title"),
        "text": _("Text"),
        "link_url": _("Link"),
        "first_comment": _("First comment"),
        "campaign": _("Campaign"),
        "media": _("Media"),
    }
    out: list[dict] = []
    for key, label in labels.items():
        old, new = (
            before.get(key, "" if key != "media" else []),
            after.get(key, "" if key != "media" else []),
        )
        if old != new:
            if key == "media":
                old, new = "\n".join(old), "\n".join(new)
            out.append({"field": str(label), "channel": None, "segments": _word_diff(old, new)})
    old_v, new_v = before.get("variants", {}), after.get("variants", {})
    for name in sorted(set(old_v) | set(new_v)):
        o, n = old_v.get(name), new_v.get(name)
        if o == n:
            continue
        entry = {"field": name, "channel": (n or o).get("channel")}  # the channel: who may read it
        if o is None:
            out.append({**entry, "segments": [["added", _("channel added")]]})
        elif n is None:
            out.append({**entry, "segments": [["removed", _("channel removed")]]})
        elif o.get("text") != n.get("text") and o.get("text") != before.get("text"):
            out.append(
                {**entry, "segments": _word_diff(o.get("text", ""), n.get("text", ""))}
            )
        elif o.get("format") != n.get("format"):
            out.append(
                {
                    **entry,
                    "segments": [["removed", o.get("format", "")], ["added", n.get("format", "")]],
                }
            )
    return out


# --- Approvers, assignments and links ---------------------------------------------------------------------


def _members_for_stage(org, stage: dict, *, exclude_user_id: int | None) -> list[Membership]:
    person_ids, team_ids, roles = set(), set(), set()
    for a in stage.get("approvers", []):
        if a["kind"] == "person" and a.get("membership_id"):
            person_ids.add(a["membership_id"])
        elif a["kind"] == "team" and a.get("team_id"):
            team_ids.add(a["team_id"])
        elif a["kind"] == "role" and a.get("role"):
            roles.add(a["role"])
    from django.db.models import Q

    q = Q(pk__in=person_ids) | Q(role__in=roles)
    if team_ids:
        q |= Q(teams__id__in=team_ids)
    members = (
        Membership.objects.for_org(org)
        .filter(q, is_active=True, user__is_active=True)
        .select_related("user")
        .distinct()
        .order_by("pk")
    )
    return [m for m in members if m.user_id != exclude_user_id]


def _backup_of(org, stage: dict) -> Membership | None:
    backup_id = stage.get("backup_membership_id")
    if not backup_id:
        return None
    return (
        Membership.objects.for_org(org)
        .filter(pk=backup_id, is_active=True, user__is_active=True)
        .select_related("user")
        .first()
    )


def _with_delegation(
    member: Membership, now: datetime, *, post: Post | None = None
) -> tuple[Membership, Membership | None]:
    """``member``, or their delegate while they are away (not a delegate who cannot see all of ``post``)."""
    away = selectors.active_out_of_office(member, at=now)
    if away is not None and away.delegate.is_active and away.delegate.user.is_active:
        if post is None or _sees_all_of(away.delegate, post):
            return away.delegate, member
    return member, None


def _sees_all_of(member: Membership, post: Post) -> bool:
    """The approvers' rule: they must see every channel of the post (approvals.routing)."""
    from publishing.selectors import sees_all_of

    return sees_all_of(member, post)


def _assignees(
    request: ApprovalRequest, stage: dict, members: list[Membership]
) -> list[Membership]:
    """The assignee-selection step of a stage: of its approvers (``members``), those who may see every
    channel of the post; when they cannot meet the stage's rule, its backup or an admin stands in
    (approvals.routing). Who was left out, and why, goes to the audit log."""
    from publishing.selectors import members_who_see_all_of

    from .routing import route_stage

    org, post = request.organization, request.post
    backup = _backup_of(org, stage)
    if backup is not None and backup.user_id == request.submitted_by_id:
        backup = None
    seeing = members_who_see_all_of(post, list(members) + ([backup] if backup is not None else []))
    routing = route_stage(
        stage,
        members,
        backup,
        sees=lambda m: m.pk in seeing,
        admin=lambda: selectors.fallback_admin(org, exclude_user_id=request.submitted_by_id),
    )
    if routing.left_out:
        record_event(
            org,
            "approval.approvers_left_out",
            obj=request,
            changes={
                "stage": stage.get("name", ""),
                "reason": "cannot see every channel of the post",
                "left_out": [m.pk for m in routing.left_out],
                "fell_to": routing.fell_to,
                "stand_in": routing.stand_in.pk if routing.stand_in is not None else None,
            },
        )
    return routing.assignees


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def issue_link(assignment: ApprovalAssignment, *, ttl_hours: int) -> str:
    """A new single-use link for ``assignment``; returns the raw token (never stored)."""
    nonce = secrets.token_urlsafe(24)
    ApprovalLink.objects.create(
        organization_id=assignment.organization_id,
        assignment=assignment,
        request_id=assignment.request_id,
        membership_id=assignment.membership_id,
        post_version=assignment.request.post_version,
        token_hash=_hash(nonce),
        expires_at=timezone.now() + timedelta(hours=ttl_hours),
    )
    return signing.Signer(salt=LINK_SALT).sign(nonce)


def link_path(token: str) -> str:
    return reverse("approval_link", kwargs={"link_token": token})


def _request_url(request: ApprovalRequest) -> str:
    return reverse(
        "approval_request_detail",
        kwargs={"org_slug": request.organization.slug, "request_id": request.pk},
    )


def _post_url(request: ApprovalRequest) -> str:
    return reverse(
        "post_detail", kwargs={"org_slug": request.organization.slug, "post_id": request.post_id}
    )


def _ttl(request: ApprovalRequest) -> int:
    return int(request.snapshot.get("link_ttl_hours") or DEFAULT_LINK_TTL_HOURS)


def _send_link(
    assignment: ApprovalAssignment,
    *,
    kind: str,
    template: str,
    actor=None,
    extra: dict | None = None,
    dedupe_key: str = "",
) -> None:
    request = assignment.request
    token = issue_link(assignment, ttl_hours=_ttl(request))
    from accounts.notifications import absolute_url

    stage = request.stage or {}
    _notify(
        request.organization,
        recipients=[assignment.membership],
        kind=kind,
        template=template,
        # kept with the bell's notification and rendered when read: plain data only
        context={
            "post_title": str(request.post),
            "stage_name": stage.get("name", ""),
            "due_at": assignment.due_at,
            "on_behalf_of": assignment.on_behalf_of.user.get_short_name()
            if assignment.on_behalf_of
            else "",
            "submitted_by": request.submitted_by.get_short_name() if request.submitted_by else "",
            "diff": bool(request.diff),
            **(extra or {}),
        },
        # the e-mail's alone, never stored with the notification: the one-tap link is a secret
        email_context={
            "approval_link": absolute_url(link_path(token)),
            "link_ttl_hours": _ttl(request),
            "post_text": request.post.text[:500],
        },
        url=_request_url(request),
        actor=actor,
        # A link asks the approver to act: it reaches them even when their own action started the
        # stage (the backup who approved stage 1 is the approver of stage 2), escalated it or
        # delegated it to them.
        include_actor=True,
        dedupe_key=dedupe_key,
        email_required=True,
    )


def _start_stage(request: ApprovalRequest, *, actor=None) -> list[ApprovalAssignment]:
    """Resolve the current stage's approvers into assignments, e-mail each a link."""
    org = request.organization
    stage = request.stage
    now = timezone.now()
    request.stage_started_at = now
    request.save(update_fields=["stage_started_at"])
    members = _assignees(
        request, stage, _members_for_stage(org, stage, exclude_user_id=request.submitted_by_id)
    )
    if not members:
        raise ValidationFailed(
            _(
                "Nobody can approve the stage “%(stage)s”: its approvers are not active members "
                "(the author cannot approve their own post)."
            )
            % {"stage": stage.get("name", "")}
        )
    sla = int(stage.get("sla_hours") or 0)
    due = now + timedelta(hours=sla) if sla else None
    created: list[ApprovalAssignment] = []
    seen: set[int] = set()
    for member in members:
        who, on_behalf = _with_delegation(member, now, post=request.post)
        if who.pk in seen or who.user_id == request.submitted_by_id and on_behalf is not None:
            continue
        seen.add(who.pk)
        created.append(
            ApprovalAssignment.objects.create(
                organization=org,
                request=request,
                stage_index=request.current_stage,
                round=request.round,
                membership=who,
                on_behalf_of=on_behalf,
                due_at=due,
            )
        )
    for assignment in created:
        assignment.request = request
        _send_link(
            assignment,
            kind=NotificationKind.APPROVAL_REQUESTED,
            template="approvals_requested",
            actor=actor,
        )
    return created


def _supersede_pending(request: ApprovalRequest, *, stage_index: int | None = None) -> None:
    qs = ApprovalAssignment.objects.for_org(request.organization_id).filter(
        request=request, status=AS.PENDING
    )
    if stage_index is not None:
        qs = qs.filter(stage_index=stage_index)
    qs.update(status=AS.SUPERSEDED, decided_at=timezone.now())


# --- Submitting -------------------------------------------------------------------------------------------


def _lock_post(post: Post) -> Post:
    return (
        Post.objects.for_org(post.organization_id)
        .select_for_update()
        .select_related("organization")
        .get(pk=post.pk)
    )


@transaction.atomic
def submit_for_approval(
    post: Post,
    *,
    by,
    requested_at: datetime | None = None,
    requested_timezone: str = "",
    via: str = "web",
) -> ApprovalRequest:
    """Send ``post`` (a draft) into its workflow: in review at stage 1, each approver e-mailed a link."""
    require(by, Capability.COMPOSE, post)
    post = _lock_post(post)
    org = post.organization
    if post.status != Post.Status.DRAFT:
        raise Conflict(
            _("Only a draft can be submitted for approval (this post is %(status)s).")
            % {"status": post.get_status_display().lower()}
        )
    workflow = selectors.applicable_workflow(post)
    if workflow is None:
        raise Conflict(
            _("No approval workflow applies to this post: it can be scheduled directly.")
        )
    if requested_at is not None:
        if timezone.is_naive(requested_at):
            raise ValidationFailed(
                _("Give the time with its time zone."),
                fields={"requested_at": [_("Enter a valid date and time.")]},
            )
        if requested_at <= timezone.now():
            raise ValidationFailed(
                _("The requested time is in the past: choose a time in the future."),
                fields={"requested_at": [_("Choose a time in the future.")]},
            )
    publishing.ensure_publishable(post, by=by)
    snapshot = snapshot_of(workflow)
    # An older approval of this post no longer counts once it is submitted again.
    ApprovalRequest.objects.for_org(org).filter(post=post, status=R.APPROVED).update(
        status=R.CANCELLED
    )
    request = ApprovalRequest.objects.create(
        organization=org,
        post=post,
        workflow=workflow,
        snapshot=snapshot,
        post_version=post.version,
        submitted_by=_user(by),
        requested_at=requested_at,
        requested_timezone=(requested_timezone or post.schedule_timezone or "UTC")
        if requested_at
        else "",
        approved_content=content_of(post),
    )
    publishing.mark_in_review(post, by=by)
    record_event(
        org,
        "approval.submitted",
        obj=request,
        actor=_user(by),
        via=via,
        changes={
            "post": post.pk,
            "version": post.version,
            "workflow": workflow.name,
            "requested_at": requested_at,
        },
    )
    _start_stage(request, actor=_user(by))
    webhook_events.approval_requested(request)  # outgoing webhook, in this transaction
    return request


@transaction.atomic
def withdraw_request(request: ApprovalRequest, *, by, via: str = "web") -> ApprovalRequest:
    """The author takes the post back to draft; the approvers' links stop working."""
    request = (
        ApprovalRequest.objects.for_org(request.organization_id)
        .select_for_update()
        .get(pk=request.pk)
    )
    post = request.post
    if not (request.submitted_by_id == _user(by).pk or can(by, Capability.MANAGE_WORKFLOWS, post)):
        require(by, Capability.PUBLISH, post)
    if request.status != R.PENDING:
        raise Conflict(_("This request is no longer waiting for approval."))
    request.status = R.CANCELLED
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    _supersede_pending(request)
    publishing.return_to_draft(post, by=by, reason=_("Withdrawn from approval"))
    record_event(
        request.organization,
        "approval.withdrawn",
        obj=request,
        actor=_user(by),
        via=via,
        changes={"post": post.pk},
    )
    return request


# --- Deciding ---------------------------------------------------------------------------------------------


def _stage_complete(request: ApprovalRequest) -> bool:
    stage = request.stage or {}
    rows = list(
        ApprovalAssignment.objects.for_org(request.organization_id)
        .filter(request=request, round=request.round, stage_index=request.current_stage)
        .exclude(status=AS.SUPERSEDED)
        .values_list("status", "is_escalation")
    )
    approvals = sum(1 for status, _esc in rows if status == AS.APPROVED)
    if any(status == AS.APPROVED and esc for status, esc in rows):
        return True  # the backup approver decides for an overdue stage
    regular = [status for status, esc in rows if not esc]
    rule = stage.get("rule", "any")
    if rule == Stage.Rule.ALL:
        return bool(regular) and all(status == AS.APPROVED for status in regular)
    if rule == Stage.Rule.QUORUM:
        return approvals >= min(int(stage.get("quorum") or 1), max(1, len(regular)))
    return approvals >= 1


def _who_schedules(request: ApprovalRequest, approver: Membership | None) -> Membership | None:
    post = request.post
    if approver is not None and can(approver, Capability.PUBLISH, post):
        return approver
    if request.submitted_by_id:
        submitter = (
            Membership.objects.for_org(request.organization_id)
            .filter(user_id=request.submitted_by_id, is_active=True)
            .select_related("user")
            .first()
        )
        if submitter is not None and can(submitter, Capability.PUBLISH, post):
            return submitter
    return None


def _finish_approved(request: ApprovalRequest, *, by: Membership | None, via: str) -> None:
    org = request.organization
    request.status = R.APPROVED
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    post = publishing.mark_approved(request.post, by=by)
    record_event(
        org,
        "approval.approved",
        obj=request,
        actor=_user(by),
        via=via,
        changes={"post": post.pk, "version": request.post_version},
    )
    webhook_events.approval_decided(request)  # outgoing webhook, in this transaction
    outcome, reason = "approved", ""
    # The notification names a known reason by code, so the template says it in the reader's
    # language whenever it is read (a scheduler's refusal is shown as the scheduler worded it).
    reason_code = ""
    if request.requested_at is not None:
        if request.requested_at <= timezone.now():
            outcome, reason = "not_scheduled", _("the requested time has passed")
            reason_code = "time_passed"
        else:
            scheduler = _who_schedules(request, by)
            if scheduler is None:
                outcome, reason = (
                    "not_scheduled",
                    _("nobody involved may publish to these channels"),
                )
                reason_code = "nobody_may_publish"
            else:
                try:
                    with (
                        transaction.atomic()
                    ):  # a savepoint: a refused schedule leaves the approval standing
                        publishing.schedule_post(
                            post,
                            by=scheduler,
                            at=request.requested_at,
                            timezone_name=request.requested_timezone or "UTC",
                            source="approval",
                        )
                    outcome = "scheduled"
                except ApplicationError as exc:
                    outcome, reason = "not_scheduled", exc.message
    if outcome == "not_scheduled":
        record_event(
            org,
            "approval.schedule_skipped",
            obj=request,
            actor=_user(by),
            via=via,
            changes={"reason": reason},
        )
    _notify(
        org,
        recipients=[request.submitted_by],
        kind=NotificationKind.APPROVAL_DECIDED,
        template="approvals_decided",
        actor=_user(by),
        url=_post_url(request),
        context={
            "post_title": str(post),
            "outcome": outcome,
            "reason": "" if reason_code else reason,
            "reason_code": reason_code,
            "comment": "",
            "requested_at": request.requested_at,
            "requested_timezone": request.requested_timezone,
        },
    )


@transaction.atomic
def decide(
    request: ApprovalRequest,
    *,
    by: Membership,
    decision: str,
    comment: str = "",
    via: str = "web",
    assignment: ApprovalAssignment | None = None,
    expected_version: int | None = None,
) -> ApprovalRequest:
    """``by`` approves, rejects or asks for changes at the current stage (their pending assignment).

    ``expected_version``: the post version the approver was shown (the page's hidden field, the
    API's ``post_version``, the link's version). After an edit the same approver has a new
    assignment for the new version; without this check a decision made on the old page would
    approve text they never saw.
    """
    if decision not in D.values:
        raise ValidationFailed(
            _("Choose approve, reject or request changes."),
            fields={"decision": [_("Choose a valid decision.")]},
        )
    comment = (comment or "").strip()
    if decision != D.APPROVE and not comment:
        raise ValidationFailed(
            _("Say why in a comment: the author sees it on the post."),
            fields={"comment": [_("A comment is required to reject or ask for changes.")]},
        )
    if by is None or not by.is_active or not by.user.is_active:
        raise NotAllowed(_("You are no longer a member of this organization."))
    # Lock order: the post, then the request — the order of an edit (update_post locks the post,
    # then post_content_changed locks the request), so a decision and an edit never deadlock.
    post = _lock_post(request.post)
    request = (
        ApprovalRequest.objects.for_org(request.organization_id)
        .select_for_update()
        .select_related("organization")
        .get(pk=request.pk)
    )
    request.post = post
    if request.submitted_by_id is not None and by.user_id == request.submitted_by_id:
        # Every path that assigns approvers skips the submitter; this is the last line, whatever
        # delegation or escalation did.
        raise NotAllowed(_("You submitted this post: someone else must decide on it."))
    if not _sees_all_of(by, post):
        # Likewise for someone who cannot see every channel of the post (a grant revoked since
        # they were assigned): they would approve variants they cannot read.
        raise NotAllowed(
            _("You cannot see every channel of this post: someone who can must decide on it."),
            code="cannot_see_post",
        )
    if expected_version is not None and expected_version != request.post_version:
        raise Conflict(
            _("The post has changed since you opened it (you saw version %(seen)s; it is now version %(now)s). "
              "Read the new version before deciding.") % {"seen": expected_version, "now": request.post_version},
            code="stale_version",
        )
    if request.status != R.PENDING:
        raise Conflict(
            _("This request has already been decided (%(status)s).")
            % {"status": request.get_status_display().lower()},
            code="already_decided",
        )
    if post.version != request.post_version:
        raise Conflict(
            _("The post has changed since this was sent for approval."), code="stale_version"
        )
    if assignment is None:
        assignment = selectors.pending_assignment_for(request, by)
    else:
        assignment = (
            ApprovalAssignment.objects.for_org(request.organization_id)
            .select_for_update()
            .get(pk=assignment.pk)
        )
    if (
        assignment is None
        or assignment.membership_id != by.pk
        or assignment.status != AS.PENDING
        or assignment.round != request.round
        or assignment.stage_index != request.current_stage
    ):
        raise NotAllowed(
            _("You are not an approver of this post at its current stage."), code="not_your_turn"
        )
    now = timezone.now()
    assignment.status = _DECISION_STATUS[decision]
    assignment.decided_at = now
    assignment.save(update_fields=["status", "decided_at"])
    stage = request.stage or {}
    decision_row = ApprovalDecision.objects.create(
        organization=request.organization,
        request=request,
        assignment=assignment,
        stage_index=request.current_stage,
        stage_name=stage.get("name", ""),
        post_version=request.post_version,
        decided_by=by.user,
        kind=decision,
        comment=comment,
        via=via,
    )
    record_event(
        request.organization,
        f"approval.{decision}",
        obj=request,
        actor=by.user,
        via=via,
        changes={
            "post": post.pk,
            "version": request.post_version,
            "stage": stage.get("name", ""),
            "on_behalf_of": assignment.on_behalf_of_id,
            "comment": comment[:500],
        },
    )
    if (
        comment
    ):  # "@legal please double-check the price": mentioned people who may see the post are told
        _notify_mentioned(
            post,
            _mentioned_who_see(post, comment, exclude=by),
            by=by,
            body=comment,
            dedupe_key=f"decision:{decision_row.pk}",
        )
    org = request.organization
    if decision != D.APPROVE:
        request.status = R.REJECTED if decision == D.REJECT else R.CHANGES_REQUESTED
        request.decided_at = now
        request.outcome_comment = comment
        request.save(update_fields=["status", "decided_at", "outcome_comment"])
        webhook_events.approval_decided(request)  # outgoing webhook, in this transaction
        _supersede_pending(request)
        publishing.return_to_draft(post, by=by, reason=comment)
        _notify(
            org,
            recipients=[request.submitted_by],
            kind=NotificationKind.APPROVAL_DECIDED,
            template="approvals_decided",
            actor=by.user,
            url=_post_url(request),
            context={
                "post_title": str(post),
                "outcome": decision,
                "comment": comment,
                "reason": "",
                "decided_by": by.user.get_short_name(),
            },
        )
        return request
    request.approved_content = content_of(post)
    request.approved_version = post.version
    request.save(update_fields=["approved_content", "approved_version"])
    if not _stage_complete(request):
        return request
    _supersede_pending(request, stage_index=request.current_stage)
    if request.current_stage + 1 < len(request.stages):
        request.current_stage += 1
        request.save(update_fields=["current_stage"])
        _start_stage(request, actor=by.user)
        return request
    _finish_approved(request, by=by, via=via)
    return request


# --- Links ------------------------------------------------------------------------------------------------


@dataclass
class LinkCheck:
    """What a link names and whether it may be used now; ``refusal`` is a code when it may not."""

    link: ApprovalLink | None = None
    refusal: str = ""
    needs_login: bool = False

    @property
    def ok(self) -> bool:
        return not self.refusal and not self.needs_login


REFUSALS = {
    "invalid": 404,
    "other_person": 404,
    "not_member": 403,
    "used": 410,
    "expired": 410,
    "stale": 409,
    "decided": 409,
    # the approver can no longer see every channel of the post: as if the link were someone else's
    "cannot_see": 404,
}


def _find_link(token: str) -> tuple[ApprovalLink | None, bool]:
    """(the link the token names, whether its signature is good). A tampered token may still name a link."""
    token = (token or "")[:300]
    nonce, _sep, _sig = token.partition(":")
    try:
        nonce = signing.Signer(salt=LINK_SALT).unsign(token)
        good = True
    except signing.BadSignature:
        good = False
    if not nonce:
        return None, False
    link = (
        ApprovalLink.objects.unscoped()  # the token is the only key we have; it names one organization's row
        .select_related(
            "organization",
            "membership__user",
            "assignment",
            "request__post",
            "request__organization",
        )
        .filter(token_hash=_hash(nonce))
        .first()
    )
    return link, good


def check_link(token: str, *, user) -> LinkCheck:
    link, good = _find_link(token)
    if link is None:
        return LinkCheck(refusal="invalid")
    if not good:
        return LinkCheck(link=link, refusal="invalid")
    member = link.membership
    if not member.is_active or not member.user.is_active:
        return LinkCheck(link=link, refusal="not_member")
    authenticated = getattr(user, "is_authenticated", False)
    if authenticated and user.pk != member.user_id:
        return LinkCheck(link=link, refusal="other_person")
    if not _sees_all_of(member, link.request.post):
        return LinkCheck(link=link, refusal="cannot_see")
    if link.used_at is not None:
        return LinkCheck(link=link, refusal="used")
    if link.expires_at <= timezone.now():
        return LinkCheck(link=link, refusal="expired")
    request = link.request
    if link.post_version != request.post.version:
        return LinkCheck(link=link, refusal="stale")
    if request.status != R.PENDING or link.assignment.status != AS.PENDING:
        return LinkCheck(link=link, refusal="decided")
    if not authenticated and selectors.policy_of(link.organization).require_login:
        return LinkCheck(link=link, needs_login=True)
    return LinkCheck(link=link)


def record_link_refusal(check: LinkCheck, *, user, action: str = "open") -> None:
    """The refused attempt, in the link's organization's audit log (nothing else changes)."""
    if check.link is None:
        log.info("approval link refused: unknown token (%s)", action)
        return
    actor = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        record_event(
            check.link.organization,
            "approval_link.refused",
            obj=check.link,
            actor=actor,
            via="link",
            changes={
                "reason": check.refusal,
                "attempt": action,
                "request": check.link.request_id,
                "bound_to": check.link.membership_id,
                "link_version": check.link.post_version,
                "post_version": check.link.request.post.version,
            },
        )


def record_link_opened(check: LinkCheck, *, user) -> None:
    actor = user if getattr(user, "is_authenticated", False) else check.link.membership.user
    with transaction.atomic():
        record_event(
            check.link.organization,
            "approval_link.opened",
            obj=check.link,
            actor=actor,
            via="link",
            changes={"request": check.link.request_id, "post_version": check.link.post_version},
        )


@transaction.atomic
def decide_by_link(token: str, *, user, decision: str, comment: str = "") -> ApprovalRequest:
    """Use a link once: re-checked under lock, marked used in the same transaction as the decision."""
    check = check_link(token, user=user)
    if not check.ok:
        raise Conflict(check.refusal or "login", code=check.refusal or "needs_login")
    link = (
        ApprovalLink.objects.for_org(check.link.organization_id)
        .select_for_update()
        .get(pk=check.link.pk)
    )
    # Single use: only the first conditional update wins (a double tap or a replay finds used_at set).
    if (
        not ApprovalLink.objects.for_org(link.organization_id)
        .filter(pk=link.pk, used_at__isnull=True)
        .update(used_at=timezone.now())
    ):
        raise Conflict("used", code="used")
    member = (
        Membership.objects.for_org(link.organization_id)
        .select_related("user", "organization")
        .get(pk=link.membership_id)
    )
    return decide(
        link.request,
        by=member,
        decision=decision,
        comment=comment,
        via="link",
        assignment=link.assignment,
        expected_version=link.post_version,
    )


# --- Edits after submission, the schedule gate and rescheduling ---------------------------------------------


def on_post_content_changed(sender, *, post, old_version, by, changes, **kwargs) -> None:
    """An edit made a new version: a running or approved request starts a new round on it.

    After any approval, it goes back to the stage the workflow says (the first, or the one reached);
    before any, it stays at its stage. Approvers get new links and the diff; old links say "changed".
    """
    request = (
        ApprovalRequest.objects.for_org(post.organization_id)
        .select_for_update()
        .filter(post=post, status__in=[R.PENDING, R.APPROVED])
        .order_by("-submitted_at", "-pk")
        .first()
    )
    if request is None or request.post_version == post.version:
        return
    request.post = post
    had_approval = request.approved_version is not None
    to_first = (
        request.snapshot.get("resubmit_to", Workflow.Resubmit.FIRST_STAGE)
        == Workflow.Resubmit.FIRST_STAGE
    )
    was_approved = request.status == R.APPROVED
    target = (
        0
        if (had_approval and to_first)
        else min(request.current_stage, max(0, len(request.stages) - 1))
    )
    fresh = content_of(post)
    request.diff = content_diff(request.approved_content or {}, fresh)
    _supersede_pending(request)
    old = request.post_version
    request.status = R.PENDING
    request.decided_at = None
    request.post_version = post.version
    request.round += 1
    request.current_stage = target
    request.approved_schedule_at = None
    request.save()
    if post.status != Post.Status.IN_REVIEW:
        publishing.mark_in_review(post, by=by)
    record_event(
        post.organization,
        "approval.resubmitted",
        obj=request,
        actor=_user(by),
        changes={
            "post": post.pk,
            "from_version": old,
            "to_version": post.version,
            "stage": target,
            "after_approval": had_approval or was_approved,
            "fields": sorted(changes or {}),
        },
    )
    _start_stage(request, actor=_user(by))


def schedule_gate(post: Post, by) -> None:
    """Refuse to schedule or publish a post whose workflow applies and whose version is not approved."""
    if selectors.has_current_approval(post):
        return
    if selectors.applicable_workflow(post) is None:
        return
    raise Conflict(
        _(
            "This post needs approval before it can be scheduled or published: submit it for approval "
            "first."
        ),
        code="approval_required",
    )


def on_post_scheduled(sender, *, post, by, previous_at, source, action, **kwargs) -> None:
    """Remember the approved time; with "moving the time needs re-approval", refuse a move."""
    request = (
        ApprovalRequest.objects.for_org(post.organization_id)
        .select_for_update()
        .filter(post=post, status=R.APPROVED, post_version=post.version)
        .order_by("-pk")
        .first()
    )
    if request is None:
        return
    if request.approved_schedule_at is None:
        request.approved_schedule_at = post.scheduled_at
        request.save(update_fields=["approved_schedule_at"])
        return
    if (
        request.snapshot.get("reapprove_on_reschedule")
        and post.scheduled_at != request.approved_schedule_at
    ):
        raise Conflict(
            _(
                "Moving this post needs a new approval: unschedule it and submit it again with the new "
                "time."
            ),
            code="reapproval_required",
        )


# --- Comments -------------------------------------------------------------------------------------------------

_MENTION = re.compile(r"(?<![\w.])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[\w.+-]*\w)")


def mentioned_members(org, body: str) -> list[Membership]:
    """Active members named as @local-part or @e-mail in ``body`` (a local part shared by two is skipped)."""
    names = {m.lower() for m in _MENTION.findall(body or "")}
    if not names:
        return []
    members = list(
        Membership.objects.for_org(org)
        .filter(is_active=True, user__is_active=True)
        .select_related("user")
    )
    by_email = {m.user.email.lower(): m for m in members}
    by_local: dict[str, list[Membership]] = {}
    for m in members:
        by_local.setdefault(m.user.email.lower().split("@")[0], []).append(m)
    out: dict[int, Membership] = {}
    for name in names:
        if name in by_email:
            out[by_email[name].pk] = by_email[name]
        elif len(by_local.get(name, [])) == 1:
            out[by_local[name][0].pk] = by_local[name][0]
    return list(out.values())


MENTION_SUGGESTIONS = 8


def mention_handle(member: Membership, local_counts: dict[str, int]) -> str:
    """What to type after @ so that :func:`mentioned_members` finds this person (e-mail when the local part is shared)."""
    email = member.user.email.lower()
    local = email.split("@")[0]
    return local if local_counts.get(local, 0) == 1 else email


def mention_suggestions(org, prefix: str, *, post: Post | None = None) -> list[dict]:
    """Active members whose name, e-mail or handle starts with ``prefix`` (who may see ``post``, when given)."""
    prefix = (prefix or "").strip().lstrip("@").lower()[:100]
    members = list(
        Membership.objects.for_org(org)
        .filter(is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    local_counts: dict[str, int] = {}
    for m in members:
        local = m.user.email.lower().split("@")[0]
        local_counts[local] = local_counts.get(local, 0) + 1
    matching = []
    for m in members:
        full = (m.user.get_full_name() or "").lower()
        email = m.user.email.lower()
        words = [w for w in re.split(r"[\s.]+", full) if w]
        if prefix and not (
            email.startswith(prefix)
            or full.startswith(prefix)
            or any(w.startswith(prefix) for w in words)
        ):
            continue
        matching.append(m)
    if post is not None:
        from publishing.selectors import members_who_see

        seeing = members_who_see(post, matching, enough=MENTION_SUGGESTIONS)
        matching = [m for m in matching if m.pk in seeing]
    out = []
    for m in matching:
        out.append(
            {
                "handle": mention_handle(m, local_counts),
                "name": m.user.get_full_name() or m.user.email,
            }
        )
        if len(out) >= MENTION_SUGGESTIONS:
            break
    return out


@transaction.atomic
def add_comment(post: Post, *, by: Membership, body: str, via: str = "web") -> PostComment:
    """An internal comment (never published); mentioned members who may see the post are notified."""
    require(by, Capability.VIEW, post)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(
            _("Write a comment."), fields={"body": [_("This field is required.")]}
        )
    if len(body) > 5000:
        raise ValidationFailed(
            _("Keep comments under 5,000 characters."), fields={"body": [_("Too long.")]}
        )
    mentioned = _mentioned_who_see(post, body)
    comment = PostComment.objects.create(
        organization_id=post.organization_id,
        post=post,
        author=by.user,
        body=body,
        mentions=[m.pk for m in mentioned],
        post_version=post.version,
        via=via,
    )
    record_event(
        post.organization,
        "post_comment.created",
        obj=comment,
        actor=by.user,
        via=via,
        changes={"post": post.pk, "mentions": comment.mentions},
    )
    _notify_mentioned(post, mentioned, by=by, body=body, dedupe_key=f"comment:{comment.pk}")
    return comment


def _mentioned_who_see(
    post: Post, body: str, *, exclude: Membership | None = None
) -> list[Membership]:
    from publishing.selectors import members_who_see

    mentioned = [m for m in mentioned_members(post.organization, body) if exclude is None or m.pk != exclude.pk]
    seeing = members_who_see(post, mentioned)
    return [m for m in mentioned if m.pk in seeing]


def _notify_mentioned(post: Post, mentioned, *, by: Membership, body: str, dedupe_key: str) -> None:
    if not mentioned:
        return
    url = (
        reverse("post_detail", kwargs={"org_slug": post.organization.slug, "post_id": post.pk})
        + "#comments"
    )
    _notify(
        post.organization,
        recipients=mentioned,
        kind=NotificationKind.MENTION,
        template="approvals_mention",
        context={"post_title": str(post), "body": body, "author": by.user.get_short_name()},
        url=url,
        actor=by.user,
        dedupe_key=dedupe_key,
    )


# --- Out of office ------------------------------------------------------------------------------------------------


@transaction.atomic
def set_out_of_office(
    membership: Membership,
    *,
    by: Membership,
    delegate: Membership,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
) -> OutOfOffice:
    """While ``membership`` is away, approvals that would go to them go to ``delegate``."""
    if by.pk != membership.pk:
        require(by, Capability.MANAGE_WORKFLOWS)
    if (
        delegate is None
        or delegate.organization_id != membership.organization_id
        or not delegate.is_active
    ):
        raise ValidationFailed(
            _("Choose an active member as your delegate."),
            fields={"delegate": [_("Choose a member.")]},
        )
    if delegate.pk == membership.pk:
        raise ValidationFailed(
            _("Choose someone else as your delegate."),
            fields={"delegate": [_("Choose someone else.")]},
        )
    if ends_at <= starts_at:
        raise ValidationFailed(
            _("The absence ends before it starts."), fields={"ends_at": [_("Pick a later time.")]}
        )
    ooo = OutOfOffice.objects.create(
        organization_id=membership.organization_id,
        membership=membership,
        delegate=delegate,
        starts_at=starts_at,
        ends_at=ends_at,
        note=(note or "")[:200],
    )
    record_event(
        membership.organization,
        "out_of_office.set",
        obj=ooo,
        actor=by.user,
        changes={
            "member": membership.pk,
            "delegate": delegate.pk,
            "starts_at": starts_at,
            "ends_at": ends_at,
        },
    )
    # Requests already waiting for this person move to the delegate when the absence has begun.
    if starts_at <= timezone.now():
        for assignment in (
            ApprovalAssignment.objects.for_org(membership.organization_id)
            .filter(membership=membership, status=AS.PENDING, request__status=R.PENDING)
            .select_related("request__post", "request__organization", "request__submitted_by")
        ):
            _reassign(assignment, to=delegate, on_behalf_of=membership, actor=by.user)
    return ooo


def _reassign(
    assignment: ApprovalAssignment, *, to: Membership, on_behalf_of: Membership, actor=None
) -> None:
    request = assignment.request
    if to.user_id == request.submitted_by_id:
        return  # the author never approves their own post: the assignment stays with its approver
    if not _sees_all_of(to, request.post):
        return  # nor does a delegate who cannot see every channel of it: it stays, too
    exists = (
        ApprovalAssignment.objects.for_org(assignment.organization_id)
        .filter(
            request=request,
            round=assignment.round,
            stage_index=assignment.stage_index,
            membership=to,
        )
        .exists()
    )
    assignment.status = AS.SUPERSEDED
    assignment.decided_at = timezone.now()
    assignment.save(update_fields=["status", "decided_at"])
    if exists:
        return
    new = ApprovalAssignment.objects.create(
        organization_id=assignment.organization_id,
        request=request,
        stage_index=assignment.stage_index,
        round=assignment.round,
        membership=to,
        on_behalf_of=on_behalf_of,
        due_at=assignment.due_at,
        is_escalation=assignment.is_escalation,
    )
    new.request = request
    record_event(
        request.organization,
        "approval.delegated",
        obj=request,
        actor=actor,
        changes={"from": on_behalf_of.pk, "to": to.pk, "stage": assignment.stage_index},
    )
    _send_link(
        new, kind=NotificationKind.APPROVAL_REQUESTED, template="approvals_requested", actor=actor
    )


@transaction.atomic
def end_out_of_office(ooo: OutOfOffice, *, by: Membership) -> None:
    if by.pk != ooo.membership_id:
        require(by, Capability.MANAGE_WORKFLOWS)
    now = timezone.now()
    record_event(
        by.organization,
        "out_of_office.ended",
        obj=ooo,
        actor=by.user,
        changes={"member": ooo.membership_id},
    )
    if ooo.starts_at > now:
        OutOfOffice.objects.for_org(ooo.organization_id).filter(pk=ooo.pk).delete()
    else:
        OutOfOffice.objects.for_org(ooo.organization_id).filter(pk=ooo.pk).update(ends_at=now)


# --- SLA: reminders and escalation (called by the beat sweep, one assignment at a time) -------------------------


def due_for_reminder(now: datetime) -> list[int]:
    """Pending assignments whose SLA ends within their organization's reminder window (not yet reminded)."""
    rows = (
        ApprovalAssignment.objects.unscoped()  # the sweep crosses organizations; each row is handled alone
        .filter(
            status=AS.PENDING,
            request__status=R.PENDING,
            reminded_at__isnull=True,
            escalated_at__isnull=True,
            due_at__gt=now,
            due_at__lte=now + timedelta(days=14),
        )
        .values_list("pk", "organization_id", "due_at")
    )
    hours = dict(ApprovalPolicy.objects.unscoped().values_list("organization_id", "reminder_hours"))
    return [pk for pk, org_id, due in rows if due - timedelta(hours=hours.get(org_id, 4)) <= now]


def due_for_escalation(now: datetime) -> list[int]:
    return list(
        ApprovalAssignment.objects.unscoped()  # the sweep crosses organizations
        .filter(
            status=AS.PENDING,
            request__status=R.PENDING,
            escalated_at__isnull=True,
            due_at__lte=now,
            is_escalation=False,
        )
        .values_list("pk", flat=True)
    )


def due_for_delegation(now: datetime) -> list[int]:
    """Pending assignments of people whose out-of-office has begun since the assignment was made."""
    away = OutOfOffice.objects.unscoped().filter(  # the sweep crosses organizations
        starts_at__lte=now, ends_at__gt=now, delegate__is_active=True
    )
    return list(
        ApprovalAssignment.objects.unscoped()
        .filter(
            status=AS.PENDING,
            request__status=R.PENDING,
            membership_id__in=away.values("membership_id"),
        )
        .values_list("pk", flat=True)
    )


@transaction.atomic
def delegate_assignment(assignment_id: int, *, now: datetime | None = None) -> bool:
    """Move one waiting assignment to the delegate of its (now absent) approver. True when moved."""
    now = now or timezone.now()
    assignment = _load_assignment(assignment_id)
    if (
        assignment is None
        or assignment.status != AS.PENDING
        or assignment.request.status != R.PENDING
    ):
        return False
    away = selectors.active_out_of_office(assignment.membership, at=now)
    if away is None or away.delegate_id == assignment.membership_id:
        return False
    locked = (
        ApprovalAssignment.objects.for_org(assignment.organization_id)
        .select_for_update()
        .filter(pk=assignment.pk, status=AS.PENDING)
        .first()
    )
    if locked is None:
        return False
    _reassign(assignment, to=away.delegate, on_behalf_of=assignment.membership)
    return True


def _load_assignment(assignment_id: int) -> ApprovalAssignment | None:
    return (
        ApprovalAssignment.objects.unscoped()
        .select_related(
            "request__post",
            "request__organization",
            "request__submitted_by",
            "membership__user",
            "on_behalf_of__user",
        )
        .filter(pk=assignment_id)
        .first()
    )


@transaction.atomic
def remind_assignment(assignment_id: int, *, now: datetime | None = None) -> bool:
    """Remind one approver (once: a conditional update claims the reminder). True when sent."""
    now = now or timezone.now()
    assignment = _load_assignment(assignment_id)
    if assignment is None:
        return False
    if not _sees_all_of(assignment.membership, assignment.request.post):
        # They lost access to a channel of the post since: no e-mail shows it to them (the SLA
        # sweep escalates the stage to its backup, or an admin).
        return False
    claimed = (
        ApprovalAssignment.objects.for_org(assignment.organization_id)
        .filter(
            pk=assignment.pk,
            status=AS.PENDING,
            reminded_at__isnull=True,
            request__status=R.PENDING,
            request__round=assignment.round,
        )
        .update(reminded_at=now)
    )
    if not claimed:
        return False
    record_event(
        assignment.request.organization,
        "approval.reminded",
        obj=assignment.request,
        via="task",
        changes={"member": assignment.membership_id, "due_at": assignment.due_at},
    )
    _send_link(
        assignment,
        kind=NotificationKind.APPROVAL_REMINDER,
        template="approvals_reminder",
        dedupe_key=f"reminder:{assignment.pk}",
    )
    return True


@transaction.atomic
def escalate_assignment(assignment_id: int, *, now: datetime | None = None) -> bool:
    """The SLA ran out: the stage's backup approver is added (their approval completes the stage)."""
    now = now or timezone.now()
    assignment = _load_assignment(assignment_id)
    if assignment is None:
        return False
    request = assignment.request
    claimed = (
        ApprovalAssignment.objects.for_org(assignment.organization_id)
        .filter(
            pk=assignment.pk,
            status=AS.PENDING,
            escalated_at__isnull=True,
            request__status=R.PENDING,
            request__round=assignment.round,
            request__current_stage=assignment.stage_index,
        )
        .update(escalated_at=now)
    )
    if not claimed:
        return False
    # One escalation per stage and round: the other overdue approvers of the stage are marked too.
    ApprovalAssignment.objects.for_org(assignment.organization_id).filter(
        request=request,
        round=assignment.round,
        stage_index=assignment.stage_index,
        status=AS.PENDING,
        escalated_at__isnull=True,
    ).update(escalated_at=now)
    stage = request.stage or {}
    backup = _backup_of(request.organization, stage)
    org = request.organization
    if (
        backup is not None
        and backup.user_id != request.submitted_by_id
        and not _sees_all_of(backup, request.post)
    ):
        # A backup who cannot see every channel of the post: the stage falls to an admin.
        backup = selectors.fallback_admin(org, exclude_user_id=request.submitted_by_id)
    if backup is None or backup.user_id == request.submitted_by_id:
        record_event(
            org,
            "approval.escalation_failed",
            obj=request,
            via="task",
            changes={"stage": stage.get("name", ""), "reason": "no backup approver"},
        )
        _notify(
            org,
            recipients=[assignment.membership],
            kind=NotificationKind.APPROVAL_ESCALATED,
            template="approvals_overdue",
            url=_request_url(request),
            context={"post_title": str(request.post), "stage_name": stage.get("name", "")},
            dedupe_key=f"overdue:{request.pk}:{request.round}:{assignment.stage_index}",
        )
        return True
    who, on_behalf = _with_delegation(backup, now, post=request.post)
    existing = (
        ApprovalAssignment.objects.for_org(org)
        .filter(
            request=request,
            round=assignment.round,
            stage_index=assignment.stage_index,
            membership=who,
        )
        .first()
    )
    if existing is not None:
        ApprovalAssignment.objects.for_org(org).filter(pk=existing.pk).update(
            is_escalation=True, escalated_at=now
        )
        new = existing
        new.is_escalation = True
    else:
        new = ApprovalAssignment.objects.create(
            organization=org,
            request=request,
            stage_index=assignment.stage_index,
            round=assignment.round,
            membership=who,
            on_behalf_of=on_behalf,
            is_escalation=True,
            escalated_at=now,
            due_at=None,
        )
    new.request = request
    record_event(
        org,
        "approval.escalated",
        obj=request,
        via="task",
        changes={
            "stage": stage.get("name", ""),
            "backup": who.pk,
            "overdue": assignment.membership_id,
        },
    )
    _send_link(
        new,
        kind=NotificationKind.APPROVAL_ESCALATED,
        template="approvals_escalated",
        dedupe_key=f"escalated:{request.pk}:{request.round}:{assignment.stage_index}:{who.pk}",
    )
    return True
