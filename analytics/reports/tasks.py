"""Scheduled reports' background work: the beat's sweep and one run's delivery."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="analytics.reports.tasks.send_due_reports", ignore_result=True)
def send_due_reports() -> int:
    """Every minute: due schedules become runs (one per slot), and runs that were lost, or wait
    for a retry, are handed out again; one task per run."""
    ids = services.claim_due_schedules()
    ids += [i for i in services.open_run_ids() if i not in ids]
    for run_id in ids:
        deliver_report_run.delay(run_id)
    return len(ids)


@shared_task(
    name="analytics.reports.tasks.deliver_report_run",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def deliver_report_run(run_id: int) -> str:
    run = services.deliver_run(run_id)
    return run.status if run is not None else "taken"
