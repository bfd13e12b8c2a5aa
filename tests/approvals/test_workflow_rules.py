"""Stage rules (any / all / quorum), stages in order, and snapshot isolation from workflow edits."""

from __future__ import annotations

import pytest
from django.core import mail

from approvals import services
from approvals.models import ApprovalAssignment, ApprovalRequest
from publishing.models import Post

from .conftest import audit_actions, make_workflow, person, reload, stage, submit

pytestmark = pytest.mark.django_db


def test_submitting_puts_the_post_in_review_and_emails_each_approver_their_own_link(
    people, workflow, draft
):
    request = submit(draft, people.author)
    assert reload(draft).status == Post.Status.IN_REVIEW
    assert request.current_stage == 0 and request.post_version == draft.version
    to = sorted(m.to[0] for m in mail.outbox)
    assert to == ["abe@alpha.test", "amy@alpha.test"]
    links = [alt[0] for m in mail.outbox for alt in m.alternatives]
    assert len({link for link in links}) == 2 and all("/a/" in link for link in links)
    assert "approval.submitted" in audit_actions(people.org)
    # the one-tap link is in the e-mail (text and HTML) and never in the in-app copy kept in the database
    from accounts.models import Notification

    amy_mail = next(m for m in mail.outbox if m.to == ["amy@alpha.test"])
    assert "/a/" in amy_mail.body
    from accounts.notifications import render_for_reader

    bell = Notification.objects.for_org(people.org).get(recipient=people.amy.user)
    (shown,) = render_for_reader([bell], organization=people.org, user=people.amy.user)
    assert "/a/" not in shown.body and bell.url == f"/o/alpha/approvals/requests/{request.pk}/"
    assert "/a/" not in repr(
        Notification.objects.for_org(people.org).filter(pk=bell.pk).values()[0]
    )


def test_any_one_approver_is_enough(people, workflow, draft):
    request = submit(draft, people.author)
    services.decide(request, by=people.amy, decision="approve")
    assert reload(request).status == ApprovalRequest.Status.APPROVED
    assert reload(draft).status == Post.Status.APPROVED
    # the other approver's turn is no longer needed
    abe = ApprovalAssignment.objects.for_org(people.org).get(request=request, membership=people.abe)
    assert abe.status == ApprovalAssignment.Status.SUPERSEDED


def test_all_approvers_must_approve(org_a, people, draft):
    make_workflow(
        org_a, people.owner, stage("Legal", person(people.amy), person(people.abe), rule="all")
    )
    request = submit(draft, people.author)
    services.decide(request, by=people.amy, decision="approve")
    assert reload(request).status == ApprovalRequest.Status.PENDING
    services.decide(request, by=people.abe, decision="approve")
    assert reload(request).status == ApprovalRequest.Status.APPROVED


def test_a_quorum_of_two_out_of_three(org_a, people, draft):
    make_workflow(
        org_a,
        people.owner,
        stage(
            "Board",
            person(people.amy),
            person(people.abe),
            person(people.ann),
            rule="quorum",
            quorum=2,
        ),
    )
    request = submit(draft, people.author)
    services.decide(request, by=people.ann, decision="approve")
    assert reload(request).status == ApprovalRequest.Status.PENDING
    services.decide(request, by=people.abe, decision="approve")
    assert reload(request).status == ApprovalRequest.Status.APPROVED
    with pytest.raises(services.Conflict):
        services.decide(request, by=people.amy, decision="approve")  # already decided


def test_stages_run_in_order(org_a, people, draft):
    make_workflow(
        org_a, people.owner, stage("Brand", person(people.amy)), stage("Legal", person(people.abe))
    )
    request = submit(draft, people.author)
    with pytest.raises(services.NotAllowed):
        services.decide(request, by=people.abe, decision="approve")  # not their stage yet
    services.decide(request, by=people.amy, decision="approve")
    request = reload(request)
    assert request.current_stage == 1 and request.status == ApprovalRequest.Status.PENDING
    services.decide(request, by=people.abe, decision="approve")
    assert reload(request).status == ApprovalRequest.Status.APPROVED


