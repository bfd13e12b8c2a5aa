"""Decisions: approve, reject or ask for changes (on the page, by link, by API); the schedule gate."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, can
from accounts.models import Membership
from accounts.notifications import NotificationKind
from publishing import services as publishing
from publishing.models import Post
from socialops.audit.services import record_event
from socialops.errors import ApplicationError, Conflict, NotAllowed, ValidationFailed

from .. import selectors, webhook_events
from ..models import (
    ApprovalAssignment,
    ApprovalDecision,
    ApprovalLink,
    ApprovalRequest,
    Stage,
)
from ._shared import (
    AS,
    D,
    R,
    _lock_post,
    _notify,
    _post_url,
    _sees_all_of,
    _user,
)
from .comments import _mentioned_who_see, _notify_mentioned
from .links import (
    check_link,
)
from .requests import (
    _start_stage,
    _supersede_pending,
    content_of,
)

_DECISION_STATUS = {
    D.APPROVE: AS.APPROVED,
    D.REJECT: AS.REJECTED,
    D.REQUEST_CHANGES: AS.CHANGES_REQUESTED,
}


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

    This is the outermost service of a decision: it owns the transaction, and when the last stage
    approves it has publishing schedule the post itself (:func:`_finish_approved`).
    """
    comment = _clean_decision(decision, comment, by=by)
    post, request = _lock_post_and_request(request)
    _check_may_decide(request, post, by=by, expected_version=expected_version)
    assignment = _claim_assignment(request, by=by, assignment=assignment)
    _record_decision(request, post, assignment, by=by, decision=decision, comment=comment, via=via)
    if decision != D.APPROVE:
        _send_back(request, post, by=by, decision=decision, comment=comment)
    else:
        _advance(request, post, by=by, via=via)
    return request


def _clean_decision(decision: str, comment: str, *, by: Membership) -> str:
    """The decision is one of the three, a refusal says why, the decider is still a member."""
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
    return comment


def _lock_post_and_request(request: ApprovalRequest) -> tuple[Post, ApprovalRequest]:
    # Lock order: the post, then the request — the order of an edit (update_post locks the post,
    # then resubmit_new_version locks the request), so a decision and an edit never deadlock.
    post = _lock_post(request.post)
    request = (
        ApprovalRequest.objects.for_org(request.organization_id)
        .select_for_update()
        .select_related("organization")
        .get(pk=request.pk)
    )
    request.post = post
    return post, request


def _check_may_decide(
    request: ApprovalRequest, post: Post, *, by: Membership, expected_version: int | None
) -> None:
    """Not the submitter, sees every channel, decides on the version they saw, still pending."""
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
            _(
                "The post has changed since you opened it (you saw version %(seen)s; it is now version %(now)s). "
                "Read the new version before deciding."
            )
            % {"seen": expected_version, "now": request.post_version},
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


def _claim_assignment(
    request: ApprovalRequest, *, by: Membership, assignment: ApprovalAssignment | None
) -> ApprovalAssignment:
    """``by``'s pending assignment at the request's current stage and round (locked), or NotAllowed."""
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
    return assignment


def _record_decision(
    request: ApprovalRequest,
    post: Post,
    assignment: ApprovalAssignment,
    *,
    by: Membership,
    decision: str,
    comment: str,
    via: str,
) -> ApprovalDecision:
    """The assignment's outcome, the decision row, its audit entry; people @mentioned are told."""
    assignment.status = _DECISION_STATUS[decision]
    assignment.decided_at = timezone.now()
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
    if comment:
        # "@legal please double-check the price": mentioned people who may see the post are told
        _notify_mentioned(
            post,
            _mentioned_who_see(post, comment, exclude=by),
            by=by,
            body=comment,
            dedupe_key=f"decision:{decision_row.pk}",
        )
    return decision_row


