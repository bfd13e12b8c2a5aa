"""Every state change of analytics: fetching a channel's metrics, upserting them, rolling them up.

Network calls go through channels_registry's door (``provider_for``, ``credentials_for``: stored,
refreshed credentials; the providers' per-account rate budgets) and happen outside any transaction.
A rate limit or a failure keeps every number already stored, records the error on the channel's
:class:`MetricsFetchState` and pushes the next fetch out (the network's ``retry_after``, else
doubling waits), like the inbox's polling.

Idempotent throughout: raw rows are upserted on their natural key and a NULL from the network never
overwrites a number it gave before; rollups are recomputed from the raw rows. Running a fetch twice
changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from channels_registry.providers.errors import ProviderError, RateLimited
from channels_registry.selectors import (
    active_channel_ids_unscoped,
    channels_by_id_unscoped,
    credentials_for,
    provider_for,
)
from publishing import selectors as publishing_selectors
from socialops.errors import ApplicationError

from .models import AccountMetricDay, ChannelDay, MetricsFetchState, PostDay, PostMetricSnapshot

log = logging.getLogger(__name__)

ACCOUNT_FIELDS = ("followers", "impressions", "reach", "engagements", "profile_views")
POST_FIELDS = (
    "impressions",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "clicks",
    "video_views",
)
#: the post figures that add up to its engagements
ENGAGEMENT_PARTS = ("likes", "comments", "shares", "saves")
#: a channel's first fetch reaches this many days back
BACKFILL_DAYS = 30
#: a post is fetched daily in its first days, weekly after, and no more after a year
POST_DAILY_DAYS = 30
POST_WEEKLY_EVERY = 7
POST_TRACKED_DAYS = 365
#: external ids per provider call
POST_BATCH = 100
MAX_BACKOFF = timedelta(hours=12)
#: how long a claimed fetch may run before the sweep hands it out again
CLAIM = timedelta(minutes=30)


def fetch_interval() -> timedelta:
    return timedelta(seconds=getattr(settings, "ANALYTICS_FETCH_SECONDS", 24 * 3600))


def backoff(failures: int, retry_after: float | None = None) -> timedelta:
    """The wait after the ``failures``-th failure in a row: the network's word, else 5, 10, 20 … min."""
    doubling = timedelta(minutes=5 * 2 ** max(0, failures - 1))
    wait = timedelta(seconds=retry_after) if retry_after else doubling
    return min(max(wait, timedelta(seconds=1)), MAX_BACKOFF)


def _utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


# --- upserts --------------------------------------------------------------------------------------


def _merge(old, new, names: Iterable[str]) -> dict:
    """The network's new numbers; where it now says nothing (None), the number it gave before."""
    return {
        n: (getattr(new, n) if getattr(new, n) is not None else getattr(old, n, None))
        for n in names
    }


def upsert_account_metrics(channel, rows) -> int:
    """Store the network's daily account figures (``DailyAccountMetrics``) of ``channel`` on
    (channel, day); returns how many days were written. A value the network leaves out is kept."""
    by_day = {r.day: r for r in rows}
    if not by_day:
        return 0
    org_id = channel.organization_id
    with transaction.atomic():
        existing = {
            r.day: r
            for r in AccountMetricDay.objects.for_org(org_id)
            .select_for_update()
            .filter(channel=channel, day__in=list(by_day))
        }
        objs = [
            AccountMetricDay(
                organization_id=org_id,
                channel=channel,
                day=day,
                **_merge(existing.get(day), row, ACCOUNT_FIELDS),
            )
            for day, row in sorted(by_day.items())
        ]
        AccountMetricDay.objects.bulk_create(
            objs,
            update_conflicts=True,
            unique_fields=["channel", "day"],
            update_fields=list(ACCOUNT_FIELDS),
        )
    return len(objs)


