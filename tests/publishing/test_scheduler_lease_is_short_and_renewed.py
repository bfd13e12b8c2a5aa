"""A claim's lease is short and only its live worker renews it (issue 11, item 13).

The worker batch that picks a claim up stamps it with its own token; it renews the lease every
third of a lease while it works, so a dead worker's claims are taken back within one lease while
a live (slow) worker's never are. A renewal never revives a lease that lapsed, and a worker whose
claim was taken over does not send it.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from channels_registry.providers.sandbox import SandboxProvider
from publishing.models import PostVariant, PublishAttempt
from publishing.scheduler import services as scheduling
from publishing.scheduler.dispatch import claim_due, recover_lapsed_leases

from .scheduler_factories import (
    make_post,
    network_posts,
    no_lookahead,
    reload,
    sandbox_channels,
    tick,
    variants_of,
)

V = PostVariant.Status


@pytest.fixture
def one_due(org_a, alice, alice_m, monkeypatch):
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    scheduling.publish_now(post, by=alice_m)
    return kitchen, post


def _owner(post) -> str:
    (variant,) = variants_of(post)
    return variant.lease_owner


@pytest.mark.django_db
def test_the_lease_is_half_a_minute_and_a_picked_up_claim_belongs_to_its_batch(one_due):
    _kitchen, post = one_due
    (claim,) = claim_due()
    assert _owner(post) == ""  # waiting in the broker: nobody's yet
    assert scheduling.lease_duration() == timedelta(seconds=30)
    assert scheduling.pick_up([claim.attempt_id], "a" * 32) == 1
    assert scheduling.pick_up([claim.attempt_id], "b" * 32) == 0  # a second delivery gets nothing
    assert _owner(post) == "a" * 32


@pytest.mark.django_db
def test_a_live_worker_renews_its_lease_so_its_claim_is_never_taken_back(one_due):
    kitchen, post = one_due
    (claim,) = claim_due()
    start = timezone.now()
    scheduling.pick_up([claim.attempt_id], "live", now=start)
    (variant,) = variants_of(post)
    for second in (10, 20, 30, 40):  # the keeper's rhythm: every third of a lease
        assert (
            scheduling.renew_leases("live", [variant.pk], now=start + timedelta(seconds=second))
            == 1
        )
    assert recover_lapsed_leases(now=start + timedelta(seconds=65)) == 0
    assert reload(variant).status == V.PUBLISHING and reload(variant).lease_owner == "live"
    assert (
        recover_lapsed_leases(now=start + timedelta(seconds=71)) == 1
    )  # it stopped renewing: it died


@pytest.mark.django_db
def test_a_renewal_never_revives_a_lease_that_lapsed_and_was_taken_back(one_due):
    kitchen, post = one_due
    (claim,) = claim_due()
    start = timezone.now()
    scheduling.pick_up([claim.attempt_id], "slow", now=start)
    (variant,) = variants_of(post)
    assert (
        scheduling.renew_leases("slow", [variant.pk], now=start + timedelta(seconds=31)) == 0
    )  # lapsed
    assert recover_lapsed_leases(now=start + timedelta(seconds=31)) == 1
    assert scheduling.renew_leases("slow", [variant.pk], now=start + timedelta(seconds=32)) == 0
    assert reload(variant).status == V.SCHEDULED


@pytest.mark.django_db
def test_a_worker_whose_claim_was_taken_over_while_it_stalled_does_not_send_it(
    one_due, monkeypatch
):
    """The worker picks the claim up, then stalls past its lease (no renewal); the claim is taken
    back and published by another worker; when the stalled one wakes up it sends nothing."""
    kitchen, post = one_due
    (claim,) = claim_due()
    real_wait = scheduling.seconds_until_due
    stalled = []

    def stall_then_wake(variant, **kw):
        if not stalled:  # only the first worker stalls, right before its take
            stalled.append(variant.lease_owner)
            later = timezone.now() + timedelta(seconds=31)
            assert recover_lapsed_leases(now=later) == 1  # taken back (never sent: released)
            assert [r.outcome for r in tick(later)] == ["published"]  # another worker sends it
            return 0
        return real_wait(variant, **kw)

    monkeypatch.setattr(scheduling, "seconds_until_due", stall_then_wake)
    with no_lookahead():
        (result,), _left = scheduling.perform_attempts([claim.attempt_id])
    assert (
        result.outcome == PublishAttempt.Outcome.ABANDONED or result.detail == "in flight elsewhere"
    )
    assert len(network_posts(kitchen)) == 1
    assert scheduling.renew_leases(stalled[0], [variants_of(post)[0].pk]) == 0
    assert reload(variants_of(post)[0]).status == V.PUBLISHED


@pytest.mark.django_db
def test_a_second_delivery_of_a_batch_does_nothing_while_the_first_holds_it(one_due):
    kitchen, post = one_due
    (claim,) = claim_due()
    scheduling.pick_up([claim.attempt_id], "first")
    with no_lookahead():
        (result,), _left = scheduling.perform_attempts([claim.attempt_id])
    assert result.detail == "held by another worker: nothing to do"
    assert network_posts(kitchen) == []
    assert (
        PublishAttempt.objects.for_org(post.organization_id).get().outcome
        == PublishAttempt.Outcome.RUNNING
    )


@pytest.mark.django_db(transaction=True)
def test_the_lease_keeper_renews_the_lease_while_a_slow_network_call_runs(
    org_a, alice, alice_m, monkeypatch
):
    """A real keeper thread: a 3 s lease and a 4 s network call. Without renewals the lease would
    lapse mid-call and the dispatcher would take the claim back while it is being sent."""
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    scheduling.publish_now(post, by=alice_m)
    real_publish = SandboxProvider.publish
    taken_back = []

    def slow_publish(self, credentials, account_id, request):
        time.sleep(4)  # past the 3 s lease: only the keeper's renewals keep it
        taken_back.append(recover_lapsed_leases())
        return real_publish(self, credentials, account_id, request)

    monkeypatch.setattr(SandboxProvider, "publish", slow_publish)
    with override_settings(PUBLISHING_LEASE_SECONDS=3), no_lookahead():
        (claim,) = claim_due()
        (result,), _left = scheduling.perform_attempts([claim.attempt_id])
    assert taken_back == [0]
    assert result.outcome == "published"
    assert len(network_posts(kitchen)) == 1
    assert reload(variants_of(post)[0]).status == V.PUBLISHED


@pytest.mark.django_db
def test_a_batch_redelivered_after_its_worker_process_died_releases_what_it_had_not_sent(
    org_a, alice, alice_m, monkeypatch
):
    """The first delivery's process took one attempt (in flight) and was killed before the next;
    the requeued message releases the untaken one at once (sent again within seconds) and leaves
    the one in flight to be settled by asking the network after its lease."""
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    kitchen, kopi = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])
    first, second = (make_post(org_a, alice, [ch], text=f"post {ch.pk}") for ch in (kitchen, kopi))
    for post in (first, second):
        scheduling.publish_now(post, by=alice_m)
    claims = claim_due()
    ids = [c.attempt_id for c in claims]
    scheduling.pick_up(ids, "killed")
    in_flight = PublishAttempt.objects.for_org(org_a).get(variant__post=first)
    PublishAttempt.objects.for_org(org_a).filter(pk=in_flight.pk).update(
        outcome=PublishAttempt.Outcome.UNCONFIRMED
    )  # taken by the killed process: maybe on the network

    with no_lookahead():
        results, _left = scheduling.perform_attempts(ids, take_over=True)
    assert {r.detail for r in results} == {
        "not claimed by this attempt: nothing to do",
        "held by another worker: nothing to do",
    }
    assert variants_of(second)[0].status == V.SCHEDULED  # released: never sent
    assert variants_of(first)[0].status == V.PUBLISHING  # in flight: not touched
    assert [r.outcome for r in tick()] == ["published"]  # the next tick sends the released one
    assert len(network_posts(kopi)) == 1 and network_posts(kitchen) == []


def test_the_batch_task_takes_over_only_when_the_broker_redelivered_its_message(monkeypatch):
    from publishing.scheduler import tasks

    seen = []
    monkeypatch.setattr(
        scheduling, "perform_attempts", lambda ids, **kw: seen.append(kw["take_over"]) or ([], [])
    )
    for info in ({"redelivered": True}, {"redelivered": False}, None):
        tasks.publish_attempts.push_request(delivery_info=info)
        try:
            tasks.publish_attempts.run([1])
        finally:
            tasks.publish_attempts.pop_request()
    assert seen == [True, False, False]
