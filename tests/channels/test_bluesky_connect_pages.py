"""Connecting Bluesky through the real pages against the loopback fakes: an account on a self-hosted
PDS (found from its handle, or from the server address the person types), a handle nobody has,
and a sign-in Bluesky is rate limiting (issue 11, items 2 and 3).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from channels_registry import selectors
from channels_registry.models import Channel, ConnectAttempt
from tests.fakes.bluesky import (
    APP_PASSWORD,
    BRAND_HANDLE,
    SELF_DID,
    SELF_HANDLE,
    SELF_PASSWORD,
    BlueskyFake,
    self_hosted_accounts,
)
from tests.publishing.scheduler_factories import make_post, tick

pytestmark = pytest.mark.django_db


@pytest.fixture
def main(settings):
    server = BlueskyFake().start()
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.SOCIALOPS_PROVIDERS = {
        **settings.SOCIALOPS_PROVIDERS,
        "bluesky": {"urls": server.provider_urls(), "poll_interval": 0},
    }
    yield server
    server.stop()


@pytest.fixture
def own(main):
    server = BlueskyFake(
        accounts=self_hosted_accounts(), handle_domains=(".brand.example",)
    ).start()
    main.register_remote(SELF_DID, SELF_HANDLE, server.pds_url, well_known=False)
    yield server
    server.stop()


def connect(client, org, **fields):
    return client.post(
        reverse("channel_connect", args=[org.slug]), {"network": "bluesky", **fields}
    )


def test_an_account_on_a_self_hosted_pds_connects_with_its_handle_and_publishes_there(
    alice_client, org_a, alice, alice_m, main, own
):
    response = connect(
        alice_client, org_a, handle=SELF_HANDLE, app_password=SELF_PASSWORD, method="app_password"
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert (
        alice_client.post(
            response["Location"], {"accounts": [SELF_DID], "timezone": "UTC"}
        ).status_code
        == 302
    )

    channel = Channel.objects.for_org(org_a).get()
    assert (channel.external_id, channel.handle) == (SELF_DID, SELF_HANDLE)
    creds = selectors.credentials_for(channel)
    assert creds.extra["pds_url"] == own.pds_url and creds.extra["service_url"] == own.pds_url

    post = make_post(org_a, alice, [channel], text="Hello from our own PDS")
    from publishing.scheduler import services as scheduling

    at = timezone.now() + timedelta(seconds=5)
    scheduling.schedule_post(post, by=alice_m, at=at, timezone_name="UTC")
    assert [r.outcome for r in tick(at + timedelta(seconds=1))] == ["published"]
    assert [p["value"]["text"] for p in own.posts_of(SELF_DID).values()] == [
        "Hello from our own PDS"
    ]
    assert not main.requests_to("POST", r"createSession$|createRecord$")


def test_the_server_address_field_connects_an_account_the_handle_alone_would_not_find(
    alice_client, org_a, main, own
):
    main.remote.clear()  # no directory knows where the account lives
    response = connect(
        alice_client,
        org_a,
        handle=SELF_HANDLE,
        app_password=SELF_PASSWORD,
        service_url=own.pds_url,
        method="app_password",
    )
    assert response.status_code == 302
    (attempt,) = ConnectAttempt.objects.for_org(org_a)
    assert [c["external_id"] for c in attempt.candidates] == [SELF_DID]


def test_a_handle_nobody_has_is_said_so_on_the_handle_field(alice_client, org_a, main):
    response = connect(
        alice_client,
        org_a,
        handle="nobody.bsky.social",
        app_password=APP_PASSWORD,
        method="app_password",
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "Bluesky could not find the account nobody.bsky.social." in form.non_field_errors()
    assert form.errors["handle"] and "app_password" not in form.errors
    assert b"app password is wrong" not in response.content
    assert not ConnectAttempt.objects.for_org(org_a).exists()


def test_a_bad_server_address_is_a_field_error(alice_client, org_a, main):
    response = connect(
        alice_client,
        org_a,
        handle=SELF_HANDLE,
        app_password=SELF_PASSWORD,
        service_url="http://pds.brand.example/xrpc",
        method="app_password",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["service_url"]
    assert not main.requests


def test_a_rate_limited_sign_in_says_when_to_try_again_in_the_persons_words(
    alice_client, org_a, main
):
    org_a.timezone = "Asia/Jakarta"
    org_a.save(update_fields=["timezone"])
    reset = int(time.time()) + 4 * 60
    main.fail_next(
        r"createSession$",
        429,
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        headers={
            "RateLimit-Limit": "30",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": "30;w=300",
        },
    )

    response = connect(
        alice_client, org_a, handle=BRAND_HANDLE, app_password=APP_PASSWORD, method="app_password"
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert "Bluesky is not accepting more sign-ins for this account right now." in text
    assert "Try again in 4\xa0minutes" in text
    # the reset instant in Jakarta; a second either side, as the page and this test read the clock
    # at slightly different moments (a reset on a minute's edge must not fail the test)
    jakarta = __import__("zoneinfo").ZoneInfo("Asia/Jakarta")
    candidates = {
        f"(after {timezone.localtime(datetime.fromtimestamp(reset + d, tz=UTC), jakarta):%H:%M})"
        for d in (-2, 0, 2)
    }
    assert any(c in text for c in candidates), candidates
    assert "RateLimitExceeded" not in text and "Rate Limit Exceeded" not in text
