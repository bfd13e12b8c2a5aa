"""The inbox's figures, per day of a date range in the viewer's zone (issue 14, point 7; analytics
reuses them): for one person, one team (with the teams below it) or the whole organization.

- ``inbound``: customers' items (comments, mentions, messages, reviews) written that day;
- ``opened``: conversations that arrived in the inbox that day;
- ``responded``, ``median_seconds``, ``p90_seconds``: conversations first answered that day, and
  how long after their first inbound item (``Conversation.first_response_seconds``);
- ``sla_due``, ``sla_met``: conversations whose answer was due that day (those still unanswered
  count once their due time has passed), and how many had their first response by then;
- ``closed``: conversations closed that day (their last closing).

A person's figures are those of the conversations assigned to them. Every figure counts only
conversations on channels the viewer may moderate (the inbox's own visibility).

Computed in the database with a fixed number of queries whatever the range: six on PostgreSQL
(``percentile_cont``), five elsewhere (the percentiles in Python from one list of durations).
"""

from __future__ import annotations

import statistics
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, can
from socialops.errors import NotAllowed, ValidationFailed

from .models import Conversation, Item
from .selectors import moderated_channels

#: the longest range one request may ask for, in days
MAX_DAYS = 366
#: the ranges the page offers
RANGES = (7, 30)
#: the days a range may name (outside them a day's start in a zone is not a storable instant)
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9000, 12, 31)


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        # a number we choose, formatted in as a literal (never a caller's text)
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def _percentile(values: list[float], fraction: float) -> float | None:
    """``percentile_cont`` in Python: linear interpolation between the closest ranks."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    if fraction == 0.5:
        return float(statistics.median(values))
    # the 1st … 99th percentiles, interpolated over (n - 1) as percentile_cont does
    return float(statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1])


# --- who the figures are about -----------------------------------------------------------------


@dataclass(frozen=True)
class FigureScope:
    #: "member", "team" or "organization"
    kind: str
    name: str
    member_id: int | None = None
    team_id: int | None = None
    #: the team and the teams below it
    team_ids: frozenset[int] = frozenset()


def is_manager(membership) -> bool:
    """Who sees every person's, every team's and the whole organization's figures."""
    return can(membership, Capability.MANAGE_TEAMS)


def figure_scopes(membership) -> list[FigureScope]:
    """The scopes the member may look at, as the page offers them: themselves, their teams, and
    for managers every team and the organization."""
    from accounts.selectors import subtree_of, team_parents, team_tree

    org = membership.organization
    parents = team_parents(org)
    mine = {t.pk for t in membership.teams.all()}
    allowed = subtree_of(parents, mine) if mine else set()
    manager = is_manager(membership)
    scopes = [_member_scope(membership)]
    for team, depth in team_tree(org):
        if manager or team.pk in allowed:
            scopes.append(_team_scope(team, parents, depth=depth))
    if manager:
        scopes.append(FigureScope("organization", org.name))
    return scopes


def _member_scope(member) -> FigureScope:
    name = member.user.get_full_name() or member.user.email
    return FigureScope("member", name, member_id=member.pk)


def _team_scope(team, parents, depth: int = 0) -> FigureScope:
    from accounts.selectors import subtree_of

    return FigureScope(
        "team",
        "\u2014 " * depth + team.name,
        team_id=team.pk,
        team_ids=frozenset(subtree_of(parents, [team.pk])),
    )


def resolve_scope(membership, *, team_id: int | None = None, member=None) -> FigureScope:
    """The scope asked for: ``member`` ("me" or a member's id), ``team_id``, or neither (the
    organization for managers, else the member's own figures). Another organization's team or
    member is a 404; someone else's figures, or a team the member is not in (nor above), are
    for managers only (``NotAllowed``)."""
    from accounts.selectors import get_membership, get_team, subtree_of, team_parents

    if team_id is not None and member is not None:
        raise ValidationFailed(
            _("Ask for a team or a member, not both."),
            fields={"team": [_("Ask for a team or a member, not both.")]},
        )
    manager = is_manager(membership)
    org = membership.organization
    if member is not None:
        if member == "me" or int(member) == membership.pk:
            return _member_scope(membership)
        if not manager:
            raise NotAllowed(_("Only managers see other people's figures."))
        return _member_scope(get_membership(org, int(member)))
    if team_id is not None:
        team = get_team(org, team_id)
        parents = team_parents(org)
        if not manager:
            mine = {t.pk for t in membership.teams.all()}
            if team.pk not in subtree_of(parents, mine):
                raise NotAllowed(_("You see the figures of your own teams only."))
        return _team_scope(team, parents)
    if manager:
        return FigureScope("organization", org.name)
    return _member_scope(membership)


