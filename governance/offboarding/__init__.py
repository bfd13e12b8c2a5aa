"""Offboarding: remove a leaving person from everything in one organization, at once, with proof.

``selectors.plan_offboarding`` builds the preview (every item and where it goes);
``services.offboard_member`` runs it in one transaction and stores an :class:`OffboardingReport`.
Every change is made through the owning app's own services (accounts, channels_registry,
publishing, approvals, inbox).
"""
