"""Issue 13 (5): the API's live link of a sandbox post (a variant's ``external_url``) is the sandbox post
page that exists (issue 10), on SITE_URL with its port, even for a post published while SITE_URL was
something else (the worker's default port, or the address before the organization was in the path)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from channels_registry.models import SandboxPost
from publishing.models import PostVariant
from publishing.scheduler import services as scheduling

from .scheduler_factories import make_post, sandbox_channels, tick, variants_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(org_a, alice, alice_m, monkeypatch, settings):
    """A sandbox post published while SITE_URL was the default port, read now that it is :8123."""
    settings.SITE_URL = "http://127.0.0.1:8000"
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    (channel,) = sandbox_channels(org_a, alice_m)
    post = scheduling.publish_now(make_post(org_a, alice, [channel]), by=alice_m)
    tick()
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.PUBLISHED
    settings.SITE_URL = "http://127.0.0.1:8123"
    return post


def _links(api, post) -> list[str]:
    body = api.get(f"/api/v1/posts/{post.pk}/").json()
    return [v["external_url"] for v in body["variants"]]


def _opens(client, url: str) -> int:
    return client.get(urlsplit(url).path).status_code


def test_the_posts_live_link_keeps_site_urls_port_and_opens(alice_api, alice_client, published):
    (link,) = _links(alice_api, published)
    assert urlsplit(link).port == 8123 and link.startswith("http://127.0.0.1:8123/")
    assert _opens(alice_client, link) == 200


def test_every_api_shape_of_the_variant_gives_the_same_link(
    alice_api, alice_client, org_a, published
):
    (variant,) = variants_of(published)
    expected = "http://127.0.0.1:8123" + reverse(
        "sandbox_post",
        args=[org_a.slug, SandboxPost.objects.for_org(org_a).get().external_id],
    )
    assert _links(alice_api, published) == [expected]
    assert alice_api.get(f"/api/v1/variants/{variant.pk}/").json()["external_url"] == expected
    cancelled = alice_api.post(f"/api/v1/posts/{published.pk}/cancel/")
    if cancelled.status_code == 200:  # a published post may refuse to cancel; its shape is the same
        assert [v["external_url"] for v in cancelled.json()["variants"]] == [expected]


def test_a_link_stored_under_the_old_address_is_given_as_the_page_that_exists(
    alice_api, alice_client, org_a, published
):
    (variant,) = variants_of(published)
    external_id = SandboxPost.objects.for_org(org_a).get().external_id
    PostVariant.objects.for_org(org_a).filter(pk=variant.pk).update(
        external_url=f"http://localhost:8000/sandbox/posts/{external_id}"
    )
    (link,) = _links(alice_api, published)
    assert urlsplit(link).port == 8123
    assert _opens(alice_client, link) == 200


def test_another_networks_link_is_given_as_the_network_gave_it(alice_api, org_a, alice, channels_x):
    post = make_post(org_a, alice, [channels_x])
    PostVariant.objects.for_org(org_a).filter(post=post).update(
        external_id="1790", external_url="https://x.com/alpha_x/status/1790"
    )
    assert _links(alice_api, post) == ["https://x.com/alpha_x/status/1790"]


@pytest.fixture
def channels_x(org_a):
    from tests.channels.factories import bulk_channels

    (x,) = bulk_channels(org_a, 1, provider="x", handle="alpha_x", name="Alpha on X")
    return x
