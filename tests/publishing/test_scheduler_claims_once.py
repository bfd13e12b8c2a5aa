"""A due variant is claimed exactly once, even when two dispatchers run at the same moment."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from publishing.models import PostVariant, PublishAttempt
from publishing.scheduler import dispatch
from publishing.scheduler import services as scheduling

from .scheduler_factories import (
    make_post,
    network_posts,
    reload,
    run_worker,
    sandbox_channels,
    variants_of,
)

pytestmark = pytest.mark.django_db


def test_two_dispatchers_that_saw_the_same_due_row_claim_it_once(
    org_a, alice, alice_m, monkeypatch
):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    scheduling.publish_now(post, by=alice_m)

    # Simulate the race on SQLite: the second dispatcher read the candidates before the first
    # one's claim committed (it sees a stale "scheduled" row), then tries to claim it.
    stale = list(dispatch._candidates(scheduling.timezone.now(), 10))
    first = dispatch.claim_due()
    monkeypatch.setattr(dispatch, "_candidates", lambda now, limit: stale)
    second = dispatch.claim_due() if connection.vendor != "postgresql" else []

    assert len(first) == 1 and second == []
    assert PublishAttempt.objects.for_org(org_a).count() == 1
    run_worker(first + first)  # the message delivered twice
    assert len(network_posts(kitchen)) == 1
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.PUBLISHED


def test_a_dispatcher_running_twice_in_a_row_does_not_claim_a_claimed_variant(
    org_a, alice, alice_m
):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    scheduling.publish_now(post, by=alice_m)
    assert len(dispatch.claim_due()) == 1
    assert dispatch.claim_due() == []
    (variant,) = variants_of(post)
    assert variant.status == PostVariant.Status.PUBLISHING and variant.claimed_attempt_id
    assert variant.lease_expires_at > reload(variant).updated_at


@pytest.mark.skipif(connection.vendor != "postgresql", reason="skip_locked needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_dispatchers_on_postgresql_skip_each_others_locked_rows(
    org_a, alice, alice_m, monkeypatch
):
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)  # the test is the dispatcher
    channels = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-kopi", "sbx-promo"])
    for i in range(20):
        post = make_post(org_a, alice, channels, text=f"post {i}")
        scheduling.publish_now(post, by=alice_m)
    results: list[list] = []
    barrier = threading.Barrier(4)

    def worker():
        barrier.wait()
        try:
            results.append(dispatch.claim_due(limit=15))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [c.variant_id for batch in results for c in batch]
    claimed += [c.variant_id for c in dispatch.claim_due(limit=100)]  # what all four skipped
    assert len(claimed) == len(set(claimed)) == 60
    assert PublishAttempt.objects.for_org(org_a).count() == 60


def test_two_workers_that_both_read_the_attempt_as_new_send_it_once(org_a, alice, alice_m):
    from publishing.scheduler.services import _Batch, _load, _publish, _record_published_many

    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    scheduling.publish_now(post, by=alice_m)
    (claim,) = dispatch.claim_due()
    first, second = _load(claim.attempt_id), _load(claim.attempt_id)  # both saw "running"
    batch_1, batch_2 = _Batch(), _Batch()
    assert _publish(first, batch_1).outcome == "published"
    assert _publish(second, batch_2).outcome != "published"
    _record_published_many(batch_1.published)
    _record_published_many(batch_2.published)
    assert len(network_posts(kitchen)) == 1
    assert PublishAttempt.objects.for_org(org_a).get().outcome == PublishAttempt.Outcome.PUBLISHED
    assert reload(variants_of(post)[0]).status == PostVariant.Status.PUBLISHED
