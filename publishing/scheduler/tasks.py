"""Background work of the scheduler: the dispatcher tick and the worker's publish step.

The task names keep their first module (``publishing.tasks.*``): beat's schedule and messages
already queued name them.

No task here is ever scheduled with a countdown or ETA: a wait (a future schedule, a backoff, a
rate limit, a pending poll) is a row with ``due_at`` / ``next_attempt_at`` that the dispatcher,
ticking every few seconds from beat, picks up. So nothing depends on the broker keeping a message
longer than its visibility timeout, and a lost message only delays a post until its lease lapses.
"""

from __future__ import annotations

from celery import shared_task

from socialops.audit.services import audit_context


@shared_task(name="publishing.tasks.dispatch", ignore_result=True)
def dispatch(limit: int = 500) -> int:
    """Beat tick: claim due variants and enqueue their publish tasks (safe to run concurrently)."""
    from .dispatch import dispatch_due

    with audit_context(via="task"):
        return dispatch_due(limit=limit)


#: a batch stops starting new attempts after this long and hands the rest to a new task
BATCH_BUDGET_SECONDS = 10.0


@shared_task(
    name="publishing.tasks.publish_attempts",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    bind=True,
)
def publish_attempts(self, attempt_ids: list[int]) -> int:
    """Publish (or poll, or settle) a batch of claimed attempts, as the dispatcher enqueues them.

    The row decides, not the message: each attempt is re-read and taken right before its own network
    call. ``acks_late`` + ``reject_on_worker_lost``: a worker killed mid-task gets its message
    redelivered; the redelivery finds the attempts taken (or settled) and does nothing twice. A redelivered batch finds its attempts
    taken or settled and does nothing twice; one requeued because its worker process was killed
    takes over the attempts that process had not started (``scheduling.pick_up``). Attempts not
    started within the time budget go to a new task (they stay claimed, waiting for a worker; if
    that enqueue fails their short leases lapse and they are claimed again).
    """
    from .services import perform_attempts

    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    with audit_context(via="task"):
        results, left = perform_attempts(
            attempt_ids, budget_seconds=BATCH_BUDGET_SECONDS, take_over=redelivered
        )
    if left:
        publish_attempts.delay(left)
    return len(results)
