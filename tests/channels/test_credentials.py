"""Encryption at rest, key rotation, token refresh ahead of expiry and re-authorization."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.capabilities import Role
from channels_registry import crypto, selectors, services, tasks
from channels_registry.models import Channel, ChannelCredential
from channels_registry.providers.errors import AuthExpired, TransientError
from channels_registry.providers.sandbox import SandboxProvider
from socialops.audit.models import AuditEvent
from tests import factories as f

from .factories import bulk_channels, connect_sandbox

pytestmark = pytest.mark.django_db


def _fresh(channel):
    return Channel.objects.for_org(channel.organization_id).get(pk=channel.pk)


def test_rotating_keys_re_encrypts_every_credential_with_the_new_key(settings, org_a, alice_m):
    old_key = settings.CHANNEL_CREDENTIALS_KEYS[0]
    (channel,) = connect_sandbox(org_a, alice_m)
    token = selectors.credentials_for(channel).access_token
    new_key = Fernet.generate_key().decode()
    settings.CHANNEL_CREDENTIALS_KEYS = [new_key, old_key]
    call_command("rotate_channel_keys", stdout=__import__("io").StringIO())
    settings.CHANNEL_CREDENTIALS_KEYS = [new_key]  # the old key is gone: everything must still read
    assert selectors.credentials_for(channel).access_token == token
    settings.CHANNEL_CREDENTIALS_KEYS = [old_key]
    with pytest.raises(crypto.CredentialsUnreadable):
        selectors.credentials_for(channel)


def test_a_blob_is_not_readable_without_a_key(settings):
    blob = crypto.encrypt_json({"access_token": "secret-token-123"})
    assert "secret-token-123" not in blob
    settings.CHANNEL_CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.CredentialsUnreadable):
        crypto.decrypt_json(blob)


def test_auth_expired_on_refresh_marks_the_channel_and_emails_its_admins(
    org_a, alice_m, monkeypatch, django_capture_on_commit_callbacks
):
    org_a.default_language = "id"
    org_a.save()
    manager = f.add_member(org_a, f.make_user("manager@alpha.test"), Role.MANAGER)
    f.add_member(org_a, f.make_user("viewer2@alpha.test"), Role.VIEWER)
    (channel,) = connect_sandbox(org_a, alice_m)

    def refuse(self, credentials):
        raise AuthExpired("The user revoked the app.")

    monkeypatch.setattr(SandboxProvider, "refresh", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        services.refresh_channel_credentials(channel, force=True)
    fresh = _fresh(channel)
    assert fresh.status == Channel.Status.NEEDS_REAUTH and "revoked" in fresh.last_error
    # One e-mail per person who can reconnect it (through accounts.notifications), in their language.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(["alice@alpha.test", manager.user.email])
    for message in mail.outbox:
        assert "nusantara.kitchen" in message.subject
        assert f"/channels/{channel.pk}/" in message.body
    assert AuditEvent.objects.for_org(org_a).filter(action="channel.needs_reauth").count() == 1
    # Flagging twice tells people once.
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_needs_reauth(fresh, reason="again")
    assert len(mail.outbox) == 2


def test_a_health_check_with_an_expired_token_flags_the_channel(
    org_a, alice_m, django_capture_on_commit_callbacks
):
    (channel,) = connect_sandbox(org_a, alice_m)
    row = ChannelCredential.objects.for_org(org_a).get(channel=channel)
    data = crypto.decrypt_json(row.blob)
    data["access_token"] = "forged"
    ChannelCredential.objects.for_org(org_a).filter(pk=row.pk).update(
        blob=crypto.encrypt_json(data)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.check_channel_health(channel)
    assert _fresh(channel).status == Channel.Status.NEEDS_REAUTH
    assert len(mail.outbox) == 1


def test_a_healthy_channel_records_its_last_sync(org_a, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m)
    services.check_channel_health(channel)
    fresh = _fresh(channel)
    assert fresh.last_synced_at is not None and fresh.status == Channel.Status.ACTIVE


def test_refresh_replaces_the_token_and_moves_the_expiry(org_a, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m)
    before = selectors.credentials_for(channel)
    services.refresh_channel_credentials(channel, force=True)
    after = selectors.credentials_for(channel)
    assert after.access_token != before.access_token
    assert _fresh(channel).token_expires_at == after.expires_at


def test_a_transient_refresh_failure_is_recorded_and_raised_for_retry(org_a, alice_m, monkeypatch):
    (channel,) = connect_sandbox(org_a, alice_m)

    def flaky(self, credentials):
        raise TransientError("HTTP 503")

    monkeypatch.setattr(SandboxProvider, "refresh", flaky)
    with pytest.raises(TransientError):
        services.refresh_channel_credentials(channel, force=True)
    fresh = _fresh(channel)
    assert fresh.status == Channel.Status.ACTIVE and fresh.last_error == "HTTP 503"


def test_the_refresh_sweep_picks_only_active_channels_expiring_within_a_day(
    org_a, org_b, alice_m, bob_m, monkeypatch
):
    now = timezone.now()
    (soon,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    (later,) = connect_sandbox(org_a, alice_m, ["sbx-kopi"])
    (other_org_soon,) = connect_sandbox(org_b, bob_m, ["sbx-kitchen"])
    (broken,) = bulk_channels(
        org_a, 1, status=Channel.Status.NEEDS_REAUTH, token_expires_at=now + timedelta(hours=1)
    )
    Channel.objects.unscoped().filter(pk__in=[soon.pk, other_org_soon.pk]).update(
        token_expires_at=now + timedelta(hours=3)
    )
    Channel.objects.for_org(org_a).filter(pk=later.pk).update(
        token_expires_at=now + timedelta(days=3)
    )
    assert sorted(tasks.expiring_channel_ids(now=now)) == sorted([soon.pk, other_org_soon.pk])

    sent = []
    monkeypatch.setattr(
        tasks.refresh_channel_credentials, "delay", lambda channel_id: sent.append(channel_id)
    )
    assert tasks.refresh_expiring_credentials() == 2
    assert sorted(sent) == sorted([soon.pk, other_org_soon.pk])
    assert broken


def test_the_refresh_task_is_idempotent(org_a, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m)
    Channel.objects.for_org(org_a).filter(pk=channel.pk).update(
        token_expires_at=timezone.now() + timedelta(hours=1)
    )
    # The stored credentials say the token expires soon too.
    row = ChannelCredential.objects.for_org(org_a).get(channel=channel)
    data = crypto.decrypt_json(row.blob)
    data["expires_at"] = (timezone.now() + timedelta(hours=1)).isoformat()
    ChannelCredential.objects.for_org(org_a).filter(pk=row.pk).update(
        blob=crypto.encrypt_json(data)
    )
    tasks.refresh_channel_credentials.run(channel.pk)
    first = selectors.credentials_for(channel).access_token
    tasks.refresh_channel_credentials.run(
        channel.pk
    )  # a second run finds a fresh token and leaves it
    assert selectors.credentials_for(channel).access_token == first
    assert (
        AuditEvent.objects.for_org(org_a).filter(action="channel.credentials_refreshed").count()
        == 1
    )


def test_a_health_check_of_a_channel_without_readable_credentials_flags_it(
    org_a, alice_m, settings
):
    (channel,) = connect_sandbox(org_a, alice_m)
    settings.CHANNEL_CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    services.check_channel_health(channel)
    assert _fresh(channel).status == Channel.Status.NEEDS_REAUTH