def _send_back(
    request: ApprovalRequest, post: Post, *, by: Membership, decision: str, comment: str
) -> None:
    """A reject or a request for changes: the request ends, the post goes back to draft, the author is told."""
    request.status = R.REJECTED if decision == D.REJECT else R.CHANGES_REQUESTED
    request.decided_at = timezone.now()
    request.outcome_comment = comment
    request.save(update_fields=["status", "decided_at", "outcome_comment"])
    webhook_events.approval_decided(request)  # outgoing webhook, in this transaction
    _supersede_pending(request)
    publishing.return_to_draft(post, by=by, reason=comment)
    _notify(
        request.organization,
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


def _advance(request: ApprovalRequest, post: Post, *, by: Membership, via: str) -> None:
    """An approval: when the stage's rule is met, the next stage starts, or after the last the post is approved."""
    request.approved_content = content_of(post)
    request.approved_version = post.version
    request.save(update_fields=["approved_content", "approved_version"])
    if not _stage_complete(request):
        return
    _supersede_pending(request, stage_index=request.current_stage)
    if request.current_stage + 1 < len(request.stages):
        request.current_stage += 1
        request.save(update_fields=["current_stage"])
        _start_stage(request, actor=by.user)
        return
    _finish_approved(request, by=by, via=via)


# --- Approved: the post is scheduled at the requested time ------------------------------------------------


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
    outcome, reason, reason_code = _schedule_approved(request, post, by=by)
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


def _schedule_approved(
    request: ApprovalRequest, post: Post, *, by: Membership | None
) -> tuple[str, str, str]:
    """Schedule the approved post at the requested time: (outcome, reason, reason code).

    The notification names a known reason by code, so the template says it in the reader's
    language whenever it is read (a scheduler's refusal is shown as the scheduler worded it).
    Publishing is asked to schedule with approvals' own gate already satisfied (``cleared_gates``):
    this request has just approved this version, and the approved time is recorded here, in the
    same savepoint, rather than by a receiver of ``post_scheduled``.
    """
    if request.requested_at is None:
        return "approved", "", ""
    if request.requested_at <= timezone.now():
        return "not_scheduled", _("the requested time has passed"), "time_passed"
    scheduler = _who_schedules(request, by)
    if scheduler is None:
        return (
            "not_scheduled",
            _("nobody involved may publish to these channels"),
            "nobody_may_publish",
        )
    try:
        with transaction.atomic():  # a savepoint: a refused schedule leaves the approval standing
            scheduled = publishing.schedule_post(
                post,
                by=scheduler,
                at=request.requested_at,
                timezone_name=request.requested_timezone or "UTC",
                source="approval",
                cleared_gates=[schedule_gate],
            )
            _hold_to_approved_time(request, scheduled.scheduled_at)
    except ApplicationError as exc:
        return "not_scheduled", exc.message, ""
    return "scheduled", "", ""


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


# --- Deciding by link ------------------------------------------------------------------------------------------------


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


# --- The schedule gate ---------------------------------------------------------------------------------------


def schedule_gate(post: Post, by) -> None:
    """publishing's schedule gate (registered in ``ApprovalsConfig.ready``), asked before publishing
    itself schedules or publishes ``post`` (composer, calendar, API, CSV), the post carrying the time
    it is about to get.

    A post its workflow covers goes out only once this version is approved; the first schedule after
    the approval fixes the approved time, and with "moving the time needs re-approval" no later one
    may move it. The gate's write (the approved time) commits or rolls back with the schedule.
    """
    request = _current_approval(post)
    if request is None:
        if selectors.applicable_workflow(post) is None:
            return
        raise Conflict(
            _(
                "This post needs approval before it can be scheduled or published: submit it for approval "
                "first."
            ),
            code="approval_required",
        )
    _hold_to_approved_time(request, post.scheduled_at)


def _current_approval(post: Post) -> ApprovalRequest | None:
    """The request that approved the post's current version (locked: the post row is locked first)."""
    return (
        ApprovalRequest.objects.for_org(post.organization_id)
        .select_for_update()
        .filter(post=post, status=R.APPROVED, post_version=post.version)
        .order_by("-pk")
        .first()
    )


def _hold_to_approved_time(request: ApprovalRequest, at) -> None:
    """Record the first time the approved post is scheduled for; refuse a move when the workflow says so."""
    if request.approved_schedule_at is None:
        request.approved_schedule_at = at
        request.save(update_fields=["approved_schedule_at"])
        return
    if request.snapshot.get("reapprove_on_reschedule") and at != request.approved_schedule_at:
        raise Conflict(
            _(
                "Moving this post needs a new approval: unschedule it and submit it again with the new "
                "time."
            ),
            code="reapproval_required",
        )
