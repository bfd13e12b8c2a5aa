"""Every e-mail greets its reader and signs off (templates/emails/), in their language; the invitation
names the real zone of the expiry it prints.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from accounts import services
from accounts.capabilities import Role
from accounts.models import Invitation
from accounts.notifications import NotificationKind, notify

pytestmark = pytest.mark.django_db

EXPIRES = datetime(2026, 12, 12, 7, 17, tzinfo=UTC)  # 14:17 in Jakarta (WIB)


@pytest.fixture(autouse=True, scope="module")
def _catalogues_compiled():
    from django.utils.translation import trans_real

    from socialops.i18n import compile_catalogues

    if compile_catalogues():
        trans_real._translations = {}
        trans_real._default = None


def _publish_failed(org, user):
    with TestCase.captureOnCommitCallbacks(execute=True):
        notify(
            org,
            recipients=[user],
            kind=NotificationKind.PUBLISH_FAILED,
            template="publish_failed",
            context={
                "post": "Rendang week",
                "reason": "rate limited",
                "channel": {"handle": "@kopi.pagi", "name": "Kopi", "provider": "Instagram"},
            },
            url=f"/o/{org.slug}/posts/1/",
            email_required=True,
        )


@pytest.mark.parametrize(
    ("language", "hello", "regards"),
    [("en", "Hello Vera,", "Regards,\nSocialOps"), ("id", "Halo Vera,", "Salam,\nSocialOps")],
)
def test_a_notification_e_mail_greets_by_first_name_and_signs_off(
    org_a, vera, language, hello, regards
):
    vera.language = language
    vera.save()
    _publish_failed(org_a, vera)
    (message,) = mail.outbox
    assert message.body.startswith(hello + "\n\n")
    assert message.body.endswith(regards)


def test_the_html_part_has_them_too_and_the_bell_does_not(org_a, alice, vera, client):
    vera.language = "id"
    vera.save()
    with TestCase.captureOnCommitCallbacks(execute=True):
        notify(
            org_a,
            recipients=[vera],
            kind=NotificationKind.APPROVAL_REQUESTED,
            template="approvals_requested",
            context={
                "post_title": "Rendang week",
                "stage_name": "Brand",
                "due_at": EXPIRES,
                "on_behalf_of": "",
                "submitted_by": "Carl",
                "diff": False,
            },
            email_context={
                "approval_link": "http://testserver/a/t/",
                "link_ttl_hours": 72,
                "post_text": "Hi",
            },
            url=f"/o/{org_a.slug}/",
            email_required=True,
        )
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert html.startswith("<p>Halo Vera,</p>") and html.rstrip().endswith(
        "<p>Salam,<br>SocialOps</p>"
    )
    client.force_login(vera)
    bell = client.get(f"/o/{org_a.slug}/notifications/").content.decode()
    assert "Halo Vera" not in bell and "Salam," not in bell


def test_someone_without_a_name_is_greeted_without_one(org_a, vera):
    vera.full_name = ""
    vera.save()
    _publish_failed(org_a, vera)
    assert mail.outbox[0].body.startswith("Hello,\n\n")


@pytest.mark.parametrize(
    ("language", "expiry"),
    [("en", "Sat 12 Dec 2026, 14:17 WIB"), ("id", "Sab, 12 Des 2026 14.17 WIB")],
)
def test_the_invitation_shows_its_expiry_with_the_zone_it_is_in(
    org_a, alice_m, language, expiry, django_capture_on_commit_callbacks
):
    org_a.timezone = "Asia/Jakarta"
    org_a.default_language = language  # the invitee has no language yet: the organization's
    org_a.save()
    # The inviter's own zone (active in the request that sends it) must not leak into the e-mail.
    with timezone.override("America/New_York"), django_capture_on_commit_callbacks(execute=True):
        issued = services.invite_member(
            org_a, by=alice_m, email="nina@example.test", role=Role.VIEWER
        )
        Invitation.objects.for_org(org_a).filter(pk=issued.invitation.pk).update(expires_at=EXPIRES)
    (message,) = mail.outbox
    for part in (message.body, message.alternatives[0][0]):
        assert expiry in part
        assert "(UTC)" not in part
    assert message.body.startswith("Halo,\n\n" if language == "id" else "Hello,\n\n")
    assert ("Salam," if language == "id" else "Regards,") in message.body


def test_a_decision_e_mail_labels_the_reviewers_comment(org_a, vera):
    vera.language = "id"
    vera.save()
    with TestCase.captureOnCommitCallbacks(execute=True):
        notify(
            org_a,
            recipients=[vera],
            kind=NotificationKind.APPROVAL_DECIDED,
            template="approvals_decided",
            context={
                "outcome": "changes",
                "post_title": "Promo Ramadan",
                "decided_by": "Budi Manager",
                "comment": "Ganti fotonya.",
            },
            url=f"/o/{org_a.slug}/",
            email_required=True,
        )
    (message,) = mail.outbox
    assert "Budi Manager meminta revisi pada “Promo Ramadan”." in message.body
    assert "\nKomentar: Ganti fotonya.\n" in message.body
