"""Unsent outbox e-mails are encrypted at rest: their bodies carry one-tap approval links.

Why encryption rather than leaving the token out until the send: the outbox (accounts) cannot
mint approval tokens (approvals is a layer above it), and every template, present or future, may
put a secret in a body; sealing the two body columns covers them all. Sent rows drop their
bodies as before.
"""

from __future__ import annotations

import importlib
import io
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import TestCase

from accounts.models import NotificationEmail
from accounts.notifications import NotificationKind, notify, send_emails
from socialops import crypto

pytestmark = pytest.mark.django_db

TOKEN = "tok-3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"


def _raw(pk: int) -> tuple[str, str]:
    """The columns as stored (what a database dump or a backup holds)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT body, html_body FROM accounts_notificationemail WHERE id = %s", [pk])
        return cursor.fetchone()


def _write_raw(pk: int, body: str, html_body: str = "") -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_notificationemail SET body = %s, html_body = %s WHERE id = %s",
            [body, html_body, pk],
        )


def _queue(org, recipient) -> NotificationEmail:
    """An approval-like e-mail with a one-tap link, committed but not yet sent."""
    with TestCase.captureOnCommitCallbacks(execute=False):
        notify(
            org,
            recipients=[recipient],
            kind=NotificationKind.APPROVAL_REMINDER,
            template="generic",
            context={"message": "Please review"},
            url=f"/a/{TOKEN}/",
            email_required=True,
        )
    return NotificationEmail.objects.for_org(org).get()


def test_an_unsent_email_body_is_encrypted_at_rest_and_sent_in_clear(org_a, vera):
    row = _queue(org_a, vera)
    body, html_body = _raw(row.pk)
    assert TOKEN not in body and crypto.is_encrypted(body)
    assert f"/a/{TOKEN}/" in row.body  # the code reads it in clear
    assert send_emails([row.pk]) == 1
    assert f"/a/{TOKEN}/" in mail.outbox[-1].body
    assert _raw(row.pk) == ("", "")  # sent rows keep no body, as before


def test_an_html_body_is_encrypted_too(org_a, vera):
    row = _queue(org_a, vera)
    NotificationEmail.objects.for_org(org_a).filter(pk=row.pk).update(
        html_body=f'<a href="https://so.example.com/a/{TOKEN}/">Review</a>'
    )
    _body, html_body = _raw(row.pk)
    assert TOKEN not in html_body and crypto.is_encrypted(html_body)
    send_emails([row.pk])
    assert TOKEN in mail.outbox[-1].alternatives[0][0]


def test_a_row_written_in_clear_by_the_previous_release_is_still_sent(org_a, vera):
    row = _queue(org_a, vera)
    _write_raw(row.pk, f"Please review: https://so.example.com/a/{TOKEN}/")
    assert send_emails([row.pk]) == 1
    assert mail.outbox[-1].body == f"Please review: https://so.example.com/a/{TOKEN}/"


def test_the_migration_seals_clear_unsent_bodies(org_a, vera):
    row = _queue(org_a, vera)
    clear = f"Please review: https://so.example.com/a/{TOKEN}/"
    _write_raw(row.pk, clear, f"<p>{clear}</p>")
    migration = importlib.import_module("accounts.migrations.0005_seal_unsent_notification_emails")
    from django.apps import apps

    migration.seal_unsent_bodies(apps, SimpleNamespace(connection=connection))
    body, html_body = _raw(row.pk)
    assert (
        crypto.decrypt_text(body) == clear and crypto.decrypt_text(html_body) == f"<p>{clear}</p>"
    )
    migration.seal_unsent_bodies(apps, SimpleNamespace(connection=connection))  # idempotent
    assert crypto.decrypt_text(_raw(row.pk)[0]) == clear
    migration.unseal_unsent_bodies(apps, SimpleNamespace(connection=connection))  # reversible
    assert _raw(row.pk)[0] == clear


def test_rotating_keys_re_encrypts_unsent_bodies(org_a, vera, settings):
    row = _queue(org_a, vera)
    old_key = settings.CHANNEL_CREDENTIALS_KEYS[0]
    settings.CHANNEL_CREDENTIALS_KEYS = [Fernet.generate_key().decode(), old_key]
    call_command("rotate_channel_keys", stdout=io.StringIO())
    settings.CHANNEL_CREDENTIALS_KEYS = settings.CHANNEL_CREDENTIALS_KEYS[:1]  # old key dropped
    assert send_emails([row.pk]) == 1
    assert f"/a/{TOKEN}/" in mail.outbox[-1].body


def test_a_body_no_key_can_open_is_given_up_with_a_reason_and_the_others_still_go(
    org_a, vera, alice, settings
):
    lost = _queue(org_a, vera)
    settings.CHANNEL_CREDENTIALS_KEYS = [Fernet.generate_key().decode()]  # the key was dropped
    NotificationEmail.objects.for_org(org_a).exclude(pk=lost.pk).delete()
    with TestCase.captureOnCommitCallbacks(execute=False):
        notify(
            org_a,
            recipients=[alice],
            kind=NotificationKind.APPROVAL_REMINDER,
            template="generic",
            context={"message": "Second"},
            email_required=True,
        )
    fine = NotificationEmail.objects.for_org(org_a).exclude(pk=lost.pk).get()
    assert send_emails([lost.pk, fine.pk]) == 1
    assert [m.to for m in mail.outbox] == [[alice.email]]
    row = (
        NotificationEmail.objects.for_org(org_a)
        .filter(pk=lost.pk)
        .values("sent_at", "next_attempt_at", "last_error")[0]
    )
    assert row["sent_at"] is None and row["next_attempt_at"] is None
    assert "key" in row["last_error"]
