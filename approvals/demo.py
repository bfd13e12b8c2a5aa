"""Demo data for approvals (called by ``manage.py seed_demo``; safe to run again)."""

from __future__ import annotations

from accounts.capabilities import Role
from accounts.models import Membership, Team

from . import services
from .models import Workflow


def seed_demo_approvals(org) -> Workflow | None:
    """A two-stage workflow (Brand, then Legal) as the default for the Indonesia team and its regions."""
    existing = Workflow.objects.for_org(org).filter(name="Indonesia review").first()
    if existing is not None:
        return existing
    members = {
        m.user.email.split("@")[0]: m
        for m in Membership.objects.for_org(org).select_related("user")
    }
    owner = Membership.objects.for_org(org).filter(role=Role.OWNER).select_related("user").first()
    team = Team.objects.for_org(org).filter(name="Indonesia").first()
    manager, approver = members.get("manager"), members.get("approver")
    if owner is None or team is None or manager is None or approver is None:
        return None
    return services.create_workflow(
        org,
        by=owner,
        name="Indonesia review",
        description="Brand check, then legal, for Indonesian posts.",
        default_for_team_ids=[team.pk],
        link_ttl_hours=72,
        stages=[
            services.StageSpec(
                name="Brand",
                rule="any",
                sla_hours=24,
                backup_approver=approver,
                approvers=[services.ApproverSpec("person", membership=manager)],
            ),
            services.StageSpec(
                name="Legal",
                rule="any",
                sla_hours=48,
                backup_approver=owner,
                approvers=[services.ApproverSpec("person", membership=approver)],
            ),
        ],
    )
