"""Outgoing webhooks reach a real HTTP receiver (tests/webhooks/receiver.py on 127.0.0.1), signed as
the Standard Webhooks specification says, retried, in order per object, and never to a private
address; an endpoint that keeps failing is disabled."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from socialops.errors import ValidationFailed
from socialops.webhooks import delivery, services
from socialops.webhooks.models import WebhookDelivery, WebhookEndpoint
from socialops.webhooks.signals import endpoint_disabled

pytestmark = pytest.mark.django_db(transaction=False)

D = WebhookDelivery.Status


def _endpoint(org, url, events=("post.published", "post.scheduled")):
    return services.create_endpoint(org, url=url, events=list(events), description="CRM")


def _emit(capture, org, event, obj_id, **data):
    with capture(execute=True), transaction.atomic():
        return services.emit(org, event, obj_id, {"id": obj_id, **data})


def _due_now(org):
    WebhookDelivery.objects.for_org(org).filter(status=D.PENDING).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_delivery_carries_the_event_and_verifies_with_the_specifications_library(
    org_a, receiver, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(org_a, receiver.url)
    (row,) = _emit(
        django_capture_on_commit_callbacks, org_a, "post.published", 7, status="published"
    )

    (request,) = receiver.seen
    payload = Webhook(endpoint.secret).verify(request["body"], request["headers"])
    assert payload["type"] == "post.published"
    assert payload["organization"] == "alpha"
    assert payload["data"] == {"id": 7, "status": "published"}
    assert request["headers"]["webhook-id"] == row.msg_id
    assert request["headers"]["webhook-signature"].startswith("v1,")
    assert abs(int(request["headers"]["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    with pytest.raises(WebhookVerificationError):
        Webhook(services.signing.new_secret()).verify(request["body"], request["headers"])
    row.refresh_from_db()
    assert (row.status, row.response_status, row.attempts) == (D.SUCCEEDED, 200, 1)
    assert row.duration_ms is not None and '"received"' in row.response_body


def test_an_event_nobody_subscribed_to_writes_nothing(
    org_a, receiver, django_capture_on_commit_callbacks
):
    _endpoint(org_a, receiver.url, events=["approval.requested"])
    assert _emit(django_capture_on_commit_callbacks, org_a, "post.published", 1) == []
    assert receiver.seen == []
    with pytest.raises(ValueError):
        services.emit(org_a, "post.exploded", 1, {})


def test_a_delivery_rolled_back_with_its_action_is_never_sent(
    org_a, receiver, django_capture_on_commit_callbacks
):
    _endpoint(org_a, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.emit(org_a, "post.published", 1, {"id": 1})
            raise RuntimeError("the action failed")
    assert receiver.seen == [] and not WebhookDelivery.objects.for_org(org_a).exists()


def test_during_a_rotation_both_secrets_sign_until_the_overlap_ends(
    org_a, receiver, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(org_a, receiver.url)
    old = endpoint.secret
    new = services.rotate_secret(endpoint, overlap=timedelta(hours=1))
    assert new != old and new.startswith("whsec_")
    _emit(django_capture_on_commit_callbacks, org_a, "post.published", 1)
    request = receiver.seen[-1]
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(request["body"], request["headers"])  # a receiver not yet switched over
    Webhook(new).verify(request["body"], request["headers"])  # one already switched

    WebhookEndpoint.objects.for_org(org_a).update(
        previous_secret_until=timezone.now() - timedelta(seconds=1)
    )
    _emit(django_capture_on_commit_callbacks, org_a, "post.published", 2)
    request = receiver.seen[-1]
    assert len(request["headers"]["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(request["body"], request["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(request["body"], request["headers"])


def test_the_secret_is_sealed_at_rest(org_a, receiver):
    from django.db import connection

    endpoint = _endpoint(org_a, receiver.url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhookendpoint WHERE id = %s", [endpoint.pk])
        (stored,) = cursor.fetchone()
    assert endpoint.secret not in stored and not stored.startswith("whsec_")


def test_a_500_is_a_failed_attempt_retried_after_its_backoff_with_the_same_id(
    org_a, receiver, django_capture_on_commit_callbacks
):
    _endpoint(org_a, receiver.url)
    receiver.answers.append(500)
    (row,) = _emit(django_capture_on_commit_callbacks, org_a, "post.published", 1)
    row.refresh_from_db()
    assert (row.status, row.response_status, row.attempts) == (D.PENDING, 500, 1)
    assert row.response_body.startswith("receiver says no") and len(row.response_body) == 1000
    assert "HTTP 500" in row.last_error
    assert timedelta(seconds=3) < row.next_attempt_at - timezone.now() <= timedelta(seconds=5)

    assert delivery.sweep() == 0  # not due yet
    _due_now(org_a)
    assert delivery.sweep() == 1
    row.refresh_from_db()
    assert (row.status, row.response_status, row.attempts) == (D.SUCCEEDED, 200, 2)
    first, second = receiver.seen
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"] == row.msg_id


def test_a_timeout_and_a_redirect_are_failed_attempts_and_the_redirect_is_not_followed(
    org_a, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT = 0.5
    _endpoint(org_a, receiver.url)
    receiver.answers.extend(["hang", 302])
    (slow,) = _emit(django_capture_on_commit_callbacks, org_a, "post.published", 1)
    (moved,) = _emit(django_capture_on_commit_callbacks, org_a, "post.published", 2)
    slow.refresh_from_db()
    moved.refresh_from_db()
    assert (
        slow.status == D.PENDING
        and slow.response_status is None
        and "did not confirm" in slow.last_error
    )
    assert (
        moved.status == D.PENDING
        and moved.response_status == 302
        and "redirect" in moved.last_error
    )
    assert [r["path"] for r in receiver.seen] == ["/hooks", "/hooks"]  # Location never requested


def test_the_delivery_is_given_up_after_its_last_retry(
    org_a, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_BACKOFF = [0, 0]
    receiver.set_default(503)
    _endpoint(org_a, receiver.url)
    (row,) = _emit(django_capture_on_commit_callbacks, org_a, "post.published", 1)
    delivery.sweep()
    delivery.sweep()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (D.FAILED, 3, None)
    assert len(receiver.seen) == 3
    assert delivery.sweep() == 0 and len(receiver.seen) == 3


def test_deliveries_for_one_object_arrive_in_order_while_others_are_not_held_back(
    org_a, receiver, django_capture_on_commit_callbacks
):
    _endpoint(org_a, receiver.url)
    receiver.answers.append(500)  # post 1's first event fails once
    _emit(django_capture_on_commit_callbacks, org_a, "post.scheduled", 1)
    _emit(django_capture_on_commit_callbacks, org_a, "post.published", 1)
    _emit(django_capture_on_commit_callbacks, org_a, "post.published", 2)

    def seen():
        return [
            (json.loads(r["body"])["type"], json.loads(r["body"])["data"]["id"])
            for r in receiver.seen
        ]

    # post 1's "published" waits behind its failed "scheduled"; post 2 is not held back
    assert seen() == [("post.scheduled", 1), ("post.published", 2)]
    delivery.sweep()
    assert len(receiver.seen) == 2
    _due_now(org_a)
    delivery.sweep()
    assert seen()[2:] == [("post.scheduled", 1), ("post.published", 1)]
    assert not WebhookDelivery.objects.for_org(org_a).filter(status=D.PENDING).exists()


def test_an_endpoint_failing_long_enough_is_disabled_and_the_fact_announced(
    org_a, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_MIN_FAILURES = 3
    settings.WEBHOOK_DISABLE_AFTER = timedelta(hours=24)
    receiver.set_default(500)
    endpoint = _endpoint(org_a, receiver.url)
    announced = []

    def listener(sender, endpoint, **kw):
        announced.append(endpoint.pk)

    endpoint_disabled.connect(listener)
    try:
        for n in range(4):
            _emit(django_capture_on_commit_callbacks, org_a, "post.published", n)
        endpoint.refresh_from_db()
        assert (
            endpoint.is_enabled and endpoint.consecutive_failures == 4
        )  # failing, but not for a day yet

        WebhookEndpoint.objects.for_org(org_a).update(
            failing_since=timezone.now() - timedelta(hours=25)
        )
        _emit(django_capture_on_commit_callbacks, org_a, "post.published", 9)
        endpoint.refresh_from_db()
        assert not endpoint.is_enabled and endpoint.disabled_reason == "failing"
        assert announced == [endpoint.pk]
        sent = len(receiver.seen)
        assert _emit(django_capture_on_commit_callbacks, org_a, "post.published", 10) == []
        _due_now(org_a)
        delivery.sweep()
        assert len(receiver.seen) == sent  # nothing goes to a disabled endpoint

        receiver.set_default(200)
        with django_capture_on_commit_callbacks(execute=True):
            services.enable_endpoint(endpoint)
        endpoint.refresh_from_db()
        assert endpoint.is_enabled and endpoint.consecutive_failures == 0
        assert not WebhookDelivery.objects.for_org(org_a).filter(status=D.PENDING).exists()
    finally:
        endpoint_disabled.disconnect(listener)


def test_a_success_ends_the_run_of_failures(
    org_a, receiver, settings, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(org_a, receiver.url)
    receiver.answers.extend([500, 500])
    for n in range(3):
        _emit(django_capture_on_commit_callbacks, org_a, "post.published", n)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.failing_since is None
    assert endpoint.last_success_at is not None


def test_a_replay_sends_the_same_message_again(org_a, receiver, django_capture_on_commit_callbacks):
    _endpoint(org_a, receiver.url)
    (row,) = _emit(django_capture_on_commit_callbacks, org_a, "post.published", 1)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.replay_delivery(row)
    again.refresh_from_db()
    assert again.status == D.SUCCEEDED and again.replay_of_id == row.pk
    first, second = receiver.seen
    assert first["body"] == second["body"]
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]


# --- The egress guard: no private address, https only ------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/in",  # http to anything but the test loopback
        "https://10.0.0.8/in",
        "https://192.168.1.20/in",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/in",
        "https://user:pw@hooks.example.com/in",
        "ftp://hooks.example.com/in",
        "not a url",
        "",
    ],
)
def test_an_endpoint_must_be_https_on_a_public_address(org_a, url):
    with pytest.raises(ValidationFailed) as caught:
        services.create_endpoint(org_a, url=url, events=["post.published"])
    assert "url" in caught.value.fields
    assert not WebhookEndpoint.objects.for_org(org_a).exists()


def test_the_loopback_is_refused_unless_the_test_setting_allows_it(org_a, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    for url in ("http://127.0.0.1:9/in", "https://127.0.0.1:9/in"):
        with pytest.raises(ValidationFailed):
            services.create_endpoint(org_a, url=url, events=["post.published"])


def test_a_name_that_resolves_to_a_private_address_is_refused_when_registered_and_when_sent(
    org_a, monkeypatch, settings, django_capture_on_commit_callbacks
):
    answers = {"hooks.customer.example": "93.184.216.34"}
    real = socket.getaddrinfo
    dialed = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    def create_connection(address, *args, **kwargs):
        dialed.append(address)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)

    answers["evil.customer.example"] = "10.1.2.3"
    with pytest.raises(ValidationFailed):
        services.create_endpoint(
            org_a, url="https://evil.customer.example/in", events=["post.published"]
        )

    _endpoint(org_a, "https://hooks.customer.example/in")
    answers["hooks.customer.example"] = "127.0.0.1"  # DNS changed after registration (rebinding)
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    (row,) = _emit(django_capture_on_commit_callbacks, org_a, "post.published", 1)
    row.refresh_from_db()
    assert row.status == D.PENDING and row.attempts == 1
    assert "private or local address" in row.last_error
    assert dialed == []


def test_events_of_one_organization_never_reach_another_organizations_endpoints(
    org_a, org_b, receiver, django_capture_on_commit_callbacks
):
    _endpoint(org_b, receiver.url)
    assert _emit(django_capture_on_commit_callbacks, org_a, "post.published", 1) == []
    assert receiver.seen == []
    _emit(django_capture_on_commit_callbacks, org_b, "post.published", 1)
    assert json.loads(receiver.seen[0]["body"])["organization"] == "bravo"


def test_the_log_keeps_settled_deliveries_for_the_retention_period_and_pending_ones_always(
    org_a, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_LOG_RETENTION_DAYS = 30
    _endpoint(org_a, receiver.url)
    receiver.answers.append(500)
    (pending,) = _emit(django_capture_on_commit_callbacks, org_a, "post.published", 1)
    (done,) = _emit(django_capture_on_commit_callbacks, org_a, "post.published", 2)
    (recent,) = _emit(django_capture_on_commit_callbacks, org_a, "post.published", 3)
    old = timezone.now() - timedelta(days=31)
    WebhookDelivery.objects.for_org(org_a).filter(pk__in=[pending.pk, done.pk]).update(
        created_at=old
    )
    assert delivery.purge_old() == 1
    assert set(WebhookDelivery.objects.for_org(org_a).values_list("pk", flat=True)) == {
        pending.pk,
        recent.pk,
    }
