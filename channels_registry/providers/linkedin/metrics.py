"""LinkedIn: account and post metrics."""

from __future__ import annotations

from datetime import date, timedelta

from ..base import (
    Credentials,
    DailyAccountMetrics,
    PostMetrics,
)
from ..budgets import linkedin_budgets, spend
from .client import (
    _day_start_ms,
    _enc,
    _from_ms,
    _int,
)


class LinkedInMetrics:
    """LinkedIn's account and post metrics (a part of ``LinkedInProvider``).

    Each call takes the organization's and the app's daily budgets first (``budgets``: LinkedIn's
    per-member and per-application daily limits, reset 00:00 UTC, unpublished: set them in
    ``ProviderConfig.extra``)."""

    def _metrics_json(self, credentials: Credentials, account_id: str, path: str, query: str):
        spend(*linkedin_budgets(self.config.extra, account_id))
        return self._get_json(path, credentials, query=query)

    # --- metrics ----------------------------------------------------------------------------
    @staticmethod
    def _time_intervals(start_ms: int, end_ms: int) -> str:
        return f"timeIntervals=(timeRange:(start:{start_ms},end:{end_ms}),timeGranularityType:DAY)"

    def fetch_account_metrics(
        self, credentials: Credentials, account_id: str, since: date, until: date
    ) -> list[DailyAccountMetrics]:
        org = self._org_urn(account_id)
        start_ms, end_ms = _day_start_ms(since), _day_start_ms(until + timedelta(days=1))
        data = self._metrics_json(
            credentials,
            account_id,
            "organizationalEntityShareStatistics",
            f"q=organizationalEntity&organizationalEntity={_enc(org)}&{self._time_intervals(start_ms, end_ms)}",
        )
        by_day: dict[date, DailyAccountMetrics] = {}
        for element in data.get("elements") or []:
            start = _from_ms((element.get("timeRange") or {}).get("start"))
            if start is None:
                continue
            day = start.date()
            stats = element.get("totalShareStatistics") or {}
            parts = [
                _int(stats.get(k))
                for k in ("clickCount", "likeCount", "commentCount", "shareCount")
            ]
            by_day[day] = DailyAccountMetrics(
                day=day,
                impressions=_int(stats.get("impressionCount")),
                reach=_int(stats.get("uniqueImpressionsCount")),
                engagements=sum(p for p in parts if p is not None)
                if any(p is not None for p in parts)
                else None,
            )
        day = since
        while day <= until:
            by_day.setdefault(day, DailyAccountMetrics(day=day))
            day += timedelta(days=1)
        self._fill_followers(credentials, org, by_day, since, account_id)
        return [by_day[d] for d in sorted(by_day)]

    def _fill_followers(
        self,
        credentials: Credentials,
        org: str,
        by_day: dict[date, DailyAccountMetrics],
        since: date,
        account_id: str = "",
    ) -> None:
        """Followers at the end of each day = today's network size minus the gains after that day."""
        size = self._metrics_json(
            credentials,
            account_id or org,
            f"networkSizes/{_enc(org)}",
            "edgeType=COMPANY_FOLLOWED_BY_MEMBER",
        )
        current = _int(size.get("firstDegreeSize"))
        if current is None:
            return
        today = self._utcnow().date()
        gains: dict[date, int] = {}
        if since < today:
            data = self._metrics_json(
                credentials,
                account_id or org,
                "organizationalEntityFollowerStatistics",
                (
                    f"q=organizationalEntity&organizationalEntity={_enc(org)}&"
                    f"{self._time_intervals(_day_start_ms(since), _day_start_ms(today + timedelta(days=1)))}"
                ),
            )
            for element in data.get("elements") or []:
                start = _from_ms((element.get("timeRange") or {}).get("start"))
                if start is None:
                    continue
                g = element.get("followerGains") or {}
                gains[start.date()] = (_int(g.get("organicFollowerGain")) or 0) + (
                    _int(g.get("paidFollowerGain")) or 0
                )
        for day, metrics in by_day.items():
            if day > today:
                continue
            later = sum(n for d, n in gains.items() if d > day)
            metrics.followers = current - later

    def fetch_post_metrics(
        self, credentials: Credentials, account_id: str, external_ids: list[str]
    ) -> list[PostMetrics]:
        org = self._org_urn(account_id)
        groups = {
            "shares": [u for u in external_ids if u.startswith("urn:li:share:")],
            "ugcPosts": [u for u in external_ids if u.startswith("urn:li:ugcPost:")],
        }
        found: dict[str, PostMetrics] = {}
        for param, urns in groups.items():
            for i in range(0, len(urns), 20):
                chunk = urns[i : i + 20]
                listed = ",".join(_enc(u) for u in chunk)
                data = self._metrics_json(
                    credentials,
                    account_id,
                    "organizationalEntityShareStatistics",
                    f"q=organizationalEntity&organizationalEntity={_enc(org)}&{param}=List({listed})",
                )
                for element in data.get("elements") or []:
                    urn = element.get("share") or element.get("ugcPost")
                    if not urn:
                        continue
                    stats = element.get("totalShareStatistics") or {}
                    found[str(urn)] = PostMetrics(
                        external_id=str(urn),
                        impressions=_int(stats.get("impressionCount")),
                        reach=_int(stats.get("uniqueImpressionsCount")),
                        likes=_int(stats.get("likeCount")),
                        comments=_int(stats.get("commentCount")),
                        shares=_int(stats.get("shareCount")),
                        clicks=_int(stats.get("clickCount")),
                    )
        return [found[u] for u in external_ids if u in found]
