"""Notification e-mails leave through an outbox: rows written with the action, sent by a worker.

The row exists iff the action committed; one task per action sends the rows (claimed with a
conditional UPDATE, so nothing is sent twice); failures are retried with backoff from the row and
given up after 5 attempts; a beat sweep sends whatever the broker lost.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from accounts import notifications, tasks
from accounts.models import NotificationEmail
from accounts.notifications import NotificationKind, notify
from socialops.tenancy_models import UnscopedQueryError
from tests import factories as f

pytestmark = pytest.mark.django_db

HERE = "tests.accounts.test_notification_outbox"


def _notify(org, recipients, **kw):
    return notify(
        org,
        recipients=recipients,
        kind=NotificationKind.APPROVAL_REMINDER,  # e-mail by default
        template="generic",
        context={"title": "Please review", "message": "Rendang week"},
        url=f"/o/{org.slug}/posts/1/",
        **kw,
    )


def _committed(org, recipients, **kw):
    """notify() as an action calls it, its transaction committed (the on-commit task runs eagerly)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return _notify(org, recipients, **kw)


def _written(org, recipients, **kw) -> list[int]:
    """notify() committed, but the message to the worker lost (the task never ran)."""
    with TestCase.captureOnCommitCallbacks(execute=False):
        _notify(org, recipients, **kw)
    return list(NotificationEmail.objects.for_org(org).order_by("pk").values_list("pk", flat=True))


def _rows(org) -> list[NotificationEmail]:
    return list(NotificationEmail.objects.for_org(org).order_by("pk"))


def _make_due(*rows) -> None:
    """Time passes: the backoff (or a claim's lease) of these rows is over."""
    NotificationEmail.objects.unscoped().filter(pk__in=[r.pk for r in rows]).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


