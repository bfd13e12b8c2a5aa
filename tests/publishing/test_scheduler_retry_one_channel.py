"""Retrying a failed variant retries that channel only, never the whole post."""

from __future__ import annotations

import pytest

from channels_registry.providers import errors
from channels_registry.providers.sandbox import SandboxProvider
from publishing.models import Post, PostVariant
from publishing.scheduler import services as scheduling
from socialops.errors import Conflict

from .scheduler_factories import (
    make_post,
    network_posts,
    reload,
    sandbox_channels,
    tick,
    variants_of,
)

pytestmark = pytest.mark.django_db


def test_retrying_the_failed_channel_leaves_the_published_one_alone(
    org_a, alice, alice_m, monkeypatch
):
    kitchen, kopi = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])
    post = make_post(org_a, alice, [kitchen, kopi])
    scheduling.publish_now(post, by=alice_m)
    real = SandboxProvider.publish

    def flaky(self, credentials, account_id, request):
        if account_id == "sbx-kopi":
            raise errors.ContentRejected("Image too small")
        return real(self, credentials, account_id, request)

    monkeypatch.setattr(SandboxProvider, "publish", flaky)
    tick()
    assert reload(post).status == Post.Status.PARTIALLY_PUBLISHED
    ok, failed = variants_of(post)
    assert (ok.status, failed.status) == (PostVariant.Status.PUBLISHED, PostVariant.Status.FAILED)

    monkeypatch.setattr(SandboxProvider, "publish", real)
    with pytest.raises(Conflict):
        scheduling.retry_variant(ok, by=alice_m)
    scheduling.retry_variant(failed, by=alice_m)
    assert reload(ok).status == PostVariant.Status.PUBLISHED
    assert reload(failed).status == PostVariant.Status.SCHEDULED
    (result,) = tick()
    assert result.outcome == "published"
    assert len(network_posts(kitchen)) == 1 and len(network_posts(kopi)) == 1
    assert reload(post).status == Post.Status.PUBLISHED