def upsert_post_metrics(
    channel, *, day: date, metrics, variant_ids: dict[str, int], fetched_at: datetime | None = None
) -> int:
    """Store each post's figures (``PostMetrics``) as of ``day`` on (variant, day); ``variant_ids``
    maps the network's ids to our variants (figures of a post we did not publish are dropped).
    ``fetched_at`` (default: now) is when the network answered."""
    org_id = channel.organization_id
    fetched_at = fetched_at or timezone.now()
    found = {variant_ids[m.external_id]: m for m in metrics if m.external_id in variant_ids}
    if not found:
        return 0
    with transaction.atomic():
        existing = {
            r.variant_id: r
            for r in PostMetricSnapshot.objects.for_org(org_id)
            .select_for_update()
            .filter(variant_id__in=list(found), day=day)
        }
        objs = [
            PostMetricSnapshot(
                organization_id=org_id,
                channel=channel,
                variant_id=variant_id,
                day=day,
                fetched_at=fetched_at,
                **_merge(existing.get(variant_id), m, POST_FIELDS),
            )
            for variant_id, m in sorted(found.items())
        ]
        PostMetricSnapshot.objects.bulk_create(
            objs,
            update_conflicts=True,
            unique_fields=["variant", "day"],
            update_fields=[*POST_FIELDS, "fetched_at"],
        )
    return len(objs)


# --- rollups --------------------------------------------------------------------------------------


def _sum(values) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _gain(now: int | None, before: int | None) -> int | None:
    if now is None:
        return None
    return max(0, now - (before or 0))


def _post_totals(snap) -> dict[str, int | None]:
    return {
        "impressions": snap.impressions,
        "reach": snap.reach,
        "engagements": _sum(getattr(snap, n) for n in ENGAGEMENT_PARTS),
        "link_clicks": snap.clicks,
        "video_views": snap.video_views,
        **{n: getattr(snap, n) for n in ENGAGEMENT_PARTS},
    }


POST_DAY_TOTALS = (
    "impressions",
    "reach",
    "engagements",
    "link_clicks",
    "video_views",
    *ENGAGEMENT_PARTS,
)
GAINED = ("impressions", "engagements", "link_clicks", "video_views")


def _post_days(channel, *, since: date, until: date) -> tuple[list[PostDay], dict[date, dict]]:
    """Each post fetch of ``channel`` in the range as a ``PostDay`` (its totals and what it gained
    since its fetch before), and ``{day: {metric: [gains]}}`` for the channel's days."""
    org_id = channel.organization_id
    snapshots = list(
        PostMetricSnapshot.objects.for_org(org_id)
        .filter(channel=channel, day__gte=since, day__lte=until)
        .order_by("variant_id", "day")
    )
    # each post's last fetch before the range: its gains are counted from there (one query)
    earlier = PostMetricSnapshot.objects.for_org(org_id).filter(
        channel=channel, day__lt=since, variant_id__in={s.variant_id for s in snapshots}
    )
    # (a correlated subquery for each post's last day: SQLite has no DISTINCT ON)
    last_day = earlier.filter(variant_id=OuterRef("variant_id")).order_by("-day").values("day")[:1]
    before = {s.variant_id: _post_totals(s) for s in earlier.filter(day=Subquery(last_day))}
    post_days = []
    gains: dict[date, dict[str, list]] = {}
    for snap in snapshots:
        totals = _post_totals(snap)
        previous = before.get(snap.variant_id, {})
        gained = {f"{n}_gain": _gain(totals[n], previous.get(n)) for n in GAINED}
        before[snap.variant_id] = totals
        post_days.append(
            PostDay(
                organization_id=org_id,
                channel=channel,
                variant_id=snap.variant_id,
                day=snap.day,
                fetched_at=snap.fetched_at,
                **totals,
                **gained,
            )
        )
        day_gains = gains.setdefault(snap.day, {n: [] for n in GAINED})
        for n in GAINED:
            day_gains[n].append(gained[f"{n}_gain"])
    return post_days, gains


