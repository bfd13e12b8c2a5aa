"""Best times to publish on a channel: from the organization's own engagement by hour of week, the
network's general pattern only as the fallback. :func:`best_time_slots` (re-exported by
``analytics.selectors``, registered in ``publishing.hooks``) is what the composer and the calendar ask.

How a channel's own times are found (one aggregate query over the ``PostDay`` rollups, no raw rows):

1. **The posts.** The channel's published variants of the last :data:`WINDOW_DAYS` days, leaving
   out the last :data:`SETTLE_DAYS` (their figures are still climbing). Each post's figure is its
   engagements at the end of its first :data:`MEASURE_DAYS` days (a post fetched only later: its
   earliest fetch), so a two-month-old post does not outweigh last week's just by age.
   ``PostDay.engagements`` is already the network's engagements or, where it lacks them, likes +
   comments + shares + saves; a post without any of them is not measured and not counted.
2. **The measure: engagements per post, not per impression.** What an hour buys is mostly reach
   (more of the audience is there to see the post); dividing by impressions would cancel exactly
   that and rank the content instead of the time. It also keeps networks without impressions on
   the same footing. Each post counts relative to the channel's typical post (its mean, with each
   post capped at :data:`MAX_RELATIVE` times the median so that a viral post does not inflate it),
   and counts at most :data:`MAX_RELATIVE` times that, so one viral post does not move a week.
3. **Hour of week in the channel's zone**, read from each post's own published time, so a post at
   09:00 counts for 09:00 on either side of a daylight-saving change.
4. **Smoothing.** Each hour also hears its neighbours (:data:`NEIGHBOUR_WEIGHTS`, wrapping from
   Sunday night to Monday morning): audiences do not change at the stroke of the hour, and few
   posts share one exact hour.
5. **Shrinkage.** Each hour's estimate is pulled toward the network's general pattern (its best
   hours count :data:`PATTERN_LIFT`, every other hour 1) with the weight of :data:`PRIOR_POSTS`
   posts: an hour with little data stays near the pattern, one with many posts speaks for itself.
6. **A minimum.** Under :data:`MIN_POSTS` measured posts (or none with any engagement) the channel's
   own figures are not used at all: the suggestions are the network's general pattern and say so.

Each day gets up to :data:`PER_DAY` suggestions, the best hours at least :data:`MIN_GAP_HOURS`
apart (smoothing makes neighbours of a peak look good too), among the hours the channel's posts or
the network's pattern speak for and that do at least as well as the channel's typical post.
"""

from __future__ import annotations

import statistics
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

#: a network without a known pattern (the sandbox, a new connector): the overall weekday pattern
DEFAULT_PATTERN: dict[int, tuple[int, ...]] = {
    0: (10, 13),
    1: (10, 13),
    2: (10, 13),
    3: (10, 13),
    4: (10,),
}
#: how many suggestions a day at most
PER_DAY = 2
#: two suggestions of one day are at least this many hours apart
MIN_GAP_HOURS = 3

#: the posts looked at: published in the last 90 days …
WINDOW_DAYS = 90
#: … but not in the last two (their figures are still climbing)
SETTLE_DAYS = 2
#: a post's engagements are read at the end of its first week
MEASURE_DAYS = 7
#: fewer measured posts than this in the window: the network's general pattern instead
MIN_POSTS = 20
#: one post counts at most this many times the channel's typical post
MAX_RELATIVE = 3.0
#: an hour's weight for itself, its neighbours one hour away, two hours away
NEIGHBOUR_WEIGHTS = (1.0, 0.5, 0.25)
#: how many posts' worth of weight the network's general pattern keeps in each hour's estimate
PRIOR_POSTS = 3.0
#: the general pattern's expectation for its best hours (every other hour: 1, the typical post)
PATTERN_LIFT = 1.25

HOURS_A_WEEK = 7 * 24

ENGAGEMENT = "engagement"
GENERAL_PATTERN = "general_pattern"


@dataclass(frozen=True)
class Slot:
    at: datetime  # aware, in the channel's zone
    source: str  # "engagement" (the channel's own) or "general_pattern" (the network's)
    #: the channel's measured posts the suggestion looked at (also when too few to use them)
    posts: int = 0


@dataclass(frozen=True)
class HourOfWeek:
    """A channel's engagement by hour of week (index ``weekday * 24 + hour``, local time)."""

    source: str
    posts: int  # measured posts in the window
    #: the smoothed, shrunk estimate per hour (relative to the channel's typical post); empty for
    #: the pattern
    scores: tuple[float, ...] = ()
    #: the smoothed number of posts behind each hour (0: nothing of the channel's own near it)
    evidence: tuple[float, ...] = ()


def general_pattern(provider_key: str) -> dict[int, tuple[int, ...]]:
    """Weekday (0 = Monday) → local hours, best first: the network's general engagement pattern
    (``Capabilities.best_hours``, summarised from published industry studies), else the default."""
    from channels_registry.providers import capabilities_of

    caps = capabilities_of(provider_key)
    return dict(caps.best_hours) if caps is not None and caps.best_hours else DEFAULT_PATTERN


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def measured_posts(channel, *, now: datetime) -> list[tuple[datetime, int]]:
    """``[(published at, engagements)]`` of ``channel``'s measured posts in the window: one query."""
    from django.db.models import DateField, ExpressionWrapper, Max, Min, Q
    from django.db.models.functions import Coalesce, TruncDate

    from publishing.models import PostVariant

    from .models import PostDay

    first_week_end = ExpressionWrapper(
        TruncDate("variant__published_at", tzinfo=UTC) + timedelta(days=MEASURE_DAYS - 1),
        output_field=DateField(),
    )
    since = now - timedelta(days=WINDOW_DAYS)
    rows = (
        PostDay.objects.for_org(channel.organization_id)
        .filter(
            channel_id=channel.pk,
            # no post's day is before the UTC day it went out: keeps the scan to the window on the
            # (organization, channel, day) index
            day__gte=since.astimezone(UTC).date(),
            variant__status=PostVariant.Status.PUBLISHED,
            variant__published_at__gte=since,
            variant__published_at__lt=now - timedelta(days=SETTLE_DAYS),
            engagements__isnull=False,
        )
        .order_by()
        .values("variant_id", "variant__published_at")
        .annotate(
            measured=Coalesce(
                Max("engagements", filter=Q(day__lte=first_week_end)), Min("engagements")
            )
        )
    )
    return [(r["variant__published_at"], r["measured"]) for r in rows]


