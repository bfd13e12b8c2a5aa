import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import services
from accounts.capabilities import Role
from accounts.models import Invitation, Membership, User
from socialops.errors import ApplicationError, Conflict

from .. import factories as f

pytestmark = pytest.mark.django_db


def _link(message) -> str:
    return re.search(r"http://testserver(/invitations/[^\s\"]+/)", message.body).group(1)


def test_an_admin_invites_a_person_who_accepts_and_becomes_a_member(
    alice_client, client, org_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = alice_client.post(
            "/o/alpha/invitations/", {"email": "Nina@Example.test", "role": Role.PUBLISHER}
        )
    assert r.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nina@example.test"]
    assert "Alpha Foods" in mail.outbox[0].subject
    link = _link(mail.outbox[0])

    alice_client.logout()
    page = client.get(link)
    assert page.status_code == 200 and "Create your account" in page.content.decode()
    r = client.post(
        link,
        {
            "full_name": "Nina N",
            "password": "a-long-enough-pass",
            "password_again": "a-long-enough-pass",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/o/alpha/"
    nina = User.objects.get(email="nina@example.test")
    m = Membership.objects.for_org(org_a).get(user=nina)
    assert m.role == Role.PUBLISHER and m.is_active
    assert client.get("/o/alpha/").status_code == 200
    # The link works once.
    client.logout()
    assert client.get(link).status_code == 410


def test_an_existing_user_signs_in_then_accepts(org_a, alice_m, client, org_b, bob):
    issued = services.invite_member(org_a, by=alice_m, email=bob.email, role=Role.VIEWER)
    page = client.get(f"/invitations/{issued.token}/")
    assert "Sign in to accept" in page.content.decode()
    client.force_login(bob)
    r = client.post(f"/invitations/{issued.token}/")
    assert r.status_code == 302
    assert Membership.objects.for_org(org_a).filter(user=bob, is_active=True).exists()


def test_inviting_an_existing_member_is_refused_with_a_field_error(alice_client, org_a, vera):
    r = alice_client.post("/o/alpha/invitations/", {"email": vera.email, "role": Role.VIEWER})
    assert r.status_code == 200
    assert "already a member" in r.content.decode()
    assert not Invitation.objects.for_org(org_a).exists()


def test_a_second_pending_invitation_to_the_same_address_is_refused(org_a, alice_m):
    services.invite_member(org_a, by=alice_m, email="x@example.test", role=Role.VIEWER)
    with pytest.raises(Conflict):
        services.invite_member(org_a, by=alice_m, email="X@example.test", role=Role.VIEWER)


def test_an_expired_invitation_shows_a_clear_page_and_changes_nothing(org_a, alice_m, client):
    issued = services.invite_member(org_a, by=alice_m, email="late@example.test", role=Role.VIEWER)
    Invitation.objects.for_org(org_a).filter(pk=issued.invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    r = client.get(f"/invitations/{issued.token}/")
    assert r.status_code == 410 and "expired" in r.content.decode()
    r = client.post(
        f"/invitations/{issued.token}/",
        {
            "full_name": "L",
            "password": "a-long-enough-pass",
            "password_again": "a-long-enough-pass",
        },
    )
    assert r.status_code == 410
    assert not User.objects.filter(email="late@example.test").exists()


def test_an_expired_invitation_can_be_replaced_by_a_new_one(org_a, alice_m):
    issued = services.invite_member(org_a, by=alice_m, email="late@example.test", role=Role.VIEWER)
    Invitation.objects.for_org(org_a).filter(pk=issued.invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    again = services.invite_member(org_a, by=alice_m, email="late@example.test", role=Role.VIEWER)
    assert again.invitation.status == Invitation.Status.PENDING


def test_a_revoked_invitation_cannot_be_accepted(org_a, alice_m, bob):
    issued = services.invite_member(org_a, by=alice_m, email=bob.email, role=Role.VIEWER)
    services.revoke_invitation(issued.invitation, by=alice_m)
    with pytest.raises(ApplicationError):
        services.accept_invitation(issued.token, user=bob)
    assert not Membership.objects.for_org(org_a).filter(user=bob).exists()


def test_an_invitation_for_someone_else_is_a_404_for_a_signed_in_person(
    org_a, alice_m, client, bob
):
    issued = services.invite_member(
        org_a, by=alice_m, email="someone@example.test", role=Role.VIEWER
    )
    client.force_login(bob)
    assert client.get(f"/invitations/{issued.token}/").status_code == 404
    assert client.post(f"/invitations/{issued.token}/").status_code == 404
    with pytest.raises(ApplicationError):
        services.accept_invitation(issued.token, user=bob)


def test_a_weak_password_is_refused_and_no_account_is_created(org_a, alice_m, client):
    issued = services.invite_member(org_a, by=alice_m, email="weak@example.test", role=Role.VIEWER)
    r = client.post(
        f"/invitations/{issued.token}/",
        {"full_name": "W", "password": "123", "password_again": "123"},
    )
    assert r.status_code == 200
    assert not User.objects.filter(email="weak@example.test").exists()


def test_only_owners_may_invite_owners(org_a):
    admin = f.add_member(org_a, f.make_user(), Role.ADMIN)
    with pytest.raises(ApplicationError):
        services.invite_member(org_a, by=admin, email="boss@example.test", role=Role.OWNER)


def test_the_token_is_stored_only_as_a_hash(org_a, alice_m):
    issued = services.invite_member(org_a, by=alice_m, email="h@example.test", role=Role.VIEWER)
    inv = Invitation.objects.for_org(org_a).get(pk=issued.invitation.pk)
    assert issued.token not in inv.token_hash and len(inv.token_hash) == 64


def test_the_overview_counts_only_open_unexpired_invitations(alice_client, org_a, alice_m):
    services.invite_member(org_a, by=alice_m, email="open@example.test", role=Role.VIEWER)
    late = services.invite_member(org_a, by=alice_m, email="late@example.test", role=Role.VIEWER)
    gone = services.invite_member(org_a, by=alice_m, email="gone@example.test", role=Role.VIEWER)
    Invitation.objects.for_org(org_a).filter(pk=late.invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    services.revoke_invitation(gone.invitation, by=alice_m)
    page = alice_client.get("/o/alpha/").content.decode()
    assert '<div class="stat" id="pending-invitations">1</div>' in page
