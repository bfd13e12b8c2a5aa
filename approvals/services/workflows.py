"""Workflows and the approval policy: stages, approvers, conditions; the snapshot a request keeps."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, Role, require
from accounts.models import Membership
from socialops.audit.services import record_event
from socialops.errors import ValidationFailed

from ..models import (
    ApprovalPolicy,
    Stage,
    StageApprover,
    Workflow,
)

# --- Policy -------------------------------------------------------------------------------------------


@transaction.atomic
def set_policy(org, *, by, require_login: bool, reminder_hours: int = 4) -> ApprovalPolicy:
    require(by, Capability.MANAGE_WORKFLOWS)
    if reminder_hours < 0 or reminder_hours > 24 * 14:
        raise ValidationFailed(
            _("Choose between 0 and 336 hours."),
            fields={"reminder_hours": [_("Choose between 0 and 336 hours.")]},
        )
    policy, _created = ApprovalPolicy.objects.update_or_create(
        organization=org,
        defaults={"require_login": bool(require_login), "reminder_hours": reminder_hours},
    )
    record_event(
        org,
        "approval_policy.updated",
        obj=policy,
        changes={"require_login": policy.require_login, "reminder_hours": reminder_hours},
    )
    return policy


# --- Workflows ----------------------------------------------------------------------------------------


@dataclass
class ApproverSpec:
    kind: str
    membership: Membership | None = None
    team: object | None = None
    role: str = ""


@dataclass
class StageSpec:
    name: str
    rule: str = Stage.Rule.ANY
    quorum: int = 1
    sla_hours: int = 24
    backup_approver: Membership | None = None
    approvers: list[ApproverSpec] = field(default_factory=list)


def _check_org(org, obj, field_name: str) -> None:
    if obj is not None and obj.organization_id != org.pk:
        raise ValidationFailed(
            _("That choice was not found."), fields={field_name: [_("Choose a valid option.")]}
        )


MAX_STAGES = 10


def _clean_stages(org, stages: list[StageSpec]) -> list[StageSpec]:
    if not stages:
        raise ValidationFailed(
            _("A workflow needs at least one stage."), fields={"stages": [_("Add a stage.")]}
        )
    if len(stages) > MAX_STAGES:
        message = _("A workflow can have at most %(max)d stages.") % {"max": MAX_STAGES}
        raise ValidationFailed(message, fields={"stages": [message]})
    for i, stage in enumerate(stages, start=1):
        label = stage.name or _("Stage %(number)d") % {"number": i}
        if not (stage.name or "").strip():
            stage.name = label
        if stage.rule not in Stage.Rule.values:
            raise ValidationFailed(
                _("%(stage)s: choose any, all or quorum.") % {"stage": label},
                fields={f"stage_{i}_rule": [_("Choose a valid rule.")]},
            )
        if not stage.approvers:
            raise ValidationFailed(
                _("%(stage)s: add at least one approver.") % {"stage": label},
                fields={f"stage_{i}_approvers": [_("Add at least one approver.")]},
            )
        if stage.rule == Stage.Rule.QUORUM and stage.quorum < 1:
            raise ValidationFailed(
                _("%(stage)s: the quorum must be at least 1.") % {"stage": label},
                fields={f"stage_{i}_quorum": [_("Enter 1 or more.")]},
            )
        if stage.sla_hours < 0 or stage.sla_hours > 24 * 60:
            raise ValidationFailed(
                _("%(stage)s: the SLA must be between 0 and 1440 hours.") % {"stage": label},
                fields={f"stage_{i}_sla_hours": [_("Enter 0 to 1440.")]},
            )
        _check_org(org, stage.backup_approver, f"stage_{i}_backup")
        for a in stage.approvers:
            if a.kind == StageApprover.Kind.PERSON:
                _check_org(org, a.membership, f"stage_{i}_approvers")
                if a.membership is None:
                    raise ValidationFailed(
                        _("Choose a person."),
                        fields={f"stage_{i}_approvers": [_("Choose a person.")]},
                    )
            elif a.kind == StageApprover.Kind.TEAM:
                _check_org(org, a.team, f"stage_{i}_approvers")
                if a.team is None:
                    raise ValidationFailed(
                        _("Choose a team."), fields={f"stage_{i}_approvers": [_("Choose a team.")]}
                    )
            elif a.kind == StageApprover.Kind.ROLE:
                if a.role not in Role.values:
                    raise ValidationFailed(
                        _("Choose a role."), fields={f"stage_{i}_approvers": [_("Choose a role.")]}
                    )
            else:
                raise ValidationFailed(
                    _("Choose a person, a team or a role."),
                    fields={f"stage_{i}_approvers": [_("Choose a valid approver.")]},
                )
    return stages


def _write_stages(workflow: Workflow, stages: list[StageSpec]) -> None:
    org_id = workflow.organization_id
    Stage.objects.for_org(org_id).filter(workflow=workflow).delete()
    for position, spec in enumerate(stages):
        stage = Stage.objects.create(
            organization_id=org_id,
            workflow=workflow,
            position=position,
            name=spec.name[:120],
            rule=spec.rule,
            quorum=max(1, spec.quorum),
            sla_hours=spec.sla_hours,
            backup_approver=spec.backup_approver,
        )
        StageApprover.objects.bulk_create(
            [
                StageApprover(
                    organization_id=org_id,
                    stage=stage,
                    kind=a.kind,
                    membership=a.membership if a.kind == "person" else None,
                    team=a.team if a.kind == "team" else None,
                    role=a.role if a.kind == "role" else "",
                )
                for a in spec.approvers
            ]
        )


def _apply_fields(org, workflow: Workflow, name: str, fields: dict) -> None:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Give the workflow a name."), fields={"name": [_("This field is required.")]}
        )
    clash = Workflow.objects.for_org(org).filter(name__iexact=name)
    if workflow.pk:
        clash = clash.exclude(pk=workflow.pk)
    if clash.exists():
        raise ValidationFailed(
            _("A workflow called “%(name)s” already exists.") % {"name": name},
            fields={"name": [_("Workflow names must be unique.")]},
        )
    workflow.name = name[:120]
    unknown = set(fields) - set(Workflow.SETTINGS)
    if unknown:
        raise TypeError(f"unexpected workflow fields: {sorted(unknown)}")
    for key, value in fields.items():
        if key in ("team_ids", "channel_ids", "campaign_ids", "default_for_team_ids"):
            value = sorted({int(v) for v in (value or [])})
        elif key in ("networks", "tags"):
            value = sorted({str(v).strip().lower() for v in (value or []) if str(v).strip()})
        setattr(workflow, key, value)
    ttl = workflow.link_ttl_hours
    if not (1 <= ttl <= 24 * 30):
        raise ValidationFailed(
            _("Links must expire after 1 to 720 hours."),
            fields={"link_ttl_hours": [_("Enter 1 to 720.")]},
        )
    if workflow.resubmit_to not in Workflow.Resubmit.values:
        raise ValidationFailed(
            _("Choose where an edited post goes back to."),
            fields={"resubmit_to": [_("Choose a valid option.")]},
        )
    _check_ids(org, workflow)


def _check_ids(org, workflow: Workflow) -> None:
    from accounts.selectors import teams_of
    from channels_registry.selectors import channels_of
    from publishing.selectors import campaigns_of

    for rows, ids, name in (
        (teams_of(org), workflow.team_ids, "team_ids"),
        (teams_of(org), workflow.default_for_team_ids, "default_for_team_ids"),
        (channels_of(org), workflow.channel_ids, "channel_ids"),
        (campaigns_of(org), workflow.campaign_ids, "campaign_ids"),
    ):
        if ids and rows.filter(pk__in=ids).count() != len(set(ids)):
            raise ValidationFailed(
                _("That choice was not found."), fields={name: [_("Choose valid options.")]}
            )


def _channel_conditions(by, workflow: Workflow, fields: dict) -> dict:
    """``fields`` with the channel conditions ``by`` may set. A channel ``by`` may not see was never
    offered to them: one already among the conditions stays; naming a new one is refused as if it did
    not exist (its id tells nothing)."""
    if "channel_ids" not in fields:
        return fields
    from channels_registry.selectors import visible_channels

    try:
        wanted = {int(v) for v in (fields["channel_ids"] or [])}
    except (TypeError, ValueError):
        return fields  # _apply_fields says what is wrong
    current = set(workflow.channel_ids or [])
    visible = set(visible_channels(by).filter(pk__in=wanted | current).values_list("pk", flat=True))
    if wanted - visible - current:
        raise ValidationFailed(
            _("That choice was not found."), fields={"channel_ids": [_("Choose valid options.")]}
        )
    return {**fields, "channel_ids": sorted(wanted | (current - visible))}


@transaction.atomic
def create_workflow(org, *, by, name: str, stages: list[StageSpec], **fields) -> Workflow:
    require(by, Capability.MANAGE_WORKFLOWS)
    workflow = Workflow(organization=org)
    _apply_fields(org, workflow, name, _channel_conditions(by, workflow, fields))
    stages = _clean_stages(org, stages)
    workflow.save()
    _write_stages(workflow, stages)
    record_event(
        org,
        "workflow.created",
        obj=workflow,
        changes={"name": workflow.name, "stages": len(stages)},
    )
    return workflow


@transaction.atomic
def update_workflow(
    workflow: Workflow, *, by, name: str, stages: list[StageSpec] | None = None, **fields
) -> Workflow:
    """Change a workflow. Running requests keep the snapshot they were submitted with."""
    require(by, Capability.MANAGE_WORKFLOWS, workflow)
    org = workflow.organization
    workflow = Workflow.objects.for_org(org).select_for_update().get(pk=workflow.pk)
    _apply_fields(org, workflow, name, _channel_conditions(by, workflow, fields))
    workflow.save()
    if stages is not None:
        _write_stages(workflow, _clean_stages(org, stages))
    record_event(
        org,
        "workflow.updated",
        obj=workflow,
        changes={"name": workflow.name, "fields": sorted(fields), "stages": stages is not None},
    )
    return workflow


@transaction.atomic
def delete_workflow(workflow: Workflow, *, by) -> None:
    require(by, Capability.MANAGE_WORKFLOWS, workflow)
    record_event(
        workflow.organization, "workflow.deleted", obj=workflow, changes={"name": workflow.name}
    )
    Workflow.objects.for_org(workflow.organization_id).filter(pk=workflow.pk).delete()


def stage_specs_of(workflow: Workflow) -> list[StageSpec]:
    """The stages of ``workflow`` as specs (for the edit form and the API)."""
    stages = (
        Stage.objects.for_org(workflow.organization_id)
        .filter(workflow=workflow)
        .select_related("backup_approver__user")
        .order_by("position", "pk")
    )
    approvers = (
        StageApprover.objects.for_org(workflow.organization_id)
        .filter(stage__workflow=workflow)
        .select_related("membership__user", "team")
    )
    by_stage: dict[int, list[ApproverSpec]] = {}
    for a in approvers:
        by_stage.setdefault(a.stage_id, []).append(
            ApproverSpec(a.kind, a.membership, a.team, a.role)
        )
    return [
        StageSpec(s.name, s.rule, s.quorum, s.sla_hours, s.backup_approver, by_stage.get(s.pk, []))
        for s in stages
    ]


def snapshot_of(workflow: Workflow) -> dict:
    """The workflow as plain data: what a request keeps (edits to the workflow never reach it)."""
    stages = []
    for spec in stage_specs_of(workflow):
        stages.append(
            {
                "name": spec.name,
                "rule": spec.rule,
                "quorum": spec.quorum,
                "sla_hours": spec.sla_hours,
                "backup_membership_id": spec.backup_approver.pk if spec.backup_approver else None,
                "approvers": [
                    {
                        "kind": a.kind,
                        "membership_id": a.membership.pk if a.membership else None,
                        "team_id": a.team.pk if a.team else None,
                        "role": a.role,
                    }
                    for a in spec.approvers
                ],
            }
        )
    return {
        "workflow_id": workflow.pk,
        "name": workflow.name,
        "link_ttl_hours": workflow.link_ttl_hours,
        "resubmit_to": workflow.resubmit_to,
        "reapprove_on_reschedule": workflow.reapprove_on_reschedule,
        "stages": stages,
    }