# --- the range ----------------------------------------------------------------------------------


def viewer_zone(membership) -> zoneinfo.ZoneInfo:
    """The member's zone, else their organization's, else UTC."""
    for name in (
        getattr(membership.user, "timezone", ""),
        getattr(membership.organization, "timezone", ""),
    ):
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


@dataclass(frozen=True)
class DateRange:
    since: date
    until: date  # inclusive
    zone: zoneinfo.ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time.min, tzinfo=self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.until + timedelta(days=1), time.min, tzinfo=self.zone)

    @property
    def days(self) -> list[date]:
        return [self.since + timedelta(days=n) for n in range((self.until - self.since).days + 1)]


def date_range(
    zone, *, since: date | None = None, until: date | None = None, days: int = 7
) -> DateRange:
    """The range from ``since`` to ``until`` (inclusive); by default the last ``days`` days up to
    today in ``zone``. A reversed range or one longer than :data:`MAX_DAYS` is a ValidationFailed."""
    today = timezone.now().astimezone(zone).date()
    for name, day in (("since", since), ("until", until)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            message = _("Give a day between %(first)s and %(last)s.") % {
                "first": FIRST_DAY.isoformat(),
                "last": LAST_DAY.isoformat(),
            }
            raise ValidationFailed(message, fields={name: [message]})
    until = until or (today if since is None else min(today, since + timedelta(days=days - 1)))
    since = since or until - timedelta(days=days - 1)
    if since > until:
        message = _("The range's first day comes after its last.")
        raise ValidationFailed(message, fields={"since": [message]})
    if (until - since).days + 1 > MAX_DAYS:
        message = _("Ask for at most %(days)d days.") % {"days": MAX_DAYS}
        raise ValidationFailed(message, fields={"until": [message]})
    return DateRange(since, until, zone)


# --- the figures ---------------------------------------------------------------------------------


@dataclass
class DayFigures:
    day: date | None  # None: the whole range
    inbound: int = 0
    opened: int = 0
    responded: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    sla_due: int = 0
    sla_met: int = 0
    closed: int = 0

    @property
    def sla_met_percent(self) -> float | None:
        return round(100 * self.sla_met / self.sla_due, 1) if self.sla_due else None


@dataclass
class Figures:
    scope: FigureScope
    range: DateRange
    days: list[DayFigures] = field(default_factory=list)
    total: DayFigures = field(default_factory=lambda: DayFigures(day=None))


def scoped_conversations(membership, scope: FigureScope):
    """The conversations the figures of ``scope`` count, as ``membership`` sees them (no query:
    a queryset to narrow)."""
    qs = Conversation.objects.for_org(membership.organization).filter(
        channel__in=moderated_channels(membership).values("pk")
    )
    if scope.kind == "member":
        qs = qs.filter(assignee_id=scope.member_id)
    elif scope.kind == "team":
        qs = qs.filter(assigned_team_id__in=sorted(scope.team_ids))
    return qs


def _by_day(qs, column: str, zone, **aggregates) -> dict[date, dict]:
    rows = (
        qs.order_by()
        .annotate(_day=TruncDate(column, tzinfo=zone))
        .values("_day")
        .annotate(**aggregates)
    )
    return {row.pop("_day"): row for row in rows}


def inbox_figures(membership, scope: FigureScope, rng: DateRange) -> Figures:
    """``scope``'s figures over ``rng``, per day and in total (see the module's docstring)."""
    conversations = scoped_conversations(membership, scope)
    start, end, zone = rng.start, rng.end, rng.zone
    postgres = connection.vendor == "postgresql"

    inbound = _by_day(
        Item.objects.for_org(membership.organization).filter(
            direction=Item.Direction.INBOUND,
            created_at__gte=start,
            created_at__lt=end,
            conversation__in=conversations.values("pk"),
        ),
        "created_at",
        zone,
        n=Count("pk"),
    )
    opened = _by_day(
        conversations.filter(created_at__gte=start, created_at__lt=end),
        "created_at",
        zone,
        n=Count("pk"),
    )
    answered = conversations.filter(first_response_at__gte=start, first_response_at__lt=end)
    durations: dict[date, list[int]] = {}
    if postgres:
        responded = _by_day(
            answered,
            "first_response_at",
            zone,
            n=Count("pk"),
            median=PercentileCont("first_response_seconds", 0.5),
            p90=PercentileCont("first_response_seconds", 0.9),
        )
        overall = answered.order_by().aggregate(
            median=PercentileCont("first_response_seconds", 0.5),
            p90=PercentileCont("first_response_seconds", 0.9),
        )
    else:
        rows = (
            answered.order_by()
            .annotate(_day=TruncDate("first_response_at", tzinfo=zone))
            .values_list("_day", "first_response_seconds")
        )
        for day, seconds in rows:
            durations.setdefault(day, []).append(seconds or 0)
        responded = {
            day: {
                "n": len(values),
                "median": _percentile(values, 0.5),
                "p90": _percentile(values, 0.9),
            }
            for day, values in durations.items()
        }
        every = [s for values in durations.values() for s in values]
        overall = {"median": _percentile(every, 0.5), "p90": _percentile(every, 0.9)}
    now = timezone.now()
    sla = _by_day(
        conversations.filter(sla_due_at__gte=start, sla_due_at__lt=end).filter(
            Q(sla_due_at__lte=now) | Q(first_response_at__isnull=False)
        ),
        "sla_due_at",
        zone,
        due=Count("pk"),
        met=Count("pk", filter=Q(first_response_at__lte=F("sla_due_at"))),
    )
    closed = _by_day(
        conversations.filter(closed_at__gte=start, closed_at__lt=end),
        "closed_at",
        zone,
        n=Count("pk"),
    )

    figures = Figures(scope=scope, range=rng)
    total = figures.total
    for day in rng.days:
        r, s = responded.get(day, {}), sla.get(day, {})
        one = DayFigures(
            day=day,
            inbound=inbound.get(day, {}).get("n", 0),
            opened=opened.get(day, {}).get("n", 0),
            responded=r.get("n", 0),
            median_seconds=r.get("median"),
            p90_seconds=r.get("p90"),
            sla_due=s.get("due", 0),
            sla_met=s.get("met", 0),
            closed=closed.get(day, {}).get("n", 0),
        )
        figures.days.append(one)
        for name in ("inbound", "opened", "responded", "sla_due", "sla_met", "closed"):
            setattr(total, name, getattr(total, name) + getattr(one, name))
    total.median_seconds = overall["median"]
    total.p90_seconds = overall["p90"]
    return figures


# --- for analytics' dashboards: over the channels the caller chooses ----------------------------
#
# A custom dashboard (analytics.dashboards) shows the inbox's sentiment and each team's response
# times beside the networks' figures, over the channels whose analytics the viewer may see: counts
# and durations only, never an item's text. One query each, whatever the range.


@dataclass
class SentimentDay:
    day: date
    positive: int = 0
    neutral: int = 0
    negative: int = 0

    @property
    def total(self) -> int:
        return self.positive + self.neutral + self.negative


def sentiment_by_day(organization, *, channel_ids, rng: DateRange) -> list[SentimentDay]:
    """Customers' items per day of ``rng`` by sentiment (items not scored yet are left out), on
    ``channel_ids`` (a list or a subquery of channel ids)."""
    counted = ("positive", "neutral", "negative")
    rows = (
        Item.objects.for_org(organization)
        .filter(
            direction=Item.Direction.INBOUND,
            created_at__gte=rng.start,
            created_at__lt=rng.end,
            channel_id__in=channel_ids,
            sentiment__in=counted,
        )
        .order_by()
        .annotate(_day=TruncDate("created_at", tzinfo=rng.zone))
        .values("_day", "sentiment")
        .annotate(n=Count("pk"))
    )
    by_day = {day: SentimentDay(day=day) for day in rng.days}
    for row in rows:
        one = by_day.get(row["_day"])
        if one is not None:
            setattr(one, row["sentiment"], row["n"])
    return list(by_day.values())


@dataclass
class TeamResponse:
    team_id: int | None  # None: conversations assigned to no team
    responded: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    sla_due: int = 0
    sla_met: int = 0

    @property
    def sla_met_percent(self) -> float | None:
        return round(100 * self.sla_met / self.sla_due, 1) if self.sla_due else None


def response_times_by_team(organization, *, channel_ids, rng: DateRange) -> list[TeamResponse]:
    """Per assigned team: the conversations first answered in ``rng`` (count, median and p90
    seconds) and those due in it (SLA met), on ``channel_ids``; busiest team first. Two queries
    (the percentiles in the database on PostgreSQL, else in Python)."""
    conversations = Conversation.objects.for_org(organization).filter(channel_id__in=channel_ids)
    answered = conversations.filter(
        first_response_at__gte=rng.start, first_response_at__lt=rng.end
    ).order_by()
    teams: dict[int | None, TeamResponse] = {}
    if connection.vendor == "postgresql":
        for row in answered.values("assigned_team_id").annotate(
            n=Count("pk"),
            median=PercentileCont("first_response_seconds", 0.5),
            p90=PercentileCont("first_response_seconds", 0.9),
        ):
            teams[row["assigned_team_id"]] = TeamResponse(
                row["assigned_team_id"], row["n"], row["median"], row["p90"]
            )
    else:
        durations: dict[int | None, list[int]] = {}
        for team_id, seconds in answered.values_list("assigned_team_id", "first_response_seconds"):
            durations.setdefault(team_id, []).append(seconds or 0)
        for team_id, values in durations.items():
            teams[team_id] = TeamResponse(
                team_id, len(values), _percentile(values, 0.5), _percentile(values, 0.9)
            )
    now = timezone.now()
    sla = (
        conversations.filter(sla_due_at__gte=rng.start, sla_due_at__lt=rng.end)
        .filter(Q(sla_due_at__lte=now) | Q(first_response_at__isnull=False))
        .order_by()
        .values("assigned_team_id")
        .annotate(
            due=Count("pk"), met=Count("pk", filter=Q(first_response_at__lte=F("sla_due_at")))
        )
    )
    for row in sla:
        one = teams.setdefault(row["assigned_team_id"], TeamResponse(row["assigned_team_id"]))
        one.sla_due, one.sla_met = row["due"], row["met"]
    return sorted(teams.values(), key=lambda t: (t.team_id is None, -t.responded, t.team_id or 0))


def figures_for(
    membership,
    *,
    team_id: int | None = None,
    member=None,
    since: date | None = None,
    until: date | None = None,
    days: int = 7,
    zone=None,
) -> Figures:
    """The figures the pages and the API show: the scope and range resolved and checked."""
    scope = resolve_scope(membership, team_id=team_id, member=member)
    rng = date_range(zone or viewer_zone(membership), since=since, until=until, days=days)
    return inbox_figures(membership, scope, rng)


def duration_text(seconds: float | None) -> str:
    """``3 h 20 min``, ``45 min``, ``2 d 4 h``; ``–`` for none."""
    if seconds is None:
        return "\u2013"
    minutes = int(round(seconds / 60))
    if minutes < 1:
        return _("%(n)d s") % {"n": int(round(seconds))}
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}


