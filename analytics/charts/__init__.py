"""Charts: one Vega-Lite specification, drawn in the page and, server-side, in the PDFs.

The interface other parts of analytics call (custom dashboard widgets, scheduled-report PDFs):

Reads (``analytics.charts.selectors``)
    ``daily_totals(organization, channel_ids, rng) -> DailyTotals``: the summed rollups
    (``ChannelDay``) of those channels per day, for ``rng`` and the period before it, in one query
    (never raw rows). Pass the ids of the channels the member may see, e.g.
    ``[r.channel_id for r in organization_dashboard(...).channels]``. A day no channel reported a
    metric for is ``None`` (not available), never 0.

Specification builders (``analytics.charts.specs``): plain ``dict``s (JSON-serialisable, no
Python objects), Vega-Lite v6, width ``"container"`` (the page fits the phone; ``render_svg``
fixes a width for the PDF)
    ``time_series_spec(totals, metric, *, title)``: one metric per day over the range, the previous
    period drawn beside it on the same days (day 1 of the range over day 1 of the one before).
    ``breakdown_spec(bars, *, title, value_title)``: horizontal bars, one per ``Bar(label, value)``;
    a ``None`` value draws no bar and reads "not available" (its datum's ``value`` is null).
    ``breakdown_by(channel_rows, metric, by="network"|"channel"|"team") -> list[Bar]``: sums an
    ``organization_dashboard``'s channel rows per group (``None`` when no channel of the group
    reports the metric).
    Every spec carries ``description`` (the chart's text alternative, read by screen readers) and
    ``usermeta.table`` (``{"columns": [...], "rows": [[...], ...]}``: the figures as a table the
    template tag prints under the chart) and, in Indonesian, ``usermeta.formatLocale`` (the
    decimal mark and grouping both renderers apply).

Server side (``analytics.charts.render``)
    ``render_svg(spec, *, width=640) -> str``: the SVG markup (vl-convert-python, Vega-Lite
    ``VEGA_LITE_VERSION``, the same code the page runs), offline: no URL is fetched (data must be
    inline), system fonts only. Results are cached per specification. Raises ``ChartUnavailable``
    when vl-convert is not installed.

Template tag (``{% load vega_charts %}``)
    ``{% vega_chart spec title %}``: a ``<figure>`` with the title as caption, the chart's container
    (Vega gives it ``role="graphics-document"`` and the spec's description as ``aria-label``), the spec as
    ``json_script`` (never an inline script) and the figures' table in a ``<details>``. The page
    loads the scripts once with ``{% include "analytics/_charts_scripts.html" %}``
    (static/js/charts.js draws every container with vega-embed, ``ast: true`` and the vendored
    vega-interpreter: no ``eval`` or ``new Function``, so the strict CSP holds).
    ``{% vega_svg spec title %}``: the same figure with the server's SVG inline, for PDFs.

The vendored browser builds (static/vendor/vega/, README there) are the versions vl-convert
bundles: change both together.
"""

from __future__ import annotations

#: the Vega-Lite version of static/vendor/vega/ (6.4.1) as vl-convert names it
VEGA_LITE_VERSION = "6.4"