def refresh_running_totals(*, channel=None, since: date | None = None) -> None:
    """Write ``ChannelDay``'s running totals again: of ``channel``'s days from ``since`` on (both
    None: every row of every organization, e.g. after loading rollups by other means). One
    statement (a window over each channel's days, in day order), on PostgreSQL and SQLite alike.
    A deleted day (retention) needs nothing: a period's sum is the difference of two of its own
    days' running totals, whatever came before them."""
    from django.db import connection

    from .models import MAY_BE_MISSING, RUNNING

    window = ", ".join(
        [
            *(f"SUM(COALESCE({m}, 0)) OVER running AS run_{m}" for m in RUNNING),
            *(f"COUNT({m}) OVER running AS seen_{m}" for m in MAY_BE_MISSING),
        ]
    )
    columns = [*(f"run_{m}" for m in RUNNING), *(f"seen_{m}" for m in MAY_BE_MISSING)]
    where, params = "", []
    if channel is not None:
        where = "WHERE organization_id = %s AND channel_id = %s"
        params = [channel.organization_id, channel.pk]
    outer = ""
    if since is not None:
        outer = " AND analytics_channelday.day >= %s"
    sql = (
        f"UPDATE analytics_channelday SET {', '.join(f'{c} = w.{c}' for c in columns)} "  # noqa: S608 - constants
        f"FROM (SELECT id, {window} FROM analytics_channelday {where} "
        "WINDOW running AS (PARTITION BY channel_id ORDER BY day ROWS UNBOUNDED PRECEDING)) AS w "
        f"WHERE analytics_channelday.id = w.id{outer}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *([since] if since is not None else [])])


def rollup_channel(channel, *, since: date, until: date) -> int:
    """Recompute ``channel``'s rollups for the days ``since``..``until`` from the raw rows: each
    fetched post's day (totals and gains since its fetch before), then the channel's days. Returns
    the number of channel days written."""
    org_id = channel.organization_id
    post_days, gains = _post_days(channel, since=since, until=until)
    accounts = {
        r.day: r
        for r in AccountMetricDay.objects.for_org(org_id).filter(
            channel=channel, day__gte=since, day__lte=until
        )
    }
    published = publishing_selectors.published_per_day(channel, since=since, until=until)
    channel_days = []
    for day in sorted(set(accounts) | set(gains) | set(published)):
        account = accounts.get(day)
        posts = {n: _sum(vals) for n, vals in gains.get(day, {}).items()}
        a_impressions = account.impressions if account else None
        a_engagements = account.engagements if account else None
        channel_days.append(
            ChannelDay(
                organization_id=org_id,
                channel=channel,
                day=day,
                followers=account.followers if account else None,
                reach=account.reach if account else None,
                impressions=a_impressions
                if a_impressions is not None
                else posts.get("impressions"),
                engagements=a_engagements
                if a_engagements is not None
                else posts.get("engagements"),
                link_clicks=posts.get("link_clicks"),
                video_views=posts.get("video_views"),
                posts_published=published.get(day, 0),
            )
        )
    post_fields = [*POST_DAY_TOTALS, "fetched_at", *(f"{n}_gain" for n in GAINED)]
    channel_fields = [
        "followers",
        "impressions",
        "reach",
        "engagements",
        "link_clicks",
        "video_views",
        "posts_published",
    ]
    _state_of(channel)
    with transaction.atomic():
        # One rollup of a channel at a time (its fetch state's row locked until the commit): the
        # running totals' statement must see the days another rollup of the channel wrote.
        list(
            MetricsFetchState.objects.for_org(org_id)
            .select_for_update()
            .filter(channel=channel)
            .values_list("pk", flat=True)
        )
        if post_days:
            PostDay.objects.bulk_create(
                post_days,
                update_conflicts=True,
                unique_fields=["variant", "day"],
                update_fields=post_fields,
            )
        if channel_days:
            ChannelDay.objects.bulk_create(
                channel_days,
                update_conflicts=True,
                unique_fields=["channel", "day"],
                update_fields=channel_fields,
            )
            # the days after ``since`` carry these days' figures in their running totals
            refresh_running_totals(channel=channel, since=min(d.day for d in channel_days))
    return len(channel_days)


# --- fetching -------------------------------------------------------------------------------------


@dataclass
class FetchResult:
    account_days: int = 0
    posts: int = 0
    rolled_up: int = 0
    skipped: str = ""  # why nothing was asked ("backoff", "unusable")
    error: str = ""
    notes: list[str] = field(default_factory=list)


def _state_of(channel) -> MetricsFetchState:
    state, _ = MetricsFetchState.objects.for_org(channel.organization_id).get_or_create(
        channel=channel, defaults={"organization_id": channel.organization_id}
    )
    return state


def posts_due(channel, *, today: date, now: datetime) -> dict[str, int]:
    """``{external id: variant id}`` of the published variants whose figures are due today: daily in
    their first ``POST_DAILY_DAYS`` days, weekly after, until a year; never twice in a day."""
    variants = publishing_selectors.published_variants_on(
        channel, since=now - timedelta(days=POST_TRACKED_DAYS)
    )
    if not variants:
        return {}
    last = dict(
        PostMetricSnapshot.objects.for_org(channel.organization_id)
        .filter(channel=channel, variant_id__in=[v[0] for v in variants])
        .order_by()
        .values("variant_id")
        .annotate(last=Max("day"))
        .values_list("variant_id", "last")
    )
    due = {}
    for variant_id, external_id, published_at in variants:
        fetched = last.get(variant_id)
        young = now - published_at <= timedelta(days=POST_DAILY_DAYS)
        every = 1 if young else POST_WEEKLY_EVERY
        if fetched is None or (today - fetched).days >= every:
            due[external_id] = variant_id
    return due


def fetch_channel_metrics(
    channel, *, now: datetime | None = None, backfill_days: int = BACKFILL_DAYS, force: bool = False
) -> FetchResult:
    """Fetch ``channel``'s account figures (from the day before the cursor, or ``backfill_days``
    back on the first fetch, to today) and its due posts' figures; upsert them and roll them up.

    A rate limit or an error keeps what is stored, records the error and backs off; during a
    backoff nothing is asked of the network (unless ``force``)."""
    now = now or timezone.now()
    today = _utc_day(now)
    state = _state_of(channel)
    result = FetchResult()
    if not force and state.backoff_until and state.backoff_until > now:
        result.skipped = "backoff"
        return result
    if not channel.is_usable:
        result.skipped = "unusable"
        _settle(state, next_at=now + fetch_interval())
        return result
    backfill_from = today - timedelta(days=max(1, backfill_days) - 1)
    since = (
        # after a long gap (failures, a paused channel) no further back than a first fetch goes:
        # the networks cap how far back they answer (Instagram 30 days)
        max(state.account_cursor - timedelta(days=1), backfill_from)
        if state.account_cursor and not force
        else backfill_from
    )
    rollup_from = since
    try:
        provider = provider_for(channel)
        credentials = credentials_for(channel)
        try:
            rows = provider.fetch_account_metrics(credentials, channel.external_id, since, today)
        except NotImplementedError:
            rows = []
            result.notes.append("no account metrics")
        result.account_days = upsert_account_metrics(channel, rows)
        MetricsFetchState.objects.for_org(channel.organization_id).filter(pk=state.pk).update(
            account_cursor=today
        )
        due = posts_due(channel, today=today, now=now)
        ids = list(due)
        for start in range(0, len(ids), POST_BATCH):
            try:
                metrics = provider.fetch_post_metrics(
                    credentials, channel.external_id, ids[start : start + POST_BATCH]
                )
            except NotImplementedError:
                result.notes.append("no post metrics")
                break
            result.posts += upsert_post_metrics(
                channel, day=today, metrics=metrics, variant_ids=due, fetched_at=now
            )
    except RateLimited as exc:
        failures = state.failures + 1
        wait = backoff(failures, exc.retry_after)
        log.info("Metrics of channel %s rate limited; next in %s.", channel.pk, wait)
        result.error = exc.message
        _settle(state, next_at=now + wait, error=exc.message, failures=failures, now=now)
    except (ProviderError, ApplicationError) as exc:
        failures = state.failures + 1
        message = getattr(exc, "message", "") or str(exc)
        log.warning("Metrics of channel %s failed: %s", channel.pk, message)
        result.error = message
        _settle(state, next_at=now + backoff(failures), error=message, failures=failures, now=now)
    else:
        _settle(state, next_at=now + fetch_interval(), error="", failures=0, fetched_at=now)
    # what was stored before a failure is good: roll it up either way
    result.rolled_up = rollup_channel(channel, since=rollup_from, until=today)
    return result


def _settle(
    state, *, next_at, error: str = "", failures: int | None = None, fetched_at=None, now=None
) -> None:
    fields: dict = {"next_fetch_at": next_at}
    if failures is not None:
        fields["failures"] = failures
        if failures:
            fields.update(last_error=error[:1000], last_error_at=now, backoff_until=next_at)
        else:
            fields.update(last_error="", last_error_at=None, backoff_until=None)
    if fetched_at is not None:
        fields["last_fetched_at"] = fetched_at
    MetricsFetchState.objects.for_org(state.organization_id).filter(pk=state.pk).update(**fields)


def claim_due_channels(*, now=None, limit: int = 500) -> list[int]:
    """Channels whose metrics are due (every organization: a system sweep), claimed with a
    conditional update so a second sweep does not hand them out twice. Active channels without a
    state get one, due now (their first fetch backfills)."""
    now = now or timezone.now()
    ids = active_channel_ids_unscoped()
    have = set(
        MetricsFetchState.objects.unscoped()
        .filter(channel_id__in=ids)
        .values_list("channel_id", flat=True)
    )
    missing = [i for i in ids if i not in have]
    if missing:
        MetricsFetchState.objects.bulk_create(
            [
                MetricsFetchState(organization_id=c.organization_id, channel=c, next_fetch_at=now)
                for c in channels_by_id_unscoped(missing).values()
            ],
            ignore_conflicts=True,
        )
    due = list(
        MetricsFetchState.objects.unscoped()
        .filter(channel_id__in=ids, next_fetch_at__lte=now)
        .order_by("next_fetch_at")
        .values_list("pk", "channel_id")[:limit]
    )
    claimed = []
    for pk, channel_id in due:
        won = (
            MetricsFetchState.objects.unscoped()
            .filter(pk=pk, next_fetch_at__lte=now)
            .update(next_fetch_at=now + CLAIM)
        )
        if won:
            claimed.append(channel_id)
    return claimed


def purge_old_metrics(*, today: date | None = None, batch: int = 10_000) -> int:
    """Delete every metric row (raw and rolled up, every organization: a system task) of a day
    before ``selectors.first_kept_day``, a batch at a time (short transactions on a large table).
    Returns the rows deleted."""
    from .selectors import first_kept_day

    limit = first_kept_day(today)
    deleted = 0
    for model in (PostMetricSnapshot, AccountMetricDay, PostDay, ChannelDay):
        while True:
            ids = list(
                model.objects.unscoped().filter(day__lt=limit).values_list("pk", flat=True)[:batch]
            )
            if not ids:
                break
            deleted += model.objects.unscoped().filter(pk__in=ids).delete()[0]
    if deleted:
        log.info("Analytics retention: %s metric rows before %s deleted.", deleted, limit)
    return deleted


__all__ = [
    "BACKFILL_DAYS",
    "FetchResult",
    "backoff",
    "claim_due_channels",
    "fetch_channel_metrics",
    "posts_due",
    "purge_old_metrics",
    "refresh_running_totals",
    "rollup_channel",
    "upsert_account_metrics",
    "upsert_post_metrics",
]
