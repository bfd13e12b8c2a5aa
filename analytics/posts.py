"""Reads of per-post analytics: each published variant's figures (the post page, the posts table,
its CSV and the API) and campaign results summed across channels.

Figures are a variant's lifetime totals as last fetched, read from its latest ``PostDay`` rollup
(never the raw rows). A figure the network does not report is ``None`` ("not available for
<network>"), never 0; a variant with no rollup yet has not been fetched. Every read is over the
channels the member may see analytics of, narrowed like the dashboard (team subtree, network, one
channel) and, here, to one campaign; the number of queries does not grow with the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import BigIntegerField, F, FloatField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils.translation import gettext_lazy as _

from .selectors import DateRange

#: the counts of a variant's latest rollup, in the table's order
COUNTS = (
    "impressions",
    "reach",
    "engagements",
    "likes",
    "comments",
    "shares",
    "saves",
    "link_clicks",
    "video_views",
)
#: every figure of a row (the engagement rate is engagements ÷ impressions, in percent)
METRICS = (*COUNTS, "engagement_rate")
#: each figure's label (the post page, the posts table, the campaigns table)
METRIC_LABELS = {
    "impressions": _("Impressions"),
    "reach": _("Reach"),
    "engagements": _("Engagements"),
    "likes": _("Likes"),
    "comments": _("Comments"),
    "shares": _("Shares"),
    "saves": _("Saves"),
    "link_clicks": _("Link clicks"),
    "video_views": _("Video views"),
    "engagement_rate": _("Engagement rate"),
}
#: what ``sort`` may name: a column, ascending, or with a leading "-" descending
SORT_KEYS = ("published_at", *METRICS)
SORTS = tuple(s for key in SORT_KEYS for s in (key, f"-{key}"))
DEFAULT_SORT = "-published_at"
#: a missing figure sorts after every measured one, in either direction (and keeps the sort key
#: non-null, which the API's keyset cursor needs)
_MISSING_LOW, _MISSING_HIGH = -1, 2**62


@dataclass(frozen=True)
class PostAnalyticsFilters:
    range: DateRange
    team: object | None = None
    network: str = ""
    channel_id: int | None = None
    campaign_id: int | None = None


@dataclass
class VariantFigures:
    """One published variant's row."""

    variant_id: int
    post_id: int
    post_title: str
    campaign_id: int | None
    campaign: str
    channel_id: int
    channel: str
    handle: str
    network: str
    network_name: str
    team: str
    published_at: datetime | None
    external_url: str
    values: dict[str, float | int | None]
    #: the day of the latest rollup (None: never fetched) and when its figures were fetched
    figures_day: date | None
    fetched_at: datetime | None

    @property
    def fetched(self) -> bool:
        return self.figures_day is not None

    @property
    def not_available(self) -> list[str]:
        """The figures this variant's network does not report (empty until it is fetched)."""
        if not self.fetched:
            return []
        return [m for m in METRICS if self.values.get(m) is None]


@dataclass
class Totals:
    """Figures summed over variants, with the networks that report none of a figure named."""

    variants: int = 0
    posts: int = 0
    channels: int = 0
    values: dict[str, float | int | None] = field(default_factory=dict)
    #: metric → the networks (names) of variants fetched without that figure
    not_available_for: dict[str, list[str]] = field(default_factory=dict)
    #: variants counted that have no figures yet
    not_fetched: int = 0


@dataclass
class CampaignResult:
    campaign_id: int | None  # None: posts without a campaign
    name: str
    totals: Totals
    networks: list[str]


# --- which channels, which variants ----------------------------------------------------------------


def analytics_channels(membership, *, team=None, network: str = "", channel_id: int | None = None):
    """The channels ``membership`` may see analytics of, narrowed as the dashboard narrows them."""
    from accounts.capabilities import Capability
    from channels_registry.selectors import ChannelFilters, channels_of, channels_with_capability

    qs = channels_with_capability(membership, Capability.VIEW_ANALYTICS)
    if team is not None or network:
        narrowed = channels_of(
            membership.organization, ChannelFilters(provider=network, team=team)
        ).values("pk")
        qs = qs.filter(pk__in=narrowed)
    if channel_id is not None:
        qs = qs.filter(pk=channel_id)
    return qs