class FailingBackend(LocmemBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("smtp down")


class CountingBackend(LocmemBackend):
    made = 0
    opened = 0

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        type(self).made += 1

    def open(self):
        type(self).opened += 1
        return True


# --- Written with the action ------------------------------------------------------------------


def test_the_email_row_is_written_in_the_actions_transaction_and_sent_after_commit(org_a, vera):
    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        with transaction.atomic():
            _notify(org_a, [vera])
            (row,) = _rows(org_a)  # part of the action's transaction
            assert row.sent_at is None and row.attempts == 0
            assert "http://testserver/o/alpha/posts/1/" in row.body
            body = row.body
            assert mail.outbox == []  # nothing leaves inside the request's transaction
    assert len(callbacks) == 1
    (row,) = _rows(org_a)
    assert row.organization == org_a and row.recipient == vera
    assert row.kind == NotificationKind.APPROVAL_REMINDER
    assert row.to_address == "vera@alpha.test"
    assert row.subject == "Please review"
    assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""
    assert (
        row.body == "" and row.html_body == ""
    )  # sent: the bodies (which may hold secrets) are gone
    (message,) = mail.outbox
    assert (message.to, message.subject, message.body) == (
        ["vera@alpha.test"],
        row.subject,
        body,
    )
    assert message.from_email == settings.DEFAULT_FROM_EMAIL


def test_a_rolled_back_action_leaves_no_email_row_and_sends_nothing(org_a, vera):
    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            _notify(org_a, [vera])
            raise RuntimeError("the action failed")
    assert callbacks == []
    assert _rows(org_a) == []
    assert mail.outbox == []


def test_an_action_enqueues_one_task_with_all_its_emails(org_a, alice, vera):
    with mock.patch.object(tasks.send_notification_emails, "delay") as delay:
        _committed(org_a, [alice, vera])
    ids = [r.pk for r in _rows(org_a)]
    assert len(ids) == 2
    delay.assert_called_once_with(ids)
    assert mail.outbox == []  # the worker has not run


def test_the_task_is_late_acked_and_the_sweep_runs_every_minute():
    assert tasks.send_notification_emails.acks_late is True
    entry = settings.CELERY_BEAT_SCHEDULE["notification-emails-sweep"]
    assert entry["task"] == "accounts.tasks.sweep_notification_emails"
    assert entry["schedule"] == 60.0


# --- The worker -------------------------------------------------------------------------------


def test_the_task_sends_and_marks_sent_and_a_second_run_sends_nothing_twice(org_a, alice, vera):
    ids = _written(org_a, [alice, vera])
    assert mail.outbox == []
    assert tasks.send_notification_emails(ids) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@alpha.test", "vera@alpha.test"]
    assert all(r.sent_at and r.attempts == 1 for r in _rows(org_a))
    # a redelivered message, the same ids twice, the sweep: nothing is sent again
    assert tasks.send_notification_emails(ids + ids) == 0
    assert tasks.sweep_notification_emails() == 0
    assert len(mail.outbox) == 2


def test_a_batch_reuses_one_connection(org_a, alice, vera, settings):
    third = f.make_user("tari@alpha.test", name="Tari")
    f.add_member(org_a, third)
    ids = _written(org_a, [alice, vera, third])
    settings.EMAIL_BACKEND = f"{HERE}.CountingBackend"
    CountingBackend.made = CountingBackend.opened = 0
    assert tasks.send_notification_emails(ids) == 3
    assert (CountingBackend.made, CountingBackend.opened) == (1, 1)
    assert len(mail.outbox) == 3


def test_an_html_alternative_is_kept_in_the_row_and_sent(org_a, vera):
    with TestCase.captureOnCommitCallbacks(execute=True):
        with transaction.atomic():
            notify(
                org_a,
                recipients=[vera],
                kind=NotificationKind.APPROVAL_ESCALATED,
                template="approvals_escalated",
                context={
                    "stage_name": "Legal",
                    "post_title": "Rendang week",
                    "approval_link": "http://testserver/a/one-tap",
                },
                url="/o/alpha/posts/1/",
            )
            (row,) = _rows(org_a)
            assert "http://testserver/a/one-tap" in row.html_body
            html = row.html_body
    (message,) = mail.outbox
    assert message.alternatives[0][0] == html


def test_an_smtp_failure_is_retried_with_backoff_and_given_up_after_5_attempts(
    org_a, vera, settings
):
    settings.EMAIL_BACKEND = f"{HERE}.FailingBackend"
    (pk,) = _written(org_a, [vera])
    waits = []
    with mock.patch.object(notifications, "log") as log:
        for attempt in range(1, 6):
            before = timezone.now()
            assert tasks.sweep_notification_emails() == 0
            row = NotificationEmail.objects.for_org(org_a).get(pk=pk)
            assert row.attempts == attempt
            assert row.sent_at is None
            assert row.last_error == "SMTPServerDisconnected: smtp down"
            if attempt < 5:
                waits.append(row.next_attempt_at - before)
                # not due yet: neither the sweep nor a redelivered task tries again
                assert tasks.send_notification_emails([pk]) == 0
                assert tasks.sweep_notification_emails() == 0
                assert NotificationEmail.objects.for_org(org_a).get(pk=pk).attempts == attempt
                _make_due(row)
        # backoff grows: about 1 min, 5 min, 30 min, 2 h
        assert [round(w.total_seconds() / 60) for w in waits] == [1, 5, 30, 120]
        assert row.next_attempt_at is None and row.gave_up
    assert log.warning.call_count == 4
    (given_up,) = log.error.call_args_list
    assert given_up.args[0].startswith("gave up on notification e-mail")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.sweep_notification_emails() == 0  # given up stays given up
    assert tasks.send_notification_emails([pk]) == 0
    assert mail.outbox == []


def test_a_failure_of_one_email_does_not_stop_the_rest_of_the_batch(org_a, alice, vera):
    ids = _written(org_a, [alice, vera])
    real = LocmemBackend.send_messages

    def flaky(self, messages):
        if messages[0].to == ["alice@alpha.test"]:
            raise smtplib.SMTPRecipientsRefused({"alice@alpha.test": (550, b"no")})
        return real(self, messages)

    with mock.patch.object(LocmemBackend, "send_messages", flaky):
        assert tasks.send_notification_emails(ids) == 1
    alice_row, vera_row = _rows(org_a)
    assert alice_row.sent_at is None and alice_row.next_attempt_at > timezone.now()
    assert "SMTPRecipientsRefused" in alice_row.last_error
    assert vera_row.sent_at is not None
    assert [m.to for m in mail.outbox] == [["vera@alpha.test"]]


# --- The sweep: lost messages, a broker down, a killed worker ------------------------------------


def test_the_sweep_sends_an_email_whose_message_was_lost(org_a, vera):
    _written(org_a, [vera])
    assert mail.outbox == []
    assert tasks.sweep_notification_emails() == 1
    assert [m.to for m in mail.outbox] == [["vera@alpha.test"]]
    assert _rows(org_a)[0].sent_at is not None


def test_a_broker_down_at_commit_does_not_fail_the_action_and_the_sweep_sends_later(org_a, vera):
    broker_down = ConnectionRefusedError("no broker")
    with (
        mock.patch.object(tasks.send_notification_emails, "delay", side_effect=broker_down),
        mock.patch.object(notifications, "log") as log,
    ):
        created = _committed(org_a, [vera])
    assert len(created) == 1  # the action (and its in-app notification) went through
    assert "the sweep will send them" in log.warning.call_args.args[0]
    assert mail.outbox == [] and _rows(org_a)[0].sent_at is None
    assert tasks.sweep_notification_emails() == 1
    assert len(mail.outbox) == 1


def test_a_claimed_row_is_reclaimed_only_after_its_lease_lapses(org_a, vera):
    (pk,) = _written(org_a, [vera])
    # a worker claimed it and was killed before sending (or before marking it sent)
    assert notifications._claim_email(pk) is not None
    assert notifications._claim_email(pk) is None  # two workers never both win
    assert tasks.sweep_notification_emails() == 0
    assert tasks.send_notification_emails([pk]) == 0
    assert mail.outbox == []
    row = NotificationEmail.objects.for_org(org_a).get(pk=pk)
    lease = row.next_attempt_at - timezone.now()
    assert timedelta(minutes=9) < lease <= notifications.EMAIL_LEASE
    _make_due(row)
    assert tasks.sweep_notification_emails() == 1
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 2
    assert len(mail.outbox) == 1


def test_a_row_whose_last_attempt_was_lost_is_given_up_by_the_sweep(org_a, vera):
    (pk,) = _written(org_a, [vera])
    NotificationEmail.objects.for_org(org_a).filter(pk=pk).update(
        attempts=notifications.EMAIL_MAX_ATTEMPTS,
        next_attempt_at=timezone.now() - timedelta(seconds=1),
    )
    assert tasks.sweep_notification_emails() == 0
    row = NotificationEmail.objects.for_org(org_a).get(pk=pk)
    assert row.gave_up and row.last_error
    assert mail.outbox == []


# --- Tenancy ---------------------------------------------------------------------------------


def test_rows_carry_their_organization_and_nothing_crosses(org_a, org_b, alice, bob, vera):
    f.add_member(org_b, vera)  # vera is in both: two organizations, two separate e-mails
    _written(org_a, [vera])
    _written(org_b, [vera, bob])
    alpha, bravo = _rows(org_a), _rows(org_b)
    assert [(r.organization_id, r.to_address) for r in alpha] == [(org_a.pk, "vera@alpha.test")]
    assert sorted((r.organization_id, r.to_address) for r in bravo) == [
        (org_b.pk, "bob@bravo.test"),
        (org_b.pk, "vera@alpha.test"),
    ]
    assert all(f"/o/{org_b.slug}/" in r.body and "/o/alpha/" not in r.body for r in bravo)
    with pytest.raises(UnscopedQueryError):
        list(NotificationEmail.objects.all())  # fail-closed like every tenant-owned model
    # one worker batch over both organizations sends each row to its own address, once
    assert tasks.send_notification_emails([r.pk for r in alpha + bravo]) == 3
    sent = sorted((m.to[0], m.body.split("http://testserver")[1].split()[0]) for m in mail.outbox)
    assert sent == [
        ("bob@bravo.test", "/o/bravo/posts/1/"),
        ("vera@alpha.test", "/o/alpha/posts/1/"),
        ("vera@alpha.test", "/o/bravo/posts/1/"),
    ]


# --- Retention -------------------------------------------------------------------------------


def test_the_purge_deletes_sent_and_given_up_emails_older_than_retention(org_a, org_b, vera, bob):
    settings_days = settings.NOTIFICATION_RETENTION_DAYS
    long_ago = timezone.now() - timedelta(days=settings_days + 1)
    old_sent, recent_sent, old_unsent, old_given_up = (
        _written(org_a, [vera])[-1],
        _written(org_a, [vera])[-1],
        _written(org_a, [vera])[-1],
        _written(org_a, [vera])[-1],
    )
    bravo_old_sent = _written(org_b, [bob])[-1]
    q = NotificationEmail.objects.unscoped()
    q.filter(pk__in=[old_sent, old_unsent, old_given_up, bravo_old_sent]).update(
        created_at=long_ago
    )
    q.filter(pk__in=[old_sent, bravo_old_sent]).update(sent_at=long_ago, next_attempt_at=None)
    q.filter(pk=recent_sent).update(sent_at=timezone.now(), next_attempt_at=None)
    q.filter(pk=old_given_up).update(attempts=5, next_attempt_at=None, last_error="x")

    tasks.purge_old_notifications()
    assert set(q.values_list("pk", flat=True)) == {recent_sent, old_unsent}
    tasks.purge_old_notifications()  # idempotent
    assert q.count() == 2
