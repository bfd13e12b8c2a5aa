"""Reads of the editorial calendar: the events of one visible range, campaigns, notes, holidays, cadence.

Every read names the organization first and is limited to the range asked for, so a month of an
organization with hundreds of channels and thousands of posts costs a fixed handful of queries
(pinned in tests/calendar/test_events_query_count.py).

Where a variant sits on the calendar (its *slot*):

- published: ``published_at`` (falling back to ``due_at``);
- still a draft (the post is a draft, in review or approved): the post's ``planned_at``;
- otherwise (scheduled, held, publishing, failed …): ``due_at``.

Team filter ("head office sees all; a region sees its own and the central plan"): a variant
belongs to a team's subtree when its post's team is in the subtree, or its post has no team and
its channel's team is in the subtree. The *central plan* is every post of one of the
organization's root teams, and every post with no team on a channel with no team or a root
team's channel. Filtering on a root team (head office) therefore shows everything of its tree.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from socialops.dates import local_date

from ..models import (
    CadenceTarget,
    CalendarNote,
    Campaign,
    HolidayRegion,
    Post,
    PostVariant,
)

V = PostVariant.Status
P = Post.Status

#: the calendar's status filter: (value, label)
CALENDAR_STATUSES = [
    ("draft", gettext_lazy("Draft")),
    ("in_review", gettext_lazy("In review")),
    ("approved", gettext_lazy("Approved")),
    ("scheduled", gettext_lazy("Scheduled")),
    ("published", gettext_lazy("Published")),
    ("failed", gettext_lazy("Failed")),
]
_STATUS_LABELS = dict(CALENDAR_STATUSES)
#: variant statuses shown as "scheduled" on the calendar (the scheduler is still on them)
_SCHEDULED_LIKE = (V.SCHEDULED, V.HELD, V.PUBLISHING, V.UNCONFIRMED, V.PENDING)
_DRAFT_POST = (P.DRAFT, P.IN_REVIEW, P.APPROVED)

#: countries a team can take public holidays from (ISO 3166-1 alpha-2, as the ``holidays`` package names them)
HOLIDAY_COUNTRIES = [
    ("ID", gettext_lazy("Indonesia")),
    ("SG", gettext_lazy("Singapore")),
    ("MY", gettext_lazy("Malaysia")),
    ("PH", gettext_lazy("Philippines")),
    ("TH", gettext_lazy("Thailand")),
    ("VN", gettext_lazy("Vietnam")),
    ("IN", gettext_lazy("India")),
    ("JP", gettext_lazy("Japan")),
    ("AU", gettext_lazy("Australia")),
    ("NZ", gettext_lazy("New Zealand")),
    ("US", gettext_lazy("United States")),
    ("GB", gettext_lazy("United Kingdom")),
    ("DE", gettext_lazy("Germany")),
    ("FR", gettext_lazy("France")),
    ("NL", gettext_lazy("Netherlands")),
]
HOLIDAY_COUNTRY_CODES = [c for c, _label in HOLIDAY_COUNTRIES]

#: the longest range one events request may ask for (a list view of a quarter; month views ask for 6 weeks)
MAX_RANGE = timedelta(days=100)


# --- Filters -----------------------------------------------------------------------------------------


def _int(value) -> int | None:
    from socialops.api import ID_MAX

    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return (
        number if 0 < number <= ID_MAX else None
    )  # a larger number is no id (and would overflow a lookup)


@dataclass(frozen=True)
class CalendarFilters:
    team_id: int | None = None
    channel_id: int | None = None
    network: str = ""
    campaign_id: int | None = None
    status: str = ""
    author_id: int | None = None

    @classmethod
    def from_data(cls, data) -> CalendarFilters:
        """From a query dict or a stored dict; unknown or malformed values are ignored."""
        status = str(data.get("status") or "")
        network = str(data.get("network") or "")[:30]
        return cls(
            team_id=_int(data.get("team")),
            channel_id=_int(data.get("channel")),
            network=network,
            campaign_id=_int(data.get("campaign")),
            status=status if status in _STATUS_LABELS else "",
            author_id=_int(data.get("author")),
        )

    def as_data(self) -> dict:
        """The stored / query-string form (the keys ``from_data`` reads)."""
        d = asdict(self)
        out = {
            "team": d["team_id"],
            "channel": d["channel_id"],
            "network": d["network"],
            "campaign": d["campaign_id"],
            "status": d["status"],
            "author": d["author_id"],
        }
        return {k: v for k, v in out.items() if v not in (None, "")}


# --- Ranges and zones ------------------------------------------------------------------------------


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def parse_instant(raw: str | None, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """An ISO date or date-time; without an offset it is wall-clock time in ``zone``. None when unreadable."""
    raw = (
        (raw or "").strip().replace(" ", "+")
    )  # a "+07:00" offset arrives as " 07:00" from a bare query string
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
        if value is None:
            day = parse_date(raw)
            if day is None:
                return None
            value = datetime.combine(day, time.min)
    except ValueError:
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zone, fold=0)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Range:
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC, exclusive
    zone: zoneinfo.ZoneInfo

    @property
    def first_day(self) -> date:
        return self.start.astimezone(self.zone).date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).astimezone(self.zone).date()


def parse_range(start_raw, end_raw, zone_name: str) -> Range | None:
    """The range FullCalendar asks for; None when it is missing, reversed or longer than ``MAX_RANGE``."""
    zone = zone_of(zone_name)
    start, end = parse_instant(start_raw, zone), parse_instant(end_raw, zone)
    if start is None or end is None or end <= start or end - start > MAX_RANGE:
        return None
    return Range(start, end, zone)


# --- Teams -------------------------------------------------------------------------------------------


@dataclass
class TeamTree:
    parent_of: dict[int, int | None]

    @classmethod
    def of(cls, organization) -> TeamTree:
        from accounts.selectors import team_parents

        return cls(team_parents(organization))

    @property
    def root_ids(self) -> set[int]:
        return {pk for pk, parent in self.parent_of.items() if parent is None}

    def subtree(self, team_id: int) -> set[int]:
        from accounts.selectors import subtree_of

        return subtree_of(self.parent_of, [team_id])

    def ancestors(self, team_id: int) -> list[int]:
        """``team_id`` and its parents, nearest first."""
        out, node = [], team_id
        while node is not None and node not in out:
            out.append(node)
            node = self.parent_of.get(node)
        return out


def _team_q(tree: TeamTree, team_id: int, *, post: str = "post__", channel: str = "channel__") -> Q:
    """Variants of ``team_id``'s subtree plus the central plan (module doc)."""
    wanted = tree.subtree(team_id) | tree.root_ids
    return Q(**{f"{post}team_id__in": wanted}) | Q(**{f"{post}team__isnull": True}) & (
        Q(**{f"{channel}team_id__in": wanted}) | Q(**{f"{channel}team__isnull": True})
    )


