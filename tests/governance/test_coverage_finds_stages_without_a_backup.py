"""Coverage, rule 2: stages of active workflows without a backup approver, or whose backup left."""

from __future__ import annotations

import pytest

from accounts.capabilities import Role
from approvals import services as approval_services
from governance.coverage.selectors import coverage_report

from .coverage_factories import deactivate, person

pytestmark = pytest.mark.django_db


def _stage(name, approver, backup=None):
    return approval_services.StageSpec(
        name=name,
        rule="any",
        quorum=1,
        sla_hours=24,
        backup_approver=backup,
        approvers=[approval_services.ApproverSpec("person", membership=approver)],
    )


def _gaps(org):
    return {(g.workflow.name, g.stage.name, g.reason) for g in coverage_report(org).stages}


def test_a_stage_without_a_backup_is_listed_and_one_with_a_backup_is_not(org_a, alice_m):
    amy = person(org_a, Role.MANAGER)
    bea = person(org_a, Role.ADMIN)
    approval_services.create_workflow(
        org_a,
        by=alice_m,
        name="Brand review",
        stages=[_stage("Legal", amy), _stage("Brand", amy, backup=bea)],
    )
    assert _gaps(org_a) == {("Brand review", "Legal", "none")}


def test_a_backup_who_left_is_no_backup(org_a, alice_m):
    amy = person(org_a, Role.MANAGER)
    bea = person(org_a, Role.ADMIN)
    approval_services.create_workflow(
        org_a, by=alice_m, name="Brand review", stages=[_stage("Brand", amy, backup=bea)]
    )
    assert _gaps(org_a) == set()
    deactivate(bea, alice_m)
    assert _gaps(org_a) == {("Brand review", "Brand", "inactive")}


def test_inactive_workflows_are_left_out(org_a, alice_m):
    amy = person(org_a, Role.MANAGER)
    approval_services.create_workflow(
        org_a, by=alice_m, name="Old review", stages=[_stage("Legal", amy)], is_active=False
    )
    assert _gaps(org_a) == set()