# --- the organization dashboard (analytics) -----------------------------------------------------


@dataclass
class PeriodFigures:
    """One period's inbox figures on the dashboard's channels (UTC days, as the dashboard)."""

    inbound: int = 0
    responded: int = 0
    median_seconds: float | None = None
    sla_due: int = 0
    sla_met: int = 0
    #: inbound items by sentiment (items not scored yet are left out)
    sentiment: dict[str, int] = field(default_factory=dict)

    @property
    def sla_met_percent(self) -> float | None:
        return round(100 * self.sla_met / self.sla_due, 1) if self.sla_due else None

    def sentiment_percent(self, key: str) -> float | None:
        scored = sum(self.sentiment.values())
        return round(100 * self.sentiment.get(key, 0) / scored, 1) if scored else None


@dataclass
class DashboardFigures:
    current: PeriodFigures
    previous: PeriodFigures
    #: the current period, per UTC day: ``{day: {"inbound", "responded", "median_seconds"}}``
    days: dict[date, dict] = field(default_factory=dict)


def _utc_bounds(since: date, until: date) -> tuple[datetime, datetime]:
    from datetime import UTC

    start = datetime.combine(since, time.min, tzinfo=UTC)
    if until >= date.max:  # the calendar's last day has no next one
        return start, datetime.max.replace(tzinfo=UTC)
    return start, datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)