# --- Variants in a range -----------------------------------------------------------------------------


def _visible(membership, qs):
    from ..posts import selectors

    return selectors.visible_variants(membership, qs)


def _in_range_q(start: datetime, end: datetime) -> Q:
    published = Q(status=V.PUBLISHED) & (
        Q(published_at__gte=start, published_at__lt=end)
        | Q(published_at__isnull=True, due_at__gte=start, due_at__lt=end)
    )
    drafts = Q(status=V.DRAFT, post__planned_at__gte=start, post__planned_at__lt=end)
    others = ~Q(status__in=[V.PUBLISHED, V.DRAFT]) & Q(due_at__gte=start, due_at__lt=end)
    return published | drafts | others


def _status_q(status: str) -> Q:
    if status in ("draft", "in_review", "approved"):
        return Q(status=V.DRAFT, post__status=status)
    if status == "scheduled":
        return Q(status__in=_SCHEDULED_LIKE)
    if status == "published":
        return Q(status=V.PUBLISHED)
    if status == "failed":
        return Q(status=V.FAILED)
    return Q()


def _slot(status: str, due_at, published_at, planned_at) -> datetime | None:
    if status == V.PUBLISHED:
        return published_at or due_at
    if status == V.DRAFT:
        return planned_at
    return due_at


def _calendar_status(status: str, post_status: str) -> str:
    if status == V.DRAFT:
        return post_status if post_status in _DRAFT_POST else "draft"
    if status == V.PUBLISHED:
        return "published"
    if status == V.FAILED:
        return "failed"
    return "scheduled"


def slot_of(variant: PostVariant) -> datetime | None:
    """Where ``variant`` sits on the calendar (module doc)."""
    return _slot(variant.status, variant.due_at, variant.published_at, variant.post.planned_at)


def calendar_status(variant: PostVariant) -> str:
    return _calendar_status(variant.status, variant.post.status)


#: the columns one calendar event needs (rows, not model instances: 5,000 events stay fast)
_ROW = (
    "pk",
    "status",
    "due_at",
    "published_at",
    "channel_id",
    "channel__provider",
    "channel__handle",
    "channel__name",
    "post_id",
    "post__status",
    "post__planned_at",
    "post__title",
    "label_text",
    "post__campaign_id",
    "post__campaign__name",
    "post__campaign__color",
    "post__author__full_name",
)


def variants_in_range(
    organization, *, membership, rng: Range, filters: CalendarFilters, tree: TeamTree | None = None
) -> list[dict]:
    """The visible variants whose slot falls in ``rng`` as rows (``_ROW`` plus ``slot`` and ``cal_status``), one query."""
    from django.db.models.functions import Substr

    qs = (
        PostVariant.objects.for_org(organization)
        .exclude(status=V.CANCELLED)
        .exclude(post__status=P.CANCELLED)
        .filter(_in_range_q(rng.start, rng.end))
    )
    f = filters
    if f.team_id:
        qs = qs.filter(_team_q(tree or TeamTree.of(organization), f.team_id))
    if f.channel_id:
        qs = qs.filter(channel_id=f.channel_id)
    if f.network:
        qs = qs.filter(channel__provider=f.network)
    if f.campaign_id:
        qs = qs.filter(post__campaign_id=f.campaign_id)
    if f.author_id:
        qs = qs.filter(post__author_id=f.author_id)
    if f.status:
        qs = qs.filter(_status_q(f.status))
    qs = (
        _visible(membership, qs)
        .order_by("due_at", "pk")
        .annotate(label_text=Substr("post__text", 1, 80))
    )
    out = []
    for row in qs.values(*_ROW):
        slot = _slot(row["status"], row["due_at"], row["published_at"], row["post__planned_at"])
        if slot is None or not (rng.start <= slot < rng.end):
            continue
        row["slot"] = slot
        row["cal_status"] = _calendar_status(row["status"], row["post__status"])
        out.append(row)
    return out