def _with_figures(qs: QuerySet, organization) -> QuerySet:
    """Variants annotated with their latest rollup's figures (``fig_<metric>``), its day and
    fetch time: correlated subqueries on the (variant, day) unique index."""
    from .models import PostDay

    latest = (
        PostDay.objects.for_org(organization).filter(variant_id=OuterRef("pk")).order_by("-day")
    )

    def last(name):
        return Subquery(latest.values(name)[:1])

    qs = qs.annotate(
        **{f"fig_{m}": last(m) for m in COUNTS},
        fig_day=last("day"),
        fig_fetched_at=last("fetched_at"),
    )
    return qs.annotate(
        fig_engagement_rate=Cast(F("fig_engagements"), FloatField())
        * Value(100.0)
        / NullIf(Cast(F("fig_impressions"), FloatField()), Value(0.0))
    )


def sort_ordering(sort: str) -> tuple[str, ...]:
    """The ``order_by`` of ``sort`` (one of :data:`SORTS`), ending on the unique ``id``."""
    key = sort.lstrip("-")
    desc = sort.startswith("-")
    if key == "published_at":
        return ("-published_at", "-id") if desc else ("published_at", "id")
    return ("-sort_value", "-id") if desc else ("sort_value", "id")


def _published(membership, filters: PostAnalyticsFilters) -> QuerySet:
    """The published variants the filters select, without their figures."""
    from publishing.selectors import published_variants_between

    channels = analytics_channels(
        membership, team=filters.team, network=filters.network, channel_id=filters.channel_id
    )
    return published_variants_between(
        membership.organization,
        channel_ids=channels.values("pk"),
        since=filters.range.since,
        until=filters.range.until,
        campaign_id=filters.campaign_id,
    )


