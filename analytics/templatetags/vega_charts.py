"""``{% vega_chart spec title %}`` (drawn in the page by static/js/charts.js) and
``{% vega_svg spec title %}`` (drawn by the server, for PDFs): the same specification, the same
figure around it (analytics/charts/__init__.py describes the interface)."""

from __future__ import annotations

import itertools

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from ..charts.render import render_svg

register = template.Library()
_ids = itertools.count(1)


def _figure(spec: dict, title: str) -> dict:
    table = (spec.get("usermeta") or {}).get("table") or {}
    chart_id = f"vega-chart-{next(_ids)}"
    return {
        "spec": spec,
        "title": title,
        "description": spec.get("description", ""),
        "columns": table.get("columns", []),
        "rows": table.get("rows", []),
        "body": _table_body(table.get("rows", [])),
        "chart_id": chart_id,
        "spec_id": f"{chart_id}-spec",
    }


def _table_body(rows: list[list]) -> str:
    """The figures' table rows, the first cell of each a row header. Written here rather than by
    nested template loops: a 90-day chart has 90 rows of four cells, three charts a page, and the
    loops were a fifth of the dashboard's time. Every cell is escaped."""
    return mark_safe(  # noqa: S308 (every cell goes through escape)
        "".join(
            '<tr><th scope="row">'
            + escape(row[0])
            + "</th>"
            + "".join("<td>" + escape(cell) + "</td>" for cell in row[1:])
            + "</tr>"
            for row in rows
            if row
        )
    )


@register.inclusion_tag("analytics/_vega_chart.html")
def vega_chart(spec: dict, title: str):
    """The chart's container, its specification as ``json_script`` and its figures as a table."""
    return _figure(spec, title)


@register.inclusion_tag("analytics/_vega_svg.html")
def vega_svg(spec: dict, title: str, width: int = 640):
    """The chart as inline SVG (``render_svg``; vl-convert's markup, whose text it escapes)."""
    return {**_figure(spec, title), "svg": mark_safe(render_svg(spec, width=width))}  # noqa: S308
