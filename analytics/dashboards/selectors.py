"""Reads of custom dashboards, and each widget's data.

:func:`board_data` computes a whole dashboard in a fixed number of queries, whatever the number
of channels, days and posts: the account figures once (``analytics.selectors.organization_dashboard``
over the rollups) for every KPI tile and breakdown, one grouped read of the daily rollups for every
time series, one read of the posts for each distinct post list (top posts, post table) and one for
the campaign breakdown, and the inbox's own figures (``inbox.figures``) for sentiment and team
response times. Nothing reads the raw metric rows.

A metric a network does not report is shown as "not available for <network>", never as 0: a
widget's ``not_available_for`` names them, and a value no network reports stays ``None``.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from accounts.capabilities import Capability, can

from .. import posts
from ..charts import selectors as chart_selectors
from ..charts import specs as chart_specs
from ..selectors import DateRange, date_range, organization_dashboard
from . import catalog
from .catalog import Breakdown, Kind
from .models import Dashboard, Widget

# --- the dashboards ---------------------------------------------------------------------------------


def dashboards_of(organization):
    """The organization's dashboards, by name (with their creators)."""
    return (
        Dashboard.objects.for_org(organization).select_related("created_by").order_by("name", "id")
    )


def get_dashboard(organization, pk) -> Dashboard:
    """One of the organization's dashboards; another organization's (or none) is a 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such dashboard.") from None
    dashboard = (
        Dashboard.objects.for_org(organization)
        .select_related("team", "channel", "campaign", "created_by")
        .filter(pk=pk)
        .first()
    )
    if dashboard is None:
        raise Http404("No such dashboard.")
    return dashboard


def widgets_of(dashboard: Dashboard):
    return Widget.objects.for_org(dashboard.organization_id).filter(dashboard=dashboard)


def get_widget(dashboard: Dashboard, pk) -> Widget:
    """One widget of ``dashboard``; any other is a 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such widget.") from None
    widget = widgets_of(dashboard).select_related("dashboard").filter(pk=pk).first()
    if widget is None:
        raise Http404("No such widget.")
    return widget


def may_edit(membership, dashboard: Dashboard) -> bool:
    """The one answer to "may this person change this dashboard": its creator while they still see
    analytics, and whoever manages the organization (owners, admins). Everyone else who sees
    analytics reads it, and may duplicate it into a dashboard of their own."""
    if not can(membership, Capability.VIEW_ANALYTICS, dashboard):
        return False
    user_id = getattr(membership, "user_id", None)
    if dashboard.created_by_id is not None and dashboard.created_by_id == user_id:
        return True
    return can(membership, Capability.MANAGE_ORGANIZATION, dashboard)


# --- the filters a dashboard is read with -------------------------------------------------------------


@dataclass(frozen=True)
class BoardFilters:
    range: DateRange
    team: object | None = None
    network: str = ""
    channel_id: int | None = None
    campaign_id: int | None = None

    def post_filters(self) -> posts.PostAnalyticsFilters:
        return posts.PostAnalyticsFilters(
            range=self.range,
            team=self.team,
            network=self.network,
            channel_id=self.channel_id,
            campaign_id=self.campaign_id,
        )


def default_range(dashboard: Dashboard, *, today: date | None = None) -> DateRange:
    """The dashboard's preset: the last ``range_days`` days up to today (UTC)."""
    today = today or timezone.now().date()
    return date_range(today - timedelta(days=dashboard.range_days - 1), today, today=today)


def board_filters(
    dashboard: Dashboard, *, since: date | None = None, until: date | None = None
) -> BoardFilters:
    """The dashboard's default filters, with the range asked for (``since``/``until``; either
    alone keeps the preset's length). A backwards or too long range is a ``ValidationFailed``."""
    if since is None and until is None:
        rng = default_range(dashboard)
    else:
        if since is None:
            since = until - timedelta(days=dashboard.range_days - 1)
        rng = date_range(since, until)
    return BoardFilters(
        range=rng,
        team=dashboard.team,
        network=dashboard.network,
        channel_id=dashboard.channel_id,
        campaign_id=dashboard.campaign_id,
    )


# --- each widget's data -----------------------------------------------------------------------------


@dataclass
class Point:
    day: date
    value: float | int | None


@dataclass
class Row:
    """One line of a breakdown, a list of posts or of teams."""

    label: str
    value: float | int | None
    #: where it comes from (a channel's network), shown beside it
    detail: str = ""
    #: the networks that do not report the figure (the value stays None when none does)
    not_available_for: list[str] = field(default_factory=list)
    url: str = ""


