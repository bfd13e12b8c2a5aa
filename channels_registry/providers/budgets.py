"""The networks' documented read limits for the metrics calls, as our own rate budgets.

Each metrics call takes its budgets (``spend``) before it is sent: per account, and per app where
the network documents an app-wide limit. A spent budget raises ``RateLimited`` with the wait, which
analytics turns into a backoff that keeps every stored number (``analytics.services``).

A token bucket of ``limit`` tokens refilled at ``limit`` per window lets ``2 × limit`` through in one
window (a full bucket, then the refill). :func:`window_budget` therefore holds half the limit and
refills half the limit per window: at most ``limit`` calls in ANY window of that length, sliding
(Meta's 24 h) or fixed (LinkedIn's midnight UTC, Mastodon's 5 min), at half the documented
sustained rate, which the metrics sweep (a few calls per channel a day) never needs.

The limits (API-NOTES.md and the networks' pages, as read for issue 16):

- Facebook Pages with a Page token: Business Use Case limit, calls in 24 h (sliding) per Page =
  4,800 × engaged users (developers.facebook.com/docs/graph-api/overview/rate-limiting, "Pages";
  error 80001, header ``X-Business-Use-Case-Usage``). Engaged users are unknown here: 1 is the floor.
- Instagram (Instagram Platform, BUC): calls in 24 h per Instagram professional account =
  4,800 × impressions (same page, "Instagram Platform"; error 80002). Floor of 1 again.
  Meta's own usage headers are honoured too: :func:`meta_usage_wait` stops at 95 %.
- X API v2 with a user token (docs.x.com/x-api/fundamentals/rate-limits): ``GET /2/tweets``
  5,000 / 15 min per user (3,500 per app applies to app-only Bearer tokens, which we do not use);
  ``GET /2/users/me`` 75 / 15 min per user.
- LinkedIn (learn.microsoft.com/linkedin/shared/api-guide/concepts/rate-limits): a daily limit per
  application and per member, reset at 00:00 UTC, "not published in documentation" (the Developer
  Portal's Analytics tab shows them). Ours come from ``ProviderConfig.extra``
  (``metrics_daily_per_account``, ``metrics_daily_per_app``); the defaults are deliberately low.
- Bluesky (docs.bsky.app/docs/advanced-guides/rate-limits): reads have no per-account limit; the
  PDS / AppView allow 3,000 requests / 5 min per IP, one budget for the whole app.
- Mastodon keeps its client's budgets (300 / 5 min per account, mastodon/client.py).
"""

from __future__ import annotations

from typing import Any

from ..http import Budget
from .errors import RateLimited
from .meta.errors import max_usage_percent

DAY = 24 * 3600

META_PER_ACCOUNT_24H = 4800
X_TWEETS_PER_USER_15MIN = 5000
X_ME_PER_USER_15MIN = 75
LINKEDIN_DAILY_PER_ACCOUNT = 2000
LINKEDIN_DAILY_PER_APP = 100_000
BLUESKY_PER_IP_5MIN = 3000
#: Meta's usage headers: stop at this share of any limit they report
META_USAGE_STOP = 95.0


def window_budget(key: str, limit: int, seconds: int) -> Budget:
    """A budget that lets at most ``limit`` calls through in any ``seconds`` long window."""
    return Budget(f"metrics:{key}", capacity=max(1, limit // 2), per_seconds=seconds)


def spend(*budgets: Budget) -> None:
    """Take one call from each budget (raises ``RateLimited`` when one is spent)."""
    for budget in budgets:
        budget.take()


def meta_budget(network: str, account_id: str) -> Budget:
    return window_budget(f"{network}:{account_id}", META_PER_ACCOUNT_24H, DAY)


def meta_usage_wait(usage: dict[str, Any]) -> None:
    """Raise ``RateLimited`` when Meta's last answer said a limit is at ``META_USAGE_STOP`` %
    (``X-App-Usage`` / ``X-Business-Use-Case-Usage``), waiting what Meta estimates, else an hour."""
    if not usage or max_usage_percent(usage) < META_USAGE_STOP:
        return
    minutes = [
        float(entry.get("estimated_time_to_regain_access") or 0)
        for entries in (usage.get("business") or {}).values()
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    wait = max(minutes, default=0) * 60 or 3600.0
    raise RateLimited(
        f"Meta reports {max_usage_percent(usage):.0f}% of a rate limit used.", retry_after=wait
    )


def linkedin_budgets(extra: dict[str, Any], account_id: str) -> tuple[Budget, Budget]:
    per_account = int(extra.get("metrics_daily_per_account") or LINKEDIN_DAILY_PER_ACCOUNT)
    per_app = int(extra.get("metrics_daily_per_app") or LINKEDIN_DAILY_PER_APP)
    return (
        window_budget(f"linkedin:{account_id}", per_account, DAY),
        window_budget("linkedin:app", per_app, DAY),
    )


def bluesky_budget() -> Budget:
    return window_budget("bluesky:app", BLUESKY_PER_IP_5MIN, 300)


def x_tweets_budget(user_id: str) -> Budget:
    return window_budget(f"x:tweets:{user_id}", X_TWEETS_PER_USER_15MIN, 900)


def x_me_budget(user_id: str) -> Budget:
    return window_budget(f"x:me:{user_id}", X_ME_PER_USER_15MIN, 900)
