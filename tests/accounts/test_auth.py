import time

import pytest
from allauth.mfa.models import Authenticator
from django.test import override_settings

from socialops.audit.models import AuditEvent

from .. import factories as f
from ..factories import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, email, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": email, "password": password}, **extra)


def test_login_with_email_and_password_lands_in_the_organization_and_is_audited(
    client, org_a, alice
):
    r = _login(client, alice.email)
    assert r.status_code == 302
    assert client.get("/").headers["Location"] == "/o/alpha/"
    assert AuditEvent.objects.for_org(org_a).filter(action="auth.login").exists()


def test_public_signup_is_closed(client):
    r = client.get("/accounts/signup/")
    assert r.status_code == 200 and "closed" in r.content.decode().lower()


def test_repeated_failures_lock_the_account_for_that_address(client, org_a, alice, settings):
    responses = [
        _login(client, alice.email, "wrong-password") for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert (
        responses[-1].status_code == 429
        and "Too many failed sign-ins" in responses[-1].content.decode()
    )
    r = _login(client, alice.email)  # even the right password is refused now
    assert r.status_code in (200, 429) and "Too many failed" in r.content.decode()
    assert "_auth_user_id" not in client.session
    assert (
        AuditEvent.objects.for_org(org_a).filter(action="auth.login_failed").count()
        >= settings.AXES_FAILURE_LIMIT
    )


def test_turning_on_totp_gives_recovery_codes_and_then_login_asks_for_a_code(client, alice):
    _login(client, alice.email)
    r = client.get("/accounts/2fa/totp/activate/")
    assert (
        "/accounts/reauthenticate/" in r["Location"]
    )  # security changes ask for the password again
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    r = client.post("/accounts/2fa/totp/activate/", {"code": f.totp_code(secret)})
    assert r.status_code == 302
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.RECOVERY_CODES).exists()
    client.logout()
    r = _login(client, alice.email)
    assert r.status_code == 302 and "/accounts/2fa/authenticate/" in r["Location"]
    assert "_auth_user_id" not in client.session


def test_switching_language_saves_it_on_the_profile(client, alice, org_a):
    client.force_login(alice)
    r = client.post("/language/", {"language": "id", "next": "/o/alpha/"})
    assert r.status_code == 302 and r["Location"] == "/o/alpha/"
    alice.refresh_from_db()
    assert alice.language == "id"
    page = client.get("/o/alpha/teams/").content.decode()
    assert 'lang="id"' in page and "Tim" in page
    client.post("/language/", {"language": "en", "next": "/o/alpha/"})
    assert 'lang="en"' in client.get("/o/alpha/teams/").content.decode()


def test_switching_language_refuses_foreign_redirects(client):
    r = client.post("/language/", {"language": "id", "next": "https://evil.example/"})
    assert r["Location"] == "/"


def test_times_are_shown_in_the_persons_time_zone(client, alice, org_a, alice_m):
    f.make_team(org_a, "HQ", by=alice_m)
    alice.timezone = "Asia/Jakarta"
    alice.save()
    client.force_login(alice)
    r = client.post("/me/", {"full_name": "Alice", "language": "en", "timezone": "Asia/Jakarta"})
    assert r.status_code == 302
    page = client.get("/o/alpha/").content.decode()
    assert "Asia/Jakarta" in page


@override_settings(SESSION_IDLE_TIMEOUT=60)
def test_an_idle_session_ends(client, alice, org_a):
    client.force_login(alice)
    assert client.get("/o/alpha/").status_code == 200
    session = client.session
    session["_seen_at"] = time.time() - 120
    session.save()
    r = client.get("/o/alpha/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


@override_settings(SESSION_ABSOLUTE_TIMEOUT=3600)
def test_a_session_ends_after_its_absolute_lifetime_even_when_active(client, alice, org_a):
    client.force_login(alice)
    client.get("/o/alpha/")
    session = client.session
    session["_started_at"] = time.time() - 7200
    session.save()
    r = client.get("/o/alpha/")
    assert r.status_code == 302
