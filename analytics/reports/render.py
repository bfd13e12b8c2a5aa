"""What a report holds: the PDF (the organization dashboard's figures as HTML through
``socialops.pdf.render_pdf``) and the CSV of the same figures.

Rendered once per run, in the organization's language and zone (one file for every recipient).
"""

from __future__ import annotations

import csv
import io

from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from socialops.pdf import render_pdf

from ..selectors import KPI_KEYS, METRIC_LABELS, PDF_CHANNELS, Dashboard
from ..summary import what_changed

#: the figures' labels, in the dashboard's order (the same words as its tiles)
KPI_LABELS = {key: METRIC_LABELS[key] for key in KPI_KEYS}


def report_charts(organization, board: Dashboard) -> list[tuple[str, str]]:
    """The report's charts, ``[(title, svg)]``: the organization dashboard's own charts
    (``analytics.charts.dashboard``), drawn by the server from the same specifications as the
    page."""
    from ..charts.dashboard import dashboard_charts
    from ..charts.render import render_svg

    return [(c["title"], render_svg(c["spec"])) for c in dashboard_charts(organization, board)]


def _shown(key: str, value) -> str:
    if value is None:
        return "–"
    if key == "engagement_rate":
        return f"{number_format(value, 2)} %"
    return number_format(value, force_grouping=True)


def _change(kpi) -> tuple[str, float | None]:
    if kpi.current is None:
        return "", None
    change = kpi.change_percent
    if change is not None:
        return f"{'+' if change > 0 else ''}{number_format(change, 1)} %", change
    if kpi.current == kpi.previous:
        return _("unchanged from the previous period"), 0.0
    return _("no earlier figure to compare"), None


def pdf_html(*, schedule, organization, board: Dashboard, filters: str, language: str) -> str:
    kpis = []
    for k in board.kpis:
        change, value = _change(k)
        current = _shown(k.key, k.current)
        if k.key == "followers" and k.growth is not None:
            current += (
                f" ({'+' if k.growth >= 0 else ''}{number_format(k.growth, force_grouping=True)})"
            )
        kpis.append(
            {
                "label": KPI_LABELS[k.key],
                "current": current,
                "previous": _shown(k.key, k.previous),
                "change": change,
                "change_value": value,
                "not_available_for": k.not_available_for,
            }
        )
    rows = [
        {
            "name": f"{r.name} ({r.handle})" if r.handle and r.handle != r.name else r.name,
            "network": r.network_name,
            "values": [_shown(key, r.values.get(key)) for key in KPI_KEYS],
        }
        for r in board.ranked_channels()[:PDF_CHANNELS]
    ]
    charts = [(title, mark_safe(svg)) for title, svg in report_charts(organization, board)]  # noqa: S308 - our own renderer's SVG
    return render_to_string(
        "analytics/reports/report_pdf.html",
        {
            "schedule": schedule,
            "organization": organization,
            "board": board,
            "filters": filters,
            "kpis": kpis,
            "labels": [KPI_LABELS[k] for k in KPI_KEYS],
            "channel_rows": rows,
            "channels_left": max(0, len(board.channels) - PDF_CHANNELS),
            "charts": charts,
            "summary": what_changed(board),
            "language": language,
        },
    )


def pdf_bytes(**kwargs) -> bytes:
    return render_pdf(pdf_html(**kwargs))


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # names and handles come from people and networks: spreadsheets must not run them
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


CSV_COLUMNS = [
    "row",
    "channel_id",
    "channel",
    "handle",
    "network",
    "team",
    "period",
    "since",
    "until",
]


def csv_bytes(board: Dashboard) -> bytes:
    """One line per figure of the whole selection, then one per channel; this period and the one
    before it (``period`` current / previous). An empty cell: the network does not report it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*CSV_COLUMNS, *KPI_KEYS, "not_available_for"])
    periods = (("current", board.range), ("previous", board.previous_range))
    for name, rng in periods:
        totals = [
            (k.current if name == "current" else k.previous) for k in board.kpis
        ]  # in KPI_KEYS order
        missing = sorted({n for k in board.kpis for n in k.not_available_for})
        writer.writerow(
            ["total", "", "", "", "", "", name, rng.since.isoformat(), rng.until.isoformat()]
            + [_cell(v) for v in totals]
            + [" ".join(missing)]
        )
    for r in board.channels:
        for name, rng in periods:
            values = r.values if name == "current" else r.previous
            writer.writerow(
                [
                    "channel",
                    r.channel_id,
                    _cell(r.name),
                    _cell(r.handle),
                    r.network,
                    _cell(r.team),
                    name,
                    rng.since.isoformat(),
                    rng.until.isoformat(),
                ]
                + [_cell(values.get(k)) for k in KPI_KEYS]
                + [""]
            )
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # a BOM: spreadsheets read it as UTF-8
