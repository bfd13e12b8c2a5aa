"""Approval links: one tap works once; every bad use is refused with a clear page, changes nothing, is logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import services as account_services
from approvals import services
from approvals.models import (
    ApprovalAssignment,
    ApprovalDecision,
    ApprovalLink,
    ApprovalPolicy,
    ApprovalRequest,
)
from publishing.models import Post
from publishing.posts import services as authoring
from socialops.audit.models import AuditEvent

from .conftest import link_tokens, reload, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(people, workflow, draft):
    request = submit(draft, people.author)
    token = link_tokens(mail.outbox, "amy@alpha.test")[-1]
    return request, token


def _state(request):
    request = reload(request)
    return (
        request.status,
        request.post_version,
        request.current_stage,
        reload(request.post).status,
        ApprovalDecision.objects.for_org(request.organization_id).count(),
        sorted(
            ApprovalAssignment.objects.for_org(request.organization_id).values_list(
                "status", flat=True
            )
        ),
    )


def _refusals(org):
    return list(
        AuditEvent.objects.for_org(org)
        .filter(action="approval_link.refused")
        .values_list("changes__reason", flat=True)
    )


def test_the_link_page_shows_the_post_and_one_tap_approves(client, people, submitted, draft):
    request, token = submitted
    page = client.get(f"/a/{token}/")
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin" and "no-cache" in page["Cache-Control"]
    body = page.content.decode()
    assert "Launch day: fresh bread at 7" in body and "Approve" in body
    done = client.post(f"/a/{token}/", {"decision": "approve", "comment": ""})
    assert done.status_code == 200 and "decision was recorded" in done.content.decode()
    assert reload(request).status == ApprovalRequest.Status.APPROVED
    assert reload(draft).status == Post.Status.APPROVED
    event = AuditEvent.objects.for_org(people.org).filter(action="approval.approve").get()
    assert event.via == "link" and event.actor_id == people.amy.user_id
    assert AuditEvent.objects.for_org(people.org).filter(action="approval_link.opened").exists()


def test_only_a_hash_of_the_token_is_stored(submitted):
    _request, token = submitted
    assert (
        not ApprovalLink.objects.unscoped()
        .filter(token_hash__contains=token.split(":")[0])
        .exists()
    )
    # nor, once the e-mail has gone, in the outbox (the bell's copy never had it)
    from django.db.models import Q

    from accounts.models import Notification, NotificationEmail

    sent = NotificationEmail.objects.unscoped().filter(organization=_request.organization)
    assert sent.exists() and not sent.filter(sent_at__isnull=True).exists()
    assert not sent.filter(Q(body__contains=token) | Q(html_body__contains=token)).exists()
    kept = list(Notification.objects.unscoped().filter(organization=_request.organization).values())
    assert kept and not any(token.split(":")[0] in repr(row) for row in kept)  # params, texts, url


def _assert_refused(client, url, request, reason, status, *, post=True):
    before = _state(request)
    org = request.organization
    count = len(_refusals(org))
    response = client.post(url, {"decision": "approve"}) if post else client.get(url)
    assert response.status_code == status, response.status_code
    assert f'data-refusal="{reason}"' in response.content.decode()
    assert "Nothing was changed" in response.content.decode()
    assert _state(request) == before
    assert _refusals(org)[count:] == [reason]


def test_a_reused_link_is_refused(client, submitted):
    request, token = submitted
    client.post(f"/a/{token}/", {"decision": "request_changes", "comment": "Fix the time"})
    _assert_refused(client, f"/a/{token}/", request, "used", 410)


def test_an_expired_link_is_refused(client, submitted):
    request, token = submitted
    ApprovalLink.objects.for_org(request.organization_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    _assert_refused(client, f"/a/{token}/", request, "expired", 410)


def test_links_expire_after_72_hours_by_default(submitted):
    request, _token = submitted
    link = ApprovalLink.objects.for_org(request.organization_id).first()
    assert (
        timedelta(hours=71, minutes=59) < link.expires_at - link.created_at <= timedelta(hours=72)
    )


def test_a_tampered_link_is_refused(client, submitted):
    request, token = submitted
    nonce, sig = token.split(":")
    _assert_refused(client, f"/a/{nonce}:{sig[:-2]}xx/", request, "invalid", 404)
    assert client.get("/a/nothing-like-a-token/").status_code == 404


def test_another_persons_link_is_refused(client, people, submitted):
    request, token = submitted
    client.force_login(people.abe.user)  # abe is an approver too, but this link is amy's
    _assert_refused(client, f"/a/{token}/", request, "other_person", 404)


def test_a_link_for_an_older_version_says_the_post_changed(client, people, submitted, draft):
    request, token = submitted
    authoring.update_post(draft, by=people.author, text="Launch day: fresh bread at 8")
    before = _state(request)
    response = client.get(f"/a/{token}/")
    assert (
        response.status_code == 409
        and "The post has changed since this link was sent" in response.content.decode()
    )
    assert _state(request) == before
    assert _refusals(request.organization)[-1] == "stale"


def test_a_link_for_a_request_decided_elsewhere_is_refused(client, people, submitted):
    request, token = submitted
    services.decide(request, by=people.abe, decision="approve")
    _assert_refused(client, f"/a/{token}/", request, "decided", 409)


def test_a_link_of_someone_no_longer_a_member_is_refused(client, people, submitted):
    request, token = submitted
    account_services.deactivate_member(people.amy, by=people.owner)
    _assert_refused(client, f"/a/{token}/", request, "not_member", 403)


def test_the_login_policy_asks_for_sign_in_and_then_only_the_approver_may_use_it(
    client, people, submitted
):
    request, token = submitted
    ApprovalPolicy.objects.create(organization=people.org, require_login=True)
    response = client.get(f"/a/{token}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(f"/a/{token}/", {"decision": "approve"}).status_code == 302
    assert reload(request).status == ApprovalRequest.Status.PENDING
    client.force_login(people.bea.user)
    _assert_refused(client, f"/a/{token}/", request, "other_person", 404)
    client.force_login(people.amy.user)
    assert client.post(f"/a/{token}/", {"decision": "approve"}).status_code == 200
    assert reload(request).status == ApprovalRequest.Status.APPROVED


def test_rejecting_by_link_needs_a_comment_and_keeps_the_link_usable(client, submitted):
    request, token = submitted
    response = client.post(f"/a/{token}/", {"decision": "reject", "comment": ""})
    assert response.status_code == 400 and "comment" in response.content.decode()
    assert reload(request).status == ApprovalRequest.Status.PENDING
    response = client.post(f"/a/{token}/", {"decision": "reject", "comment": "Not on brand"})
    assert response.status_code == 200
    assert reload(request).status == ApprovalRequest.Status.REJECTED
