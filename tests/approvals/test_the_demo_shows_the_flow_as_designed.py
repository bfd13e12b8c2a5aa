"""Issue 10, item 12: the demo's first try shows the approval flow as designed.

The manager writes a post for an Indonesian channel and submits it; approver@ is asked for stage 1
(Legal), then admin@ for stage 2 (Brand); nobody is asked about their own post and no backup is
needed. (Before, the manager was stage 1's approver of his own posts, so it went to the backup.)
"""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.management import call_command

from accounts.models import Membership, Organization
from approvals import services
from approvals.models import ApprovalRequest, Workflow
from channels_registry.selectors import channels_of
from publishing.models import Post
from publishing.posts import services as authoring

from .conftest import link_tokens, reload

pytestmark = pytest.mark.django_db


def _demo():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    org = Organization.objects.get(slug="demo")
    people = {
        m.user.email.split("@")[0]: m
        for m in Membership.objects.for_org(org).select_related("user")
    }
    return org, people, out.getvalue()


def _to(email_local):
    return f"{email_local}@demo.socialops.local"


def test_the_managers_post_goes_to_the_approver_then_to_the_admin():
    org, people, _out = _demo()
    kopi = channels_of(org).get(external_id="sbx-kopi")
    post = authoring.create_post(
        org, by=people["manager"], text="Kopi susu pagi ini ☕", channels=[kopi]
    )  # no team picked: the channel decides

    request = services.submit_for_approval(post, by=people["manager"])
    assert request.stages[0]["name"] == "Legal"
    assert len(link_tokens(mail.outbox, _to("approver"))) == 1
    assert not link_tokens(mail.outbox, _to("admin")) and not link_tokens(
        mail.outbox, _to("manager")
    )

    mail.outbox.clear()
    services.decide(reload(request), by=people["approver"], decision="approve")
    assert len(link_tokens(mail.outbox, _to("admin"))) == 1
    assert not link_tokens(mail.outbox, _to("approver"))

    services.decide(reload(request), by=people["admin"], decision="approve")
    assert reload(request).status == ApprovalRequest.Status.APPROVED
    assert reload(post).status == Post.Status.APPROVED


def test_the_sign_in_list_says_who_does_what():
    _org, _people, out = _demo()
    assert "approver@demo.socialops.local" in out and "approves stage 1 (Legal)" in out
    assert "admin@demo.socialops.local" in out and "approves stage 2 (Brand)" in out
    assert "manager@demo.socialops.local" in out and "writes posts and submits them" in out


def test_a_demo_seeded_with_the_old_shape_is_brought_to_the_new_one_once():
    org, people, _out = _demo()
    workflow = Workflow.objects.for_org(org).get(name="Indonesia review")
    services.update_workflow(  # the shape of earlier demos: the manager approves stage 1
        workflow,
        by=people["admin"],
        name="Indonesia review",
        stages=[
            services.StageSpec(
                name="Brand",
                backup_approver=people["approver"],
                approvers=[services.ApproverSpec("person", membership=people["manager"])],
            ),
            services.StageSpec(
                name="Legal",
                backup_approver=people["admin"],
                approvers=[services.ApproverSpec("person", membership=people["approver"])],
            ),
        ],
    )
    _demo()
    specs = services.stage_specs_of(workflow)
    assert [(s.name, [a.membership for a in s.approvers]) for s in specs] == [
        ("Legal", [people["approver"]]),
        ("Brand", [people["admin"]]),
    ]
    from socialops.audit.models import AuditEvent

    updates = AuditEvent.objects.for_org(org).filter(action="workflow.updated").count()
    _demo()  # again: nothing to change
    assert AuditEvent.objects.for_org(org).filter(action="workflow.updated").count() == updates
