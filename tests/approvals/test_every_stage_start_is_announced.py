"""Every stage start reaches every assigned approver, even the person whose action started it.

The notification service leaves the actor out of "X commented"; "your decision is needed" is
different: a backup who approved stage 1 and is the approver of stage 2 must still get her link.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Notification
from approvals import services
from approvals.models import ApprovalAssignment, ApprovalRequest
from publishing.posts import services as authoring

from .conftest import link_tokens, make_workflow, person, reload, stage, submit

pytestmark = pytest.mark.django_db


def _bell(org, membership):
    return list(Notification.objects.for_org(org).filter(recipient=membership.user).order_by("pk"))


@pytest.fixture
def backup_then_approver(org_a, people):
    """Stage 1 names Amy (who writes the post, so it falls to her backup Bea); Bea approves stage 2."""
    return make_workflow(
        org_a,
        people.owner,
        stage("Brand", person(people.amy), backup=people.bea),
        stage("Legal", person(people.bea), backup=people.owner),
    )


@pytest.fixture
def amys_post(org_a, people, channel):
    return authoring.create_post(org_a, by=people.amy, text="Rendang week", channels=[channel])


def test_a_backup_who_approves_stage_one_is_told_that_stage_two_waits_for_her(
    people, backup_then_approver, amys_post
):
    request = submit(amys_post, people.amy)
    assert len(link_tokens(mail.outbox, "bea@alpha.test")) == 1  # stage 1 fell to the backup
    assert len(_bell(people.org, people.bea)) == 1
    mail.outbox.clear()

    services.decide(request, by=people.bea, decision="approve")

    request = reload(request)
    assert request.current_stage == 1 and request.status == ApprovalRequest.Status.PENDING
    stage_two = ApprovalAssignment.objects.for_org(people.org).get(
        request=request, stage_index=1, status="pending"
    )
    assert stage_two.membership == people.bea
    # her e-mail, with her own link to stage 2 …
    (message,) = [m for m in mail.outbox if m.to == ["bea@alpha.test"]]
    assert "Legal" in message.body
    (token,) = link_tokens([message], "bea@alpha.test")
    check = services.check_link(token, user=people.bea.user)
    assert check.ok and check.link.assignment_id == stage_two.pk
    # … and a bell entry that leads to the request
    newest = _bell(people.org, people.bea)[-1]
    assert newest.kind == "approval_requested"
    assert newest.url == f"/o/alpha/approvals/requests/{request.pk}/"
    assert len(_bell(people.org, people.bea)) == 2


def test_the_same_holds_when_she_approves_stage_one_from_her_phone_link(
    people, backup_then_approver, amys_post
):
    submit(amys_post, people.amy)
    (token,) = link_tokens(mail.outbox, "bea@alpha.test")
    mail.outbox.clear()
    services.decide_by_link(token, user=people.bea.user, decision="approve")
    assert len(link_tokens(mail.outbox, "bea@alpha.test")) == 1
    assert len(_bell(people.org, people.bea)) == 2


def test_a_delegate_who_records_the_absence_himself_gets_the_link(org_a, people, draft):
    make_workflow(org_a, people.owner, stage("Brand", person(people.amy), backup=people.bea))
    request = submit(draft, people.author)
    mail.outbox.clear()
    now = timezone.now()
    services.set_out_of_office(
        people.amy,
        by=people.abe,
        delegate=people.abe,
        starts_at=now,
        ends_at=now + timedelta(days=2),
    )
    moved = ApprovalAssignment.objects.for_org(org_a).get(request=request, status="pending")
    assert moved.membership == people.abe and moved.on_behalf_of == people.amy
    assert len(link_tokens(mail.outbox, "abe@alpha.test")) == 1
    (bell,) = _bell(org_a, people.abe)
    assert bell.kind == "approval_requested"
