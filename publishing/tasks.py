"""Background work of publishing: the dispatcher tick and the worker's publish step.

No task here is ever scheduled with a countdown or ETA: a wait (a future schedule, a backoff, a
rate limit, a pending poll) is a row with ``due_at`` / ``next_attempt_at`` that the dispatcher,
ticking every few seconds from beat, picks up. So nothing depends on the broker keeping a message
longer than its visibility timeout, and a lost message only delays a post until its lease lapses.
"""

from __future__ import annotations

from celery import shared_task

from governance.services import audit_context


@shared_task(name="publishing.tasks.dispatch", ignore_result=True)
def dispatch(limit: int = 500) -> int:
    """Beat tick: claim due variants and enqueue their publish tasks (safe to run concurrently)."""
    from .dispatch import dispatch_due

    with audit_context(via="task"):
        return dispatch_due(limit=limit)


@shared_task(name="publishing.tasks.publish_variant", ignore_result=True, acks_late=True,
             reject_on_worker_lost=True)
def publish_variant(variant_id: int, attempt_id: int) -> str:
    """Publish (or poll, or settle) one claimed attempt. Idempotent: the row decides, not the message.

    ``acks_late`` + ``reject_on_worker_lost``: a worker killed mid-task gets its message
    redelivered; the redelivery finds the attempt taken (or settled) and does nothing twice.
    """
    from .services.scheduling import perform_attempt

    with audit_context(via="task"):
        return perform_attempt(attempt_id).outcome
