"""The worker sends in batches (a task takes whatever else is due, commits while a task is queued
send no task of their own), a row is claimed by one worker only, and an endpoint that comes back
after an outage gets what waited for a retry straight away."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from socialops.webhooks import delivery, services, tasks
from socialops.webhooks.models import WebhookDelivery

D = WebhookDelivery.Status


def _endpoint(org, url):
    return services.create_endpoint(org, url=url, events=["post.published", "post.scheduled"])


def _emit(capture, org, event, obj_id, *, execute=True):
    with capture(execute=execute), transaction.atomic():
        return services.emit(org, event, obj_id, {"id": obj_id})


@pytest.mark.django_db
def test_a_task_sends_whatever_else_is_due_in_the_same_batch(
    org_a, receiver, django_capture_on_commit_callbacks
):
    _endpoint(org_a, receiver.url)
    # Two commits whose tasks were lost (no on-commit run), then one whose task runs.
    _emit(django_capture_on_commit_callbacks, org_a, "post.published", 1, execute=False)
    _emit(django_capture_on_commit_callbacks, org_a, "post.published", 2, execute=False)
    _emit(django_capture_on_commit_callbacks, org_a, "post.published", 3)
    assert sorted(json.loads(r["body"])["data"]["id"] for r in receiver.seen) == [1, 2, 3]
    assert not WebhookDelivery.objects.for_org(org_a).filter(status=D.PENDING).exists()


@pytest.mark.django_db
def test_commits_while_a_task_is_queued_send_no_task_of_their_own(
    org_a, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    _endpoint(org_a, receiver.url)
    queued = []
    monkeypatch.setattr(tasks.deliver_webhooks, "delay", lambda ids: queued.append(ids))
    for n in range(3):
        _emit(django_capture_on_commit_callbacks, org_a, "post.published", n)
    assert len(queued) == 1  # the first commit's task, not started yet, takes the others too

    tasks.deliver_webhooks(queued[0])  # the worker runs it
    assert len(receiver.seen) == 3
    _emit(django_capture_on_commit_callbacks, org_a, "post.published", 9)
    assert len(queued) == 2  # it started: the next commit queues a task again


@pytest.mark.django_db
def test_an_endpoint_back_after_an_outage_gets_what_waited_now_not_after_the_backoff(
    org_a, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RECOVERY_MIN_FAILURES = 3
    endpoint = _endpoint(org_a, receiver.url)
    receiver.set_default(503)  # down
    for n in range(3):
        _emit(django_capture_on_commit_callbacks, org_a, "post.published", n)
    waiting = WebhookDelivery.objects.for_org(org_a).filter(status=D.PENDING)
    assert waiting.count() == 3 and all(r.next_attempt_at > timezone.now() for r in waiting)

    receiver.set_default(200)  # back: the next event goes, and what waited follows it
    _emit(django_capture_on_commit_callbacks, org_a, "post.published", 9)
    assert not WebhookDelivery.objects.for_org(org_a).filter(status=D.PENDING).exists()
    assert len(receiver.seen) == 3 + 4
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.failing_since is None


@pytest.mark.django_db
def test_a_success_between_a_few_failures_does_not_hurry_the_retries(
    org_a, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RECOVERY_MIN_FAILURES = 3
    _endpoint(org_a, receiver.url)
    receiver.answers.append(500)  # one bad answer is not an outage
    (failed,) = _emit(django_capture_on_commit_callbacks, org_a, "post.published", 1)
    _emit(django_capture_on_commit_callbacks, org_a, "post.published", 2)
    failed.refresh_from_db()
    assert failed.status == D.PENDING and failed.next_attempt_at > timezone.now()
    assert len(receiver.seen) == 2


@pytest.mark.django_db
def test_the_outcomes_of_a_worker_whose_lease_lapsed_are_not_written_over_the_new_claim(
    org_a, receiver, django_capture_on_commit_callbacks
):
    _endpoint(org_a, receiver.url)
    (row,) = _emit(django_capture_on_commit_callbacks, org_a, "post.published", 1, execute=False)
    (mine,) = delivery._claim([row.pk])
    outcome = delivery._send_all([mine])
    # Stalled past the lease: another worker claimed the row since.
    other = uuid.uuid4()
    WebhookDelivery.objects.for_org(org_a).filter(pk=row.pk).update(claim=other)
    assert delivery._record([mine], outcome) == []
    row.refresh_from_db()
    assert row.claim == other and row.status == D.PENDING and row.response_status is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only")
def test_a_delivery_another_worker_is_claiming_is_not_claimed_again(org_a, receiver, monkeypatch):
    """The sweep's claim waited for the on-commit task's row lock, then claimed the row again
    (its ``id IN (subquery)`` still saw it due): both sent it, one outcome was dropped."""
    _endpoint(org_a, receiver.url)
    monkeypatch.setattr(services, "_enqueue", lambda ids: None)  # the task is the other worker
    with transaction.atomic():
        (row,) = services.emit(org_a, "post.published", 1, {"id": 1})
    locked, returned = threading.Event(), threading.Event()
    other = uuid.uuid4()

    def other_worker():
        try:
            with transaction.atomic():
                WebhookDelivery.objects.unscoped().select_for_update().get(pk=row.pk)
                locked.set()
                with connection.cursor() as cursor:  # until our claim waits for this lock
                    for _ in range(400):
                        cursor.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                            " AND datname = current_database()"
                        )
                        if cursor.fetchone()[0] or returned.is_set():
                            break
                        time.sleep(0.025)
                WebhookDelivery.objects.unscoped().filter(pk=row.pk).update(
                    claim=other,
                    next_attempt_at=timezone.now() + timedelta(minutes=2),
                    attempts=F("attempts") + 1,
                )
        finally:
            connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    assert locked.wait(10)
    claimed = delivery._claim([row.pk])
    returned.set()
    worker.join(20)
    row.refresh_from_db()
    assert claimed == [] and row.claim == other and row.attempts == 1
    assert receiver.seen == []


@pytest.mark.django_db
def test_a_batch_to_two_endpoints_in_lanes_records_each_rows_own_answer(
    org_a, org_b, receiver, settings, django_capture_on_commit_callbacks
):
    from .receiver import Receiver

    settings.WEBHOOK_CONCURRENCY_PER_ENDPOINT = 2
    failing = Receiver()
    try:
        failing.set_default(500)
        _endpoint(org_a, receiver.url)
        _endpoint(org_b, failing.url)
        for n in range(5):  # tasks lost: the sweep sends all ten in one batch, in four lanes
            _emit(django_capture_on_commit_callbacks, org_a, "post.published", n, execute=False)
            _emit(django_capture_on_commit_callbacks, org_b, "post.published", n, execute=False)
        assert delivery.sweep() == 5
        good = WebhookDelivery.objects.for_org(org_a)
        bad = WebhookDelivery.objects.for_org(org_b)
        assert {(r.status, r.response_status, r.attempts) for r in good} == {(D.SUCCEEDED, 200, 1)}
        assert {(r.status, r.response_status, r.attempts) for r in bad} == {(D.PENDING, 500, 1)}
        assert len(receiver.seen) == len(failing.seen) == 5
    finally:
        failing.close()
