"""Demo data for approvals (called by ``manage.py seed_demo``; safe to run again).

The demo shows the flow as designed, each step by someone else: the manager (or the publisher)
writes a post for an Indonesian channel and submits it; Rina (``approver@``) approves the first
stage, Legal; Dewi (``admin@``) the second, Brand. Nobody is asked to approve their own post, so
no first try skips to a backup approver.
"""

from __future__ import annotations

from accounts.capabilities import Role
from accounts.models import Membership, Team

from . import services
from .models import Workflow

NAME = "Indonesia review"
#: the demo's Indonesian channels (channels_registry.services.DEMO_CHANNELS): posts to any of them
#: are reviewed whatever team the composer picked (or none)
INDONESIAN_CHANNELS = ("sbx-id", "sbx-kopi", "sbx-promo")


def _stages(legal: Membership, brand: Membership) -> list[services.StageSpec]:
    return [
        services.StageSpec(
            name="Legal",
            rule="any",
            sla_hours=24,
            backup_approver=brand,
            approvers=[services.ApproverSpec("person", membership=legal)],
        ),
        services.StageSpec(
            name="Brand",
            rule="any",
            sla_hours=48,
            backup_approver=legal,
            approvers=[services.ApproverSpec("person", membership=brand)],
        ),
    ]


def _shape(specs: list[services.StageSpec]) -> list[tuple]:
    return [
        (
            s.name,
            s.backup_approver.pk if s.backup_approver else None,
            sorted(a.membership.pk for a in s.approvers if a.membership),
        )
        for s in specs
    ]


def seed_demo_approvals(org) -> Workflow | None:
    """A two-stage workflow (Legal by approver@, then Brand by admin@) for the Indonesian posts.

    A demo database seeded before this shape (the manager approving stage 1, which sent his own
    posts straight to the backup) is brought to it; running again changes nothing.
    """
    from channels_registry.providers import SANDBOX
    from channels_registry.selectors import channels_of

    members = {
        m.user.email.split("@")[0]: m
        for m in Membership.objects.for_org(org).select_related("user")
    }
    owner = Membership.objects.for_org(org).filter(role=Role.OWNER).select_related("user").first()
    team = Team.objects.for_org(org).filter(name="Indonesia").first()
    legal, brand = members.get("approver"), members.get("admin") or owner
    if owner is None or team is None or legal is None or brand is None:
        return None
    channel_ids = list(
        channels_of(org)
        .filter(provider=SANDBOX, external_id__in=INDONESIAN_CHANNELS)
        .values_list("pk", flat=True)
    )
    stages = _stages(legal, brand)
    fields = {
        "description": "Legal check, then the brand sign-off, for posts to the Indonesian channels.",
        "default_for_team_ids": [team.pk],
        "channel_ids": channel_ids,
        "link_ttl_hours": 72,
    }
    existing = Workflow.objects.for_org(org).filter(name=NAME).first()
    if existing is None:
        return services.create_workflow(org, by=owner, name=NAME, stages=stages, **fields)
    if _shape(services.stage_specs_of(existing)) == _shape(stages) and sorted(
        existing.channel_ids or []
    ) == sorted(channel_ids):
        return existing
    return services.update_workflow(existing, by=owner, name=NAME, stages=stages, **fields)
