"""Inbound pushes: verified before anything is stored, answered fast, parsed by a task."""

from __future__ import annotations

import json

import pytest

from channels_registry import services, tasks
from channels_registry.models import WebhookDelivery
from channels_registry.providers.sandbox import sign_webhook_body

from .factories import connect_sandbox

pytestmark = pytest.mark.django_db

BODY = json.dumps(
    {
        "events": [
            {
                "account": "sbx-kitchen",
                "kind": "comment",
                "id": "c1",
                "text": "Halo, buka jam berapa?",
                "author_id": "u1",
                "author_name": "Dian",
                "post_id": "p1",
            }
        ]
    }
).encode()


def test_a_push_with_a_bad_signature_is_refused_and_nothing_is_stored(client):
    response = client.post(
        "/webhooks/sandbox/",
        data=BODY,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE="sha256=" + "0" * 64,
    )
    assert response.status_code == 403
    response = client.post("/webhooks/sandbox/", data=BODY, content_type="application/json")
    assert response.status_code == 403
    assert WebhookDelivery.objects.count() == 0


def test_a_valid_push_is_stored_and_parsed_by_a_task(
    client, org_a, alice_m, org_b, bob_m, monkeypatch, django_capture_on_commit_callbacks
):
    (ours,) = connect_sandbox(org_a, alice_m)
    (theirs,) = connect_sandbox(org_b, bob_m)
    queued = []
    monkeypatch.setattr(
        tasks.process_webhook_delivery, "delay", lambda delivery_id: queued.append(delivery_id)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/webhooks/sandbox/",
            data=BODY,
            content_type="application/json",
            HTTP_X_SANDBOX_SIGNATURE=sign_webhook_body(BODY),
            HTTP_COOKIE="sessionid=nope",
        )
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert queued == [delivery.pk] and delivery.status == WebhookDelivery.Status.RECEIVED
    assert "cookie" not in delivery.headers
    tasks.process_webhook_delivery.run(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PROCESSED
    (event,) = delivery.events
    assert event["kind"] == "inbox_item" and event["item"]["text"] == "Halo, buka jam berapa?"
    assert sorted(c["channel_id"] for c in event["channels"]) == sorted([ours.pk, theirs.pk])
    # Processing twice changes nothing.
    assert services.process_webhook_delivery(delivery.pk).events == delivery.events


def test_the_handshake_answers_a_challenge_and_unknown_networks_are_404(client):
    response = client.get("/webhooks/sandbox/", {"challenge": "abc"})
    assert response.status_code == 200 and "response_token" in response.json()
    assert client.get("/webhooks/sandbox/").status_code == 400
    assert (
        client.post(
            "/webhooks/nosuchnetwork/", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )


def test_a_push_whose_task_was_lost_is_processed_by_the_sweep(
    client, org_a, alice_m, monkeypatch, django_capture_on_commit_callbacks
):
    """The push was stored and answered, but its task never ran (a broker restart): the beat's
    sweep queues it again once it has waited ``RESUME_AFTER``, and its item reaches the inbox.
    A push just received is left to its own task; one older than a day is only told about."""
    from django.utils import timezone

    from channels_registry.services.webhooks import RESUME_AFTER, RESUME_WITHIN
    from inbox.models import Item

    (channel,) = connect_sandbox(org_a, alice_m)
    monkeypatch.setattr(tasks.process_webhook_delivery, "delay", lambda delivery_id: None)  # lost
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/webhooks/sandbox/",
            data=BODY,
            content_type="application/json",
            HTTP_X_SANDBOX_SIGNATURE=sign_webhook_body(BODY),
        )
    lost = WebhookDelivery.objects.get()
    now = timezone.now()
    fresh = WebhookDelivery.objects.create(provider="sandbox", delivery_key="id:fresh", body=b"{}")
    ancient = WebhookDelivery.objects.create(
        provider="sandbox", delivery_key="id:old", body=b"{}", received_at=now - RESUME_WITHIN
    )
    WebhookDelivery.objects.filter(pk=lost.pk).update(received_at=now - RESUME_AFTER)
    queued = []
    monkeypatch.setattr(tasks.process_webhook_delivery, "delay", queued.append)
    assert tasks.resume_unprocessed_webhooks.run() == 1
    assert queued == [lost.pk]
    tasks.process_webhook_delivery.run(lost.pk)
    lost.refresh_from_db()
    assert lost.status == WebhookDelivery.Status.PROCESSED
    assert list(Item.objects.for_org(org_a).values_list("channel_id", "text")) == [
        (channel.pk, "Halo, buka jam berapa?")
    ]
    # processed now: the next sweep queues nothing; the others were never touched
    queued.clear()
    assert tasks.resume_unprocessed_webhooks.run() == 0 and queued == []
    for delivery in (fresh, ancient):
        delivery.refresh_from_db()
        assert delivery.status == WebhookDelivery.Status.RECEIVED
