"""The dispatcher hands workers batches of claims; each attempt keeps every guarantee of its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from publishing.models import Post, PostVariant, PublishAttempt
from publishing.scheduler import dispatch
from publishing.scheduler import services as scheduling
from socialops.audit.models import AuditEvent
from socialops.audit.services import verify_chain

from .scheduler_factories import (
    make_post,
    network_posts,
    no_lookahead,
    reload,
    sandbox_channels,
    tick,
    variants_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels(org_a, alice_m, monkeypatch):
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    return sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-kopi", "sbx-promo"])


def _publish_now(org_a, alice, alice_m, channels, n):
    posts = [make_post(org_a, alice, channels, text=f"post {i}") for i in range(n)]
    for post in posts:
        scheduling.publish_now(post, by=alice_m)
    return posts


def test_batches_keep_a_posts_variants_together(channels, org_a, alice, alice_m):
    _publish_now(org_a, alice, alice_m, channels, 5)
    with no_lookahead():
        claims = dispatch.claim_due()
    cut = dispatch.batches(claims, 4)
    assert [len(b) for b in cut] == [6, 6, 3]  # never a post split across two batches
    assert sorted(c.attempt_id for b in cut for c in b) == sorted(c.attempt_id for c in claims)


def test_every_publish_of_a_batch_gets_its_own_audit_entry_in_one_chain(
    channels, org_a, alice, alice_m
):
    posts = _publish_now(org_a, alice, alice_m, channels, 3)
    with no_lookahead():
        claims = dispatch.claim_due()
        results, left = scheduling.perform_attempts([c.attempt_id for c in claims])
    assert [r.outcome for r in results] == ["published"] * 9 and left == []
    entries = AuditEvent.objects.for_org(org_a).filter(action="post.variant_published")
    assert sorted(int(e.object_id) for e in entries) == sorted(c.variant_id for c in claims)
    assert verify_chain(org_a).ok
    assert {reload(p).status for p in posts} == {Post.Status.PUBLISHED}


def test_a_post_edited_after_the_claim_is_abandoned_in_a_batch_and_the_others_go_out(
    channels, org_a, alice, alice_m
):
    kept, edited = _publish_now(org_a, alice, alice_m, channels, 2)
    with no_lookahead():
        claims = dispatch.claim_due()
        Post.objects.for_org(org_a).filter(pk=edited.pk).update(version=edited.version + 1)
        results, _left = scheduling.perform_attempts([c.attempt_id for c in claims])
    assert sorted(r.outcome for r in results) == ["abandoned"] * 3 + ["published"] * 3
    assert all(len(network_posts(ch)) == 1 for ch in channels)
    assert {v.status for v in variants_of(edited)} == {PostVariant.Status.SCHEDULED}


def test_a_batch_redelivered_does_nothing_twice(channels, org_a, alice, alice_m):
    _publish_now(org_a, alice, alice_m, channels, 2)
    with no_lookahead():
        ids = [c.attempt_id for c in dispatch.claim_due()]
        scheduling.perform_attempts(ids)
        again, _ = scheduling.perform_attempts(ids)  # acks_late redelivery
    assert {r.detail for r in again} == {"not claimed by this attempt: nothing to do"}
    assert all(len(network_posts(ch)) == 2 for ch in channels)


def test_a_worker_killed_before_recording_its_batch_is_settled_without_second_posts(
    channels, org_a, alice, alice_m, monkeypatch
):
    posts = _publish_now(org_a, alice, alice_m, channels, 2)

    class Killed(BaseException):
        pass

    def die(items, **kw):
        raise Killed  # the network has every post of the batch; the process dies before the record

    with no_lookahead():
        ids = [c.attempt_id for c in dispatch.claim_due()]
        monkeypatch.setattr(scheduling, "_record_published_many", die)
        with pytest.raises(Killed):
            scheduling.perform_attempts(ids)
        monkeypatch.undo()
        monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
        assert all(len(network_posts(ch)) == 2 for ch in channels)
        in_flight = PublishAttempt.objects.for_org(org_a).filter(
            outcome="unconfirmed", finished_at=None
        )
        assert in_flight.count() == 6
        scheduling.perform_attempts(ids)  # redelivered: in flight elsewhere, nothing is sent
        assert all(len(network_posts(ch)) == 2 for ch in channels)
    later = timezone.now() + scheduling.lease_duration() + timedelta(seconds=1)
    assert dispatch.recover_lapsed_leases(now=later) == 6
    results = tick(later)  # settled by asking the network: found
    assert [r.outcome for r in results] == ["published"] * 6
    assert all(len(network_posts(ch)) == 2 for ch in channels)
    assert {reload(p).status for p in posts} == {Post.Status.PUBLISHED}
    assert verify_chain(org_a).ok


def test_a_batch_over_its_time_budget_hands_back_the_attempts_it_did_not_start(
    channels, org_a, alice, alice_m
):
    _publish_now(org_a, alice, alice_m, channels, 2)
    with no_lookahead():
        ids = [c.attempt_id for c in dispatch.claim_due()]
        results, left = scheduling.perform_attempts(ids, budget_seconds=-1)
        assert results == [] and sorted(left) == sorted(ids)
        results, left = scheduling.perform_attempts(left)
    assert [r.outcome for r in results] == ["published"] * 6 and left == []
