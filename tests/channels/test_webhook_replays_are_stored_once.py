"""Networks deliver at least once, and anyone who saw a signed push can send it again: a push with
the same delivery id (where the network sends one) or the same raw body is answered 2xx and
stored, queued and parsed only once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json

import pytest
from django.apps import apps

from channels_registry import tasks
from channels_registry.models import WebhookDelivery
from channels_registry.providers.sandbox import sign_webhook_body

pytestmark = pytest.mark.django_db

BODY = json.dumps(
    {"events": [{"account": "sbx-kitchen", "kind": "comment", "id": "c1", "text": "Halo"}]}
).encode()


@pytest.fixture
def queued(monkeypatch):
    sent = []
    monkeypatch.setattr(
        tasks.process_webhook_delivery, "delay", lambda delivery_id: sent.append(delivery_id)
    )
    return sent


def _push(client, body=BODY, **headers):
    return client.post(
        "/webhooks/sandbox/",
        data=body,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=sign_webhook_body(body),
        **headers,
    )


def test_a_replayed_push_is_answered_but_stored_once(
    client, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _push(client)
        again = _push(client)
    assert first.status_code == again.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert queued == [delivery.pk]
    assert delivery.delivery_key == "sha256:" + hashlib.sha256(BODY).hexdigest()


def test_the_networks_delivery_id_names_a_push(client, queued, django_capture_on_commit_callbacks):
    other = json.dumps(
        {"events": [{"account": "sbx-kitchen", "kind": "comment", "id": "c2", "text": "Lagi"}]}
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert _push(client, HTTP_X_SANDBOX_DELIVERY="dlv-1").status_code == 200
        assert _push(client, HTTP_X_SANDBOX_DELIVERY="dlv-1").status_code == 200  # redelivered
        assert _push(client, other.encode(), HTTP_X_SANDBOX_DELIVERY="dlv-2").status_code == 200
    assert WebhookDelivery.objects.count() == 2 and len(queued) == 2
    assert {d.delivery_key for d in WebhookDelivery.objects.all()} == {
        "id:" + hashlib.sha256(b"dlv-1").hexdigest(),
        "id:" + hashlib.sha256(b"dlv-2").hexdigest(),
    }


def test_a_replayed_x_push_is_stored_once(client, settings, queued):
    secret = "x-consumer-secret"
    settings.SOCIALOPS_PROVIDERS = {
        **settings.SOCIALOPS_PROVIDERS,
        "x": {"client_id": "c", "client_secret": "s", "consumer_secret": secret},
    }
    body = json.dumps({"for_user_id": "42", "tweet_create_events": []}).encode()
    signature = (
        "sha256="
        + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    )
    for _ in range(3):
        response = client.post(
            "/webhooks/x/",
            data=body,
            content_type="application/json",
            HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=signature,
        )
        assert response.status_code == 200
    assert WebhookDelivery.objects.filter(provider="x").count() == 1


def test_pushes_stored_before_keys_existed_get_keys_and_duplicates_are_kept_unkeyed():
    migration = importlib.import_module("channels_registry.migrations.0004_webhook_delivery_once")
    rows = [
        WebhookDelivery.objects.create(provider="sandbox", body=body, delivery_key=None)
        for body in (b'{"a":1}', b'{"b":2}', b'{"a":1}')
    ]
    WebhookDelivery.objects.create(
        provider="x", body=b'{"a":1}', delivery_key=None
    )  # other network
    migration.key_existing(apps, None)
    keys = [WebhookDelivery.objects.get(pk=r.pk).delivery_key for r in rows]
    assert keys == [
        "sha256:" + hashlib.sha256(b'{"a":1}').hexdigest(),
        "sha256:" + hashlib.sha256(b'{"b":2}').hexdigest(),
        None,
    ]
    assert WebhookDelivery.objects.get(provider="x").delivery_key == keys[0]
    assert WebhookDelivery.objects.count() == 4  # nothing deleted
