"""Governance's models live in its sub-packages; Django finds them through this module."""

from governance.offboarding.models import FollowUpTask, OffboardingReport  # noqa: F401