@dataclass
class WidgetData:
    widget: Widget
    title: str
    metric_label: str = ""
    #: a KPI tile
    kpi: object | None = None
    #: a time series
    points: list[Point] = field(default_factory=list)
    #: a Vega-Lite specification of the time series or breakdown (``analytics.charts``)
    chart: dict | None = None
    #: a breakdown, team response times
    rows: list[Row] = field(default_factory=list)
    #: top posts, post table (``analytics.posts.VariantFigures``)
    posts: list = field(default_factory=list)
    #: sentiment over time (``inbox.figures.SentimentDay``)
    sentiment: list = field(default_factory=list)
    #: team response times (``inbox.figures.TeamResponse``, with ``.team`` names)
    teams: list = field(default_factory=list)
    #: the networks (names) of the channels shown that do not report the metric
    not_available_for: list[str] = field(default_factory=list)
    #: no channel shown reports the metric at all: the widget says "not available for …"
    all_unavailable: bool = False

    @property
    def kind(self) -> str:
        return self.widget.kind


@dataclass
class BoardData:
    dashboard: Dashboard
    filters: BoardFilters
    widgets: list[WidgetData]
    last_fetched_at: object | None = None
    networks: list[tuple[str, str]] = field(default_factory=list)


def _label(kind: str, metric: str, breakdown: str = "") -> str:
    return str(catalog.metrics_for(kind, breakdown).get(metric, ""))


def _title(widget: Widget) -> str:
    if widget.title:
        return widget.title
    kind = str(Kind(widget.kind).label)
    metric = _label(widget.kind, widget.metric, widget.breakdown)
    if widget.kind == Kind.BREAKDOWN:
        return f"{metric} · {Breakdown(widget.breakdown).label}"
    return f"{metric} · {kind}" if metric and widget.kind != Kind.KPI else metric or kind


def _rate(engagements, impressions):
    if engagements is None or not impressions:
        return None
    return round(100.0 * engagements / impressions, 2)


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


#: bars drawn in a breakdown's chart (the table below it lists every row)
CHART_BARS = 20


def _bars(data: WidgetData) -> dict:
    """A breakdown's chart: its first ``CHART_BARS`` rows, a missing figure as "not available"."""
    bars = [chart_specs.Bar(r.label, r.value) for r in data.rows[:CHART_BARS]]
    return chart_specs.breakdown_spec(bars, title=data.title, value_title=data.metric_label)


def _group(rows, key, metric: str) -> list[Row]:
    """Channel rows of the organization dashboard summed by ``key`` (a network, a team)."""
    groups: dict[str, dict] = {}
    for r in rows:
        g = groups.setdefault(
            key(r),
            {
                "value": None,
                "engagements": None,
                "impressions": None,
                "reporting": set(),
                "all": set(),
            },
        )
        g["all"].add(r.network_name)
        value = r.values.get(metric)
        if value is not None:
            g["reporting"].add(r.network_name)
        if metric == "engagement_rate":
            if r.values["engagements"] is not None and r.values["impressions"]:
                g["engagements"] = _add(g["engagements"], r.values["engagements"])
                g["impressions"] = _add(g["impressions"], r.values["impressions"])
        else:
            g["value"] = _add(g["value"], value)
    out = []
    for label, g in groups.items():
        value = (
            _rate(g["engagements"], g["impressions"]) if metric == "engagement_rate" else g["value"]
        )
        out.append(Row(label, value, not_available_for=sorted(g["all"] - g["reporting"])))
    return out


def _team_of(row) -> str:
    return row.team or gettext("No team")


def _sorted(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.value is None, -(r.value or 0), r.label.lower()))


def _limit(widget: Widget) -> int:
    return int(widget.options.get("limit") or catalog.LIMIT_DEFAULT)


