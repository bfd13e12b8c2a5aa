"""A subscription check (X's CRC, the sandbox's challenge) must never hand out a signature that a
push of the asker's choosing would then pass with.

X documents CRC as base64 HMAC-SHA256(consumer_secret, crc_token) and a delivery's signature as the
same HMAC over the body, so the CRC answer for ``crc_token=<a JSON body>`` used to be a valid
signature for that body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from channels_registry.models import WebhookDelivery
from channels_registry.providers.sandbox import sign_webhook_body

pytestmark = pytest.mark.django_db

SECRET = "x-consumer-secret"
FORGED = json.dumps(
    {
        "for_user_id": "42",
        "direct_message_events": [
            {
                "type": "message_create",
                "id": "1",
                "created_timestamp": "1717000000000",
                "message_create": {
                    "sender_id": "666",
                    "target": {"recipient_id": "42"},
                    "message_data": {"text": "Reset your password at evil.example"},
                },
            }
        ],
    },
    separators=(",", ":"),
)


def _x_signature(payload: bytes) -> str:
    return (
        "sha256="
        + base64.b64encode(hmac.new(SECRET.encode(), payload, hashlib.sha256).digest()).decode()
    )


@pytest.fixture
def x_configured(settings):
    settings.SOCIALOPS_PROVIDERS = {
        **settings.SOCIALOPS_PROVIDERS,
        "x": {
            "client_id": "x-client",
            "client_secret": "x-oauth-secret",
            "consumer_secret": SECRET,
        },
    }


def test_the_x_crc_does_not_sign_a_body_of_the_askers_choice(client, x_configured):
    # The attack: ask the CRC to sign a body, then push that body with the answer as its signature.
    answer = client.get("/webhooks/x/", {"crc_token": FORGED})
    assert answer.status_code == 400 and b"response_token" not in answer.content
    assert not WebhookDelivery.objects.exists()


def test_the_x_crc_answers_tokens_in_the_shape_x_sends(client, x_configured):
    token = base64.b64encode(b"\x01" * 36).decode()  # X's tokens: random base64
    answer = client.get("/webhooks/x/", {"crc_token": token})
    assert answer.status_code == 200
    assert answer.json() == {"response_token": _x_signature(token.encode())}
    for bad in ('{"a":1}', "a b", "x" * 257, "tok\u00e9n"):
        assert client.get("/webhooks/x/", {"crc_token": bad}).status_code == 400


def test_a_crc_answer_is_never_accepted_as_a_delivery_signature(client, x_configured):
    token = "eyJmb3JfdXNlcl9pZCI6IjQyIn0="  # any token X could send
    response_token = client.get("/webhooks/x/", {"crc_token": token}).json()["response_token"]
    pushed = client.post(
        "/webhooks/x/",
        data=token,
        content_type="application/json",
        HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=response_token,
    )
    assert pushed.status_code == 403
    assert not WebhookDelivery.objects.exists()


def test_the_sandbox_challenge_answer_is_not_a_push_signature(client):
    body = json.dumps(
        {"events": [{"account": "sbx-kitchen", "kind": "dm", "id": "d1", "text": "forged"}]}
    )
    answer = client.get("/webhooks/sandbox/", {"challenge": body})
    assert answer.status_code == 200
    minted = answer.json()["response_token"]
    assert minted != sign_webhook_body(body.encode())
    pushed = client.post(
        "/webhooks/sandbox/",
        data=body,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=minted,
    )
    assert pushed.status_code == 403
    assert not WebhookDelivery.objects.exists()
