"""A Mastodon channel's text limit is its instance's own ``max_characters``, read at the health check."""

from __future__ import annotations

import pytest

from channels_registry import services as channel_services
from channels_registry.models import Channel
from channels_registry.providers.base import Credentials
from channels_registry.providers.mastodon import MastodonProvider
from publishing.models import PostVariant
from publishing.posts import services as authoring
from tests.fakes.mastodon import MastodonFake

from .scheduler_factories import make_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server = MastodonFake().start()
    yield server
    server.stop()


@pytest.fixture
def channel(org_a, fake):
    channel = Channel.objects.create(
        organization=org_a,
        provider="mastodon",
        external_id=fake.owner_id,
        handle="@brand@brand.example",
        name="Brand Team",
    )
    token = fake.issue_token(fake.owner_id, " ".join(MastodonProvider.default_scopes))
    channel_services._store_credentials(
        channel,
        Credentials(
            access_token=token,
            scopes=MastodonProvider.default_scopes,
            extra={"instance_url": fake.url},
        ),
    )
    return channel


def _errors(org, author, channel, text):
    post = make_post(org, author, [channel], text=text)
    variant = PostVariant.objects.for_org(org).select_related("channel").get(post=post)
    return authoring.check_variant(variant, post, [])


def test_the_health_check_keeps_the_instances_limit_and_the_composer_counts_against_it(
    org_a, alice, fake, channel
):
    assert any(
        "the limit is 500" in e for e in _errors(org_a, alice, channel, "x" * 700)
    )  # the default
    fake.max_characters = 1000
    channel_services.check_channel_health(channel)
    channel = Channel.objects.for_org(org_a).get(pk=channel.pk)
    assert channel.metadata["max_characters"] == 1000
    assert _errors(org_a, alice, channel, "x" * 700) == []
    assert any("the limit is 1000" in e for e in _errors(org_a, alice, channel, "x" * 1200))


def test_an_instance_that_cannot_answer_keeps_the_last_known_limit(org_a, fake, channel):
    fake.max_characters = 800
    channel_services.check_channel_health(channel)
    fake.has_v2_instance = False
    fake.stop()  # the instance is down at the next check
    channel_services.check_channel_health(Channel.objects.for_org(org_a).get(pk=channel.pk))
    assert Channel.objects.for_org(org_a).get(pk=channel.pk).metadata["max_characters"] == 800