def board_data(membership, dashboard: Dashboard, filters: BoardFilters | None = None) -> BoardData:
    """Every widget's data of ``dashboard`` as ``membership`` sees it (the channels whose analytics
    they may see), over ``filters`` (default: the dashboard's own)."""
    from inbox import figures as inbox_figures

    filters = filters or board_filters(dashboard)
    org = membership.organization
    widgets = list(widgets_of(dashboard))
    kinds = {w.kind for w in widgets}
    account_kinds = {Kind.KPI, Kind.TIMESERIES}
    needs_board = bool(kinds & account_kinds) or any(
        w.kind == Kind.BREAKDOWN and w.breakdown != Breakdown.CAMPAIGN for w in widgets
    )
    board = None
    if needs_board:
        board = organization_dashboard(
            membership,
            filters.range,
            team=filters.team,
            network=filters.network,
            channel_id=filters.channel_id,
            with_inbox=False,  # the inbox widgets read the inbox's own figures below
        )
    series = None
    if Kind.TIMESERIES in kinds:
        # the same daily totals as the organization dashboard's charts (both periods, one query)
        series = chart_selectors.daily_totals(
            org, [r.channel_id for r in board.channels], filters.range
        )
        for day in (*series.current, *series.previous):
            day["engagement_rate"] = _rate(day["engagements"], day["impressions"])
    # the channels the member may see analytics of, narrowed by the filters (a subquery, no query)
    channel_ids = posts.analytics_channels(
        membership, team=filters.team, network=filters.network, channel_id=filters.channel_id
    ).values("pk")
    inbox_range = inbox_figures.DateRange(
        filters.range.since, filters.range.until, zoneinfo.ZoneInfo("UTC")
    )
    sentiment = None
    if Kind.SENTIMENT in kinds:
        sentiment = inbox_figures.sentiment_by_day(org, channel_ids=channel_ids, rng=inbox_range)
    teams = None
    if Kind.RESPONSE_TIMES in kinds:
        from accounts.selectors import teams_of

        names = dict(teams_of(org).values_list("pk", "name"))
        teams = inbox_figures.response_times_by_team(org, channel_ids=channel_ids, rng=inbox_range)
        for t in teams:
            t.team = names.get(t.team_id, "") if t.team_id else ""
            t.median_text = inbox_figures.duration_text(t.median_seconds)
            t.p90_text = inbox_figures.duration_text(t.p90_seconds)
    # the post lists: one read per distinct order, as long as the longest list that order needs
    post_filters = filters.post_filters()
    wanted: dict[str, int] = {}
    for w in widgets:
        if w.kind in (Kind.TOP_POSTS, Kind.POST_TABLE):
            sort = f"-{w.metric}"
            wanted[sort] = max(wanted.get(sort, 0), _limit(w))
    by_campaign = any(
        w.kind == Kind.BREAKDOWN and w.breakdown == Breakdown.CAMPAIGN for w in widgets
    )
    # the range's variants with their figures, read once (as values) for the campaign sums and the
    # lists' order; only each list's winners are then read in full
    counted = posts.counted(membership, post_filters) if wanted or by_campaign else []
    post_lists = {
        sort: posts.top_variants(membership, post_filters, counted, sort=sort, limit=limit)
        for sort, limit in wanted.items()
    }
    campaigns = None
    if by_campaign:
        campaigns = posts.campaign_results(membership, post_filters, counted)

    out = []
    for w in widgets:
        data = WidgetData(
            widget=w, title=_title(w), metric_label=_label(w.kind, w.metric, w.breakdown)
        )
        if w.kind == Kind.KPI:
            data.kpi = board.kpi(w.metric)
            data.not_available_for = data.kpi.not_available_for
            data.all_unavailable = data.kpi.current is None
        elif w.kind == Kind.TIMESERIES:
            kpi = board.kpi(w.metric)
            data.points = [
                Point(day, series.current[n][w.metric]) for n, day in enumerate(series.days())
            ]
            if w.metric == "posts_published":  # counted here: a day without posts is 0
                for p in data.points:
                    p.value = p.value or 0
            data.chart = chart_specs.time_series_spec(series, w.metric, title=data.title)
            data.not_available_for = kpi.not_available_for
            data.all_unavailable = all(p.value is None for p in data.points)
        elif w.kind == Kind.BREAKDOWN and w.breakdown == Breakdown.CAMPAIGN:
            rows = []
            missing: set[str] = set()
            for c in campaigns:
                na = c.totals.not_available_for.get(w.metric, [])
                missing.update(na)
                label = c.name or gettext("No campaign")
                rows.append(Row(label, c.totals.values.get(w.metric), not_available_for=na))
            data.rows = _sorted(rows)[: _limit(w)] if "limit" in w.options else _sorted(rows)
            data.chart = _bars(data)
            data.not_available_for = sorted(missing)
            data.all_unavailable = bool(rows) and all(r.value is None for r in rows)
        elif w.kind == Kind.BREAKDOWN:
            kpi = board.kpi(w.metric)
            if w.breakdown == Breakdown.CHANNEL:
                rows = [
                    Row(
                        r.name,
                        r.values.get(w.metric),
                        detail=r.network_name,
                        not_available_for=[r.network_name]
                        if r.values.get(w.metric) is None
                        else [],
                    )
                    for r in board.channels
                ]
            elif w.breakdown == Breakdown.NETWORK:
                rows = _group(board.channels, lambda r: r.network_name, w.metric)
            else:
                rows = _group(board.channels, _team_of, w.metric)
            rows = _sorted(rows)
            data.rows = rows[: _limit(w)] if "limit" in w.options else rows
            data.chart = _bars(data)
            data.not_available_for = kpi.not_available_for
            data.all_unavailable = kpi.current is None and bool(board.channels)
        elif w.kind in (Kind.TOP_POSTS, Kind.POST_TABLE):
            data.posts = post_lists[f"-{w.metric}"][: _limit(w)]
            missing = {
                r.network_name for r in data.posts if r.fetched and r.values[w.metric] is None
            }
            data.not_available_for = sorted(missing)
            data.all_unavailable = bool(data.posts) and all(
                r.values[w.metric] is None for r in data.posts
            )
        elif w.kind == Kind.SENTIMENT:
            data.sentiment = sentiment
            if any(d.total for d in sentiment):  # no bars to draw: the table says it
                data.chart = chart_specs.sentiment_spec(sentiment, title=data.title)
        elif w.kind == Kind.RESPONSE_TIMES:
            data.teams = teams
        out.append(data)
    return BoardData(
        dashboard=dashboard,
        filters=filters,
        widgets=out,
        last_fetched_at=board.last_fetched_at if board else None,
        networks=board.networks if board else [],
    )


