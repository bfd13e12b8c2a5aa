"""At most ``PUBLISHING_MAX_WAITING`` claims wait for a worker at once (issue 11, item 13).

A claim must be picked up within its short lease, so the dispatcher does not pour a backlog of
thousands into the broker (where a broker restarted empty would lose it all): the rest stays due
in the database and is claimed as workers pick claims up.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from publishing.models import PostVariant
from publishing.scheduler import dispatch
from publishing.scheduler import services as scheduling

from .scheduler_factories import make_post, network_posts, no_lookahead, sandbox_channels

pytestmark = pytest.mark.django_db


def test_the_dispatcher_claims_no_more_than_the_cap_of_claims_waiting_for_a_worker(
    org_a, alice, alice_m, monkeypatch
):
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    enqueued = []
    monkeypatch.setattr(dispatch, "_enqueue", enqueued.extend)
    channels = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-kopi", "sbx-promo"])
    for i in range(3):
        scheduling.publish_now(make_post(org_a, alice, channels, text=f"post {i}"), by=alice_m)

    with override_settings(PUBLISHING_MAX_WAITING=4), no_lookahead():
        assert dispatch.dispatch_due() == 4  # of 9 due
        assert dispatch.waiting_claims() == 4
        assert dispatch.dispatch_due() == 0  # nobody picked them up yet
        claimed = PostVariant.objects.for_org(org_a).filter(status=PostVariant.Status.PUBLISHING)
        attempts = list(claimed.values_list("claimed_attempt_id", flat=True))
        results, _left = scheduling.perform_attempts(attempts[:3])  # a worker takes three
        assert [r.outcome for r in results] == ["published"] * 3
        assert dispatch.waiting_claims() == 1
        assert dispatch.dispatch_due() == 3
        assert dispatch.waiting_claims() == 4
    assert sum(len(network_posts(ch)) for ch in channels) == 3
