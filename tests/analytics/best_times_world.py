"""Helpers of the best-times tests: a channel in a zone and measured published posts on it (their
``PostDay`` rollups, what ``best_time_slots`` reads)."""

from __future__ import annotations

import itertools
import zoneinfo
from datetime import UTC, date, datetime, timedelta

from analytics.models import PostDay

from ..channels.factories import bulk_channels
from .factories import published_variant

#: a Monday noon (UTC); the tests' "now"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

_ids = itertools.count(1)


def channel_in(org, zone: str = "Asia/Jakarta", *, provider: str = "sandbox"):
    (channel,) = bulk_channels(org, 1, provider=provider, timezone=zone)
    channel.external_id = f"bt-{next(_ids)}"
    channel.save(update_fields=["external_id"])
    return channel


def local(zone: str, day: date, hour: int) -> datetime:
    """``hour`` o'clock on ``day`` in ``zone``, as UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(
        UTC
    )


def measured_post(
    org,
    author,
    channel,
    *,
    at: datetime,
    engagements: int | None,
    impressions: int | None = None,
    later: int = 0,
):
    """A variant published ``at`` whose figures were fetched the day it went out, three days later
    and at the end of its first week (``engagements`` then); ``later`` more engagements a month on."""
    variant = published_variant(org, author, channel, external_id=f"ext-{next(_ids)}", at=at)
    first = at.astimezone(UTC).date()
    figures = [(0, 0.5), (3, 0.9), (6, 1.0)]
    rows = [
        PostDay(
            organization=org,
            channel=channel,
            variant=variant,
            day=first + timedelta(days=offset),
            engagements=None if engagements is None else round(engagements * share),
            impressions=None if impressions is None else round(impressions * share),
        )
        for offset, share in figures
    ]
    if later:
        rows.append(
            PostDay(
                organization=org,
                channel=channel,
                variant=variant,
                day=first + timedelta(days=30),
                engagements=(engagements or 0) + later,
            )
        )
    PostDay.objects.bulk_create(rows)
    return variant


def weekly_posts(
    org, author, channel, *, weekday: int, hour: int, weeks: int, engagements: int, now=NOW
) -> None:
    """One measured post a week at ``hour`` on ``weekday`` (channel's zone), ``weeks`` weeks back
    from the last such day at least three days old (at most 12 weeks stay in the 90-day window)."""
    zone = channel.timezone
    today = now.astimezone(zoneinfo.ZoneInfo(zone)).date()
    back = (today.weekday() - weekday) % 7
    last = today - timedelta(days=back if back >= 3 else back + 7)  # settled: 3+ days old
    for week in range(weeks):
        day = last - timedelta(weeks=week)
        measured_post(org, author, channel, at=local(zone, day, hour), engagements=engagements)
