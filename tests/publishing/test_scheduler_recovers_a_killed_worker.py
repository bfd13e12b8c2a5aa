"""A worker killed after the claim (or mid-call) is found after its lease and settled exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_registry.providers.sandbox import SandboxProvider
from publishing.dispatch import claim_due, recover_lapsed_leases
from publishing.models import PostVariant, PublishAttempt
from publishing.services import scheduling

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


def test_a_claim_whose_task_never_ran_is_republished_once_after_the_lease(org_a, alice, alice_m):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    scheduling.publish_now(post, by=alice_m)
    lost = claim_due()  # the message is lost: no worker runs it
    assert len(lost) == 1

    assert tick() == []  # the lease has not lapsed yet: nobody touches it
    later = timezone.now() + scheduling.lease_duration() + timedelta(seconds=1)
    assert recover_lapsed_leases(now=later) == 1
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.UNCONFIRMED
    first = PublishAttempt.objects.for_org(org_a).get()
    assert first.outcome == PublishAttempt.Outcome.UNCONFIRMED

    settle = tick(later)  # asks the network: not there → a new attempt
    assert [r.outcome for r in settle] == ["failed"]
    published = tick(later)
    assert [r.outcome for r in published] == ["published"]
    assert len(network_posts(kitchen)) == 1
    assert PublishAttempt.objects.for_org(org_a).count() == 2
    run_worker(lost)  # the lost message turns up after all: nothing happens twice
    assert len(network_posts(kitchen)) == 1
    assert reload(variant).status == PostVariant.Status.PUBLISHED


def test_a_worker_killed_during_the_network_call_is_settled_without_a_second_post(org_a, alice, alice_m,
                                                                                    monkeypatch):
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
    assert attempt.outcome == PublishAttempt.Outcome.UNCONFIRMED and attempt.finished_at is None  # in flight

    run_worker(pairs)  # the broker redelivers (acks_late): the attempt is in flight, nothing is sent
    assert len(network_posts(kitchen)) == 1

    later = timezone.now() + scheduling.lease_duration() + timedelta(seconds=1)
    results = tick(later)
    assert [r.outcome for r in results] == ["published"]
    assert len(network_posts(kitchen)) == 1
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.PUBLISHED
    assert variant.external_id == network_posts(kitchen)[0].external_id
