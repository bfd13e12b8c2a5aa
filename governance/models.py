"""Governance's models live in its sub-packages; Django finds them through this module."""

from governance.access_review.models import ReviewCampaign, ReviewItem  # noqa: F401
from governance.offboarding.models import FollowUpTask, OffboardingReport  # noqa: F401
