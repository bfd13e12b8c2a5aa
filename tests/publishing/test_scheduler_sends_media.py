"""The worker sends each image as the rendition that fits the network (signed URL + bytes + alt text)."""

from __future__ import annotations

import pytest

from channels_registry.providers.sandbox import SandboxProvider
from publishing.media import services as media_services
from publishing.models import PostMedia, PublishAttempt
from publishing.scheduler import services as scheduling

from .media_factories import image_bytes, media_root, upload_file  # noqa: F401 - media_root is a fixture
from .scheduler_factories import make_post, network_posts, sandbox_channels, tick

pytestmark = pytest.mark.django_db


def test_a_panorama_goes_out_as_a_rendition_within_the_networks_aspect_limits(
    org_a, alice, alice_m, monkeypatch
):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    asset = media_services.upload_media(
        org_a,
        by=alice_m,
        file=upload_file(image_bytes(3000, 1000), "wide.jpg"),
        alt_text="Library alt",
    ).asset
    post = make_post(org_a, alice, [kitchen])
    PostMedia.objects.create(
        organization=org_a, post=post, asset=asset, position=0, alt_text="Our new kitchen"
    )
    scheduling.publish_now(post, by=alice_m)

    sent = {}
    real = SandboxProvider.publish

    def spy(self, credentials, account_id, request):
        sent["request"] = request
        return real(self, credentials, account_id, request)

    monkeypatch.setattr(SandboxProvider, "publish", spy)
    (result,) = tick()
    assert result.outcome == PublishAttempt.Outcome.PUBLISHED
    (item,) = sent["request"].media
    limits = SandboxProvider.capabilities.image
    assert limits.min_aspect <= item.width / item.height <= limits.max_aspect
    assert "/media/s/" in item.url and item.alt_text == "Our new kitchen"
    assert item.read()[:2] == b"\xff\xd8"  # the rendition's JPEG bytes
    assert (
        sent["request"].idempotency_key
        == PublishAttempt.objects.for_org(org_a).get().idempotency_key
    )
    assert network_posts(kitchen)[0].media_count == 1
