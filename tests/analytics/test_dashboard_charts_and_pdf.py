"""The dashboard's charts (one Vega-Lite specification for the page and the PDF): the daily totals
come from the rollups in one query, a network without a figure is null ("not available") in the
chart's data and never 0, the page carries each spec as JSON (no inline script), and the PDF holds
the same charts as SVG, for the member's own organization only."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from analytics import services
from analytics.charts import specs
from analytics.charts.render import render_svg
from analytics.charts.selectors import daily_totals
from analytics.selectors import DateRange, organization_dashboard
from channels_registry.providers.base import DailyAccountMetrics

from ..channels.factories import bulk_channels, connect_sandbox

pytestmark = pytest.mark.django_db

SINCE, UNTIL = date(2026, 11, 1), date(2026, 11, 7)
RANGE = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}


def _feed(channel, figures):
    services.upsert_account_metrics(
        channel, [DailyAccountMetrics(d, **v) for d, v in figures.items()]
    )
    services.rollup_channel(channel, since=min(figures), until=max(figures))


@pytest.fixture
def world(org_a, alice_m, org_b, bob_m):
    sandbox = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])[0]
    mastodon = bulk_channels(org_a, 1, provider="mastodon")[0]
    # the sandbox reports engagements every day of both periods but the range's third day
    _feed(
        sandbox,
        {SINCE - timedelta(days=7 - i): {"engagements": 5, "impressions": 50} for i in range(7)}
        | {SINCE + timedelta(days=i): {"engagements": 10 + i} for i in range(7) if i != 2},
    )
    # Mastodon reports followers only: engagements are not available for it
    _feed(mastodon, {UNTIL: {"followers": 260}})
    foreign = connect_sandbox(org_b, bob_m, ["sbx-kitchen"])[0]
    _feed(foreign, {SINCE + timedelta(days=i): {"engagements": 99999} for i in range(7)})
    return {"sandbox": sandbox, "mastodon": mastodon, "foreign": foreign}


def _specs(page) -> dict[str, dict]:
    """Each chart's specification, read back from its json_script element."""
    html = page.content.decode()
    found = re.findall(
        r'<script id="(vega-chart-\d+-spec)" type="application/json">(.*?)</script>', html, re.S
    )
    keys = re.findall(r'data-chart="([^"]+)"', html)
    assert len(found) == len(keys)
    return {k: json.loads(body) for k, (_id, body) in zip(keys, found, strict=True)}


def test_the_daily_totals_are_one_query_with_missing_days_as_none(
    world, org_a, django_assert_num_queries
):
    ids = [world["sandbox"].pk, world["mastodon"].pk, world["foreign"].pk]
    with django_assert_num_queries(1):
        totals = daily_totals(org_a, ids, DateRange(SINCE, UNTIL))
    assert [d["engagements"] for d in totals.current] == [10, 11, None, 13, 14, 15, 16]
    assert [d["engagements"] for d in totals.previous] == [5] * 7
    assert totals.current[-1]["followers"] == 260 and totals.current[0]["followers"] is None
    assert totals.previous_range == DateRange(SINCE - timedelta(days=7), SINCE - timedelta(days=1))


def test_a_network_without_the_figure_is_null_and_not_available_never_zero(world, alice_m):
    board = organization_dashboard(alice_m, DateRange(SINCE, UNTIL))
    bars = specs.breakdown_by(board.channels, "engagements", by="network")
    assert bars == [specs.Bar("Mastodon", None), specs.Bar("Sandbox", 79)]
    spec = specs.breakdown_spec(bars, title="Engagements by network", value_title="Engagements")
    mastodon = next(v for v in spec["data"]["values"] if v["label"] == "Mastodon")
    assert mastodon["value"] is None and mastodon["text"] == "not available"
    assert ["Mastodon", "not available"] in spec["usermeta"]["table"]["rows"]
    assert "Mastodon: not available" in spec["description"]


