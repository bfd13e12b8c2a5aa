"""What a publish costs the database, pinned: a claim batch and a worker batch cost a fixed number
of statements (plus one conditional take and the network's own statements per variant).

The sandbox network lives in the same database; its statements (look up the account, look up
the idempotency key, insert the post: three per publish) are the network's side, counted apart.
The figures hold on SQLite and PostgreSQL alike, except the claim, which on SQLite (no
``SKIP LOCKED``) wins each row with its own conditional UPDATE.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from publishing.models import PostVariant
from publishing.scheduler import dispatch
from publishing.scheduler import services as scheduling
from socialops.audit.services import verify_chain

from .scheduler_factories import make_post, network_posts, no_lookahead, sandbox_channels

pytestmark = pytest.mark.django_db

#: per publish on the network's side (the sandbox): account, idempotency key, insert
NETWORK = 3
POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def due(org_a, alice, alice_m, monkeypatch):
    """``due(n)``: n posts published now, each to the same three sandbox channels."""
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    channels = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-kopi", "sbx-promo"])

    def make(n):
        for i in range(n):
            scheduling.publish_now(make_post(org_a, alice, channels, text=f"post {i}"), by=alice_m)
        return channels

    return make


def _count(fn):
    with no_lookahead(), CaptureQueriesContext(connection) as ctx:
        out = fn()
    network = sum(
        1
        for q in ctx.captured_queries
        if "sandboxpost" in q["sql"]
        or (q["sql"].startswith("SELECT") and 'FROM "channels_registry_channel"' in q["sql"])
    )
    return out, len(ctx.captured_queries) - network, network


def test_a_claim_batch_costs_the_same_for_3_or_30_variants(due):
    due(1)
    small, small_q, _ = _count(dispatch.claim_due)
    due(10)
    large, large_q, _ = _count(dispatch.claim_due)
    assert (len(small), len(large)) == (3, 30)
    # candidates, freezes, last attempt numbers, INSERT attempts, UPDATE variants, UPDATE posts
    # (+ the savepoint pair of the test's transaction)
    assert small_q == 8 + (0 if POSTGRES else 3)
    assert large_q == 8 + (0 if POSTGRES else 30)


def test_one_attempt_alone_costs_thirteen_statements_of_ours(due):
    due(1)
    (claim, *_rest) = dispatch.claim_due()
    result, ours, network = _count(lambda: scheduling.perform_attempt(claim.attempt_id))
    assert result.outcome == "published" and network == NETWORK
    # pick-up (the batch stamps its lease token: issue 11, a short lease only its live owner
    # renews), load, credentials, media, take; then in one transaction: lock the post, the
    # attempt, the variant, the post's variants, and the audit append (lock the chain's head row,
    # then insert and move the head in one statement on PostgreSQL), and the organization's
    # webhook endpoints listening for post.published (issue 13: one SELECT, the payloads are read
    # only if one listens) — 12 on PostgreSQL (13 elsewhere), plus the savepoint pair standing for
    # BEGIN/COMMIT (was 16 before the batching work, 11 before the pick-up)
    assert ours == (12 if connection.vendor == "postgresql" else 13) + 2


def test_a_worker_batch_costs_one_take_per_variant_plus_a_fixed_part(org_a, due):
    channels = due(4)
    claims = dispatch.claim_due()
    first, second = [c.attempt_id for c in claims[:3]], [c.attempt_id for c in claims[3:]]
    (results, left), ours_3, net_3 = _count(lambda: scheduling.perform_attempts(first))
    (results9, _), ours_9, net_9 = _count(lambda: scheduling.perform_attempts(second))
    assert [r.outcome for r in results + results9] == ["published"] * 12 and left == []
    assert (net_3, net_9) == (3 * NETWORK, 9 * NETWORK)
    # fixed: pick-up (one UPDATE stamping the batch's lease token, whatever the batch's size),
    # load, media, one credentials read per channel (3), lock posts, UPDATE attempts, UPDATE
    # variants, the posts' variants, UPDATE posts, webhook endpoints listening (1), audit append (2
    # on PostgreSQL: lock the head, insert and move it in one statement; 3 elsewhere) + savepoint
    # pair; then one conditional take per variant. (The lease keeper renews nothing in a batch
    # this short.)
    audit = 2 if connection.vendor == "postgresql" else 3
    fixed = 1 + 1 + 1 + 3 + 1 + 1 + 1 + 1 + 1 + 1 + audit + 2
    assert ours_3 == fixed + 3
    assert ours_9 == fixed + 9
    assert all(len(network_posts(ch)) == 4 for ch in channels)
    assert PostVariant.objects.for_org(org_a).filter(status="published").count() == 12
    assert verify_chain(org_a).ok
