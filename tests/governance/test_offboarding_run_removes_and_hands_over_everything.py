"""One confirmation offboards a person: every grant and team gone, stages, waiting approvals,
conversations and posts handed over (scheduled posts still scheduled), share links and tokens
revoked, sessions on every device ended, and a report stored, each change audited."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from rest_framework.test import APIClient

from accounts.models import NotificationPreference
from approvals.models import ApprovalAssignment, Stage, StageApprover
from channels_registry.models import ChannelGrant
from governance.offboarding import services
from governance.offboarding.models import OffboardingReport
from publishing.models import Post
from socialops.audit.models import AuditEvent

from .conftest import reload

pytestmark = pytest.mark.django_db


def test_the_run_removes_her_from_everything_and_hands_her_work_over(client, office, alice):
    lena = office.lena
    NotificationPreference.objects.create(
        organization=office.org, user=lena.user, kind="mention", in_app=True, email=True
    )
    client.force_login(lena.user)
    session_key = client.session.session_key
    assert client.get("/o/alpha/governance/offboarding/").status_code == 403  # signed in, not admin
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Bearer {office.token.raw}")
    assert token_client.get("/api/v1/organization/").status_code == 200
    assignment = ApprovalAssignment.objects.for_org(office.org).get(membership=lena)

    admin = APIClient()  # the admin's browser
    admin.force_login(alice)
    answer = admin.post(
        f"/o/alpha/governance/offboarding/members/{lena.pk}/run/",
        {f"assignment:{assignment.pk}": office.max.pk, "conversations": office.max.pk},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    report = OffboardingReport.objects.for_org(office.org).get()
    assert answer["Location"].endswith(f"/governance/offboarding/reports/{report.pk}/")

    # Her access: grants, teams, membership, token, session.
    assert not ChannelGrant.objects.for_org(office.org).filter(membership=lena).exists()
    assert reload(lena).teams.count() == 0
    assert reload(lena).is_active is False
    assert token_client.get("/api/v1/organization/").status_code in (401, 403)
    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get("/o/alpha/").status_code == 302  # the next request is signed out
    assert not NotificationPreference.objects.for_org(office.org).filter(user=lena.user).exists()

    # Her work: stages, the waiting decision, the conversation, posts, the share link.
    seat = StageApprover.objects.for_org(office.org).get(stage__name="Brand")
    assert seat.membership_id == office.bea.pk
    assert Stage.objects.for_org(office.org).get(name="Legal").backup_approver_id == office.bea.pk
    assert reload(assignment).status == ApprovalAssignment.Status.SUPERSEDED
    assert (
        ApprovalAssignment.objects.for_org(office.org)
        .get(request=office.request, membership=office.max, status="pending")
        .on_behalf_of_id
        == lena.pk
    )
    assert reload(office.conversation).assignee_id == office.max.pk
    scheduled, draft = reload(office.scheduled), reload(office.draft)
    assert scheduled.author_id == draft.author_id == alice.pk
    assert scheduled.status == Post.Status.SCHEDULED and scheduled.scheduled_at is not None
    assert reload(office.link).revoked_at is not None

    # The report and the audit log.
    outcomes = {(row["kind"], row["outcome"]) for row in report.items}
    assert ("grants", "Removed") in outcomes and ("assignments", "Handed over") in outcomes
    assert ("conversations", "Reassigned") in outcomes and ("sessions", "Signed out") in outcomes
    assert report.counts["grants"] == 4 and report.via == "web"
    assert report.tasks.count() == 1
    actions = set(AuditEvent.objects.for_org(office.org).values_list("action", flat=True))
    assert {
        "member.offboarded",
        "member.deactivated",
        "channel.access_revoked",
        "workflow.approver_handed_over",
        "workflow.backup_handed_over",
        "approval.delegated",
        "inbox.assigned",
        "post.author_changed",
        "calendar_share.revoked",
        "member.notifications_stopped",
    } <= actions
    page = admin.get(answer["Location"]).content.decode()
    assert "Offboarding report" in page and "Download PDF" in page and "alpha.page" in page


def test_offboard_member_runs_without_a_preview_with_the_defaults(office, alice_m):
    report = services.offboard_member(office.lena, by=alice_m, via="scim")
    assert report.via == "scim"
    assert reload(office.conversation).assignee_id is None
    assert (
        ApprovalAssignment.objects.for_org(office.org)
        .filter(request=office.request, membership=office.bea, status="pending")
        .exists()
    )
