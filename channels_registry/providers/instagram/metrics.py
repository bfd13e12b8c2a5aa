"""Instagram: account and post metrics."""

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
    parse_time,
)
from .client import (
    MEDIA_INSIGHTS,
    _int,
)


class InstagramMetrics:
    """Instagram's account and post metrics (a part of ``InstagramProvider``).

    Every call takes the account's budget first (``budgets.meta_budget``: the Instagram Platform
    Business Use Case limit, 4,800 calls / 24 h per account at its floor) and stops when Meta's
    usage headers near a limit."""

    def _metrics_get(self, api: str, account_id: str, path: str, token: str, params=None):
        meta_usage_wait(self.last_usage)
        spend(meta_budget("instagram", account_id))
        return self.graph_get(api, path, token, params)

    # --- metrics -------------------------------------------------------------------------------
    def fetch_account_metrics(
        self, credentials: Credentials, account_id: str, since: date, until: date
    ) -> list[DailyAccountMetrics]:
        """Daily reach (time series), then per day views / total_interactions / profile_views as
        ``metric_type=total_value`` (that form sums a range, so one call per day); followers now."""
        api, token = self._api(credentials), credentials.access_token
        max_days = int(self.config.extra.get("max_metric_days", 31))
        if (until - since).days + 1 > max_days:
            since = until - timedelta(days=max_days - 1)
        days = {
            since + timedelta(days=i): DailyAccountMetrics(day=since + timedelta(days=i))
            for i in range((until - since).days + 1)
        }
        series = self._metrics_get(
            api,
            account_id,
            f"{account_id}/insights",
            token,
            {
                "metric": "reach",
                "period": "day",
                "since": day_start(since),
                "until": day_start(until + timedelta(days=1)),
            },
        )
        for metric in series.get("data") or []:
            if metric.get("name") != "reach":
                continue
            for value in metric.get("values") or []:
                moment = parse_time(value.get("end_time"))
                day = (moment - timedelta(days=1)).date() if moment else None
                if day in days:
                    days[day].reach = _int(value.get("value"))
        for day, row in days.items():
            totals = self._metrics_get(
                api,
                account_id,
                f"{account_id}/insights",
                token,
                {
                    "metric": "views,total_interactions,profile_views",
                    "metric_type": "total_value",
                    "period": "day",
                    "since": day_start(day),
                    "until": day_start(day + timedelta(days=1)),
                },
            )
            for metric in totals.get("data") or []:
                value = _int((metric.get("total_value") or {}).get("value"))
                if metric.get("name") == "views":
                    row.impressions = value
                elif metric.get("name") == "total_interactions":
                    row.engagements = value
                elif metric.get("name") == "profile_views":
                    row.profile_views = value
        profile = self._metrics_get(
            api, account_id, account_id, token, {"fields": "followers_count"}
        )
        if profile.get("followers_count") is not None:
            days[until].followers = int(profile["followers_count"])
        return [days[d] for d in sorted(days)]

    def fetch_post_metrics(
        self, credentials: Credentials, account_id: str, external_ids: list[str]
    ) -> list[PostMetrics]:
        """``views`` (which replaced impressions and plays in 2025) is reported as impressions."""
        api, token = self._api(credentials), credentials.access_token
        results = []
        for media_id in external_ids:
            body = self._metrics_get(
                api, account_id, f"{media_id}/insights", token, {"metric": MEDIA_INSIGHTS}
            )
            values: dict[str, int | None] = {}
            for metric in body.get("data") or []:
                if metric.get("total_value") is not None:
                    values[metric.get("name")] = _int(
                        (metric.get("total_value") or {}).get("value")
                    )
                else:
                    values[metric.get("name")] = _int(
                        ((metric.get("values") or [{}])[0]).get("value")
                    )
            results.append(
                PostMetrics(
                    external_id=media_id,
                    impressions=values.get("views"),
                    reach=values.get("reach"),
                    likes=values.get("likes"),
                    comments=values.get("comments"),
                    shares=values.get("shares"),
                    saves=values.get("saved"),
                )
            )
        return results
