"""Requests: submitting a post into its workflow, its stages' assignees, withdrawing, a new round after an edit."""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, can, require
from accounts.models import Membership
from accounts.notifications import NotificationKind
from publishing import services as publishing
from publishing.models import Post
from socialops.audit.services import record_event
from socialops.errors import Conflict, ValidationFailed

from .. import selectors, webhook_events
from ..models import (
    ApprovalAssignment,
    ApprovalRequest,
    Workflow,
)
from ._shared import (
    AS,
    R,
    _lock_post,
    _sees_all_of,
    _user,
)
from .links import (
    _send_link,
)
from .workflows import snapshot_of

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
            out.append({**entry, "segments": _word_diff(o.get("text", ""), n.get("text", ""))})
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


def _assignees(
    request: ApprovalRequest, stage: dict, members: list[Membership]
) -> list[Membership]:
    """The assignee-selection step of a stage: of its approvers (``members``), those who may see every
    channel of the post; when they cannot meet the stage's rule, its backup or an admin stands in
    (approvals.routing). Who was left out, and why, goes to the audit log."""
    from publishing.selectors import members_who_see_all_of

    from ..routing import route_stage

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


# --- Edits after submission ---------------------------------------------------------------------------


def resubmit_new_version(post: Post, *, old_version: int, by, changes: dict) -> None:
    """An edit made a new version: a running or approved request starts a new round on it.

    publishing's new-version handler (``publishing.hooks``, registered in ``ApprovalsConfig.ready``),
    called inside the edit's transaction with the post row locked.

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