def channelless_plans(
    organization, *, membership, rng: Range, filters: CalendarFilters, tree: TeamTree | None = None
) -> list[Post]:
    """Planned drafts with no channel chosen yet (they have no variant to show), one query."""
    from ..posts import selectors

    f = filters
    if f.channel_id or f.network or f.status not in ("", "draft", "in_review", "approved"):
        return []
    qs = (
        Post.objects.for_org(organization)
        .filter(status__in=_DRAFT_POST, planned_at__gte=rng.start, planned_at__lt=rng.end)
        # (a NOT IN over the range's variants: SQLite plans it far better than NOT EXISTS here)
        .exclude(
            pk__in=PostVariant.objects.for_org(organization)
            .filter(post__planned_at__gte=rng.start, post__planned_at__lt=rng.end)
            .values("post_id")
        )
        .select_related("campaign", "author")
    )
    if f.team_id:
        t = tree or TeamTree.of(organization)
        qs = qs.filter(Q(team_id__in=t.subtree(f.team_id) | t.root_ids) | Q(team__isnull=True))
    if f.campaign_id:
        qs = qs.filter(campaign_id=f.campaign_id)
    if f.author_id:
        qs = qs.filter(author_id=f.author_id)
    if f.status:
        qs = qs.filter(status=f.status)
    return list(selectors.visible_posts(membership, qs).order_by("planned_at", "pk"))


# --- Campaigns, notes ------------------------------------------------------------------------------


def campaigns_in_range(
    organization, rng: Range, filters: CalendarFilters, tree: TeamTree | None = None
):
    qs = (
        Campaign.objects.for_org(organization)
        .filter(archived_at__isnull=True)
        .exclude(starts_on__isnull=True, ends_on__isnull=True)
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=rng.last_day))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=rng.first_day))
    )
    if filters.campaign_id:
        qs = qs.filter(pk=filters.campaign_id)
    if filters.team_id:
        t = tree or TeamTree.of(organization)
        qs = qs.filter(
            Q(team__isnull=True) | Q(team_id__in=t.subtree(filters.team_id) | t.root_ids)
        )
    return list(qs.order_by("starts_on", "name"))


def notes_in_range(
    organization, rng: Range, filters: CalendarFilters, tree: TeamTree | None = None
):
    qs = CalendarNote.objects.for_org(organization).filter(
        starts_on__lte=rng.last_day, ends_on__gte=rng.first_day
    )
    if filters.team_id:
        t = tree or TeamTree.of(organization)
        qs = qs.filter(
            Q(team__isnull=True)
            | Q(
                team_id__in=t.subtree(filters.team_id)
                | set(t.ancestors(filters.team_id))
                | t.root_ids
            )
        )
    return list(qs.select_related("team").order_by("starts_on", "pk"))


# --- Holidays ---------------------------------------------------------------------------------------


def holiday_region_for(
    organization, *, team_id: int | None, tree: TeamTree | None = None
) -> HolidayRegion | None:
    """The holiday set of ``team_id`` (or its nearest ancestor that has one), else the organization's default."""
    regions = {r.team_id: r for r in HolidayRegion.objects.for_org(organization)}
    if team_id is not None:
        for node in (tree or TeamTree.of(organization)).ancestors(team_id):
            if node in regions:
                return regions[node]
    return regions.get(None)


def viewer_team_id(membership, tree: TeamTree) -> int | None:
    """The team whose region a member sees by default: their deepest team (a region before head office)."""
    if membership is None:
        return None
    teams = [t.pk for t in membership.teams.all()]
    if not teams:
        return None
    return max(teams, key=lambda pk: (len(tree.ancestors(pk)), -pk))


@functools.lru_cache(maxsize=256)
def _country_holidays(code: str, year: int, language: str) -> tuple[tuple[date, str], ...]:
    import holidays

    try:
        table = holidays.country_holidays(code, years=year, language=language or None)
    except (NotImplementedError, KeyError, ValueError):
        return ()
    return tuple(sorted(table.items()))


def _holiday_language(code: str) -> str:
    import holidays

    lang = (get_language() or "en").split("-")[0]
    try:
        supported = holidays.country_holidays(code).supported_languages
    except (NotImplementedError, KeyError):
        return ""
    for candidate in (lang, f"{lang}_US" if lang == "en" else "", "en_US", "en"):
        if candidate and candidate in supported:
            return candidate
    return ""


def holidays_between(countries, first: date, last: date) -> list[tuple[date, str, str]]:
    """(day, country code, name) of the public holidays of ``countries`` from ``first`` to ``last``."""
    out = []
    for code in countries:
        if code not in HOLIDAY_COUNTRY_CODES:
            continue
        lang = _holiday_language(code)
        for year in range(first.year, last.year + 1):
            for day, name in _country_holidays(code, year, lang):
                if first <= day <= last:
                    out.append((day, code, name))
    return sorted(out)


# --- Cadence -----------------------------------------------------------------------------------------


@dataclass
class CadenceIssue:
    channel_id: int
    channel_label: str
    week_start: date
    count: int
    min_per_week: int
    max_per_week: int
    kind: str  # "gap" | "overload"
    message: str = ""


@dataclass
class CadenceReport:
    issues: list[CadenceIssue] = field(default_factory=list)
    #: week start → number of issues
    per_week: dict[date, int] = field(default_factory=dict)


