"""Connecting Bluesky with "Sign in with Bluesky" (atproto OAuth), through the pages, against the
loopback fake acting as PLC directory, PDS and authorization server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.urls import reverse

from channels_registry import crypto, selectors, services
from channels_registry.models import Channel, ChannelCredential, ConnectAttempt
from channels_registry.providers.base import PublishRequest
from tests.fakes.bluesky import BRAND_DID, BRAND_HANDLE, BlueskyFake

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(settings):
    server = BlueskyFake().start()
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.SOCIALOPS_PROVIDERS = {
        **settings.SOCIALOPS_PROVIDERS,
        "bluesky": {"urls": server.provider_urls()},
    }
    yield server
    server.stop()


def sign_in(alice_client, org_a, fake) -> dict[str, str]:
    """alice posts her handle and is sent to the authorization server, which (consent emulated) sends
    her back with code, state and iss; returns the callback's query."""
    response = alice_client.post(
        reverse("channel_connect", args=[org_a.slug]),
        {"network": "bluesky", "handle": "@" + BRAND_HANDLE, "method": "oauth"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(f"{fake.url}/oauth/authorize?")
    consent = httpx.get(response["Location"])
    assert consent.status_code == 302
    location = consent.headers["location"]
    assert location.startswith(
        "http://testserver" + reverse("channel_connect_callback", args=["bluesky"])
    )
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_alice_signs_in_with_bluesky_and_gets_a_channel_with_encrypted_dpop_credentials(
    alice_client, org_a, fake
):
    callback = sign_in(alice_client, org_a, fake)
    attempt = ConnectAttempt.objects.for_org(org_a).get()
    context = crypto.decrypt_json(attempt.secret_context)
    assert (
        context["issuer"] == fake.url and "code_verifier" in context and "d" in context["dpop_key"]
    )
    assert (
        context["dpop_key"]["d"] not in attempt.secret_context
    )  # kept encrypted between start and callback

    response = alice_client.get(reverse("channel_connect_callback", args=["bluesky"]), callback)
    assert response.status_code == 302
    chooser = response["Location"]
    page = alice_client.get(chooser)
    assert BRAND_HANDLE.encode() in page.content and b"oauth-at-" not in page.content
    response = alice_client.post(chooser, {"accounts": [BRAND_DID], "timezone": "Asia/Jakarta"})
    assert response.status_code == 302

    channel = Channel.objects.for_org(org_a).get()
    assert (channel.provider, channel.external_id, channel.handle) == (
        "bluesky",
        BRAND_DID,
        BRAND_HANDLE,
    )
    assert channel.token_expires_at is not None
    blob = ChannelCredential.objects.for_org(org_a).get(channel=channel).blob
    creds = selectors.credentials_for(channel)
    assert creds.dpop_key and creds.access_token in fake.dpop_tokens
    for secret in (creds.access_token, creds.refresh_token, creds.dpop_key["d"], BRAND_DID):
        assert secret not in blob  # the whole credentials dict, key included, is encrypted at rest
    assert creds.extra["issuer"] == fake.url and creds.extra["pds_url"] == fake.pds_url
    assert creds.extra["client_id"] == "http://testserver/oauth/bluesky/client-metadata.json"
    attempt.refresh_from_db()
    assert attempt.status == ConnectAttempt.Status.COMPLETED and attempt.secret_context == ""

    # the stored credentials work: publish, then refresh ahead of expiry
    provider = services.get_provider("bluesky")
    result = provider.publish(
        creds, channel.external_id, PublishRequest(text="hello", idempotency_key="e2e")
    )
    assert result.external_id.startswith(f"at://{BRAND_DID}/")
    services.refresh_channel_credentials(channel, force=True)
    assert selectors.credentials_for(channel).access_token != creds.access_token


def test_a_callback_with_another_issuer_connects_nothing(alice_client, org_a, fake):
    callback = sign_in(alice_client, org_a, fake)
    response = alice_client.get(
        reverse("channel_connect_callback", args=["bluesky"]),
        {**callback, "iss": "https://evil.example"},
    )
    assert response.status_code == 400
    assert b"did not come from the Bluesky server" in response.content
    assert not Channel.objects.for_org(org_a).exists()
    attempt = ConnectAttempt.objects.for_org(org_a).get()
    assert attempt.status == ConnectAttempt.Status.FAILED and attempt.secret_context == ""
    assert not fake.requests_to("POST", r"^/oauth/token$")


def test_an_unknown_handle_is_a_clear_message_and_stores_nothing(alice_client, org_a, fake):
    response = alice_client.post(
        reverse("channel_connect", args=[org_a.slug]),
        {"network": "bluesky", "handle": "nobody.bsky.social", "method": "oauth"},
    )
    assert response.status_code == 200
    assert b"No Bluesky account has the handle nobody.bsky.social" in response.content
    assert not ConnectAttempt.objects.for_org(org_a).exists()


def test_the_bluesky_form_offers_oauth_and_an_app_password(alice_client, org_a):
    page = alice_client.get(
        reverse("channel_connect", args=[org_a.slug]), {"network": "bluesky"}
    ).content
    assert b'name="method" value="oauth"' in page and b'name="method" value="app_password"' in page
    assert b"Sign in with Bluesky" in page and b"Use an app password" in page


def test_the_client_metadata_document_is_public_json(client):
    response = client.get(reverse("bluesky_client_metadata"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    meta = response.json()
    assert meta["client_id"] == "http://testserver/oauth/bluesky/client-metadata.json"
    assert meta["client_id"].endswith(reverse("bluesky_client_metadata"))
    assert meta["redirect_uris"] == [
        "http://testserver" + reverse("channel_connect_callback", args=["bluesky"])
    ]
    assert meta["grant_types"] == ["authorization_code", "refresh_token"]
    assert meta["response_types"] == ["code"] and meta["scope"] == (
        "atproto transition:generic transition:chat.bsky"
    )
    assert meta["token_endpoint_auth_method"] == "none" and meta["dpop_bound_access_tokens"] is True
    assert meta["application_type"] == "web" and meta["client_name"] == "SocialOps"