def variant_rows(membership, filters: PostAnalyticsFilters, *, sort: str = DEFAULT_SORT):
    """The published variants in the filters' range, with their figures, ordered by ``sort`` (a
    ``ValueError`` for a sort not in :data:`SORTS`: callers validate first). A queryset: page it."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    qs = _with_figures(_published(membership, filters), membership.organization)
    key = sort.lstrip("-")
    if key != "published_at":
        missing = _MISSING_LOW if sort.startswith("-") else _MISSING_HIGH
        output = FloatField() if key == "engagement_rate" else BigIntegerField()
        qs = qs.annotate(sort_value=Coalesce(F(f"fig_{key}"), Value(missing), output_field=output))
    return qs.order_by(*sort_ordering(sort))


def _rate(values) -> float | None:
    engagements, impressions = values.get("engagements"), values.get("impressions")
    if engagements is None or not impressions:
        return None
    return round(100.0 * engagements / impressions, 2)


def figures_of(variant, names: dict[str, str] | None = None) -> VariantFigures:
    """A row of a variant read through :func:`variant_rows` (or the post page's read)."""
    from channels_registry.selectors import provider_names

    names = names if names is not None else provider_names()
    values: dict[str, float | int | None] = {m: getattr(variant, f"fig_{m}") for m in COUNTS}
    values["engagement_rate"] = _rate(values)
    post, channel = variant.post, variant.channel
    campaign = post.campaign if post.campaign_id else None
    return VariantFigures(
        variant_id=variant.pk,
        post_id=post.pk,
        post_title=str(post),
        campaign_id=post.campaign_id,
        campaign=campaign.name if campaign else "",
        channel_id=channel.pk,
        channel=channel.name or channel.handle,
        handle=channel.handle,
        network=channel.provider,
        network_name=names.get(channel.provider, channel.provider),
        team=channel.team.name if channel.team_id else "",
        published_at=variant.published_at,
        external_url=variant.external_url,
        values=values,
        figures_day=variant.fig_day,
        fetched_at=variant.fig_fetched_at,
    )


def rows_of(variants: Iterable) -> list[VariantFigures]:
    from channels_registry.selectors import provider_names

    names = provider_names()
    return [figures_of(v, names) for v in variants]


# --- sums -----------------------------------------------------------------------------------------


def total(rows: Iterable[VariantFigures | Counted]) -> Totals:
    """The rows' figures summed (a figure no row reports stays ``None``); the engagement rate over
    the rows that report both engagements and impressions."""
    rows = list(rows)
    out = Totals(
        variants=len(rows),
        posts=len({r.post_id for r in rows}),
        channels=len({r.channel_id for r in rows}),
        not_fetched=sum(1 for r in rows if not r.fetched),
    )
    for m in COUNTS:
        present = [r.values[m] for r in rows if r.values[m] is not None]
        out.values[m] = sum(present) if present else None
    both = [r for r in rows if r.values["engagements"] is not None and r.values["impressions"]]
    out.values["engagement_rate"] = (
        _rate(
            {
                "engagements": sum(r.values["engagements"] for r in both),
                "impressions": sum(r.values["impressions"] for r in both),
            }
        )
        if both
        else None
    )
    for m in METRICS:
        missing = sorted({r.network_name for r in rows if r.fetched and r.values[m] is None})
        if missing:
            out.not_available_for[m] = missing
    return out


def filtered_totals(membership, filters: PostAnalyticsFilters) -> Totals:
    """:func:`total` of every variant the filters select (one query, not one per page; read as
    values: the posts table's totals row counts every variant of the range)."""
    return total(counted(membership, filters))


@dataclass(slots=True)
class Counted:
    """What :func:`total` and a top-N list read of a variant, read without model instances (a
    custom dashboard sums every variant of the range: thousands at 300 channels)."""

    variant_id: int
    post_id: int
    channel_id: int
    campaign_id: int | None
    campaign: str
    network_name: str
    values: dict[str, float | int | None]
    figures_day: date | None
    #: the engagement rate as the database sorts it (not rounded)
    rate: float | None

    @property
    def fetched(self) -> bool:
        return self.figures_day is not None


#: what :func:`counted` reads of each variant, in order
_COUNTED_FIELDS = (
    "pk",
    "post_id",
    "post__campaign_id",
    "post__campaign__name",
    "channel_id",
    "channel__provider",
)


def _counted_values(membership, filters: PostAnalyticsFilters):
    """``(pk, post, campaign, campaign name, channel, provider, latest day, *COUNTS)`` per
    variant. On PostgreSQL each variant's latest rollup is joined once (``LATERAL
    … LIMIT 1``: one index probe per variant); the portable path annotates one correlated
    subquery per figure (ten probes per variant: the slower half of a custom dashboard)."""
    from django.db import connection

    base = _published(membership, filters).order_by()
    if connection.vendor != "postgresql":
        qs = _with_figures(base, membership.organization)
        yield from qs.values_list(*_COUNTED_FIELDS, "fig_day", *(f"fig_{m}" for m in COUNTS))
        return
    sql, params = base.values_list(*_COUNTED_FIELDS).query.sql_with_params()
    figures = ", ".join(f"d.{m}" for m in COUNTS)
    latest = (
        f"SELECT d.day, {figures} FROM analytics_postday d "  # noqa: S608 (names from COUNTS)
        "WHERE d.variant_id = b.v AND d.organization_id = %s ORDER BY d.day DESC LIMIT 1"
    )
    columns = "v, post, campaign, campaign_name, channel, provider"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT b.*, l.* FROM ({sql}) AS b ({columns}) "  # noqa: S608 (the ORM's own SQL)
            f"LEFT JOIN LATERAL ({latest}) AS l ON true",
            [*params, membership.organization.pk],
        )
        yield from cur.fetchall()


