"""Out of office and the SLA sweep: delegation, reminders, escalation to the backup approver."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, require
from accounts.models import Membership
from accounts.notifications import NotificationKind
from socialops.audit.services import record_event
from socialops.errors import ValidationFailed

from .. import selectors
from ..models import (
    ApprovalAssignment,
    ApprovalPolicy,
    ApprovalRequest,
    OutOfOffice,
)
from ._shared import (
    AS,
    R,
    _notify,
    _request_url,
    _sees_all_of,
)
from .links import (
    _send_link,
)
from .requests import (
    _backup_of,
    _with_delegation,
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
    if assignment is None or not _claim_escalation(assignment, now=now):
        return False
    request = assignment.request
    backup = _stand_in_for(request)
    if backup is None:
        _tell_nobody_stands_in(request, assignment)
        return True
    who, on_behalf = _with_delegation(backup, now, post=request.post)
    new = _escalation_assignment(request, assignment, who=who, on_behalf=on_behalf, now=now)
    stage = request.stage or {}
    record_event(
        request.organization,
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


def _claim_escalation(assignment: ApprovalAssignment, *, now: datetime) -> bool:
    """One escalation per stage and round: a conditional update claims it (False when already
    escalated, decided or moved on); the other overdue approvers of the stage are marked too."""
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
    ApprovalAssignment.objects.for_org(assignment.organization_id).filter(
        request=assignment.request,
        round=assignment.round,
        stage_index=assignment.stage_index,
        status=AS.PENDING,
        escalated_at__isnull=True,
    ).update(escalated_at=now)
    return True


def _stand_in_for(request: ApprovalRequest) -> Membership | None:
    """The stage's backup; an admin when the backup cannot see every channel; never the submitter."""
    org = request.organization
    backup = _backup_of(org, request.stage or {})
    if (
        backup is not None
        and backup.user_id != request.submitted_by_id
        and not _sees_all_of(backup, request.post)
    ):
        # A backup who cannot see every channel of the post: the stage falls to an admin.
        backup = selectors.fallback_admin(org, exclude_user_id=request.submitted_by_id)
    if backup is None or backup.user_id == request.submitted_by_id:
        return None
    return backup


def _tell_nobody_stands_in(request: ApprovalRequest, assignment: ApprovalAssignment) -> None:
    org = request.organization
    stage = request.stage or {}
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


def _escalation_assignment(
    request: ApprovalRequest,
    overdue: ApprovalAssignment,
    *,
    who: Membership,
    on_behalf: Membership | None,
    now: datetime,
) -> ApprovalAssignment:
    """``who``'s assignment at the overdue stage, marked as the escalation (an existing one is reused)."""
    org = request.organization
    existing = (
        ApprovalAssignment.objects.for_org(org)
        .filter(
            request=request,
            round=overdue.round,
            stage_index=overdue.stage_index,
            membership=who,
        )
        .first()
    )
    if existing is not None:
        ApprovalAssignment.objects.for_org(org).filter(pk=existing.pk).update(
            is_escalation=True, escalated_at=now
        )
        existing.is_escalation = True
        new = existing
    else:
        new = ApprovalAssignment.objects.create(
            organization=org,
            request=request,
            stage_index=overdue.stage_index,
            round=overdue.round,
            membership=who,
            on_behalf_of=on_behalf,
            is_escalation=True,
            escalated_at=now,
            due_at=None,
        )
    new.request = request
    return new