def _week_label(week: date, today: date) -> str:
    this_monday = today - timedelta(days=today.weekday())
    if week == this_monday:
        return _("this week")
    if week == this_monday + timedelta(days=7):
        return _("next week")
    return _("the week of %(date)s") % {"date": local_date(week)}


def _cadence_weeks(rng: Range, today: date) -> list[date]:
    """The Mondays of the range's weeks from this week on (a past week has no warning)."""
    week = max(
        rng.first_day - timedelta(days=rng.first_day.weekday()),
        today - timedelta(days=today.weekday()),
    )
    weeks = []
    while week <= rng.last_day:
        weeks.append(week)
        week += timedelta(days=7)
    return weeks


def _cadence_targets(
    organization, *, membership, filters: CalendarFilters, tree: TeamTree | None
) -> dict[int, CadenceTarget]:
    """The targets of the channels this member sees and the filters keep, by channel id (one query)."""
    targets_qs = CadenceTarget.objects.for_org(organization).select_related("channel")
    if filters.channel_id:
        targets_qs = targets_qs.filter(channel_id=filters.channel_id)
    if filters.network:
        targets_qs = targets_qs.filter(channel__provider=filters.network)
    if filters.team_id:
        t = tree or TeamTree.of(organization)
        targets_qs = targets_qs.filter(channel__team_id__in=t.subtree(filters.team_id))
    from channels_registry.selectors import visible_channels

    targets_qs = targets_qs.filter(
        channel_id__in=visible_channels(membership).order_by().values("pk")
    )
    return {t.channel_id: t for t in targets_qs}


