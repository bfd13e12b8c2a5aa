"""The audit log's retention, run by beat once a day (``CELERY_BEAT_SCHEDULE["audit-purge"]``).

``purge_expired_entries`` sends one ``purge_organization`` per organization whose oldest entry is
past its retention; each deletes that organization's expired entries behind a checkpoint
(:func:`socialops.audit.services.purge_entries`) and records the purge. Safe to run twice: a second
run finds nothing older than the cutoff above the checkpoint.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from . import selectors, services

logger = logging.getLogger(__name__)


@shared_task(name="socialops.audit.tasks.purge_expired_entries", ignore_result=True)
def purge_expired_entries() -> int:
    """Queue a purge for every organization with entries past its retention; how many were queued."""
    now = timezone.now()
    queued = 0
    for organization_id in selectors.organizations_with_expired_entries(now=now):
        purge_organization.delay(organization_id)
        queued += 1
    return queued


@shared_task(name="socialops.audit.tasks.purge_organization", ignore_result=True)
def purge_organization(organization_id: int) -> int:
    """Purge one organization's expired entries; how many were deleted."""
    organization = selectors.organizations().filter(pk=organization_id).first()
    if organization is None:
        return 0
    with services.audit_context(via="task"):
        try:
            result = services.purge_entries(
                organization, before=selectors.retention_cutoff(organization, now=timezone.now())
            )
        except services.AuditChainBroken:
            # The expired entries do not verify: keep them (they are the evidence) and say so.
            logger.exception("audit purge refused for organization %s", organization_id)
            return 0
    return result.purged
