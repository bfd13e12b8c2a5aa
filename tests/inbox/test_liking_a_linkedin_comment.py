"""Liking a LinkedIn comment from the inbox: the like goes out through LinkedIn's Reactions API as
the organization (the documented-API fake answers), and taking it back deletes the reaction."""

from __future__ import annotations

import pytest

from channels_registry import services as channel_services
from channels_registry.models import Channel
from channels_registry.providers.base import Credentials, PublishRequest
from inbox.models import Item
from inbox.services import moderate_item, poll_channel
from tests.fakes.linkedin import FakeLinkedIn

from ..conftest import api_client_for

pytestmark = pytest.mark.django_db

ORG_URN = "urn:li:organization:1001"


@pytest.fixture(scope="module")
def _linkedin():
    server = FakeLinkedIn().start()
    yield server
    server.stop()


@pytest.fixture
def fake(_linkedin, settings):
    _linkedin.reset()
    _linkedin.issue_token("li-token")
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.SOCIALOPS_PROVIDERS = {
        **settings.SOCIALOPS_PROVIDERS,
        "linkedin": {
            "client_id": _linkedin.client_id,
            "client_secret": _linkedin.client_secret,
            "urls": {"api": _linkedin.url},
            "poll_interval": 0,
        },
    }
    return _linkedin


@pytest.fixture
def item(fake, org_a, alice_m):
    channel = Channel.objects.create(
        organization=org_a, provider="linkedin", external_id="1001", handle="alpha-foods"
    )
    channel_services._store_credentials(channel, Credentials(access_token="li-token"))
    channel.save()
    provider = channel_services.get_provider("linkedin")
    post = provider.publish(
        Credentials(access_token="li-token"), "1001", PublishRequest(text="Menu baru!")
    ).external_id
    comment = fake.add_comment(post, "Enak banget!")
    poll_channel(channel)
    return Item.objects.for_org(org_a).get(external_id=comment)


def test_a_linkedin_comment_is_liked_and_unliked_as_the_organization(fake, alice_m, item):
    liked = moderate_item(item, by=alice_m, action="like")
    assert liked.is_liked and fake.reactions == {(ORG_URN, item.external_id): "LIKE"}
    unliked = moderate_item(item, by=alice_m, action="unlike")
    assert not unliked.is_liked and fake.reactions == {}


def test_another_organizations_member_cannot_like_it(bob_m, item, fake):
    response = api_client_for(bob_m).post(f"/api/v1/conversation-items/{item.pk}/like/")
    assert response.status_code == 404 and fake.reactions == {}
