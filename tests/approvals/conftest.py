"""Approvals fixtures: organization A with an author, approvers and a sandbox channel; a one-stage workflow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.capabilities import Role
from approvals import services
from approvals.models import ApprovalRequest
from publishing.posts import services as authoring

from .. import factories as f
from ..channels.factories import connect_sandbox


@pytest.fixture(autouse=True)
def _commit_callbacks_run_at_once(monkeypatch):
    """E-mails leave on commit; the test transaction never commits, so run them when registered."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


class People:
    def __init__(self, org, owner_m):
        self.org = org
        self.owner = owner_m
        self.author = f.add_member(
            org, f.make_user("carl@alpha.test", name="Carl Contributor"), Role.CONTRIBUTOR
        )
        self.amy = f.add_member(
            org, f.make_user("amy@alpha.test", name="Amy Approver"), Role.MANAGER
        )
        self.abe = f.add_member(
            org, f.make_user("abe@alpha.test", name="Abe Approver"), Role.MANAGER
        )
        self.ann = f.add_member(
            org, f.make_user("ann@alpha.test", name="Ann Approver"), Role.CONTRIBUTOR
        )
        self.bea = f.add_member(org, f.make_user("bea@alpha.test", name="Bea Backup"), Role.ADMIN)


@pytest.fixture
def people(org_a, alice_m):
    return People(org_a, alice_m)


@pytest.fixture
def channel(org_a, alice_m):
    (ch,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    return ch


def person(m):
    return services.ApproverSpec("person", membership=m)


def stage(name, *approvers, rule="any", quorum=1, sla_hours=24, backup=None):
    return services.StageSpec(
        name=name,
        rule=rule,
        quorum=quorum,
        sla_hours=sla_hours,
        backup_approver=backup,
        approvers=list(approvers),
    )


def make_workflow(org, by, *stages, name="Brand review", **fields):
    return services.create_workflow(org, by=by, name=name, stages=list(stages), **fields)


@pytest.fixture
def workflow(org_a, people):
    return make_workflow(
        org_a,
        people.owner,
        stage("Brand", person(people.amy), person(people.abe), backup=people.bea),
    )


@pytest.fixture
def draft(org_a, people, channel):
    return authoring.create_post(
        org_a, by=people.author, text="Launch day: fresh bread at 7", channels=[channel]
    )


def reload(obj):
    return type(obj).objects.for_org(obj.organization_id).get(pk=obj.pk)


def submit(post, by, **kw):
    return services.submit_for_approval(post, by=by, **kw)


def soon(hours=3):
    return timezone.now() + timedelta(hours=hours)


def link_tokens(mailbox, email) -> list[str]:
    """The approval-link tokens e-mailed to ``email`` (from the HTML part), oldest first."""
    import re

    out = []
    for msg in mailbox:
        if email not in msg.to:
            continue
        for body, _mime in getattr(msg, "alternatives", []):
            out += re.findall(r"/a/([^/\"]+)/", body)
    return out


def audit_actions(org):
    from socialops.audit.models import AuditEvent

    return list(AuditEvent.objects.for_org(org).order_by("seq").values_list("action", flat=True))


def requests_of(post):
    return list(
        ApprovalRequest.objects.for_org(post.organization_id).filter(post=post).order_by("pk")
    )