def test_a_role_and_a_team_can_be_approvers_and_the_author_never_approves_their_own_post(
    org_a, people, draft
):
    from .. import factories as f

    team = f.make_team(org_a, "Brand desk")
    people.ann.teams.add(team)
    make_workflow(
        org_a,
        people.owner,
        stage(
            "Desk",
            services.ApproverSpec("team", team=team),
            services.ApproverSpec("role", role="contributor"),
            rule="all",
        ),
    )
    request = submit(draft, people.author)
    who = set(
        ApprovalAssignment.objects.for_org(org_a)
        .filter(request=request)
        .values_list("membership", flat=True)
    )
    assert who == {
        people.ann.pk
    }  # Carl (the author) is a contributor too, but never his own approver


def test_reject_sends_the_post_back_to_draft_with_the_comment(people, workflow, draft):
    request = submit(draft, people.author)
    with pytest.raises(services.ValidationFailed):
        services.decide(request, by=people.amy, decision="reject", comment="")
    services.decide(request, by=people.amy, decision="reject", comment="Wrong opening hours")
    request = reload(request)
    assert (
        request.status == ApprovalRequest.Status.REJECTED
        and request.outcome_comment == "Wrong opening hours"
    )
    assert reload(draft).status == Post.Status.DRAFT
    assert any("Rejected" in m.subject for m in mail.outbox if m.to == ["carl@alpha.test"])


def test_request_changes_sends_the_post_back_to_draft(people, workflow, draft):
    request = submit(draft, people.author)
    services.decide(request, by=people.abe, decision="request_changes", comment="Add a photo")
    assert reload(request).status == ApprovalRequest.Status.CHANGES_REQUESTED
    assert reload(draft).status == Post.Status.DRAFT


def test_editing_the_workflow_never_changes_a_running_request(org_a, people, workflow, draft):
    request = submit(draft, people.author)
    services.update_workflow(
        workflow,
        by=people.owner,
        name="Brand review",
        stages=[stage("Brand", person(people.ann), rule="all"), stage("Extra", person(people.bea))],
    )
    request = reload(request)
    assert [s["name"] for s in request.stages] == ["Brand"]
    services.decide(
        request, by=people.amy, decision="approve"
    )  # amy is still an approver of this request
    assert reload(request).status == ApprovalRequest.Status.APPROVED


def test_deleting_the_workflow_lets_running_requests_finish(org_a, people, workflow, draft):
    request = submit(draft, people.author)
    services.delete_workflow(workflow, by=people.owner)
    services.decide(reload(request), by=people.amy, decision="approve")
    assert reload(request).status == ApprovalRequest.Status.APPROVED


def test_only_workflow_managers_edit_workflows(org_a, people):
    with pytest.raises(services.NotAllowed):
        make_workflow(org_a, people.author, stage("Brand", person(people.amy)))


def test_a_workflow_needs_stages_and_approvers(org_a, people):
    with pytest.raises(services.ValidationFailed):
        make_workflow(org_a, people.owner)
    with pytest.raises(services.ValidationFailed):
        make_workflow(org_a, people.owner, stage("Empty"))


def test_conditions_and_team_defaults_pick_the_workflow(org_a, people, channel, draft):
    from approvals import selectors

    from .. import factories as f

    region = f.make_team(org_a, "Region")
    local = f.make_team(org_a, "Local", parent=region)
    assert selectors.applicable_workflow(draft) is None
    by_network = make_workflow(
        org_a,
        people.owner,
        stage("S", person(people.amy)),
        name="Sandbox only",
        networks=["sandbox"],
        priority=10,
    )
    default = make_workflow(
        org_a,
        people.owner,
        stage("S", person(people.amy)),
        name="Region default",
        default_for_team_ids=[region.pk],
    )
    assert selectors.applicable_workflow(draft) == by_network
    services.update_workflow(by_network, by=people.owner, name="Sandbox only", networks=["x"])
    assert (
        selectors.applicable_workflow(draft) is None
    )  # no team: the region's default does not apply
    draft.team = local
    draft.save()
    assert selectors.applicable_workflow(draft) == default
