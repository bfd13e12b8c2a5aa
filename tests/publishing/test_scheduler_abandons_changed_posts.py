"""A post edited or cancelled after its variant was claimed never goes out in its old form."""

from __future__ import annotations

import pytest

from publishing.models import Post, PostVariant, PublishAttempt
from publishing.scheduler import services as scheduling
from publishing.scheduler.dispatch import claim_due

from .scheduler_factories import (
    make_post,
    network_posts,
    reload,
    run_worker,
    sandbox_channels,
    tick,
    variants_of,
)

pytestmark = pytest.mark.django_db


def test_an_edit_after_the_claim_abandons_the_old_attempt_and_the_new_version_goes_out(
    org_a, alice, alice_m
):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen], text="Old text with a typo")
    scheduling.publish_now(post, by=alice_m)
    pairs = claim_due()
    # The author fixes the typo while the task waits in the queue (authoring bumps the version).
    Post.objects.for_org(org_a).filter(pk=post.pk).update(
        text="New text, fixed", version=post.version + 1
    )

    (result,) = run_worker(pairs)
    assert result.outcome == PublishAttempt.Outcome.ABANDONED
    assert network_posts(kitchen) == []
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.SCHEDULED and variant.claimed_attempt_id is None

    (result,) = tick()
    assert result.outcome == "published"
    (sent,) = network_posts(kitchen)
    assert sent.text == "New text, fixed"
    attempts = list(PublishAttempt.objects.for_org(org_a).order_by("number"))
    assert [(a.content_version, a.outcome) for a in attempts] == [
        (1, "abandoned"),
        (2, "published"),
    ]


def test_a_cancel_after_the_claim_publishes_nothing(org_a, alice, alice_m):
    kitchen, kopi = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])
    post = make_post(org_a, alice, [kitchen, kopi])
    scheduling.publish_now(post, by=alice_m)
    pairs = claim_due()
    scheduling.cancel_post(reload(post), by=alice_m)

    results = run_worker(pairs)
    assert {r.outcome for r in results} == {PublishAttempt.Outcome.ABANDONED}
    assert network_posts(kitchen) == [] and network_posts(kopi) == []
    assert {v.status for v in variants_of(post)} == {PostVariant.Status.CANCELLED}
    assert reload(post).status == Post.Status.CANCELLED
    assert tick() == []


def test_sending_a_post_back_to_review_after_the_claim_publishes_nothing(org_a, alice, alice_m):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    scheduling.publish_now(post, by=alice_m)
    pairs = claim_due()
    Post.objects.for_org(org_a).filter(pk=post.pk).update(status=Post.Status.IN_REVIEW)
    run_worker(pairs)
    assert network_posts(kitchen) == []
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.DRAFT


def test_unscheduling_returns_the_post_to_draft_and_nothing_goes_out(org_a, alice, alice_m):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    scheduling.schedule_post(
        post,
        by=alice_m,
        at=scheduling.timezone.now() + scheduling.timedelta(minutes=5),
        timezone_name="UTC",
    )
    scheduling.unschedule_post(reload(post), by=alice_m)
    post = reload(post)
    assert post.status == Post.Status.DRAFT and post.scheduled_at is None
    assert tick(scheduling.timezone.now() + scheduling.timedelta(minutes=10)) == []
    assert network_posts(kitchen) == []


def test_a_post_cancelled_while_its_outcome_is_unknown_is_not_sent_again(
    org_a, alice, alice_m, monkeypatch
):
    from channels_registry.providers import errors
    from channels_registry.providers.sandbox import SandboxProvider

    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    scheduling.publish_now(post, by=alice_m)
    pairs = claim_due()

    def lost_answer(self, credentials, account_id, request):
        scheduling.cancel_post(reload(post), by=alice_m)  # cancelled while the call is in flight
        raise errors.UnknownOutcome("connection reset")  # and it never reached the network

    monkeypatch.setattr(SandboxProvider, "publish", lost_answer)
    run_worker(pairs)
    tick()  # settle: not on the network, and the post is cancelled: nothing more
    assert tick() == [] and network_posts(kitchen) == []
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.CANCELLED
