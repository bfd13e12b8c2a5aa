"""Bluesky: account and post metrics."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from ..base import (
    Credentials,
    DailyAccountMetrics,
    PostMetrics,
)
from ..budgets import bluesky_budget, spend
from .client import (
    GET_POSTS_MAX,
)


class BlueskyMetrics:
    """Bluesky's account and post metrics (a part of ``BlueskyProvider``).

    Each call takes the app's budget first (``budgets.bluesky_budget``: Bluesky's PDS / AppView
    allow 3,000 requests / 5 min per IP; reads have no per-account limit)."""

    # ===== Metrics =========================================================================================

    def fetch_account_metrics(
        self, credentials: Credentials, account_id: str, since: date, until: date
    ) -> list[DailyAccountMetrics]:
        """Bluesky has no history or impressions: today's follower count, when today is in range."""
        did = self._did(credentials, account_id)
        today = datetime.now(UTC).date()
        if not since <= today <= until:
            return []
        spend(bluesky_budget())
        profile = self._xrpc(credentials, "GET", "app.bsky.actor.getProfile", params={"actor": did})
        return [DailyAccountMetrics(day=today, followers=profile.get("followersCount"))]

    def fetch_post_metrics(
        self, credentials: Credentials, account_id: str, external_ids: list[str]
    ) -> list[PostMetrics]:
        did = self._did(credentials, account_id)
        uris = [str(self._post_uri(did, e)) for e in external_ids]
        views = self._get_posts(credentials, uris)
        metrics = []
        for external_id, uri in zip(external_ids, uris, strict=True):
            view = views.get(uri)
            if view is None:
                continue
            reposts, quotes = view.get("repostCount"), view.get("quoteCount")
            metrics.append(
                PostMetrics(
                    external_id=external_id,
                    likes=view.get("likeCount"),
                    comments=view.get("replyCount"),
                    shares=(reposts or 0) + (quotes or 0)
                    if reposts is not None or quotes is not None
                    else None,
                    saves=view.get("bookmarkCount"),
                )
            )
        return metrics

    def _get_posts(self, credentials: Credentials, uris: list[str]) -> dict[str, dict[str, Any]]:
        views: dict[str, dict[str, Any]] = {}
        for i in range(0, len(uris), GET_POSTS_MAX):
            spend(bluesky_budget())
            body = self._xrpc(
                credentials,
                "GET",
                "app.bsky.feed.getPosts",
                params={"uris": uris[i : i + GET_POSTS_MAX]},
            )
            for view in body.get("posts") or []:
                if isinstance(view, dict) and view.get("uri"):
                    views[view["uri"]] = view
        return views
