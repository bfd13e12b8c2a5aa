"""Mastodon: account and post metrics."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from ..base import (
    Credentials,
    DailyAccountMetrics,
    PostMetrics,
)
from ..errors import (
    ProviderError,
)


class MastodonMetrics:
    """Mastodon's account and post metrics (a part of ``MastodonProvider``)."""

    # --- Metrics ---------------------------------------------------------------------------

    def fetch_account_metrics(
        self, credentials: Credentials, account_id: str, since: date, until: date
    ) -> list[DailyAccountMetrics]:
        """Mastodon has no history and no impressions: today's follower count, if today is asked for."""
        account_id = self._account_id(credentials, account_id)
        today = datetime.now(UTC).date()
        if not since <= today <= until:
            return []
        account = self._json(self._get(credentials, account_id, f"/api/v1/accounts/{account_id}"))
        return [DailyAccountMetrics(day=today, followers=account.get("followers_count"))]

    def fetch_post_metrics(
        self, credentials: Credentials, account_id: str, external_ids: list[str]
    ) -> list[PostMetrics]:
        """Favourites, boosts and replies per status (``GET /api/v1/statuses?id[]=``, 4.3+; else one by one)."""
        account_id = self._account_id(credentials, account_id)
        statuses: list[dict[str, Any]] = []
        ids = [str(i) for i in external_ids]
        for start in range(0, len(ids), 20):
            chunk = ids[start : start + 20]
            try:
                batch = self._json(
                    self._get(
                        credentials,
                        account_id,
                        "/api/v1/statuses",
                        params=[("id[]", i) for i in chunk],
                    )
                )
                statuses += batch if isinstance(batch, list) else []
            except ProviderError as exc:
                if exc.status not in (404, 405):
                    raise
                for status_id in chunk:  # older servers: no batch endpoint
                    try:
                        statuses.append(
                            self._json(
                                self._get(credentials, account_id, f"/api/v1/statuses/{status_id}")
                            )
                        )
                    except ProviderError as inner:
                        if inner.status != 404:
                            raise
        return [
            PostMetrics(
                external_id=str(s["id"]),
                likes=s.get("favourites_count"),
                shares=s.get("reblogs_count"),
                comments=s.get("replies_count"),
            )
            for s in statuses
            if isinstance(s, dict) and s.get("id")
        ]
