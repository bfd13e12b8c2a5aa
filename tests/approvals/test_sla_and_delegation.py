"""Reminders before an SLA runs out, escalation to the backup approver, out-of-office delegation (time travel)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from approvals import services, tasks
from approvals.models import ApprovalAssignment, ApprovalRequest
from publishing.models import Post

from .conftest import link_tokens, make_workflow, person, reload, stage, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def travel(monkeypatch):
    real_now = timezone.now

    def go(**delta):
        monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(**delta))

    return go


def _subjects(email):
    return [m.subject for m in mail.outbox if m.to == [email]]


def test_an_approver_is_reminded_once_before_the_sla_runs_out(people, workflow, draft, travel):
    submit(draft, people.author)  # SLA 24 h, reminder 4 h before
    travel(hours=19)
    assert tasks.sweep_approval_slas.apply().get() == {
        "reminders": 0,
        "escalations": 0,
        "delegations": 0,
    }
    travel(hours=21)
    assert tasks.sweep_approval_slas.apply().get()["reminders"] == 2
    assert any(s.startswith("Reminder") for s in _subjects("amy@alpha.test"))
    assert tasks.sweep_approval_slas.apply().get()["reminders"] == 0  # claimed: never twice
    assert sum(s.startswith("Reminder") for s in _subjects("amy@alpha.test")) == 1


def test_an_overdue_stage_escalates_to_the_backup_whose_approval_settles_it(
    people, workflow, draft, travel
):
    request = submit(draft, people.author)
    travel(hours=25)
    assert tasks.sweep_approval_slas.apply().get()["escalations"] == 2
    backup = ApprovalAssignment.objects.for_org(people.org).get(
        request=request, membership=people.bea
    )
    assert backup.is_escalation and backup.status == "pending"
    assert any("Overdue" in s for s in _subjects("bea@alpha.test"))
    assert tasks.sweep_approval_slas.apply().get()["escalations"] == 0  # once per stage and round
    token = link_tokens(mail.outbox, "bea@alpha.test")[-1]
    from django.test import Client

    assert Client().post(f"/a/{token}/", {"decision": "approve"}).status_code == 200
    assert reload(request).status == ApprovalRequest.Status.APPROVED


def test_out_of_office_sends_new_requests_to_the_delegate(people, workflow, draft):
    now = timezone.now()
    services.set_out_of_office(
        people.amy,
        by=people.amy,
        delegate=people.ann,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=3),
        note="Holiday",
    )
    request = submit(draft, people.author)
    who = {
        a.membership_id: a.on_behalf_of_id
        for a in ApprovalAssignment.objects.for_org(people.org).filter(request=request)
    }
    assert who == {people.ann.pk: people.amy.pk, people.abe.pk: None}
    assert any("for Amy" in s for s in _subjects("ann@alpha.test"))
    services.decide(request, by=people.ann, decision="approve")
    assert reload(draft).status == Post.Status.APPROVED


def test_going_away_moves_waiting_requests_to_the_delegate(people, workflow, draft):
    request = submit(draft, people.author)
    now = timezone.now()
    services.set_out_of_office(
        people.abe,
        by=people.abe,
        delegate=people.bea,
        starts_at=now,
        ends_at=now + timedelta(days=1),
    )
    pending = set(
        ApprovalAssignment.objects.for_org(people.org)
        .filter(request=request, status="pending")
        .values_list("membership", flat=True)
    )
    assert pending == {people.amy.pk, people.bea.pk}


def test_a_delegate_must_be_someone_else(people):
    now = timezone.now()
    with pytest.raises(services.ValidationFailed):
        services.set_out_of_office(
            people.amy,
            by=people.amy,
            delegate=people.amy,
            starts_at=now,
            ends_at=now + timedelta(days=1),
        )


def test_without_a_backup_the_overdue_approvers_are_told(org_a, people, draft, travel):
    make_workflow(org_a, people.owner, stage("Brand", person(people.amy), sla_hours=2))
    submit(draft, people.author)
    travel(hours=3)
    assert tasks.sweep_approval_slas.apply().get()["escalations"] == 1
    assert any("overdue" in s.lower() for s in _subjects("amy@alpha.test"))


def test_an_absence_that_begins_later_moves_waiting_approvals_when_it_starts(
    people, workflow, draft, travel
):
    request = submit(draft, people.author)
    now = timezone.now()
    services.set_out_of_office(
        people.amy,
        by=people.amy,
        delegate=people.ann,
        starts_at=now + timedelta(hours=2),
        ends_at=now + timedelta(days=2),
    )
    assert tasks.sweep_approval_slas.apply().get()["delegations"] == 0
    travel(hours=3)
    assert tasks.sweep_approval_slas.apply().get()["delegations"] == 1
    assert tasks.sweep_approval_slas.apply().get()["delegations"] == 0  # moved once
    pending = set(
        ApprovalAssignment.objects.for_org(people.org)
        .filter(request=request, status="pending")
        .values_list("membership", flat=True)
    )
    assert pending == {people.ann.pk, people.abe.pk}
    assert link_tokens(mail.outbox, "ann@alpha.test")


def test_the_demo_has_a_workflow(db):
    from django.core.management import call_command

    from accounts.models import Organization
    from approvals.models import Workflow

    call_command("seed_demo", stdout=__import__("io").StringIO())
    org = Organization.objects.get(slug="demo")
    workflow = Workflow.objects.for_org(org).get(name="Indonesia review")
    assert [s.name for s in services.stage_specs_of(workflow)] == ["Legal", "Brand"]


def test_an_author_named_as_delegate_never_gets_to_approve_their_own_post(people, workflow, draft):
    request = submit(draft, people.author)
    now = timezone.now()
    for away in (people.amy, people.abe):
        services.set_out_of_office(
            away, by=away, delegate=people.author, starts_at=now, ends_at=now + timedelta(days=1)
        )
    pending = set(
        ApprovalAssignment.objects.for_org(people.org)
        .filter(request=request, status="pending")
        .values_list("membership", flat=True)
    )
    assert people.author.pk not in pending and pending == {people.amy.pk, people.abe.pk}
    with pytest.raises(services.NotAllowed):
        services.decide(reload(request), by=people.author, decision="approve")
    assert reload(request).status == ApprovalRequest.Status.PENDING
    assert reload(draft).status == Post.Status.IN_REVIEW
