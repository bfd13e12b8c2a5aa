from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from publishing.models import Post, PostVariant, PublishAttempt
from publishing.scheduler import services as scheduling
from socialops.audit.models import AuditEvent

from .scheduler_factories import (
    make_post,
    network_posts,
    reload,
    sandbox_channels,
    tick,
    variants_of,
)

pytestmark = pytest.mark.django_db


def test_a_scheduled_post_goes_out_when_due_and_not_before(org_a, alice, alice_m):
    kitchen, kopi = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])
    post = make_post(org_a, alice, [kitchen, kopi], link_url="https://example.com/menu?ref=home")
    at = timezone.now() + timedelta(hours=1)
    scheduling.schedule_post(post, by=alice_m, at=at, timezone_name="Asia/Jakarta")

    post = reload(post)
    assert post.status == Post.Status.SCHEDULED and post.scheduled_at == at
    assert post.schedule_timezone == "Asia/Jakarta"
    assert {v.status for v in variants_of(post)} == {PostVariant.Status.SCHEDULED}

    assert tick(at - timedelta(seconds=10)) == []  # the dispatcher claims at most one tick early
    assert network_posts(kitchen) == []

    results = tick(at + timedelta(seconds=1))
    assert [r.outcome for r in results] == ["published", "published"]
    post = reload(post)
    assert post.status == Post.Status.PUBLISHED
    for v in variants_of(post):
        assert v.status == PostVariant.Status.PUBLISHED and v.external_id.startswith("sbxp_")
        assert v.external_url and v.published_at
    (sent,) = network_posts(kitchen)
    assert sent.text == "Hello from the scheduler"
    assert AuditEvent.objects.for_org(org_a).filter(action="post.scheduled").exists()
    assert AuditEvent.objects.for_org(org_a).filter(action="post.variant_published").count() == 2
    assert mail.outbox == []


def test_the_link_carries_the_campaigns_utm_parameters_and_keeps_its_own(org_a, alice, alice_m):
    from publishing.models import Campaign

    (kitchen,) = sandbox_channels(org_a, alice_m)
    campaign = Campaign.objects.create(
        organization=org_a,
        name="Ramadan",
        utm_source="socialops",
        utm_medium="social",
        utm_campaign="ramadan-2026",
    )
    post = make_post(
        org_a,
        alice,
        [kitchen],
        link_url="https://example.com/menu?ref=home&utm_source=old",
        campaign=campaign,
    )
    scheduling.publish_now(post, by=alice_m)
    tick()
    (sent,) = network_posts(kitchen)
    assert sent.link == (
        "https://example.com/menu?ref=home&utm_source=socialops&utm_medium=social"
        "&utm_campaign=ramadan-2026"
    )


def test_a_time_in_the_past_is_refused_with_a_clear_message(org_a, alice, alice_m):
    from socialops.errors import ValidationFailed

    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    with pytest.raises(ValidationFailed) as err:
        scheduling.schedule_post(
            post, by=alice_m, at=timezone.now() - timedelta(minutes=1), timezone_name="UTC"
        )
    assert "past" in err.value.message
    assert reload(post).status == Post.Status.APPROVED
    assert not PublishAttempt.objects.for_org(org_a).exists()


def test_a_channel_needing_reauth_is_named_and_nothing_is_scheduled(org_a, alice, alice_m):
    from channels_registry.services import mark_needs_reauth
    from socialops.errors import ValidationFailed

    kitchen, kopi = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])
    mark_needs_reauth(kopi, reason="token revoked")
    post = make_post(org_a, alice, [kitchen, kopi])
    with pytest.raises(ValidationFailed) as err:
        scheduling.publish_now(post, by=alice_m)
    assert "kopi.pagi" in err.value.message and "reconnect" in err.value.message
    assert {v.status for v in variants_of(post)} == {PostVariant.Status.DRAFT}


def test_a_member_without_publish_may_not_schedule(org_a, alice, vera):
    from accounts.selectors import membership_for
    from socialops.errors import NotAllowed

    from ..factories import membership

    alice_m = membership(org_a, alice)
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    with pytest.raises(NotAllowed):
        scheduling.publish_now(post, by=membership_for(vera, org_a))


def test_a_variant_is_claimed_one_tick_early_and_leaves_on_time(org_a, alice, alice_m, settings):
    from publishing.scheduler.dispatch import claim_due
    from publishing.scheduler.services import perform_attempt

    settings.PUBLISHING_DISPATCH_LOOKAHEAD_SECONDS = 2.0
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    at = timezone.now() + timedelta(seconds=1.5)
    scheduling.schedule_post(post, by=alice_m, at=at, timezone_name="UTC")
    assert claim_due(now=at - timedelta(seconds=3)) == []  # beyond the lookahead
    (claim,) = claim_due()
    assert 0 < claim.wait <= 2.0  # the task is enqueued with this short countdown
    assert perform_attempt(claim.attempt_id).outcome == "published"
    (variant,) = variants_of(post)
    assert variant.published_at >= at