def dashboard_figures(membership, *, channel_ids, current, previous) -> DashboardFigures:
    """The inbox's figures for the organization dashboard: inbound volume, first responses (count
    and median), SLA met and the sentiment of inbound items in ``current`` and ``previous``
    (objects with ``since`` and ``until`` dates, UTC days), and the current period per day.

    Counted over ``channel_ids`` only, which the caller has already narrowed to the channels the
    member may see analytics of (figures, never content: an analyst who does not moderate sees
    the counts, not the conversations). Three queries whatever the range, on PostgreSQL (the
    medians in Python from the durations elsewhere)."""
    from datetime import UTC

    org = membership.organization
    ids = list(channel_ids)
    out = DashboardFigures(current=PeriodFigures(), previous=PeriodFigures())
    if not ids:
        return out
    start = _utc_bounds(previous.since, previous.until)[0]
    cur_start, end = _utc_bounds(current.since, current.until)
    utc = zoneinfo.ZoneInfo("UTC")
    postgres = connection.vendor == "postgresql"

    # 1. inbound items per day and sentiment (both periods)
    items = (
        Item.objects.for_org(org)
        .filter(
            channel_id__in=ids,
            direction=Item.Direction.INBOUND,
            created_at__gte=start,
            created_at__lt=end,
        )
        .order_by()
        .annotate(_day=TruncDate("created_at", tzinfo=utc))
        .values("_day", "sentiment")
        .annotate(n=Count("pk"))
    )
    for row in items:
        period = out.current if row["_day"] >= current.since else out.previous
        period.inbound += row["n"]
        if row["sentiment"]:
            period.sentiment[row["sentiment"]] = (
                period.sentiment.get(row["sentiment"], 0) + row["n"]
            )
        if row["_day"] >= current.since:
            day = out.days.setdefault(row["_day"], {"inbound": 0, "responded": 0})
            day["inbound"] += row["n"]

    conversations = Conversation.objects.for_org(org).filter(channel_id__in=ids)
    in_cur, in_prev = (
        Q(first_response_at__gte=cur_start, first_response_at__lt=end),
        Q(first_response_at__gte=start, first_response_at__lt=cur_start),
    )
    now = timezone.now()
    due_passed = Q(sla_due_at__lte=now) | Q(first_response_at__isnull=False)
    due_cur = Q(sla_due_at__gte=cur_start, sla_due_at__lt=end) & due_passed
    due_prev = Q(sla_due_at__gte=start, sla_due_at__lt=cur_start) & due_passed
    met = Q(first_response_at__lte=F("sla_due_at"))
    # 2. both periods' responses, medians and SLA in one row (a FILTER on each aggregate)
    window = conversations.filter(
        Q(first_response_at__gte=start, first_response_at__lt=end)
        | Q(sla_due_at__gte=start, sla_due_at__lt=end)
    ).order_by()
    aggregates = {
        "cur_n": Count("pk", filter=in_cur),
        "prev_n": Count("pk", filter=in_prev),
        "cur_due": Count("pk", filter=due_cur),
        "prev_due": Count("pk", filter=due_prev),
        "cur_met": Count("pk", filter=due_cur & met),
        "prev_met": Count("pk", filter=due_prev & met),
    }
    if postgres:
        aggregates["cur_median"] = PercentileCont("first_response_seconds", 0.5, filter=in_cur)
        aggregates["prev_median"] = PercentileCont("first_response_seconds", 0.5, filter=in_prev)
    totals = window.aggregate(**aggregates)
    for name, period in (("cur", out.current), ("prev", out.previous)):
        period.responded = totals[f"{name}_n"]
        period.sla_due, period.sla_met = totals[f"{name}_due"], totals[f"{name}_met"]
        period.median_seconds = totals.get(f"{name}_median")

    # 3. first responses per day (the current period, for the summary's unusual days)
    answered = conversations.filter(in_cur).order_by()
    if postgres:
        rows = (
            answered.annotate(_day=TruncDate("first_response_at", tzinfo=utc))
            .values("_day")
            .annotate(n=Count("pk"), median=PercentileCont("first_response_seconds", 0.5))
        )
        per_day = {r["_day"]: (r["n"], r["median"]) for r in rows}
    else:
        durations: dict[date, list[int]] = {}
        every: dict[str, list[int]] = {"cur": [], "prev": []}
        spans = conversations.filter(in_cur | in_prev).order_by()
        for at, seconds in spans.values_list("first_response_at", "first_response_seconds"):
            day = at.astimezone(UTC).date()
            every["cur" if day >= current.since else "prev"].append(seconds or 0)
            if day >= current.since:
                durations.setdefault(day, []).append(seconds or 0)
        out.current.median_seconds = _percentile(every["cur"], 0.5)
        out.previous.median_seconds = _percentile(every["prev"], 0.5)
        per_day = {d: (len(v), _percentile(v, 0.5)) for d, v in durations.items()}
    for day, (n, median) in per_day.items():
        one = out.days.setdefault(day, {"inbound": 0, "responded": 0})
        one["responded"], one["median_seconds"] = n, median
    return out


__all__ = [
    "DashboardFigures",
    "DateRange",
    "DayFigures",
    "FigureScope",
    "Figures",
    "PeriodFigures",
    "SentimentDay",
    "TeamResponse",
    "dashboard_figures",
    "date_range",
    "duration_text",
    "figure_scopes",
    "figures_for",
    "inbox_figures",
    "resolve_scope",
    "response_times_by_team",
    "scoped_conversations",
    "sentiment_by_day",
    "viewer_zone",
]
