"""Analytics pages. Short: parse, check, one selector, render."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.capabilities import Capability, require_page
from accounts.selectors import teams_of
from channels_registry.selectors import provider_names
from publishing.selectors import campaigns_of
from socialops.db_router import reads_from_replica
from socialops.pdf import PdfUnavailable, render_pdf

from . import posts, selectors, summary
from .charts.dashboard import dashboard_charts
from .charts.render import ChartUnavailable
from .forms import CampaignFilterForm, DashboardFilterForm, PostAnalyticsFilterForm

#: the tiles' labels, in the page's order
TILE_LABELS = {key: selectors.METRIC_LABELS[key] for key in selectors.KPI_KEYS}
#: the inbox's tiles' labels, in the page's order
INBOX_TILE_LABELS = {key: selectors.METRIC_LABELS[key] for key in selectors.INBOX_KEYS}


#: rows of the dashboard's channel table per page
CHANNELS_PER_PAGE = 25


def _dashboard_board(request):
    """The dashboard's filter form, its figures (the default range's when the form is not valid),
    the status (400 with the form's errors beside the default figures) and the filters as a query
    string (without the table's page)."""
    member = request.membership
    channels = selectors.analytics_channel_list(member)
    names = provider_names()
    networks = sorted({(c.provider, names.get(c.provider, c.provider)) for c in channels})
    default = selectors.date_range(None, None)
    query = request.GET.copy()
    query.pop("page", None)  # the channel table's page is not a filter
    form = CampaignFilterForm(
        query or None,
        initial={"since": default.since, "until": default.until},
        teams=teams_of(member.organization).order_by("name"),
        networks=networks,
        channels=channels,
        campaigns=campaigns_of(member.organization),
    )
    status = 200
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        board = selectors.organization_dashboard(
            member,
            data["range"],
            team=data["team_obj"],
            network=data.get("network") or "",
            channel_id=data.get("channel"),
            campaign_id=data.get("campaign"),
            visible=channels,
        )
    else:
        if form.is_bound:
            status = 400  # the figures of the default range, with the form's errors beside them
        board = selectors.organization_dashboard(member, default, visible=channels)
    return form, board, status, query.urlencode()


@reads_from_replica
def dashboard(request, org_slug):
    """``/o/<slug>/analytics/?since=&until=&team=&network=&channel=&campaign=``: the organization's
    figures for a range (default: the last 28 days) beside the period before it, the inbox's, what
    changed in plain words, and charts."""
    require_page(request, Capability.VIEW_ANALYTICS)
    form, board, status, query = _dashboard_board(request)
    # the table: a page at a time (300 channels is normal; the tiles above count them all)
    channel_page = Paginator(board.ranked_channels(), CHANNELS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "analytics/dashboard.html",
        {
            "form": form,
            "board": board,
            "tiles": TILE_LABELS,
            "channel_page": channel_page,
            "query": query,
            "inbox_tiles": INBOX_TILE_LABELS,
            "summary": summary.what_changed(board),
            "charts": dashboard_charts(request.organization, board),
            "pdf_query": query,
        },
        status=status,
    )


@require_GET
@reads_from_replica
def dashboard_pdf(request, org_slug):
    """``/o/<slug>/analytics/pdf/?<the dashboard's filters>``: the dashboard as a PDF (what changed,
    its charts drawn by the server from the same specifications, the key figures, the busiest
    channels). Filters that are not valid show the page with their errors (400)."""
    require_page(request, Capability.VIEW_ANALYTICS)
    form, board, status, _query = _dashboard_board(request)
    if status != 200:
        return dashboard(request, org_slug)
    ranked = board.ranked_channels()
    context = {
        "board": board,
        "tiles": TILE_LABELS,
        "inbox_tiles": INBOX_TILE_LABELS,
        "summary": summary.what_changed(board),
        "charts": dashboard_charts(request.organization, board),
        # each channel's figures in the tiles' order (one loop in the template, not two nested)
        "channel_cells": [
            (row, [(key, row.values.get(key)) for key in TILE_LABELS])
            for row in ranked[: selectors.PDF_CHANNELS]
        ],
        "channels_left": max(0, len(ranked) - selectors.PDF_CHANNELS),
        "organization": request.organization,
        "generated_at": timezone.now(),
    }
    try:
        # the charts' SVG is drawn while the template renders ({% vega_svg %})
        html = render_to_string("analytics/dashboard_pdf.html", context, request=request)
        pdf = render_pdf(html)
    except (PdfUnavailable, ChartUnavailable):
        return HttpResponse(
            _("PDF reports are not available on this server (README: PDF reports)."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"analytics-{request.organization.slug}-{board.range.since}-{board.range.until}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- per-post analytics and campaign results --------------------------------------------------------

#: the posts table's figure columns, in order
POST_COLUMNS = posts.METRIC_LABELS
SORT_LABELS = {"published_at": _("Published"), **POST_COLUMNS}
PAGE_SIZE = 50


def _filter_form(request, form_class, **extra):
    """The filters' form over what the member may see, its filters (the defaults when it is not
    valid) and the page's status (400 with the form's errors beside the default figures)."""
    member = request.membership
    channels = selectors.analytics_channel_list(member)
    names = provider_names()
    networks = sorted({(c.provider, names.get(c.provider, c.provider)) for c in channels})
    default = selectors.date_range(None, None)
    data = None
    if request.GET:
        # a header's sort link carries no range: the form shows the default one it stands for
        data = request.GET.copy()
        if "since" not in data and "until" not in data:
            data["since"], data["until"] = default.since.isoformat(), default.until.isoformat()
    form = form_class(
        data,
        initial={"since": default.since, "until": default.until},
        teams=teams_of(member.organization).order_by("name"),
        networks=networks,
        channels=channels,
        **extra,
    )
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = posts.PostAnalyticsFilters(
            range=d["range"],
            team=d["team_obj"],
            network=d.get("network") or "",
            channel_id=d.get("channel"),
            campaign_id=d.get("campaign"),
        )
        return form, filters, d.get("sort") or posts.DEFAULT_SORT, 200
    status = 400 if form.is_bound else 200
    return form, posts.PostAnalyticsFilters(range=default), posts.DEFAULT_SORT, status


def _posts_form(request):
    return _filter_form(
        request,
        PostAnalyticsFilterForm,
        campaigns=campaigns_of(request.organization),
        sort_labels=SORT_LABELS,
    )


def _columns(request, sort: str) -> list[dict]:
    """Each sortable column: its label, the link that sorts by it (descending first, the other way
    when it is the current sort) and its ``aria-sort``."""
    query = request.GET.copy()
    query.pop("page", None)
    out = []
    for key, label in SORT_LABELS.items():
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        query["sort"] = key if current and descending else f"-{key}"
        out.append(
            {
                "key": key,
                "label": label,
                "href": "?" + query.urlencode(),
                "aria_sort": ("descending" if descending else "ascending") if current else "none",
            }
        )
    return out


@require_GET
@reads_from_replica
def post_analytics(request, org_slug):
    """``/o/<slug>/analytics/posts/?since=&until=&team=&network=&channel=&campaign=&sort=&page=``:
    each published variant's figures, sortable by any column, with the totals of every row."""
    require_page(request, Capability.VIEW_ANALYTICS)
    form, filters, sort, status = _posts_form(request)
    member = request.membership
    page = Paginator(posts.variant_rows(member, filters, sort=sort), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = posts.rows_of(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "analytics/posts.html",
        {
            "form": form,
            "filters": filters,
            "sort": sort,
            "page": page,
            "rows": rows,
            "totals": posts.filtered_totals(member, filters),
            "columns": _columns(request, sort),
            "metrics": POST_COLUMNS,
            "query": query.urlencode(),
        },
        status=status,
    )


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # titles, names and handles come from people and networks: spreadsheets must not run them
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


CSV_COLUMNS = [
    "variant_id",
    "post_id",
    "post",
    "post_url",
    "campaign",
    "channel",
    "handle",
    "network",
    "team",
    "published_at",
    *POST_COLUMNS,
    "not_available",
    "figures_fetched_at",
]


@require_GET
@reads_from_replica
def post_analytics_export(request, org_slug):
    """The posts table as CSV: every row the filters select, in the table's order. A figure the
    network does not report is an empty cell, named in ``not_available``; never 0."""
    require_page(request, Capability.VIEW_ANALYTICS)
    form, filters, sort, status = _posts_form(request)
    if status != 200:
        return post_analytics(request, org_slug)
    member = request.membership
    rows = posts.variant_rows(member, filters, sort=sort)
    base = request.build_absolute_uri("/")[:-1]

    def lines():
        writer = csv.writer(_Echo())
        yield writer.writerow(CSV_COLUMNS)
        names = provider_names()
        for variant in rows.iterator(chunk_size=500):
            r = posts.figures_of(variant, names)
            url = base + reverse("post_detail", args=[org_slug, r.post_id])
            yield writer.writerow(
                [
                    _cell(v)
                    for v in (
                        r.variant_id,
                        r.post_id,
                        r.post_title,
                        url,
                        r.campaign,
                        r.channel,
                        r.handle,
                        r.network,
                        r.team,
                        r.published_at.isoformat() if r.published_at else "",
                        *(r.values[m] for m in POST_COLUMNS),
                        " ".join(r.not_available),
                        r.fetched_at.isoformat() if r.fetched_at else "",
                    )
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="post-analytics-{request.organization.slug}-{stamp}.csv"'
    )
    return response


@require_GET
@reads_from_replica
def campaign_analytics(request, org_slug):
    """``/o/<slug>/analytics/campaigns/?since=&until=&team=&network=&channel=``: each campaign's
    figures summed across its channels, over the variants published in the range."""
    require_page(request, Capability.VIEW_ANALYTICS)
    form, filters, _sort, status = _filter_form(request, DashboardFilterForm)
    results = posts.campaign_results(request.membership, filters)
    return render(
        request,
        "analytics/campaigns.html",
        {
            "form": form,
            "filters": filters,
            "results": results,
            "metrics": POST_COLUMNS,
        },
        status=status,
    )