def _smooth(values: list[float]) -> list[float]:
    out = []
    for h in range(HOURS_A_WEEK):
        total = values[h] * NEIGHBOUR_WEIGHTS[0]
        for distance, weight in enumerate(NEIGHBOUR_WEIGHTS[1:], start=1):
            total += weight * (
                values[(h - distance) % HOURS_A_WEEK] + values[(h + distance) % HOURS_A_WEEK]
            )
        out.append(total)
    return out


def hour_of_week_scores(
    posts: list[tuple[datetime, int]], *, zone: zoneinfo.ZoneInfo, pattern: dict[int, tuple]
) -> HourOfWeek:
    """The channel's own engagement by hour of week, or the general pattern when there is too little."""
    measured = len(posts)
    total = sum(e for _, e in posts)
    if measured < MIN_POSTS or total <= 0:
        return HourOfWeek(GENERAL_PATTERN, measured)
    # the typical post: the mean with each post capped at MAX_RELATIVE times the median, so that
    # one viral post does not inflate it and flatten every other hour (the plain mean when most
    # posts have no engagement at all)
    figures = [e for _, e in posts]
    median = statistics.median(figures)
    typical = (
        sum(min(e, MAX_RELATIVE * median) for e in figures) / measured
        if median > 0
        else total / measured
    )
    counts = [0.0] * HOURS_A_WEEK
    sums = [0.0] * HOURS_A_WEEK
    for published_at, engagements in posts:
        local = published_at.astimezone(zone)
        h = local.weekday() * 24 + local.hour
        counts[h] += 1
        sums[h] += min(engagements / typical, MAX_RELATIVE)
    counts, sums = _smooth(counts), _smooth(sums)
    scores = []
    for h in range(HOURS_A_WEEK):
        prior = PATTERN_LIFT if h % 24 in pattern.get(h // 24, ()) else 1.0
        scores.append((sums[h] + PRIOR_POSTS * prior) / (counts[h] + PRIOR_POSTS))
    return HourOfWeek(ENGAGEMENT, measured, tuple(scores), tuple(counts))


def _best_hours(found: HourOfWeek, weekday: int, pattern: dict[int, tuple]) -> list[int]:
    """The day's best hours by score, at least ``MIN_GAP_HOURS`` apart (on a tie: the hour with
    more posts behind it, then the earlier).

    Only hours something speaks for are suggested: the channel's own posts near them or the
    network's pattern, and an estimate at least the channel's typical post. An hour nobody posted
    near and the pattern does not name is never suggested (it would only be the prior's 1.0, a tie
    that would otherwise pick midnight); a day without either has no suggestions.
    """
    base = weekday * 24
    best = pattern.get(weekday, ())
    candidates = [
        h
        for h in range(24)
        if (found.evidence[base + h] > 0 or h in best) and round(found.scores[base + h], 9) >= 1.0
    ]
    chosen: list[int] = []
    ranked = sorted(
        candidates,
        key=lambda h: (-round(found.scores[base + h], 9), -found.evidence[base + h], h),
    )
    for hour in ranked:
        if all(abs(hour - c) >= MIN_GAP_HOURS for c in chosen):
            chosen.append(hour)
        if len(chosen) == PER_DAY:
            break
    return chosen


def _local(day: date, hour: int, zone: zoneinfo.ZoneInfo) -> datetime:
    """``hour`` o'clock on ``day`` in ``zone``; an hour a daylight-saving change skips becomes the
    hour after it (02:00 → 03:00), an hour it repeats is its first time."""
    at = datetime.combine(day, time(hour), tzinfo=zone)
    return at.astimezone(UTC).astimezone(zone)


def best_time_slots(channel, *, days: int = 7, now: datetime | None = None) -> list[Slot]:
    """Suggested publishing times for ``channel`` over the next ``days`` days, soonest first, each
    saying whether it comes from the channel's own engagement or the network's general pattern.
    One query whatever the number of posts."""
    zone = zone_of(getattr(channel, "timezone", "UTC"))
    now = (now or timezone.now()).astimezone(zone)
    pattern = general_pattern(channel.provider)
    found = hour_of_week_scores(
        measured_posts(channel, now=now) if channel.pk else [], zone=zone, pattern=pattern
    )
    out: list[Slot] = []
    seen: set[datetime] = set()
    for offset in range(max(0, days) + 1):
        day = now.date() + timedelta(days=offset)
        if found.source == ENGAGEMENT:
            hours = _best_hours(found, day.weekday(), pattern)
        else:
            hours = list(pattern.get(day.weekday(), ())[:PER_DAY])
        for hour in sorted(hours):
            at = _local(day, hour, zone)
            if at in seen:
                continue
            if now + timedelta(minutes=15) < at <= now + timedelta(days=days):
                seen.add(at)
                out.append(Slot(at=at, source=found.source, posts=found.posts))
    return sorted(out, key=lambda s: s.at)
