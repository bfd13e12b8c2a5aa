"""TOTP secrets and recovery-code seeds are stored encrypted with the key ring, and still work.

allauth keeps them in ``Authenticator.data`` and calls the MFA adapter's ``encrypt``/``decrypt``
hooks around every read and write; ours seals them with ``CHANNEL_CREDENTIALS_KEYS``.
"""

from __future__ import annotations

import importlib
import io

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from cryptography.fernet import Fernet
from django.apps import apps as django_apps
from django.core.management import call_command

from socialops import crypto

from .. import factories as f
from ..factories import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, email, password=PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def _code(secret: str) -> str:
    return f.totp_code(secret)


def _activate_totp(client, user) -> str:
    """Turn TOTP on through the pages, as a person does; returns the secret the app was shown."""
    _login(client, user.email)
    client.get("/accounts/2fa/totp/activate/")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    client.get("/accounts/2fa/totp/activate/")
    secret = client.session["mfa.totp.secret"]
    r = client.post("/accounts/2fa/totp/activate/", {"code": _code(secret)})
    assert r.status_code == 302
    client.logout()
    return secret


def _signs_in_with(client, user, code) -> bool:
    """``code``: a recovery code, or a function giving the TOTP code (asked for after the password
    step, just before it is sent)."""
    client.logout()
    r = _login(client, user.email)
    assert "/accounts/2fa/authenticate/" in r["Location"]
    client.post("/accounts/2fa/authenticate/", {"code": code() if callable(code) else code})
    return client.session.get("_auth_user_id") == str(user.pk)


def test_a_totp_secret_is_stored_encrypted_and_sign_in_with_a_code_still_works(client, alice):
    secret = _activate_totp(client, alice)
    stored = Authenticator.objects.get(user=alice, type=Authenticator.Type.TOTP).data["secret"]
    assert secret not in stored and crypto.is_encrypted(stored)
    assert crypto.decrypt_text(stored) == secret
    assert _signs_in_with(client, alice, lambda: _code(secret))


def test_the_recovery_code_seed_is_stored_encrypted_and_a_recovery_code_still_signs_in(
    client, alice
):
    _activate_totp(client, alice)
    row = Authenticator.objects.get(user=alice, type=Authenticator.Type.RECOVERY_CODES)
    assert crypto.is_encrypted(row.data["seed"])
    seed = crypto.decrypt_text(row.data["seed"])
    assert seed not in str(row.data)
    first_code = RecoveryCodes(row).get_unused_codes()[0]
    assert _signs_in_with(client, alice, first_code)


def _legacy_rows(user, secret: str, seed: str) -> None:
    """Rows as allauth wrote them before our adapter: the secret and the seed in clear."""
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": secret})
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": seed, "used_mask": 0}
    )


def test_the_data_migration_encrypts_existing_clear_secrets_and_they_keep_working(client, alice):
    secret, seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "ab" * 40
    _legacy_rows(alice, secret, seed)
    migration = importlib.import_module("accounts.migrations.0004_encrypt_mfa_secrets")
    migration.encrypt_clear_mfa_secrets(django_apps, None)
    totp = Authenticator.objects.get(user=alice, type=Authenticator.Type.TOTP)
    codes = Authenticator.objects.get(user=alice, type=Authenticator.Type.RECOVERY_CODES)
    assert crypto.decrypt_text(totp.data["secret"]) == secret and secret not in str(totp.data)
    assert crypto.decrypt_text(codes.data["seed"]) == seed and seed not in str(codes.data)
    migration.encrypt_clear_mfa_secrets(django_apps, None)  # twice: nothing is encrypted twice
    totp.refresh_from_db()
    assert crypto.decrypt_text(totp.data["secret"]) == secret
    assert _signs_in_with(client, alice, lambda: _code(secret))


def test_a_clear_secret_written_by_an_older_process_still_signs_in(client, alice):
    # During a rolling deploy a web process that predates the adapter may still write clear rows.
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    _legacy_rows(alice, secret, "cd" * 40)
    assert _signs_in_with(client, alice, lambda: _code(secret))


def test_rotating_keys_re_encrypts_mfa_secrets_and_seals_any_clear_one(
    client, alice, bob, settings
):
    secret = _activate_totp(client, alice)
    legacy_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    _legacy_rows(bob, legacy_secret, "ef" * 40)
    old_key = settings.CHANNEL_CREDENTIALS_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.CHANNEL_CREDENTIALS_KEYS = [new_key, old_key]
    call_command("rotate_channel_keys", stdout=io.StringIO())
    settings.CHANNEL_CREDENTIALS_KEYS = [new_key]  # the old key is gone: every secret still reads
    stored = Authenticator.objects.get(user=bob, type=Authenticator.Type.TOTP).data["secret"]
    assert crypto.decrypt_text(stored) == legacy_secret
    assert _signs_in_with(client, alice, lambda: _code(secret))
