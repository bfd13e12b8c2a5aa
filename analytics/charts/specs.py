"""Vega-Lite specifications from selector results: plain dicts, the same for the page and the PDF.

A figure a network does not report stays ``null`` in the chart's data (no bar, no point: the
line breaks) and reads "not available" in its label and its table, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .selectors import DailyTotals

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
CURRENT_COLOUR, PREVIOUS_COLOUR = "#2563eb", "#6b7280"
BAR_COLOUR = "#2563eb"
#: the look both renderers share (system fonts: the PDF's converter fetches none)
CONFIG = {
    "font": "DejaVu Sans, Liberation Sans, Arial, sans-serif",
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "grid": True, "gridColor": "#e5e7eb"},
    "legend": {"labelFontSize": 11, "titleFontSize": 11},
}


#: d3-format locales (decimal mark, grouping) of the languages whose numbers differ from English;
#: the page (static/js/charts.js) and vl-convert both read ``usermeta.formatLocale``
FORMAT_LOCALES = {
    "id": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["Rp", ""]},
}


def _text(value) -> str:
    if value is None:
        return _("not available")
    if isinstance(value, float):
        return number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    return number_format(value, use_l10n=True, force_grouping=True)


def _base(description: str, columns: list[str], rows: list[list]) -> dict:
    usermeta: dict = {"table": {"columns": columns, "rows": rows}}
    locale = FORMAT_LOCALES.get((get_language() or "en").split("-")[0])
    if locale:
        usermeta["formatLocale"] = locale
    return {
        "$schema": SCHEMA,
        # no "title": the figure's caption holds it ({% vega_chart %}, {% vega_svg %})
        "description": description,
        "width": "container",
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": CONFIG,
        "usermeta": usermeta,
    }


def time_series_spec(totals: DailyTotals, metric: str, *, title: str) -> dict:
    """``metric`` per day over ``totals.range``, the previous period on the same axis (its day
    ``i`` over the range's day ``i``), dashed; each datum keeps its own ``date``."""
    rng, prev = totals.range, totals.previous_range
    this_period, previous_period = _("This period"), _("Previous period")
    values, rows = [], []
    for i, day in enumerate(totals.days()):
        before = prev.since + (day - rng.since)
        cur, old = totals.current[i][metric], totals.previous[i][metric]
        values.append(
            {"day": day.isoformat(), "date": day.isoformat(), "period": this_period, "value": cur}
        )
        values.append(
            {
                "day": day.isoformat(),
                "date": before.isoformat(),
                "period": previous_period,
                "value": old,
            }
        )
        rows.append([day.isoformat(), _text(cur), before.isoformat(), _text(old)])
    description = _(
        "%(title)s, %(since)s to %(until)s (solid line), compared with %(psince)s to "
        "%(puntil)s (dashed line)."
    ) % {
        "title": title,
        "since": rng.since.isoformat(),
        "until": rng.until.isoformat(),
        "psince": prev.since.isoformat(),
        "puntil": prev.until.isoformat(),
    }
    spec = _base(
        description,
        [_("Day"), this_period, _("Day of the previous period"), previous_period],
        rows,
    )
    periods = [this_period, previous_period]
    spec.update(
        {
            "height": 180,
            "data": {"values": values},
            # small points: a day between two missing ones still shows
            "mark": {"type": "line", "strokeWidth": 2, "point": {"filled": True, "size": 14}},
            "encoding": {
                "x": {
                    "field": "day",
                    "type": "temporal",
                    "title": None,
                    "axis": {"format": "%d/%m", "labelOverlap": True, "tickCount": 6},
                },
                "y": {"field": "value", "type": "quantitative", "title": None},
                "color": {
                    "field": "period",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": periods, "range": [CURRENT_COLOUR, PREVIOUS_COLOUR]},
                    "legend": {"orient": "bottom"},
                },
                # the same field, title and orient as the colour: one legend shows both
                "strokeDash": {
                    "field": "period",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": periods, "range": [[1, 0], [5, 4]]},
                    "legend": {"orient": "bottom"},
                },
                "tooltip": [
                    {"field": "period", "type": "nominal", "title": " "},
                    {"field": "date", "type": "temporal", "title": _("Day"), "format": "%d/%m/%Y"},
                    {"field": "value", "type": "quantitative", "title": title, "format": ","},
                ],
            },
        }
    )
    return spec


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | int | None


def breakdown_by(channel_rows, metric: str, by: str = "network") -> list[Bar]:
    """Sum a dashboard's channel rows (``analytics.selectors.ChannelRow``) per network, channel
    or team; ``None`` when no channel of the group reports ``metric``. Sorted by label."""
    label_of = {
        "network": lambda r: r.network_name,
        "channel": lambda r: r.name,
        "team": lambda r: r.team or _("No team"),
    }[by]
    sums: dict[str, float | int | None] = {}
    for r in channel_rows:
        key, value = label_of(r), r.values.get(metric)
        before = sums.get(key)
        sums[key] = before if value is None else (value if before is None else before + value)
    return [Bar(k, sums[k]) for k in sorted(sums)]


def breakdown_spec(bars: list[Bar], *, title: str, value_title: str) -> dict:
    """One horizontal bar per ``Bar``, its figure written at its end; a ``None`` value has no bar
    and reads "not available" (its datum's ``value`` is null)."""
    values = [
        {
            "label": b.label,
            "value": b.value,
            "text": _text(b.value),
            # where the label sits: a missing figure's note starts at the axis
            "at": b.value if b.value is not None else 0,
        }
        for b in bars
    ]
    parts = ", ".join(f"{b.label}: {_text(b.value)}" for b in bars)
    description = _("%(title)s. %(parts)s.") % {"title": title, "parts": parts or _("No data")}
    spec = _base(description, [_("Name"), value_title], [[b.label, _text(b.value)] for b in bars])
    y = {"field": "label", "type": "nominal", "title": None, "sort": None}
    spec.update(
        {
            # a number, not {"step": …}: a discrete height and the container's width make
            # Vega-Lite warn ("Dropping fit-y")
            "height": 26 * max(1, len(bars)),
            "data": {"values": values},
            "layer": [
                {
                    "mark": {"type": "bar", "color": BAR_COLOUR},
                    "encoding": {
                        "y": y,
                        "x": {"field": "value", "type": "quantitative", "title": value_title},
                        "tooltip": [
                            {"field": "label", "type": "nominal", "title": " "},
                            {"field": "text", "type": "nominal", "title": value_title},
                        ],
                    },
                },
                {
                    "mark": {"type": "text", "align": "left", "dx": 4, "color": "#111827"},
                    "encoding": {
                        "y": y,
                        "x": {"field": "at", "type": "quantitative"},
                        "text": {"field": "text", "type": "nominal"},
                    },
                },
            ],
        }
    )
    return spec


#: the sentiments in the stack's order, bottom up, and their colours (green, grey, red: told apart
#: by their place in the stack and the legend too, not by colour alone)
SENTIMENT_COLOURS = (("positive", "#15803d"), ("neutral", "#9ca3af"), ("negative", "#b91c1c"))


def sentiment_spec(days, *, title: str) -> dict:
    """Customers' messages per day stacked by sentiment (``days``: ``inbox.figures.SentimentDay``:
    ``day``, ``positive``, ``neutral``, ``negative``), the figures as the chart's table."""
    labels = {"positive": _("Positive"), "neutral": _("Neutral"), "negative": _("Negative")}
    order = [labels[s] for s, _colour in SENTIMENT_COLOURS]
    values, rows = [], []
    for d in days:
        counts = {s: getattr(d, s) for s, _colour in SENTIMENT_COLOURS}
        for rank, (s, _colour) in enumerate(SENTIMENT_COLOURS):
            values.append(
                {
                    "day": d.day.isoformat(),
                    "sentiment": labels[s],
                    "rank": rank,
                    "value": counts[s],
                }
            )
        rows.append([d.day.isoformat(), *(_text(counts[s]) for s, _colour in SENTIMENT_COLOURS)])
    totals = {s: sum(getattr(d, s) for d in days) for s, _colour in SENTIMENT_COLOURS}
    parts = ", ".join(f"{labels[s]}: {_text(n)}" for s, n in totals.items())
    first, last = (days[0].day, days[-1].day) if days else (None, None)
    description = _("%(title)s, %(since)s to %(until)s. %(parts)s.") % {
        "title": title,
        "since": first.isoformat() if first else "",
        "until": last.isoformat() if last else "",
        "parts": parts,
    }
    spec = _base(description, [_("Day"), *order], rows)
    spec.update(
        {
            "height": 180,
            "data": {"values": values},
            "mark": {"type": "bar"},
            "encoding": {
                "x": {
                    "field": "day",
                    "type": "temporal",
                    "timeUnit": "utcyearmonthdate",
                    "title": None,
                    "axis": {"format": "%d/%m", "labelOverlap": True, "tickCount": 6},
                },
                "y": {"field": "value", "type": "quantitative", "title": None, "stack": "zero"},
                "color": {
                    "field": "sentiment",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": order, "range": [c for _s, c in SENTIMENT_COLOURS]},
                    "legend": {"orient": "bottom"},
                },
                "order": {"field": "rank", "type": "quantitative"},
                "tooltip": [
                    {"field": "day", "type": "temporal", "title": _("Day"), "format": "%d/%m/%Y"},
                    {"field": "sentiment", "type": "nominal", "title": " "},
                    {"field": "value", "type": "quantitative", "title": title, "format": ","},
                ],
            },
        }
    )
    return spec
