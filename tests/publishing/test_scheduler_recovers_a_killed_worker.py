"""A claim whose message was lost, or whose worker was killed mid-call, is taken back after one short
lease (tens of seconds) and goes out exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_registry.providers.sandbox import SandboxProvider
from publishing.models import PostVariant, PublishAttempt
from publishing.scheduler import services as scheduling
from publishing.scheduler.dispatch import claim_due, recover_lapsed_leases

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


def test_a_claim_whose_message_was_lost_is_claimed_again_within_half_a_minute_without_asking_the_network(
    org_a, alice, alice_m, monkeypatch
):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    scheduling.publish_now(post, by=alice_m)
    lost = claim_due()  # the message is lost (a broker restarted empty): no worker runs it
    assert len(lost) == 1

    assert tick() == []  # the lease has not lapsed yet: nobody touches it
    asked = []
    real_find = SandboxProvider.find_existing
    monkeypatch.setattr(
        SandboxProvider, "find_existing", lambda *a, **kw: asked.append(a) or real_find(*a, **kw)
    )
    # 31 s, not 5 minutes (issue 11): a claim nobody picked up is taken back after one short lease
    later = timezone.now() + timedelta(seconds=31)
    assert recover_lapsed_leases(now=later) == 1
    (variant,) = variants_of(post)
    # never taken for the network call, so the network cannot have it: released, not "unconfirmed"
    assert variant.status == PostVariant.Status.SCHEDULED and variant.attempts_count == 0
    first = PublishAttempt.objects.for_org(org_a).get()
    assert first.outcome == PublishAttempt.Outcome.ABANDONED

    published = tick(later)  # claimed again with a new attempt and published at once
    assert [r.outcome for r in published] == ["published"]
    assert asked == []  # no settling round trip for a claim that was never sent
    assert len(network_posts(kitchen)) == 1
    assert PublishAttempt.objects.for_org(org_a).count() == 2
    run_worker(lost)  # the lost message turns up after all: nothing happens twice
    assert len(network_posts(kitchen)) == 1
    assert reload(variant).status == PostVariant.Status.PUBLISHED
    assert reload(variant).attempts_count == 1


def test_a_worker_killed_during_the_network_call_is_settled_without_a_second_post(
    org_a, alice, alice_m, monkeypatch
):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    scheduling.publish_now(post, by=alice_m)
    real_publish = SandboxProvider.publish

    class Killed(BaseException):
        pass

    def publish_then_die(self, credentials, account_id, request):
        real_publish(self, credentials, account_id, request)  # the network got it …
        raise Killed  # … and the worker process died before recording anything

    monkeypatch.setattr(SandboxProvider, "publish", publish_then_die)
    pairs = claim_due()
    with pytest.raises(Killed):
        run_worker(pairs)
    monkeypatch.setattr(SandboxProvider, "publish", real_publish)
    assert len(network_posts(kitchen)) == 1
    attempt = PublishAttempt.objects.for_org(org_a).get()
    assert (
        attempt.outcome == PublishAttempt.Outcome.UNCONFIRMED and attempt.finished_at is None
    )  # in flight

    run_worker(
        pairs
    )  # the broker redelivers (acks_late): the attempt is in flight, nothing is sent
    assert len(network_posts(kitchen)) == 1

    later = timezone.now() + timedelta(
        seconds=31
    )  # one short lease: the dead worker renews nothing
    results = tick(later)
    assert [r.outcome for r in results] == ["published"]
    assert len(network_posts(kitchen)) == 1
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.PUBLISHED
    assert variant.external_id == network_posts(kitchen)[0].external_id
