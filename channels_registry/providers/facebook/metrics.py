"""Facebook: account and post metrics."""

from __future__ import annotations

from datetime import date, timedelta

from ..base import (
    Credentials,
    DailyAccountMetrics,
    PostMetrics,
)
from ..budgets import meta_budget, meta_usage_wait, spend
from ..meta import (
    day_start,
    insight_day,
)
from .client import _number


class FacebookMetrics:
    """Facebook's account and post metrics (a part of ``FacebookProvider``).

    Every call takes the Page's budget first (``budgets.meta_budget``: the Pages Business Use
    Case limit, 4,800 calls / 24 h per Page) and stops when Meta's usage headers near a limit."""

    def _metrics_get(self, account_id: str, path: str, token: str, params=None):
        meta_usage_wait(self.last_usage)
        spend(meta_budget("facebook", account_id))
        return self.graph_get(self.api, path, token, params)

    # --- metrics -------------------------------------------------------------------------------
    def fetch_account_metrics(
        self, credentials: Credentials, account_id: str, since: date, until: date
    ) -> list[DailyAccountMetrics]:
        """Page insights with the post-2025 names (impression and fan metrics are gone):
        views ``page_media_view``, reach ``page_total_media_view_unique``, engagement
        ``page_post_engagements``; the follower total comes from ``?fields=followers_count``."""
        token = credentials.access_token
        body = self._metrics_get(
            account_id,
            f"{account_id}/insights",
            token,
            {
                "metric": "page_media_view,page_total_media_view_unique,page_post_engagements,page_daily_follows_unique",
                "period": "day",
                "since": day_start(since),
                "until": day_start(until + timedelta(days=1)),
            },
        )
        days: dict[date, DailyAccountMetrics] = {}
        field_for = {
            "page_media_view": "impressions",
            "page_total_media_view_unique": "reach",
            "page_post_engagements": "engagements",
        }
        for metric in body.get("data") or []:
            field = field_for.get(metric.get("name"))
            if not field or metric.get("period", "day") != "day":
                continue
            for value in metric.get("values") or []:
                day = insight_day(value.get("end_time"))
                if day is None or not since <= day <= until:
                    continue
                row = days.setdefault(day, DailyAccountMetrics(day=day))
                setattr(row, field, _number(value.get("value")))
        page = self._metrics_get(account_id, account_id, token, {"fields": "followers_count"})
        if page.get("followers_count") is not None:
            latest = days.setdefault(until, DailyAccountMetrics(day=until))
            latest.followers = int(page["followers_count"])
        return [days[d] for d in sorted(days)]

    def fetch_post_metrics(
        self, credentials: Credentials, account_id: str, external_ids: list[str]
    ) -> list[PostMetrics]:
        token = credentials.access_token
        results = []
        for post_id in external_ids:
            insights = self._metrics_get(
                account_id,
                f"{post_id}/insights",
                token,
                {
                    "metric": "post_media_view,post_total_media_view_unique,post_reactions_by_type_total,post_clicks",
                },
            )
            values = {
                m.get("name"): _number(((m.get("values") or [{}])[0]).get("value"))
                for m in insights.get("data") or []
            }
            node = self._metrics_get(
                account_id, post_id, token, {"fields": "shares,comments.summary(true).limit(0)"}
            )
            comments = ((node.get("comments") or {}).get("summary") or {}).get("total_count")
            results.append(
                PostMetrics(
                    external_id=post_id,
                    impressions=values.get("post_media_view"),
                    reach=values.get("post_total_media_view_unique"),
                    likes=values.get("post_reactions_by_type_total"),
                    comments=int(comments) if comments is not None else None,
                    shares=int((node.get("shares") or {}).get("count", 0)),  # absent = never shared
                    clicks=values.get("post_clicks"),
                )
            )
        return results