def test_the_page_carries_each_chart_as_json_with_its_text_alternative(world, alice_client):
    page = alice_client.get(reverse("analytics_dashboard", args=["alpha"]), RANGE)
    assert page.status_code == 200
    charts = _specs(page)
    assert list(charts) == ["engagements", "impressions", "followers", "engagements-by-network"]
    series = charts["engagements"]["data"]["values"]
    this = [v["value"] for v in series if v["period"] == "This period"]
    before = [v["value"] for v in series if v["period"] == "Previous period"]
    assert this == [10, 11, None, 13, 14, 15, 16] and before == [5] * 7
    by_network = {
        v["label"]: v["value"] for v in charts["engagements-by-network"]["data"]["values"]
    }
    assert by_network == {"Mastodon": None, "Sandbox": 79}
    html = page.content.decode()
    assert '<figcaption class="vega-chart-title">Engagements per day</figcaption>' in html
    assert charts["engagements"]["description"].startswith(
        "Engagements per day, 2026-11-01 to 2026-11-07 (solid line), compared with"
    )
    assert "compared with" in charts["engagements"]["description"]
    assert "99999" not in html
    # the scripts are files; the only <script> elements with a body are the JSON specifications
    assert not re.search(r"<script(?![^>]*(?:src=|application/json))[^>]*>", html)
    assert "vendor/vega/vega-embed-7.0.2" in html and 'id="analytics-pdf"' in html


def test_render_svg_draws_the_axis_titles_offline_and_fetches_no_url():
    spec = {
        "width": "container",
        "data": {"values": [{"x": "a", "y": 1}, {"x": "b", "y": None}]},
        "mark": "bar",
        "encoding": {
            "x": {"field": "x", "type": "nominal", "title": "Network name"},
            "y": {"field": "y", "type": "quantitative"},
        },
    }
    svg = render_svg(spec, width=300)
    assert svg.startswith("<svg") and "Network name" in svg
    assert render_svg(spec, width=300) == svg
    with pytest.raises(ValueError, match="not allowed"):
        render_svg({**spec, "data": {"url": "https://example.com/figures.json"}})


def test_the_pdf_holds_the_charts_as_svg_the_figures_and_the_channels(
    world, alice_client, monkeypatch
):
    import analytics.views

    handed = {}

    def fake_render_pdf(html):
        handed["html"] = html
        return b"%PDF-fake"

    monkeypatch.setattr(analytics.views, "render_pdf", fake_render_pdf)
    response = alice_client.get(reverse("analytics_dashboard_pdf", args=["alpha"]), RANGE)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="analytics-alpha-2026-11-01-2026-11-07.pdf"' in response["Content-Disposition"]
    html = handed["html"]
    assert html.count("<svg") == 4
    assert "Engagements per day" in html and "Engagements by network" in html
    # the breakdown's bar label for the network without engagements, drawn in the SVG
    assert "not available" in html.split("Engagements by network", 1)[1]
    assert 'data-kpi="engagements"' in html and "Mastodon" in html
    # the channels' table: the sandbox's engagements in the tiles' column order
    sandbox_row = html.split("Nusantara Kitchen", 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'<td class="num">(.*?)</td>', sandbox_row)
    assert len(cells) == 8 and cells[3] == "79"  # followers, impressions, reach, engagements…
    # another organization's figure (99,999 a day) is in no table and no chart (SVG coordinates
    # may hold long decimals, so look for the figure as text)
    assert not re.search(r"[>\s]99,?999[<\s]", html), re.findall(r".{40}99,?999.{10}", html)


def test_the_pdf_renders_through_weasyprint(world, alice_client):
    response = alice_client.get(reverse("analytics_dashboard_pdf", args=["alpha"]), RANGE)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF") and len(response.content) > 5000


def test_the_pdf_of_another_organization_is_a_404_and_bad_filters_show_the_errors(
    world, alice_client, client, vera
):
    url = reverse("analytics_dashboard_pdf", args=["bravo"])
    assert alice_client.get(url, RANGE).status_code == 404
    mine = reverse("analytics_dashboard_pdf", args=["alpha"])
    backwards = alice_client.get(mine, {"since": "2026-11-07", "until": "2026-11-01"})
    assert backwards.status_code == 400 and backwards["Content-Type"].startswith("text/html")
    assert "The end of the range is before its start." in backwards.content.decode()
    foreign = alice_client.get(mine, {**RANGE, "channel": world["foreign"].pk})
    assert foreign.status_code == 400
    client.force_login(vera)
    assert client.get(mine, RANGE).status_code == 403


def test_in_indonesian_both_renderers_group_thousands_with_a_dot():
    from django.utils import translation

    with translation.override("id"):
        spec = specs.breakdown_spec([specs.Bar("Instagram", 12345)], title="x", value_title="y")
    assert spec["usermeta"]["formatLocale"]["thousands"] == "."
    assert spec["data"]["values"][0]["text"] == "12.345"
    assert "10.000" in render_svg(spec) and "10,000" not in render_svg(spec)
    english = specs.breakdown_spec([specs.Bar("Instagram", 12345)], title="x", value_title="y")
    assert "formatLocale" not in english["usermeta"] and "10,000" in render_svg(english)
