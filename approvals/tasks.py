"""The SLA sweep (beat, every minute): reminders before an approval's SLA runs out, escalation when it does,
and delegation of waiting approvals once their approver's out-of-office has begun.

Long waits are rows (``ApprovalAssignment.due_at``) and this sweep, never countdowns. Each assignment
is handled by its own task (ids, not objects), claimed with a conditional update: running twice
sends nothing twice.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from socialops.audit.services import audit_context

from . import services


@shared_task(acks_late=True)
def sweep_approval_slas() -> dict:
    now = timezone.now()
    reminders = services.due_for_reminder(now)
    escalations = services.due_for_escalation(now)
    delegations = services.due_for_delegation(now)
    for assignment_id in reminders:
        remind_approver.delay(assignment_id)
    for assignment_id in escalations:
        escalate_approval.delay(assignment_id)
    for assignment_id in delegations:
        delegate_approval.delay(assignment_id)
    return {
        "reminders": len(reminders),
        "escalations": len(escalations),
        "delegations": len(delegations),
    }


@shared_task(acks_late=True)
def remind_approver(assignment_id: int) -> bool:
    with audit_context(via="task"):
        return services.remind_assignment(assignment_id)


@shared_task(acks_late=True)
def escalate_approval(assignment_id: int) -> bool:
    with audit_context(via="task"):
        return services.escalate_assignment(assignment_id)


@shared_task(acks_late=True)
def delegate_approval(assignment_id: int) -> bool:
    with audit_context(via="task"):
        return services.delegate_assignment(assignment_id)
