"""Background work of the media library: renditions made by a worker after an upload commits.

The task name keeps its first module (``publishing.tasks.make_renditions``): messages already
queued name it.
"""

from __future__ import annotations

from celery import shared_task

from socialops.audit.services import audit_context


@shared_task(
    name="publishing.tasks.make_renditions",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def make_renditions(asset_id: int) -> bool:
    """Make an uploaded image's renditions (enqueued when the upload commits). Idempotent: an asset
    that already has them (made on demand meanwhile, or by a redelivery) is left alone."""
    from .services import ensure_renditions_by_id

    with audit_context(via="task"):
        return ensure_renditions_by_id(asset_id)
