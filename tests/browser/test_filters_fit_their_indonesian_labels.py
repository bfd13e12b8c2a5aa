"""Filter selects are never narrower than their longest choice ("Semua kampanye", "Semua jaringan"),
at 1366 px and at 375 px, in Indonesian; and the calendar speaks one date format per language
(FullCalendar's headers and times follow socialops/formats/<lang>/formats.py, 24-hour in both).
"""

from __future__ import annotations

import os
from datetime import date

import pytest

from publishing.models import Campaign
from tests.channels.factories import connect_sandbox
from tests.factories import PASSWORD, make_team

from .conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("BROWSER_SHOTS", "")

# A select may never cut the choice it shows, and is as wide as its longest choice unless that is
# wider than the whole row (a channel name on a phone): then it takes the row and the picker shows it.
CLIPPED_SELECTS = """() => {
  document.querySelectorAll("main details").forEach((d) => { d.open = true; });
  // The width a select takes when nothing constrains it: Chromium's own measure of its widest option
  // (or of the chosen one only), with the arrow and the padding.
  const natural = (select, chosenOnly) => {
    const probe = select.cloneNode(true);
    probe.removeAttribute("id");
    if (chosenOnly) {
      Array.from(probe.options).forEach((o, i) => { if (i !== select.selectedIndex) { o.remove(); } });
    }
    probe.style.cssText = "position:absolute; visibility:hidden; width:auto; min-width:0; max-width:none; left:0; top:0";
    document.body.appendChild(probe);
    const width = probe.getBoundingClientRect().width;
    probe.remove();
    return width;
  };
  const out = [];
  document.querySelectorAll("main form select").forEach((select) => {
    if (!select.offsetParent) { return; }
    const has = select.getBoundingClientRect().width;
    const row = select.closest(".field") ? select.closest(".field").parentElement : select.parentElement;
    const style = getComputedStyle(row);
    const room = row.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const chosen = natural(select, true);
    const all = natural(select, false);
    const longest = Array.from(select.options).map((o) => o.text).sort((a, b) => b.length - a.length)[0];
    if (has + 1 < chosen) {
      out.push(`${select.name}: “${select.options[select.selectedIndex].text}” cut (${Math.round(has)} px for ${Math.round(chosen)} px)`);
    } else if (has + 1 < Math.min(all, room)) {
      out.push(`${select.name}: “${longest}” cut (${Math.round(has)} px for ${Math.round(all)} px, ${Math.round(room)} px free)`);
    }
  });
  return out;
}"""


@pytest.fixture
def indonesian_org(org_a, alice, alice_m):
    alice.language = "id"
    alice.timezone = "Asia/Jakarta"
    alice.save()
    hq = make_team(org_a, "Kantor pusat", by=alice_m)
    make_team(org_a, "Jakarta Selatan", parent=hq, by=alice_m)
    connect_sandbox(org_a, alice_m, ["sbx-kitchen", "sbx-kopi", "sbx-promo"], team=hq)
    Campaign.objects.create(
        organization=org_a, name="Ramadan", starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 30)
    )
    return org_a


def _sign_in(pg, live_server, email):
    pg.goto(f"{live_server.url}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{live_server.url}/o/alpha/")


@pytest.mark.parametrize("width", [1366, 375])
def test_no_filter_select_cuts_its_indonesian_choices(browser, live_server, indonesian_org, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="id-ID")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    try:
        _sign_in(pg, live_server, "alice@alpha.test")
        clipped = {}
        for name, path in (
            ("posts", "/o/alpha/posts/"),
            ("calendar", "/o/alpha/calendar/"),
            ("channels", "/o/alpha/channels/"),
        ):
            pg.goto(f"{live_server.url}{path}")
            pg.wait_for_load_state("networkidle")
            assert pg.locator("html").get_attribute("lang") == "id"
            found = pg.evaluate(CLIPPED_SELECTS)
            if found:
                clipped[name] = found
            assert no_horizontal_scroll(pg), f"{name} scrolls sideways at {width} px"
            if SHOTS:
                pg.screenshot(path=f"{SHOTS}/filters-{name}-{width}.png", full_page=True)
        assert not clipped, clipped
    finally:
        context.close()


@pytest.mark.parametrize(
    ("language", "header", "title_month", "time"),
    [
        ("en", "Mon 14 Dec", "December 2026", "09:00"),
        ("id", "Sen, 14 Des", "Desember 2026", "09.00"),
    ],
)
def test_the_calendar_uses_the_languages_one_format(
    browser, live_server, org_a, alice, language, header, title_month, time
):
    alice.language = language
    alice.save()
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    try:
        _sign_in(pg, live_server, "alice@alpha.test")
        pg.goto(f"{live_server.url}/o/alpha/calendar/")
        pg.wait_for_selector("#calendar[data-ready='1']")
        pg.evaluate("() => { window.socialopsCalendar.changeView('dayGridMonth', '2026-12-14'); }")
        assert pg.locator(".fc-toolbar-title").inner_text() == title_month
        pg.evaluate("() => { window.socialopsCalendar.changeView('timeGridWeek', '2026-12-14'); }")
        headers = pg.locator(".fc-col-header-cell").all_inner_texts()
        assert headers[0].strip() == header, headers  # weeks start on Monday, day before month
        slots = pg.locator(".fc-timegrid-slot-label").all_inner_texts()
        assert time in [s.strip() for s in slots]  # 24-hour, the language's separator
        assert not any(s.strip().lower().endswith(("am", "pm")) for s in slots)
    finally:
        context.close()