def counted(membership, filters: PostAnalyticsFilters) -> list[Counted]:
    """Every variant :func:`variant_rows` selects, with its latest figures: one query, no model."""
    from channels_registry.selectors import provider_names

    names = provider_names()
    out = []
    for vid, post_id, cid, cname, chid, provider, day, *figures in _counted_values(
        membership, filters
    ):
        values: dict[str, float | int | None] = dict(zip(COUNTS, figures, strict=True))
        values["engagement_rate"] = _rate(values)
        engagements, impressions = values["engagements"], values["impressions"]
        out.append(
            Counted(
                variant_id=vid,
                post_id=post_id,
                channel_id=chid,
                campaign_id=cid,
                campaign=cname or "",
                network_name=names.get(provider, provider),
                values=values,
                figures_day=day,
                rate=(
                    100.0 * engagements / impressions
                    if engagements is not None and impressions
                    else None
                ),
            )
        )
    return out


def top_variants(
    membership, filters: PostAnalyticsFilters, rows: list[Counted], *, sort: str, limit: int
) -> list[VariantFigures]:
    """The first ``limit`` of ``rows`` (:func:`counted`) in :func:`variant_rows`' order for a
    figure ``sort`` ("-engagements", …; missing figures last), read in full: the order is taken
    from the rows already read, so only the ``limit`` winners are read again."""
    key = sort.lstrip("-")
    if key == "published_at" or sort not in SORTS:
        raise ValueError(f"unsupported sort {sort!r}")
    desc = sort.startswith("-")
    missing = _MISSING_LOW if desc else _MISSING_HIGH

    def value(r: Counted):
        v = r.rate if key == "engagement_rate" else r.values[key]
        return missing if v is None else v

    ranked = sorted(rows, key=lambda r: (value(r), r.variant_id), reverse=desc)[:limit]
    ids = [r.variant_id for r in ranked]
    if not ids:
        return []
    return rows_of(variant_rows(membership, filters, sort=sort).filter(pk__in=ids))


def campaign_results(
    membership, filters: PostAnalyticsFilters, rows: list[Counted] | None = None
) -> list[CampaignResult]:
    """Each campaign's figures summed across its channels (the variants published in the range on
    the channels the member may see analytics of), most impressions first; posts without a
    campaign last, as one row. ``rows``: :func:`counted`'s, when the caller has read them."""
    rows = counted(membership, filters) if rows is None else rows
    campaigns: dict[int, str] = {}
    groups: dict[int | None, list[Counted]] = {}
    for r in rows:
        if r.campaign_id is not None:
            campaigns[r.campaign_id] = r.campaign
        groups.setdefault(r.campaign_id, []).append(r)
    out = []
    for campaign_id, members in groups.items():
        out.append(
            CampaignResult(
                campaign_id=campaign_id,
                name=campaigns.get(campaign_id, ""),
                totals=total(members),
                networks=sorted({r.network_name for r in members}),
            )
        )
    out.sort(
        key=lambda c: (
            c.campaign_id is None,
            -(c.totals.values["impressions"] or 0),
            c.name.lower(),
        )
    )
    return out


# --- the post page --------------------------------------------------------------------------------


def post_figures(membership, post) -> list[VariantFigures]:
    """``post``'s published variants on channels the member may see analytics of, with their
    latest figures (one query besides the member's channels)."""
    from publishing.selectors import published_variants_of

    if membership is None:
        return []
    channels = analytics_channels(membership)
    qs = published_variants_of(post, channel_ids=channels.values("pk")).select_related(
        "post", "post__campaign", "channel__team"
    )
    return rows_of(_with_figures(qs, membership.organization))


__all__ = [
    "COUNTS",
    "DEFAULT_SORT",
    "METRICS",
    "METRIC_LABELS",
    "SORTS",
    "CampaignResult",
    "Counted",
    "PostAnalyticsFilters",
    "Totals",
    "VariantFigures",
    "analytics_channels",
    "campaign_results",
    "counted",
    "figures_of",
    "filtered_totals",
    "post_figures",
    "rows_of",
    "sort_ordering",
    "top_variants",
    "total",
    "variant_rows",
]
