"""An edit after an approval makes a new version, shows what changed, and goes back to the workflow's stage."""

from __future__ import annotations

import pytest
from django.core import mail

from approvals import services
from approvals.models import ApprovalAssignment, ApprovalRequest
from publishing.models import Post
from publishing.posts import services as authoring

from .conftest import link_tokens, make_workflow, person, reload, soon, stage, submit

pytestmark = pytest.mark.django_db


def _two_stages(org, people, **fields):
    return make_workflow(
        org,
        people.owner,
        stage("Brand", person(people.amy)),
        stage("Legal", person(people.abe)),
        **fields,
    )


def test_an_edit_after_stage_one_approved_goes_back_to_stage_one_with_a_diff(org_a, people, draft):
    _two_stages(org_a, people)
    request = submit(draft, people.author)
    services.decide(request, by=people.amy, decision="approve")
    assert reload(request).current_stage == 1
    mail.outbox.clear()
    authoring.update_post(reload(draft), by=people.author, text="Launch day: fresh bread at 8")
    request, post = reload(request), reload(draft)
    assert post.status == Post.Status.IN_REVIEW and post.version == 2
    assert request.current_stage == 0 and request.post_version == 2 and request.round == 2
    text_change = next(d for d in request.diff if d["field"] == "Text")
    assert ["removed", "7"] in text_change["segments"] and ["added", "8"] in text_change["segments"]
    assert [m.to for m in mail.outbox] == [["amy@alpha.test"]]
    # Legal's turn from the old round is gone
    assert (
        not ApprovalAssignment.objects.for_org(org_a)
        .filter(request=request, membership=people.abe, status="pending")
        .exists()
    )


def test_the_workflow_may_send_it_back_to_the_current_stage(org_a, people, draft):
    _two_stages(org_a, people, resubmit_to="current_stage")
    request = submit(draft, people.author)
    services.decide(request, by=people.amy, decision="approve")
    authoring.update_post(reload(draft), by=people.author, text="Launch day: fresh bread at 8")
    assert reload(request).current_stage == 1


def test_editing_an_approved_post_sends_it_back_for_approval_and_blocks_scheduling(
    org_a, people, workflow, draft
):
    from publishing.scheduler import services as scheduling
    from socialops.errors import Conflict

    request = submit(draft, people.author)
    services.decide(request, by=people.amy, decision="approve")
    assert reload(draft).status == Post.Status.APPROVED
    authoring.update_post(reload(draft), by=people.author, text="Launch day: fresh croissants")
    request = reload(request)
    assert request.status == ApprovalRequest.Status.PENDING and request.post_version == 2
    assert reload(draft).status == Post.Status.IN_REVIEW
    with pytest.raises(Conflict):
        scheduling.schedule_post(reload(draft), by=people.owner, at=soon(), timezone_name="UTC")
    # the request detail page shows the diff to the approver
    from django.test import Client

    c = Client()
    c.force_login(people.amy.user)
    page = c.get(f"/o/{org_a.slug}/approvals/requests/{request.pk}/").content.decode()
    assert "What changed since the last approval" in page and "<ins>croissants</ins>" in page


def test_an_edit_before_any_approval_keeps_the_stage_and_sends_new_links(
    org_a, people, workflow, draft
):
    request = submit(draft, people.author)
    (old_token,) = link_tokens(mail.outbox, "amy@alpha.test")
    mail.outbox.clear()
    authoring.update_post(reload(draft), by=people.author, text="Launch day: new text")
    request = reload(request)
    assert request.current_stage == 0 and request.post_version == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["abe@alpha.test", "amy@alpha.test"]
    with pytest.raises(services.Conflict) as refused:
        # amy's link for version 1 is refused, and says why
        services.decide_by_link(old_token, user=None, decision="approve")
    assert refused.value.code in ("stale", "stale_version")
    request = reload(request)
    assert request.status == ApprovalRequest.Status.PENDING and request.current_stage == 0
    (new_token,) = link_tokens(mail.outbox, "amy@alpha.test")
    services.decide_by_link(new_token, user=None, decision="approve")
    assert reload(request).status == ApprovalRequest.Status.APPROVED


def test_editing_an_approved_and_scheduled_post_unschedules_it_and_sends_it_back(
    people, workflow, draft
):
    from publishing.models import PostVariant

    request = submit(draft, people.author, requested_at=soon(6), requested_timezone="UTC")
    services.decide(request, by=people.amy, decision="approve")
    assert reload(draft).status == Post.Status.SCHEDULED
    authoring.update_post(reload(draft), by=people.owner, text="Launch day: rye bread at 7")
    post = reload(draft)
    assert post.status == Post.Status.IN_REVIEW
    assert set(
        PostVariant.objects.for_org(post.organization_id)
        .filter(post=post)
        .values_list("status", flat=True)
    ) == {"draft"}
    request = reload(request)
    assert request.status == ApprovalRequest.Status.PENDING and request.post_version == post.version
    assert (
        request.requested_at is not None
    )  # approving the new version schedules it for the time asked
    services.decide(request, by=people.abe, decision="approve")
    assert reload(draft).status == Post.Status.SCHEDULED


def test_editing_one_variant_of_an_approved_post_sends_it_back_for_approval(
    org_a, people, workflow, draft
):
    request = submit(draft, people.author)
    services.decide(request, by=people.amy, decision="approve")
    assert reload(draft).status == Post.Status.APPROVED
    variant = reload(draft).variants.first()
    authoring.set_variant_text(
        variant, by=people.author, text="Only on this network: fresh croissants"
    )
    request, post = reload(request), reload(draft)
    assert post.status == Post.Status.IN_REVIEW and post.version == 2
    assert request.status == ApprovalRequest.Status.PENDING and request.post_version == 2


def test_a_decision_made_on_a_page_showing_the_old_version_is_refused(org_a, people, draft):
    """Amy opened the request at version 1; the author edits; Amy's approve from that page must not
    approve version 2, which she never saw (she has a fresh assignment for it)."""
    from django.test import Client

    _two_stages(org_a, people)
    request = submit(draft, people.author)
    c = Client()
    c.force_login(people.amy.user)
    page = c.get(f"/o/{org_a.slug}/approvals/requests/{request.pk}/").content.decode()
    assert 'name="post_version" value="1"' in page
    authoring.update_post(reload(draft), by=people.author, text="Launch day: fresh bread at 8")
    assert reload(request).post_version == 2
    response = c.post(
        f"/o/{org_a.slug}/approvals/requests/{request.pk}/decide/",
        {"decision": "approve", "post_version": "1"},
    )
    assert (
        response.status_code == 400
        and "has changed since you opened it" in response.content.decode()
    )
    request = reload(request)
    assert request.current_stage == 0 and request.status == ApprovalRequest.Status.PENDING
    assert reload(draft).status == Post.Status.IN_REVIEW


def test_the_api_refuses_a_decision_for_another_version(org_a, people, draft):
    from tests.conftest import api_client_for

    _two_stages(org_a, people)
    request = submit(draft, people.author)
    authoring.update_post(reload(draft), by=people.author, text="Launch day: fresh bread at 8")
    api = api_client_for(people.amy)
    response = api.post(
        f"/api/v1/approval-requests/{request.pk}/decide/",
        {"decision": "approve", "post_version": 1},
        format="json",
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "stale_version"
    ok = api.post(
        f"/api/v1/approval-requests/{request.pk}/decide/",
        {"decision": "approve", "post_version": 2},
        format="json",
    )
    assert ok.status_code == 200 and reload(request).current_stage == 1