def _posts_per_channel_week(
    organization, *, channel_ids: list[int], weeks: list[date], zone
) -> dict[tuple[int, date], int]:
    """How many variants each channel has in each week, by (channel id, Monday) (one query)."""
    start = datetime.combine(weeks[0], time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(weeks[-1] + timedelta(days=7), time.min, tzinfo=zone).astimezone(UTC)
    rows = (
        PostVariant.objects.for_org(organization)
        .filter(channel_id__in=channel_ids)
        .exclude(status__in=[V.CANCELLED, V.FAILED])
        .exclude(post__status=P.CANCELLED)
        .filter(_in_range_q(start, end))
        .values_list("channel_id", "status", "due_at", "published_at", "post__planned_at")
    )
    counts: dict[tuple[int, date], int] = defaultdict(int)
    for channel_id, status, due_at, published_at, planned_at in rows:
        slot = (
            (published_at or due_at)
            if status == V.PUBLISHED
            else planned_at
            if status == V.DRAFT
            else due_at
        )
        if slot is None:
            continue
        day = slot.astimezone(zone).date()
        counts[(channel_id, day - timedelta(days=day.weekday()))] += 1
    return counts


def _cadence_issue(
    target: CadenceTarget, *, week: date, n: int, network_names: dict[str, str], today: date
) -> CadenceIssue | None:
    """The warning for ``n`` posts on ``target``'s channel in ``week``, or None when on target."""
    kind = "gap" if n < target.min_per_week else "overload" if n > target.max_per_week else ""
    if not kind:
        return None
    ch = target.channel
    label = f"{network_names.get(ch.provider, ch.provider)} {ch.name or ch.handle}".strip()
    wanted = (
        f"{target.min_per_week}"
        if target.min_per_week == target.max_per_week
        else f"{target.min_per_week}–{target.max_per_week}"
    )
    message = ngettext(
        "%(channel)s: %(count)d post %(week)s, target %(target)s",
        "%(channel)s: %(count)d posts %(week)s, target %(target)s",
        n,
    ) % {
        "channel": label,
        "count": n,
        "week": _week_label(week, today),
        "target": wanted,
    }
    return CadenceIssue(
        target.channel_id,
        label,
        week,
        n,
        target.min_per_week,
        target.max_per_week,
        kind,
        message,
    )


def cadence_report(
    organization,
    *,
    membership,
    rng: Range,
    filters: CalendarFilters,
    network_names: dict[str, str],
    tree: TeamTree | None = None,
    now: datetime | None = None,
) -> CadenceReport:
    """Weeks (Monday–Sunday, in the viewer's zone) from this week on in which a channel is under or over target.

    Counts every planned, scheduled and published variant of the channel (not the failed or
    cancelled ones), whatever the other filters say: the target is the channel's. Two queries.
    """
    now = now or timezone.now()
    zone = rng.zone
    today = now.astimezone(zone).date()
    weeks = _cadence_weeks(rng, today)
    if not weeks:
        return CadenceReport()
    targets = _cadence_targets(organization, membership=membership, filters=filters, tree=tree)
    if not targets:
        return CadenceReport()
    counts = _posts_per_channel_week(
        organization, channel_ids=list(targets), weeks=weeks, zone=zone
    )
    report = CadenceReport()
    in_order = sorted(targets.values(), key=lambda t: (t.channel.provider, t.channel.handle))
    for week in weeks:
        for target in in_order:
            issue = _cadence_issue(
                target,
                week=week,
                n=counts.get((target.channel_id, week), 0),
                network_names=network_names,
                today=today,
            )
            if issue is not None:
                report.issues.append(issue)
                report.per_week[week] = report.per_week.get(week, 0) + 1
    return report


# --- Best times ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BestTimes:
    """Suggested times (UTC) and where they come from: ``source`` is ``"engagement"`` (the
    channel's own, from ``posts`` measured posts) or ``"general_pattern"`` (the network's)."""

    times: list[datetime] = field(default_factory=list)
    source: str = ""
    posts: int = 0

    @property
    def note(self) -> str:
        return best_time_note(self.source, self.posts) if self.times else ""


def best_time_note(source: str, posts: int) -> str:
    """What a suggestion says about where it comes from (the composer and the calendar)."""
    if source == "engagement":
        return ngettext(
            "From your own engagement on this channel (%(count)s measured post).",
            "From your own engagement on this channel (%(count)s measured posts).",
            posts,
        ) % {"count": posts}
    return (
        _("From the network's general engagement pattern.")
        + " "
        + ngettext(
            "This channel has %(count)s measured post so far: too few to use its own engagement yet.",
            "This channel has %(count)s measured posts so far: too few to use its own engagement yet.",
            posts,
        )
        % {"count": posts}
    )


def best_times_in_range(
    membership, rng: Range, filters: CalendarFilters, *, now: datetime | None = None
) -> BestTimes:
    """Suggested publishing times (analytics' best time) of the filtered channel within ``rng``; one
    aggregate query (analytics') besides the channel's.

    Only when the calendar is filtered on one channel: suggestions are per channel.
    """
    if not filters.channel_id or membership is None:
        return BestTimes()
    from channels_registry.selectors import visible_channels

    from ..hooks import best_time_slots

    channel = visible_channels(membership).filter(pk=filters.channel_id).first()
    if channel is None:
        return BestTimes()
    now = now or timezone.now()
    days = (rng.end - now).days + 1
    if days <= 0:
        return BestTimes()
    slots = best_time_slots(channel, days=min(days, MAX_RANGE.days), now=now)
    times = [s.at.astimezone(UTC) for s in slots if rng.start <= s.at < rng.end]
    if not slots:
        return BestTimes()
    return BestTimes(times, source=slots[0].source, posts=getattr(slots[0], "posts", 0))


# --- The payload of one range (events endpoint, API, shared page) ---------------------------------------

DEFAULT_COLOR = "#64748b"


#: a published post is drawn as its colour faded this far toward white (it is history)
PUBLISHED_FADE = 0.65
#: text colours a chip may take, in order of preference: the first that reads at WCAG AA
#: (4.5:1) on the chip's colour wins; black is the fallback that always does better than white
#: where white fails
_INKS = ("#ffffff", "#111827", "#000000")


def _luminance(hex_color: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""

    def linear(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@functools.lru_cache(maxsize=512)
def _text_color(hex_color: str) -> str:
    """The text colour for a chip of ``hex_color``: white if it reads at 4.5:1, else a dark ink."""
    try:
        ratios = [(contrast_ratio(ink, hex_color), ink) for ink in _INKS]
    except (ValueError, TypeError, IndexError):
        return "#ffffff"
    for ratio, ink in ratios[:2]:
        if ratio >= 4.5:
            return ink
    return max(ratios)[1]


@functools.lru_cache(maxsize=512)
def chip_colors(hex_color: str, status: str) -> dict:
    """backgroundColor, borderColor and textColor of a post's chip, readable at WCAG AA.

    A published post is its colour faded toward white (it used to be the whole chip at 65 %
    opacity, which faded the words with it, down to 2.5:1); its text colour is chosen on the
    faded colour. ``cal-ink-light``/``-dark`` tell the stylesheet which way to hatch a plan so that
    the stripes keep the words readable.
    """
    color = hex_color
    if status == "published":
        try:
            channels = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
            color = "#" + "".join(
                f"{round(c * PUBLISHED_FADE + 255 * (1 - PUBLISHED_FADE)):02x}" for c in channels
            )
        except (ValueError, TypeError):
            color = hex_color
    text = _text_color(color)
    return {
        "backgroundColor": color,
        "borderColor": color,
        "textColor": text,
        "ink": "cal-ink-light" if text == "#ffffff" else "cal-ink-dark",
    }


def _chip(color: str, status: str, *class_names: str) -> dict:
    """The colour fields and class names of a post's event."""
    colors = chip_colors(color, status)
    return {
        "backgroundColor": colors["backgroundColor"],
        "borderColor": colors["borderColor"],
        "textColor": colors["textColor"],
        "classNames": ["cal-post", f"cal-status-{status}", *class_names, colors["ink"]],
    }


def _local_iso(value: datetime, zone) -> str:
    return value.astimezone(zone).replace(tzinfo=None).isoformat(timespec="seconds")


def _post_label(post: Post) -> str:
    return str(post)[:80]


def _variant_events(
    organization,
    *,
    membership,
    rng: Range,
    filters: CalendarFilters,
    tree: TeamTree,
    names: dict[str, str],
    editable: bool,
    post_url: str,
) -> list[dict]:
    """One event per variant in the range: its network, channel and label, its chip's colours and
    whether this member may drag it (``editable`` False: nobody may)."""
    from accounts.capabilities import Capability, can
    from channels_registry.selectors import network_marks

    marks = network_marks()  # Capabilities.mark, one lookup per range
    zone = rng.zone
    events: list[dict] = []
    may_compose = editable and can(membership, Capability.COMPOSE)
    may_publish = editable and can(membership, Capability.PUBLISH)
    labels = dict(V.choices)
    for v in variants_in_range(
        organization, membership=membership, rng=rng, filters=filters, tree=tree
    ):
        status, provider = v["cal_status"], v["channel__provider"]
        color = v["post__campaign__color"] or DEFAULT_COLOR
        network = names.get(provider, provider)
        channel = v["channel__handle"] or v["channel__name"]
        label = (v["post__title"] or v["label_text"] or "")[:80]
        movable = (
            may_compose
            if status in ("draft", "in_review", "approved")
            else may_publish
            if status in ("scheduled", "failed")
            and v["status"] not in (V.PUBLISHING, V.UNCONFIRMED, V.PENDING)
            else False
        )
        events.append(
            {
                "id": f"v{v['pk']}",
                "title": f"{network} · {channel}: {label}",
                "start": _local_iso(v["slot"], zone),
                "allDay": False,
                "editable": movable,
                **_chip(color, status, f"cal-net-{provider}"),
                **({"url": post_url.replace("/0/", f"/{v['post_id']}/")} if post_url else {}),
                "extendedProps": {
                    "kind": "post",
                    "post": v["post_id"],
                    "variant": v["pk"],
                    "status": status,
                    "statusLabel": str(_STATUS_LABELS[status])
                    if status != "scheduled" or v["status"] == V.SCHEDULED
                    else str(labels.get(v["status"], v["status"])),
                    "network": provider,
                    "networkName": network,
                    "mark": marks.get(provider, "•"),
                    "channel": channel,
                    "channelId": v["channel_id"],
                    "campaign": v["post__campaign__name"] or "",
                    "author": v["post__author__full_name"] or "",
                    "startUtc": v["slot"].astimezone(UTC).isoformat(),
                },
            }
        )
    return events


def _plan_events(
    organization,
    *,
    membership,
    rng: Range,
    filters: CalendarFilters,
    tree: TeamTree,
    editable: bool,
    post_url: str,
) -> list[dict]:
    """One event per draft planned on a day before it has a channel."""
    from accounts.capabilities import Capability, can

    zone = rng.zone
    events: list[dict] = []
    may_compose = editable and can(membership, Capability.COMPOSE)
    for post in channelless_plans(
        organization, membership=membership, rng=rng, filters=filters, tree=tree
    ):
        color = post.campaign.color if post.campaign_id and post.campaign else DEFAULT_COLOR
        status = post.status
        events.append(
            {
                "id": f"p{post.pk}",
                "title": _("(no channel yet): %(post)s") % {"post": _post_label(post)},
                "start": _local_iso(post.planned_at, zone),
                "allDay": False,
                "editable": may_compose,
                **_chip(color, status),
                **({"url": post_url.replace("/0/", f"/{post.pk}/")} if post_url else {}),
                "extendedProps": {
                    "kind": "post",
                    "post": post.pk,
                    "variant": None,
                    "status": status,
                    "statusLabel": str(_STATUS_LABELS.get(status, status)),
                    "network": "",
                    "networkName": "",
                    "mark": "•",
                    "channel": "",
                    "channelId": None,
                    "campaign": post.campaign.name if post.campaign_id and post.campaign else "",
                    "author": post.author.get_full_name() if post.author_id and post.author else "",
                    "startUtc": post.planned_at.astimezone(UTC).isoformat(),
                },
            }
        )
    return events


def _band_events(
    organization, *, rng: Range, filters: CalendarFilters, tree: TeamTree
) -> list[dict]:
    """The all-day bars: campaigns over their days, and notes."""
    events: list[dict] = []
    for c in campaigns_in_range(organization, rng, filters, tree):
        first = c.starts_on or rng.first_day
        last = c.ends_on or rng.last_day
        events.append(
            {
                "id": f"c{c.pk}",
                "title": c.name,
                "start": first.isoformat(),
                "end": (last + timedelta(days=1)).isoformat(),
                "allDay": True,
                # a labelled bar over the days of the campaign (calendar.css/js tint it with the
                # campaign's colour), not a background shade that looks like a holiday
                "editable": False,
                "classNames": ["cal-campaign"],
                "extendedProps": {"kind": "campaign", "campaign": c.pk, "color": c.color},
            }
        )
    for n in notes_in_range(organization, rng, filters, tree):
        events.append(
            {
                "id": f"n{n.pk}",
                "title": n.title,
                "start": n.starts_on.isoformat(),
                "end": (n.ends_on + timedelta(days=1)).isoformat(),
                "allDay": True,
                "editable": False,
                "classNames": ["cal-note"],
                "extendedProps": {
                    "kind": "note",
                    "note": n.pk,
                    "body": n.body,
                    "team": n.team.name if n.team_id and n.team else "",
                },
            }
        )
    return events


def _holiday_events(
    organization,
    *,
    membership,
    rng: Range,
    tree: TeamTree,
    holiday_team_id: int | None,
    holidays_of_viewer: bool,
) -> tuple[list[dict], list[dict], HolidayRegion | None]:
    """The region's holidays in the range: (events, the holidays as a list, the region)."""
    events: list[dict] = []
    if holiday_team_id is None and holidays_of_viewer:
        holiday_team_id = viewer_team_id(membership, tree)
    region = holiday_region_for(organization, team_id=holiday_team_id, tree=tree)
    holidays_out = []
    if region is not None and region.countries:
        for day, code, name in holidays_between(region.countries, rng.first_day, rng.last_day):
            holidays_out.append({"date": day.isoformat(), "country": code, "name": name})
            events.append(
                {
                    "id": f"h{day.isoformat()}{code}",
                    "title": f"{code} · {name}",
                    "start": day.isoformat(),
                    "allDay": True,
                    "editable": False,
                    "classNames": ["cal-holiday"],
                    "extendedProps": {"kind": "holiday", "country": code},
                }
            )
    return events, holidays_out, region


def _best_time_events(
    membership, *, rng: Range, filters: CalendarFilters, editable: bool, now: datetime | None
) -> tuple[list[dict], BestTimes]:
    """The suggested times as background events, and the times themselves (not on a share link)."""
    zone = rng.zone
    events: list[dict] = []
    best = best_times_in_range(membership, rng, filters, now=now) if editable else BestTimes()
    for slot in best.times:
        events.append(
            {
                "id": f"b{slot.isoformat()}",
                "start": _local_iso(slot, zone),
                "end": _local_iso(slot + timedelta(minutes=30), zone),
                "display": "background",
                "title": _("Suggested time"),
                "classNames": ["cal-best-time"],
                "extendedProps": {"kind": "best_time"},
            }
        )
    return events, best


def _cadence_week_events(report: CadenceReport) -> list[dict]:
    """One all-day warning a week that has cadence issues."""
    events: list[dict] = []
    for week, count in sorted(report.per_week.items()):
        events.append(
            {
                "id": f"w{week.isoformat()}",
                "start": week.isoformat(),
                "end": (week + timedelta(days=7)).isoformat(),
                "allDay": True,
                "editable": False,
                "title": "⚠ "
                + ngettext("%(count)d cadence warning", "%(count)d cadence warnings", count)
                % {"count": count},
                "classNames": ["cal-cadence-week"],
                "extendedProps": {"kind": "cadence", "count": count},
            }
        )
    return events


def _cadence_out(report: CadenceReport, *, today: date) -> dict:
    """The cadence issues and the cadence list's week headings, as the payload carries them."""
    return {
        "cadence": [
            {
                "channel": i.channel_id,
                "channelLabel": i.channel_label,
                "week": i.week_start.isoformat(),
                "count": i.count,
                "min": i.min_per_week,
                "max": i.max_per_week,
                "kind": i.kind,
                "message": i.message,
            }
            for i in report.issues
        ],
        # the cadence list's headings: one a week, with its number of warnings
        "cadenceWeeks": [
            {
                "week": week.isoformat(),
                "title": ngettext(
                    "%(week)s: %(count)d cadence warning",
                    "%(week)s: %(count)d cadence warnings",
                    count,
                )
                % {"week": capfirst(_week_label(week, today)), "count": count},
            }
            for week, count in sorted(report.per_week.items())
        ],
    }


def calendar_payload(
    organization,
    *,
    membership,
    rng: Range,
    filters: CalendarFilters,
    holiday_team_id: int | None = None,
    holidays_of_viewer: bool = False,
    editable: bool = True,
    post_url: str = "",
    now: datetime | None = None,
    cadence: bool = True,
) -> dict:
    """Everything the calendar shows for one range: posts, campaign bands, notes, holidays, cadence.

    ``membership`` decides visibility (for a share link: its creator's); holidays are those of
    ``holiday_team_id``'s region, else (``holidays_of_viewer``) of the member's own team, else the
    organization's default; ``editable`` False makes
    every event read-only; ``post_url`` is a post page URL with ``0`` for the id (empty: no links);
    ``cadence`` False leaves out the team's cadence warnings (the shared calendar: they are internal).
    A fixed number of queries whatever the size of the range (no query per event).
    """
    from channels_registry.selectors import provider_names

    names = provider_names()
    tree = TeamTree.of(organization)
    zone = rng.zone
    scope = {"rng": rng, "filters": filters, "tree": tree}
    events = [
        *_variant_events(
            organization,
            membership=membership,
            names=names,
            editable=editable,
            post_url=post_url,
            **scope,
        ),
        *_plan_events(
            organization, membership=membership, editable=editable, post_url=post_url, **scope
        ),
        *_band_events(organization, **scope),
    ]
    holiday_events, holidays_out, region = _holiday_events(
        organization,
        membership=membership,
        rng=rng,
        tree=tree,
        holiday_team_id=holiday_team_id,
        holidays_of_viewer=holidays_of_viewer,
    )
    best_events, best = _best_time_events(
        membership, rng=rng, filters=filters, editable=editable, now=now
    )
    today = (now or timezone.now()).astimezone(zone).date()
    report = (
        cadence_report(
            organization,
            membership=membership,
            rng=rng,
            filters=filters,
            network_names=names,
            tree=tree,
            now=now,
        )
        if cadence
        else CadenceReport()
    )
    events += [*holiday_events, *best_events, *_cadence_week_events(report)]
    return {
        "events": events,
        **_cadence_out(report, today=today),
        "holidays": holidays_out,
        "bestTimes": [_local_iso(slot, zone) for slot in best.times],
        "bestTimesSource": best.source if best.times else "",
        "bestTimesNote": best.note,
        "holidayCountries": list(region.countries) if region is not None else [],
        "timezone": str(zone.key),
    }


# --- Lists for the pages and the API ------------------------------------------------------------------


def notes_of(organization) -> QuerySet[CalendarNote]:
    return (
        CalendarNote.objects.for_org(organization)
        .select_related("team", "created_by")
        .order_by("-starts_on", "pk")
    )


def holiday_regions_of(organization) -> QuerySet[HolidayRegion]:
    return HolidayRegion.objects.for_org(organization).select_related("team").order_by("team__name")


def cadence_targets_of(organization) -> QuerySet[CadenceTarget]:
    return (
        CadenceTarget.objects.for_org(organization)
        .select_related("channel")
        .order_by("channel__provider", "channel__handle")
    )


#: the calendar's kind of kernel share link (socialops.sharing), registered in PublishingConfig.ready()
SHARE_KIND = "calendar"


def share_links_of(organization):
    """The calendar's share links of ``organization`` (the kernel's ShareLink rows of kind "calendar")."""
    from socialops.sharing import selectors as sharing

    return sharing.links_of(organization, kind=SHARE_KIND)


def shared_link_creator(link):
    """The active membership of the person who made ``link`` if it may still see the calendar, else None.

    A link dies with its creator's access: the kind's check (a 410 "revoked") and the shared pages,
    which show the calendar as its creator sees it, both ask; the answer is kept on the link.
    """
    from accounts.capabilities import Capability, can
    from accounts.selectors import membership_for

    if not hasattr(link, "_share_creator"):
        creator = membership_for(link.created_by, link.organization) if link.created_by_id else None
        if creator is not None and not (creator.is_active and can(creator, Capability.VIEW)):
            creator = None
        link._share_creator = creator
    return link._share_creator


def share_link_check(link) -> str | None:
    """The calendar kind's check (``socialops.sharing.kinds``): refused as "revoked" once its creator lost access."""
    return None if shared_link_creator(link) is not None else "revoked"


def _get(model, organization, obj_id, what: str):
    from django.http import Http404

    pk = _int(obj_id)
    obj = model.objects.for_org(organization).filter(pk=pk).first() if pk else None
    if obj is None:
        raise Http404(f"No such {what}.")
    return obj


def get_note(organization, note_id) -> CalendarNote:
    return _get(CalendarNote, organization, note_id, "note")


def get_cadence_target(organization, target_id) -> CadenceTarget:
    return _get(CadenceTarget, organization, target_id, "cadence target")


def get_holiday_region(organization, region_id) -> HolidayRegion:
    return _get(HolidayRegion, organization, region_id, "holiday region")


def get_share_link(organization, link_id):
    """One calendar share link of ``organization``: another organization's (or a dashboard's) is a 404."""
    from socialops.sharing import selectors as sharing

    return sharing.get_link(organization, link_id, kind=SHARE_KIND)


__all__ = [
    "CALENDAR_STATUSES",
    "SHARE_KIND",
    "HOLIDAY_COUNTRIES",
    "CadenceReport",
    "CalendarFilters",
    "Range",
    "TeamTree",
    "calendar_payload",
    "cadence_report",
    "cadence_targets_of",
    "calendar_status",
    "campaigns_in_range",
    "channelless_plans",
    "get_cadence_target",
    "get_holiday_region",
    "get_note",
    "get_share_link",
    "holiday_region_for",
    "holiday_regions_of",
    "holidays_between",
    "notes_in_range",
    "notes_of",
    "parse_range",
    "share_link_check",
    "share_links_of",
    "shared_link_creator",
    "slot_of",
    "variants_in_range",
    "viewer_team_id",
    "zone_of",
]


def holiday_countries_of(organization) -> dict[int | None, tuple[str, ...]]:
    """Each holiday region's countries by team id (``None``: the organization's default): one query."""
    return {
        r.team_id: tuple(sorted(r.countries))
        for r in HolidayRegion.objects.for_org(organization).only("team_id", "countries")
    }


def holiday_dates_by_team(
    organization,
    team_ids,
    first: date,
    last: date,
    *,
    countries: dict[int | None, tuple[str, ...]] | None = None,
    parents: dict[int, int | None] | None = None,
) -> dict[int | None, frozenset[date]]:
    """The public-holiday dates from ``first`` to ``last`` of each of ``team_ids`` (its region or
    its nearest ancestor's, else the organization's default; ``None`` = the default): two queries
    whatever the number of teams, none when the caller passes ``countries``
    (``holiday_countries_of``) and the team ``parents`` it already read (the inbox's SLA clock
    and round-robin skip these days)."""
    regions = holiday_countries_of(organization) if countries is None else countries
    if parents is not None:
        tree = TeamTree(parents)
    else:
        tree = TeamTree.of(organization) if any(t is not None for t in team_ids) else TeamTree({})
    by_countries: dict[tuple[str, ...], frozenset[date]] = {}
    out: dict[int | None, frozenset[date]] = {}
    for team_id in set(team_ids):
        codes = None
        if team_id is not None:
            codes = next((regions[n] for n in tree.ancestors(team_id) if n in regions), None)
        codes = codes if codes is not None else regions.get(None, ())
        if codes not in by_countries:
            by_countries[codes] = frozenset(
                day
                for code in codes
                if code in HOLIDAY_COUNTRY_CODES
                for year in range(first.year, last.year + 1)
                for day, _name in _country_holidays(code, year, "")
                if first <= day <= last
            )
        out[team_id] = by_countries[codes]
    return out
