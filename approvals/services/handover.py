"""Handing a leaving person's places over to someone else (called by governance's offboarding)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, require
from accounts.models import Membership
from socialops.audit.services import record_event
from socialops.errors import ValidationFailed

from ..models import ApprovalAssignment, Stage, StageApprover
from ._shared import AS, R, _sees_all_of
from .sla import _reassign


@transaction.atomic
def hand_over_stage_seat(seat: StageApprover, *, to: Membership | None, by: Membership) -> None:
    """``seat`` (a person approver of a stage) goes to ``to``; None or someone already there: removed."""
    require(by, Capability.MANAGE_WORKFLOWS)
    stage = seat.stage
    before = seat.membership_id
    already = (
        to is not None
        and StageApprover.objects.for_org(seat.organization_id)
        .filter(stage=stage, kind=StageApprover.Kind.PERSON, membership=to)
        .exclude(pk=seat.pk)
        .exists()
    )
    if to is None or already:
        StageApprover.objects.for_org(seat.organization_id).filter(pk=seat.pk).delete()
    else:
        seat.membership = to
        seat.save(update_fields=["membership"])
    record_event(
        by.organization,
        "workflow.approver_handed_over",
        obj=stage.workflow,
        changes={"stage": stage.name, "approver": [before, to.pk if to else None]},
    )


@transaction.atomic
def hand_over_stage_backup(stage: Stage, *, to: Membership | None, by: Membership) -> None:
    """The backup approver of ``stage`` becomes ``to`` (None: no backup)."""
    require(by, Capability.MANAGE_WORKFLOWS)
    before = stage.backup_approver_id
    stage.backup_approver = to
    stage.save(update_fields=["backup_approver"])
    record_event(
        by.organization,
        "workflow.backup_handed_over",
        obj=stage.workflow,
        changes={"stage": stage.name, "backup": [before, to.pk if to else None]},
    )


def why_cannot_take_assignment(assignment: ApprovalAssignment, to: Membership) -> str | None:
    """Why ``to`` cannot decide ``assignment`` in place of its approver (None: they can)."""
    from accounts.capabilities import can

    if not can(to, Capability.APPROVE):
        return _("%(name)s may not approve posts.") % {"name": to.user}
    if to.user_id == assignment.request.submitted_by_id:
        return _("%(name)s submitted this post and cannot approve it.") % {"name": to.user}
    if not _sees_all_of(to, assignment.request.post):
        return _("%(name)s cannot see every channel of this post.") % {"name": to.user}
    return None


@transaction.atomic
def hand_over_assignment(
    assignment: ApprovalAssignment, *, to: Membership, by: Membership
) -> ApprovalAssignment:
    """A decision waiting on a leaving person goes to ``to`` (who must be able to take it)."""
    require(by, Capability.MANAGE_WORKFLOWS)
    reason = why_cannot_take_assignment(assignment, to)
    if reason:
        raise ValidationFailed(reason, fields={"to": [reason]})
    locked = (
        ApprovalAssignment.objects.for_org(assignment.organization_id)
        .select_for_update()
        .filter(pk=assignment.pk, status=AS.PENDING, request__status=R.PENDING)
        .first()
    )
    if locked is None:
        return assignment  # decided or withdrawn meanwhile: nothing waits on them any more
    _reassign(assignment, to=to, on_behalf_of=assignment.membership, actor=by.user)
    return assignment
