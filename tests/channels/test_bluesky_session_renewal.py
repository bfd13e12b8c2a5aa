"""A Bluesky channel whose two-hour access token ran out (the worker or beat was down) keeps
working: the publish, the health check and every other call renew the stored session under the
channel's lock and go on. Only a refused refresh flags the channel for re-authorization
(issue 11, item 1).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_registry import crypto, selectors, services
from channels_registry.models import Channel, ChannelCredential
from publishing.scheduler import services as scheduling
from socialops.audit.models import AuditEvent
from tests.fakes.bluesky import APP_PASSWORD, BRAND_DID, BRAND_HANDLE, BlueskyFake
from tests.publishing.scheduler_factories import make_post, reload, tick, variants_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(settings):
    server = BlueskyFake().start()
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.SOCIALOPS_PROVIDERS = {
        **settings.SOCIALOPS_PROVIDERS,
        "bluesky": {"urls": server.provider_urls(), "poll_interval": 0},
    }
    yield server
    server.stop()


@pytest.fixture
def channel(fake, org_a, alice_m):
    attempt = services.connect_with_app_password(
        org_a, by=alice_m, provider_key="bluesky", handle=BRAND_HANDLE, app_password=APP_PASSWORD
    )
    (channel,) = services.add_channels(
        attempt, by=alice_m, external_ids=[BRAND_DID], timezone_name="UTC"
    )
    return channel


def stored(channel):
    row = ChannelCredential.objects.for_org(channel.organization_id).get(channel=channel)
    return services.credentials_from_dict(crypto.decrypt_json(row.blob))


def publish_now(org, author, by, channel, text):
    post = make_post(org, author, [channel], text=text)
    at = timezone.now() + timedelta(seconds=5)
    scheduling.schedule_post(post, by=by, at=at, timezone_name="UTC")
    return post, tick(at + timedelta(seconds=1))


def test_a_post_due_after_the_access_token_expired_goes_out_and_the_channel_stays_active(
    fake, channel, org_a, alice, alice_m
):
    before = stored(channel)
    fake.expire_access_tokens()

    post, results = publish_now(org_a, alice, alice_m, channel, "Back after the outage")

    assert [r.outcome for r in results] == ["published"]
    (variant,) = variants_of(reload(post))
    assert variant.external_id.startswith(f"at://{BRAND_DID}/app.bsky.feed.post/")
    assert [p["value"]["text"] for p in fake.posts_of().values()] == ["Back after the outage"]
    channel = reload(channel)
    assert channel.status == Channel.Status.ACTIVE
    # the renewed session is stored (the rotated refresh token with it) for the next call
    after = stored(channel)
    assert after.access_token != before.access_token and after.refresh_token != before.refresh_token
    assert after.access_token in fake.access_tokens
    assert channel.token_expires_at == after.expires_at
    assert (
        AuditEvent.objects.for_org(org_a).filter(action="channel.credentials_refreshed").count()
        == 1
    )


def test_a_refused_refresh_flags_the_channel_for_reauthorization(
    fake, channel, org_a, alice, alice_m
):
    fake.expire_access_tokens()
    fake.revoke_refresh_tokens()

    post, results = publish_now(org_a, alice, alice_m, channel, "Will not go out")

    assert [r.outcome for r in results] == ["failed"]
    assert reload(channel).status == Channel.Status.NEEDS_REAUTH
    assert not fake.posts_of()


def test_the_health_check_renews_an_expired_session_instead_of_flagging_the_channel(fake, channel):
    fake.expire_access_tokens()
    checked = services.check_channel_health(reload(channel))
    assert checked.status == Channel.Status.ACTIVE and checked.last_error == ""
    assert stored(channel).access_token in fake.access_tokens


def test_two_workers_holding_the_same_expired_session_refresh_it_once(fake, channel):
    first, second = selectors.credentials_for(channel), selectors.credentials_for(channel)
    fake.expire_access_tokens()
    provider = selectors.provider_for(channel)

    provider.verify_credentials(first, BRAND_DID)
    provider.verify_credentials(second, BRAND_DID)  # finds the stored session already renewed

    assert len(fake.requests_to("POST", r"refreshSession$")) == 1
    assert first.access_token == second.access_token == stored(channel).access_token
    provider.http.close()