__all__ = [
    "BoardData",
    "BoardFilters",
    "WidgetData",
    "board_data",
    "board_filters",
    "dashboards_of",
    "default_range",
    "get_dashboard",
    "get_widget",
    "may_edit",
    "widgets_of",
]


# --- share links (the kernel's, kind "dashboard") ---------------------------------------------------

SHARE_KIND = "dashboard"


def share_links_of(dashboard: Dashboard):
    """The dashboard's share links, newest first (the kernel's ShareLink rows of kind "dashboard")."""
    from socialops.sharing import selectors as sharing

    return sharing.links_of(dashboard.organization_id, kind=SHARE_KIND).filter(
        target_id=dashboard.pk
    )


def shareable_links(membership):
    """The dashboard share links ``membership`` may manage: every one for whoever manages the
    organization, else those of the dashboards they made (the ones they may change)."""
    from socialops.sharing import selectors as sharing

    qs = sharing.links_of(membership.organization, kind=SHARE_KIND)
    if not can(membership, Capability.VIEW_ANALYTICS):
        return qs.none()
    if can(membership, Capability.MANAGE_ORGANIZATION):
        return qs
    mine = Dashboard.objects.for_org(membership.organization).filter(
        created_by_id=membership.user_id
    )
    return qs.filter(target_id__in=mine.values("pk"))


def get_share_link(dashboard: Dashboard, link_id):
    """One share link of ``dashboard``: another dashboard's, organization's or kind's is a 404."""
    from socialops.sharing import selectors as sharing

    link = sharing.get_link(dashboard.organization_id, link_id, kind=SHARE_KIND)
    if link.target_id != dashboard.pk:
        raise Http404("No such share link.")
    return link


def shared_link_creator(link):
    """The active membership of the person who made ``link`` while they still see analytics, else
    None. The shared page shows the dashboard as they see it; the answer is kept on the link."""
    from accounts.selectors import membership_for

    if not hasattr(link, "_share_creator"):
        creator = membership_for(link.created_by, link.organization) if link.created_by_id else None
        if creator is not None and not can(creator, Capability.VIEW_ANALYTICS):
            creator = None
        link._share_creator = creator
    return link._share_creator


def shared_dashboard(link) -> Dashboard | None:
    """The dashboard ``link`` shows (None once deleted); kept on the link."""
    if not hasattr(link, "_share_dashboard"):
        link._share_dashboard = (
            Dashboard.objects.for_org(link.organization_id)
            .select_related("team", "channel", "campaign")
            .filter(pk=link.target_id)
            .first()
            if link.target_id
            else None
        )
        if link._share_dashboard is not None:
            link._share_dashboard.organization = link.organization
    return link._share_dashboard


def share_link_check(link) -> str | None:
    """The dashboard kind's check (``socialops.sharing.kinds``): refused as "revoked" once the
    dashboard is deleted or its creator no longer sees analytics in the organization."""
    if shared_dashboard(link) is None or shared_link_creator(link) is None:
        return "revoked"
    return None
