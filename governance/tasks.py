"""Governance's Celery tasks (found by autodiscovery); each sub-package keeps its own."""

from governance.access_review.tasks import (  # noqa: F401
    remind_access_reviewers,
    remind_campaign_reviewers,
)
