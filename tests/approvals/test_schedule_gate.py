"""The schedule gate: a post its workflow covers is scheduled only once this version is approved."""

from __future__ import annotations

import pytest
from django.core import mail

from approvals import services
from approvals.models import ApprovalRequest
from publishing.models import Post
from publishing.posts import services as authoring
from publishing.scheduler import services as scheduling
from socialops.errors import Conflict

from .conftest import make_workflow, person, reload, soon, stage, submit

pytestmark = pytest.mark.django_db


def test_a_post_without_a_workflow_schedules_as_before(people, draft):
    post = scheduling.schedule_post(draft, by=people.owner, at=soon(), timezone_name="Asia/Jakarta")
    assert post.status == Post.Status.SCHEDULED


def test_scheduling_and_publishing_now_are_refused_until_approved(people, workflow, draft):
    with pytest.raises(Conflict, match="needs approval"):
        scheduling.schedule_post(draft, by=people.owner, at=soon(), timezone_name="UTC")
    with pytest.raises(Conflict, match="needs approval"):
        scheduling.publish_now(draft, by=people.owner)
    assert reload(draft).status == Post.Status.DRAFT


def test_approval_schedules_at_the_requested_time_by_the_approver(people, workflow, draft):
    at = soon(5)
    request = submit(draft, people.author, requested_at=at, requested_timezone="Asia/Jakarta")
    services.decide(request, by=people.amy, decision="approve")
    post = reload(draft)
    assert post.status == Post.Status.SCHEDULED and post.scheduled_at == at
    assert post.schedule_timezone == "Asia/Jakarta"
    assert any("scheduled" in m.subject.lower() for m in mail.outbox if m.to == ["carl@alpha.test"])


def test_an_approved_post_can_then_be_scheduled_by_hand(people, workflow, draft):
    request = submit(draft, people.author)
    services.decide(request, by=people.amy, decision="approve")
    post = scheduling.schedule_post(reload(draft), by=people.owner, at=soon(), timezone_name="UTC")
    assert post.status == Post.Status.SCHEDULED


def test_when_nobody_involved_may_publish_the_post_stays_approved_and_the_author_is_told(
    org_a, people, draft
):
    make_workflow(
        org_a, people.owner, stage("Peer", person(people.ann))
    )  # ann: a contributor, no publish
    request = submit(draft, people.author, requested_at=soon(), requested_timezone="UTC")
    mail.outbox.clear()
    services.decide(request, by=people.ann, decision="approve")
    assert reload(draft).status == Post.Status.APPROVED
    assert reload(request).status == ApprovalRequest.Status.APPROVED
    told = [m for m in mail.outbox if m.to == ["carl@alpha.test"]]
    assert told and "could not be scheduled" in told[0].body


def test_moving_the_time_needs_reapproval_when_the_workflow_says_so(org_a, people, draft):
    make_workflow(
        org_a, people.owner, stage("Brand", person(people.amy)), reapprove_on_reschedule=True
    )
    request = submit(draft, people.author, requested_at=soon(5), requested_timezone="UTC")
    services.decide(request, by=people.amy, decision="approve")
    assert reload(draft).status == Post.Status.SCHEDULED
    with pytest.raises(Conflict, match="new approval"):
        scheduling.schedule_post(
            reload(draft), by=people.owner, at=soon(9), timezone_name="UTC", source="calendar"
        )
    assert reload(draft).scheduled_at == reload(request).requested_at


def test_an_in_review_post_cannot_be_scheduled(people, workflow, draft):
    submit(draft, people.author)
    with pytest.raises(Conflict):
        scheduling.schedule_post(reload(draft), by=people.owner, at=soon(), timezone_name="UTC")


def test_a_submission_needs_a_draft_and_a_workflow(people, draft, workflow):
    submit(draft, people.author)
    with pytest.raises(Conflict):
        submit(reload(draft), people.author)


def test_a_submission_without_a_workflow_is_refused(people, draft):
    with pytest.raises(Conflict, match="No approval workflow"):
        submit(draft, people.author)


def test_withdrawing_returns_the_post_to_draft(people, workflow, draft):
    request = submit(draft, people.author)
    services.withdraw_request(request, by=people.author)
    assert reload(draft).status == Post.Status.DRAFT
    assert reload(request).status == ApprovalRequest.Status.CANCELLED
    authoring.update_post(reload(draft), by=people.author, text="changed after withdrawal")
    assert reload(draft).status == Post.Status.DRAFT
