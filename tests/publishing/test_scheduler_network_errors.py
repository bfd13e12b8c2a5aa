"""How each network error is handled: settle, wait, back off, fail with the reason, mark the channel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from channels_registry.models import Channel
from channels_registry.providers import errors
from channels_registry.providers.sandbox import SandboxProvider
from publishing.models import Post, PostVariant, PublishAttempt
from publishing.scheduler import services as scheduling

from .scheduler_factories import (
    make_post,
    network_posts,
    reload,
    sandbox_channels,
    tick,
    variants_of,
)

pytestmark = pytest.mark.django_db
REAL_PUBLISH = SandboxProvider.publish


def _failing(monkeypatch, exc, *, times=1, send_first=False):
    calls = {"n": 0}

    def publish(self, credentials, account_id, request):
        calls["n"] += 1
        if calls["n"] <= times:
            if send_first:
                REAL_PUBLISH(self, credentials, account_id, request)
            raise exc
        return REAL_PUBLISH(self, credentials, account_id, request)

    monkeypatch.setattr(SandboxProvider, "publish", publish)
    return calls


@pytest.fixture
def one_post(org_a, alice, alice_m):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen], title="Weekend menu")
    scheduling.publish_now(post, by=alice_m)
    return post, kitchen


def test_an_unknown_outcome_is_settled_by_asking_the_network_not_by_posting_again(
    one_post, monkeypatch
):
    post, kitchen = one_post
    calls = _failing(monkeypatch, errors.UnknownOutcome("timed out after sending"), send_first=True)
    (first,) = tick()
    assert first.outcome == PublishAttempt.Outcome.UNCONFIRMED
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.UNCONFIRMED
    assert len(network_posts(kitchen)) == 1

    (settled,) = tick()
    assert settled.outcome == PublishAttempt.Outcome.PUBLISHED
    assert calls["n"] == 1  # publish was never called again
    assert len(network_posts(kitchen)) == 1
    variant = reload(variant)
    assert variant.status == PostVariant.Status.PUBLISHED
    assert variant.external_id == network_posts(kitchen)[0].external_id


def test_an_unknown_outcome_that_never_reached_the_network_is_sent_again_with_a_new_key(
    one_post, monkeypatch
):
    post, kitchen = one_post
    _failing(monkeypatch, errors.UnknownOutcome("connection reset"))
    tick()  # unconfirmed
    tick()  # settle: not on the network → scheduled again
    (result,) = tick()
    assert result.outcome == "published"
    assert len(network_posts(kitchen)) == 1
    keys = list(
        PublishAttempt.objects.for_org(post.organization)
        .order_by("number")
        .values_list("idempotency_key", flat=True)
    )
    assert len(keys) == 2 and len(set(keys)) == 2


def test_a_rate_limit_waits_for_the_networks_reset(one_post, monkeypatch):
    post, kitchen = one_post
    _failing(monkeypatch, errors.RateLimited(retry_after=120))
    before = timezone.now()
    (result,) = tick()
    assert result.outcome == PublishAttempt.Outcome.RETRY
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.SCHEDULED
    assert (
        before + timedelta(seconds=119)
        <= variant.next_attempt_at
        <= timezone.now() + timedelta(seconds=121)
    )
    assert tick(timezone.now() + timedelta(seconds=60)) == []
    (result,) = tick(timezone.now() + timedelta(seconds=125))
    assert result.outcome == "published" and len(network_posts(kitchen)) == 1


def test_transient_errors_back_off_exponentially_then_give_up_with_the_reason(
    one_post, monkeypatch
):
    post, kitchen = one_post
    _failing(monkeypatch, errors.TransientError("502 Bad Gateway"), times=99)
    now = timezone.now()
    waits = []
    for _ in range(scheduling.MAX_TRANSIENT_ATTEMPTS):
        (result,) = tick(now)
        (variant,) = variants_of(post)
        if variant.status == PostVariant.Status.FAILED:
            break
        waits.append((variant.next_attempt_at - variant.updated_at).total_seconds())
        now = variant.next_attempt_at + timedelta(seconds=1)
    assert len(waits) == scheduling.MAX_TRANSIENT_ATTEMPTS - 1
    assert all(b > a for a, b in zip(waits, waits[1:], strict=False))  # growing
    assert 24 <= waits[0] <= 36  # 30 s ± jitter
    (variant,) = variants_of(post)
    assert (
        variant.status == PostVariant.Status.FAILED and "502 Bad Gateway" in variant.failure_reason
    )
    assert network_posts(kitchen) == []


def test_a_permanent_rejection_fails_with_the_networks_message_and_tells_the_author(
    one_post, monkeypatch
):
    post, kitchen = one_post
    _failing(monkeypatch, errors.ContentRejected("Duplicate status: you already posted this."))
    with pytest.MonkeyPatch.context():
        (result,) = tick()
    assert result.outcome == PublishAttempt.Outcome.FAILED
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.FAILED
    assert variant.failure_reason == "Duplicate status: you already posted this."
    assert reload(post).status == Post.Status.FAILED
    assert tick() == []  # a permanent failure is not retried by itself


def test_the_failure_email_reaches_the_author_in_their_language(
    one_post, monkeypatch, alice, django_capture_on_commit_callbacks
):
    post, kitchen = one_post
    alice.language = "id"
    alice.save(update_fields=["language"])
    _failing(monkeypatch, errors.ContentRejected("Too many hashtags."))
    with django_capture_on_commit_callbacks(execute=True):
        tick()
    (message,) = mail.outbox
    assert message.to == ["alice@alpha.test"]
    assert "Too many hashtags." in message.body and "nusantara.kitchen" in message.body


def test_an_expired_authorization_fails_the_variant_and_marks_the_channel(one_post, monkeypatch):
    post, kitchen = one_post
    _failing(monkeypatch, errors.AuthExpired("Error validating access token: session expired"))
    (result,) = tick()
    assert result.outcome == PublishAttempt.Outcome.FAILED
    kitchen = Channel.objects.for_org(kitchen.organization_id).get(pk=kitchen.pk)
    assert kitchen.status == Channel.Status.NEEDS_REAUTH
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.FAILED and "reconnect" in variant.failure_reason


def test_a_pending_publish_is_polled_until_the_network_has_finished(one_post, monkeypatch):
    from channels_registry.providers.base import PublishResult

    post, kitchen = one_post

    def accept_then_process(self, credentials, account_id, request):
        done = REAL_PUBLISH(self, credentials, account_id, request)
        return PublishResult(status="pending", pending_ref=done.external_id)

    monkeypatch.setattr(SandboxProvider, "publish", accept_then_process)
    (result,) = tick()
    assert result.outcome == PublishAttempt.Outcome.PENDING
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.PENDING
    assert tick() == []  # not polled before its next poll time
    (result,) = tick(variant.next_attempt_at + timedelta(seconds=1))
    assert result.outcome == PublishAttempt.Outcome.PUBLISHED
    assert reload(variant).external_id == network_posts(kitchen)[0].external_id
    assert len(network_posts(kitchen)) == 1


def test_the_celery_tasks_are_late_acked_and_the_beat_tick_publishes(
    one_post, settings, django_capture_on_commit_callbacks
):
    from publishing.scheduler import tasks

    post, kitchen = one_post
    assert tasks.publish_attempts.acks_late and tasks.publish_attempts.reject_on_worker_lost
    assert settings.CELERY_BEAT_SCHEDULE["publishing-dispatch"]["schedule"] <= 5
    settings.PUBLISHING_DISPATCH_LOOKAHEAD_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch() == 1  # eager in tests: the publish task runs on commit
    assert len(network_posts(kitchen)) == 1
    assert reload(post).status == Post.Status.PUBLISHED
