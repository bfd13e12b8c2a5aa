"""The metrics budgets (channels_registry.providers.budgets): no window of the limit's length ever
lets more than the limit through, and Meta's own usage headers stop a fetch near its limit."""

from __future__ import annotations

import pytest

from channels_registry.providers import budgets
from channels_registry.providers.errors import RateLimited
from socialops import egress


@pytest.fixture
def clock(monkeypatch):
    from django.core.cache import cache

    cache.clear()

    class Clock:
        now = 1_000_000.0

        def time(self):
            return self.now

    fake = Clock()
    monkeypatch.setattr(egress, "time", fake)
    return fake


def test_a_window_budget_never_lets_more_than_the_limit_through_in_any_window(clock):
    limit, window = 40, 3600
    budget = budgets.window_budget("test:acct", limit, window)
    allowed = []
    for _ in range(4 * window // 10):  # a call attempt every 10 s for four windows
        try:
            budget.take()
            allowed.append(clock.now)
        except RateLimited as exc:
            assert exc.retry_after > 0
        clock.now += 10
    worst = max(sum(1 for t in allowed if start <= t < start + window) for start in allowed)
    assert worst <= limit
    assert len(allowed) >= 2 * limit  # it is a budget, not a wall: about half the rate flows


def test_meta_usage_near_a_limit_stops_with_metas_own_wait():
    budgets.meta_usage_wait({"app": {"call_count": 50}})  # well under: nothing happens
    with pytest.raises(RateLimited) as caught:
        budgets.meta_usage_wait(
            {
                "business": {
                    "123": [
                        {"type": "pages", "call_count": 97, "estimated_time_to_regain_access": 7}
                    ]
                }
            }
        )
    assert caught.value.retry_after == 7 * 60
    with pytest.raises(RateLimited) as caught:
        budgets.meta_usage_wait({"app": {"call_count": 20, "total_time": 99}})
    assert caught.value.retry_after == 3600
