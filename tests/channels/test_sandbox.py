"""The sandbox network: the provider interface without a network, and its simulated audience."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_registry import selectors, simulation, tasks
from channels_registry.models import SandboxInteraction, SandboxPost
from channels_registry.providers.base import PublishRequest
from channels_registry.providers.errors import AuthExpired, ContentRejected

from .factories import connect_sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org_a, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m)
    return channel


def test_the_plan_for_a_posts_tick_is_deterministic():
    first = [simulation.plan_post_tick("sbxp_fixed", n) for n in range(200)]
    again = [simulation.plan_post_tick("sbxp_fixed", n) for n in range(200)]
    assert first == again
    assert first != [simulation.plan_post_tick("sbxp_other", n) for n in range(200)]
    comments = [p.comment for p in first if p.comment]
    kinds = Counter(c[0] for c in comments)
    languages = Counter(c[1] for c in comments)
    assert kinds["question"] and kinds["complaint"] and kinds["praise"]
    assert languages["en"] and languages["id"]
    assert sum(p.impressions for p in first[:30]) > sum(
        p.impressions for p in first[170:200]
    )  # attention decays


def test_published_posts_gain_an_audience_the_same_way_every_time(org_a, channel):
    provider = selectors.provider_for(channel)
    creds = selectors.credentials_for(channel)
    result = provider.publish(
        creds, channel.external_id, PublishRequest(text="Menu baru!", idempotency_key="k1")
    )
    post = SandboxPost.objects.for_org(org_a).get(external_id=result.external_id)
    now = timezone.now()
    for minute in range(60):
        simulation.simulate_channel(channel, now=now + timedelta(minutes=minute))
    post.refresh_from_db()
    expected = [simulation.plan_post_tick(post.external_id, n) for n in range(60)]
    assert post.ticks == 60
    assert post.impressions == sum(p.impressions for p in expected) > 0
    assert post.likes == sum(p.likes for p in expected)
    comments = SandboxInteraction.objects.for_org(org_a).filter(
        post=post, kind="comment", from_account=False
    )
    assert [c.text for c in comments] == [p.comment[2] for p in expected if p.comment]
    # The inbox sees them, with a cursor for "only newer".
    page = provider.fetch_inbox(creds, channel.external_id)
    assert {i.external_id for i in page.items} >= {c.external_id for c in comments}
    assert provider.fetch_inbox(creds, channel.external_id, cursor=page.cursor).items == []
    metrics = provider.fetch_post_metrics(creds, channel.external_id, [post.external_id])
    assert metrics[0].impressions == post.impressions
    followers = provider.fetch_account_metrics(
        creds, channel.external_id, now.date(), (now + timedelta(days=1)).date()
    )
    assert followers and followers[0].followers > 0


def test_the_beat_task_simulates_every_active_sandbox_channel(org_a, channel):
    provider = selectors.provider_for(channel)
    provider.publish(
        selectors.credentials_for(channel), channel.external_id, PublishRequest(text="Halo")
    )
    assert tasks.simulate_sandbox_audience.run() == 1
    assert SandboxPost.objects.for_org(org_a).get().ticks == 1


def test_the_sandbox_publishes_idempotently_replies_and_hides(org_a, channel):
    provider = selectors.provider_for(channel)
    creds = selectors.credentials_for(channel)
    one = provider.publish(
        creds, channel.external_id, PublishRequest(text="Hi", idempotency_key="same")
    )
    two = provider.publish(
        creds, channel.external_id, PublishRequest(text="Hi", idempotency_key="same")
    )
    assert one.external_id == two.external_id and one.status == "published"
    with pytest.raises(ContentRejected):
        provider.publish(creds, channel.external_id, PublishRequest(text="x" * 5001))
    post = SandboxPost.objects.for_org(org_a).get()
    simulation.advance_post(post, now=timezone.now())
    comment = SandboxInteraction.objects.for_org(org_a).create(
        organization=org_a,
        channel=channel,
        post=post,
        external_id="c-1",
        kind="comment",
        author_id="u",
        text="?",
    )
    item = provider.fetch_inbox(creds, channel.external_id).items[-1]
    reply_id = provider.reply(creds, channel.external_id, item, "Terima kasih!")
    assert (
        SandboxInteraction.objects.for_org(org_a).get(external_id=reply_id).parent_external_id
        == "c-1"
    )
    provider.hide_comment(creds, channel.external_id, comment.external_id)
    assert SandboxInteraction.objects.for_org(org_a).get(pk=comment.pk).is_hidden
    with pytest.raises(AuthExpired):
        provider.verify_credentials(creds, "sbx-promo")  # a token for another account
