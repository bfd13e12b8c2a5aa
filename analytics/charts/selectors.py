"""Reads for the charts: the rollups per day (never the raw metric rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..selectors import SUMMED, DateRange

#: the metrics a daily series can show
DAILY_METRICS = ("followers", *SUMMED)


@dataclass
class DailyTotals:
    """``current[i]`` is day ``i`` of ``range``, ``previous[i]`` day ``i`` of ``previous_range``:
    ``{metric: value or None}`` (None: no channel reported it that day)."""

    range: DateRange
    previous_range: DateRange
    current: list[dict[str, int | None]]
    previous: list[dict[str, int | None]]

    def days(self) -> list[date]:
        return [self.range.since + timedelta(days=i) for i in range(self.range.days)]


def daily_totals(organization, channel_ids: list[int], rng: DateRange) -> DailyTotals:
    """The channels' rollups summed per day over ``rng`` and the period before it: one query
    (the ``channelday_org_day`` index: organization, day, channel). ``followers`` is the sum of the
    counts reported that day."""
    from django.db.models import Sum

    from ..models import ChannelDay

    prev = rng.previous()
    by_day: dict[date, dict] = {}
    if channel_ids:
        rows = (
            ChannelDay.objects.for_org(organization)
            .filter(channel_id__in=channel_ids, day__gte=prev.since, day__lte=rng.until)
            .order_by()
            .values("day")
            .annotate(**{m: Sum(m) for m in DAILY_METRICS})
        )
        by_day = {r["day"]: r for r in rows}

    def series(period: DateRange) -> list[dict[str, int | None]]:
        out = []
        for i in range(period.days):
            r = by_day.get(period.since + timedelta(days=i), {})
            out.append({m: r.get(m) for m in DAILY_METRICS})
        return out

    return DailyTotals(range=rng, previous_range=prev, current=series(rng), previous=series(prev))
