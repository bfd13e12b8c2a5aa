"""The calendar in Chromium: month view shows posts, drag to reschedule (a refused drop snaps back with a
message), the shared read-only link, and the phone width (list view)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from publishing.calendar import services as calendar_services
from publishing.models import Post, PostVariant
from tests.channels.factories import connect_sandbox
from tests.factories import PASSWORD

from .conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("BROWSER_SHOTS", "")


def _sign_in(pg, live_server, email):
    pg.goto(f"{live_server.url}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{live_server.url}/o/alpha/")


def _scheduled(org, author, channel, day, *, text, hour=10):
    at = datetime.combine(day, time(hour), tzinfo=UTC)
    post = Post.objects.create(
        organization=org,
        author=author,
        text=text,
        status=Post.Status.SCHEDULED,
        scheduled_at=at,
        schedule_timezone="UTC",
    )
    PostVariant.objects.create(
        organization=org, post=post, channel=channel, status=PostVariant.Status.SCHEDULED, due_at=at
    )
    return post


def _later_this_week(today):
    """A day after ``today`` in the calendar's week (weeks start on Monday): on a Sunday, today itself,
    since tomorrow is already in the next week and the phone's list view shows only this one."""
    return today if today.weekday() == 6 else today + timedelta(days=1)


def _drag(pg, source, target):
    box = source.bounding_box()
    goal = target.bounding_box()
    pg.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    pg.mouse.down()
    pg.mouse.move(box["x"] + box["width"] / 2 + 5, box["y"] + box["height"] / 2 + 5, steps=5)
    pg.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] / 2, steps=15)
    pg.mouse.up()


def _cell(pg, day):
    return pg.locator(f"td.fc-daygrid-day[data-date='{day.isoformat()}']")


def test_month_view_shows_posts_and_drag_reschedules(page, live_server, org_a, alice, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    today = timezone.now().astimezone(UTC).date()
    # stay inside this month's grid: the calendar opens on the month of today
    day = today + timedelta(days=1)
    target = today + timedelta(days=3)
    post = _scheduled(org_a, alice, channel, day, text="Launch the sambal")
    published = Post.objects.create(
        organization=org_a, author=alice, text="Already out", status="published"
    )
    PostVariant.objects.create(
        organization=org_a,
        post=published,
        channel=channel,
        status="published",
        due_at=timezone.now() - timedelta(hours=1),
        published_at=timezone.now(),
    )
    csp_errors = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    _sign_in(page, live_server, "alice@alpha.test")
    page.get_by_role("link", name="Calendar", exact=True).first.click()
    page.wait_for_url("**/calendar/")
    event = page.locator(
        f"[data-event-id='v{PostVariant.objects.for_org(org_a).get(post=post).pk}']"
    )
    event.wait_for()
    assert "Launch the sambal" in event.inner_text()
    assert page.locator(".fc-dayGridMonth-view").is_visible()
    assert page.locator(".fc-event", has_text="Already out").count() == 1
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/calendar-month.png", full_page=True)

    if target.month != today.month and _cell(page, target).count() == 0:
        pytest.skip("the target day is not in this month's grid")
    _drag(page, event, _cell(page, target))
    page.locator("#cal-message", has_text="Moved").wait_for()
    post.refresh_from_db()
    assert post.scheduled_at == datetime.combine(target, time(10), tzinfo=UTC)

    # A refused drop (into the past) snaps back and says why.
    event = page.locator(
        f"[data-event-id='v{PostVariant.objects.for_org(org_a).get(post=post).pk}']"
    )
    page.reload()  # a fresh page: the moved post is drawn on its new day from the server
    event.wait_for()
    assert (
        _cell(page, target)
        .locator(f"[data-event-id='{event.get_attribute('data-event-id')}']")
        .count()
        == 1
    )
    yesterday = today - timedelta(days=1)
    if _cell(page, yesterday).count():
        _drag(page, event, _cell(page, yesterday))
        page.locator("#cal-message", has_text="past").wait_for()
        page.wait_for_timeout(300)
        assert (
            _cell(page, target)
            .locator(f"[data-event-id='{event.get_attribute('data-event-id')}']")
            .count()
            == 1
        )
        post.refresh_from_db()
        assert post.scheduled_at == datetime.combine(target, time(10), tzinfo=UTC)
    assert not csp_errors, csp_errors


def test_the_shared_link_shows_a_read_only_calendar(page, live_server, org_a, alice, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    day = timezone.now().astimezone(UTC).date() + timedelta(days=1)
    _scheduled(org_a, alice, channel, day, text="Shared with the agency")
    link, token = calendar_services.create_share_link(
        org_a, by=alice_m, name="Agency view", filters={}
    )
    csp_errors = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{live_server.url}/calendar/shared/{token}/")
    page.locator(".fc-event", has_text="Shared with the agency").wait_for()
    assert page.locator(".fc-event-draggable").count() == 0
    assert "feed.ics" in page.locator("#feed-url").inner_text()
    assert not csp_errors, csp_errors
    calendar_services.revoke_share_link(link, by=alice_m)
    response = page.goto(f"{live_server.url}/calendar/shared/{token}/")
    assert response.status == 410
    assert page.locator("#share-gone").is_visible()
    assert page.locator("#calendar").count() == 0


def test_the_calendar_at_phone_width_opens_in_list_view(phone, live_server, org_a, alice, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    _scheduled(
        org_a,
        alice,
        channel,
        _later_this_week(timezone.now().astimezone(UTC).date()),
        text="On the phone",
        hour=23,
    )
    _sign_in(phone, live_server, "alice@alpha.test")
    phone.goto(f"{live_server.url}/o/alpha/calendar/")
    phone.locator(".fc-list").wait_for()
    phone.locator(".fc-list-event", has_text="On the phone").wait_for()
    assert no_horizontal_scroll(phone)
    assert (
        phone.evaluate("document.querySelector('.fc-list-table').getBoundingClientRect().right")
        <= 375
    )
    if SHOTS:
        phone.screenshot(path=f"{SHOTS}/calendar-phone.png", full_page=True)


def test_clicking_an_empty_day_starts_a_post_there(page, live_server, org_a, alice_m):
    connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    _sign_in(page, live_server, "alice@alpha.test")
    page.goto(f"{live_server.url}/o/alpha/calendar/")
    page.locator("#calendar[data-ready='1'] .fc-daygrid-day").first.wait_for()
    day = timezone.now().astimezone(UTC).date() + timedelta(days=2)
    cell = _cell(page, day)
    if cell.count() == 0:
        pytest.skip("the day is not in this month's grid")
    box = cell.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] - 8)
    page.wait_for_url("**/compose/?at=*")
    assert page.locator("input[name=schedule_date]").input_value() == day.isoformat()
    assert page.locator("input[name=schedule_time]").input_value().startswith("09:00")


_SLOW_NETWORK = """
(() => {
  // Delay the calendar's requests (window.calendarDelay ms) as on a slow connection, so that the
  // answer to a move and the refetch after it arrive while the next post is being dragged.
  const original = window.fetch;
  window.fetch = function (url, options) {
    return new Promise((resolve) => setTimeout(resolve, window.calendarDelay || 0))
      .then(() => original(url, options));
  };
})();
"""


def _drag_holding(pg, source, target, *, press_ms=0, midway_ms=0):
    """Press on ``source`` (for ``press_ms``), start dragging, pause ``midway_ms``, then drop it on
    ``target`` where it is on the screen at that moment."""
    box = source.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    pg.mouse.move(x, y)
    pg.mouse.down()
    pg.wait_for_timeout(press_ms)
    pg.mouse.move(x + 6, y + 6, steps=5)
    pg.wait_for_timeout(midway_ms)
    goal = target.bounding_box()
    pg.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] / 2, steps=15)
    pg.mouse.up()


def test_several_moves_in_a_row_without_reloading(page, live_server, org_a, alice, alice_m):
    """Two moves in a row, the second while the refetch after the first is still on its way, then a
    refused drop followed by a good one: every drag starts and lands where it was dropped."""
    page.set_viewport_size({"width": 1280, "height": 1400})  # the whole month, no auto-scroll
    page.add_init_script(_SLOW_NETWORK)
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    today = timezone.now().astimezone(UTC).date()
    first = _scheduled(org_a, alice, channel, today + timedelta(days=1), text="First post")
    second = _scheduled(org_a, alice, channel, today + timedelta(days=2), text="Second post")
    days = [today + timedelta(days=n) for n in (-1, 1, 2, 3, 4, 5)]
    _sign_in(page, live_server, "alice@alpha.test")
    page.goto(f"{live_server.url}/o/alpha/calendar/")
    if any(_cell(page, d).count() == 0 for d in days):
        pytest.skip("the days are not all in this month's grid")

    def event_of(post):
        variant = PostVariant.objects.for_org(org_a).get(post=post)
        return page.locator(f"[data-event-id='v{variant.pk}']:not(.fc-event-dragging)")

    def at(day):
        return datetime.combine(day, time(10), tzinfo=UTC)

    event_of(first).wait_for()
    page.evaluate("window.calendarDelay = 600")
    _drag_holding(page, event_of(first), _cell(page, today + timedelta(days=3)))
    # straight on to the next post: the answer to the first move (and its message) and the refetch
    # arrive while it is held and dragged
    _drag_holding(
        page, event_of(second), _cell(page, today + timedelta(days=4)), press_ms=300, midway_ms=1500
    )
    page.locator("#cal-message:not([hidden])", has_text="Moved").wait_for()
    page.wait_for_timeout(2500)  # the second move and its refetch
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.scheduled_at == at(today + timedelta(days=3))
    assert second.scheduled_at == at(today + timedelta(days=4))
    assert _cell(page, today + timedelta(days=4)).locator(event_of(second)).count() == 1

    # a refused drop (into the past) snaps back; the next drag of the same post works
    page.evaluate("window.calendarDelay = 0")
    _drag_holding(page, event_of(first), _cell(page, today - timedelta(days=1)))
    page.locator("#cal-message:not([hidden])", has_text="past").wait_for()
    page.wait_for_timeout(700)  # FullCalendar's revert animation
    assert _cell(page, today + timedelta(days=3)).locator(event_of(first)).count() == 1
    _drag_holding(page, event_of(first), _cell(page, today + timedelta(days=5)))
    page.locator("#cal-message:not([hidden])", has_text="Moved").wait_for()
    first.refresh_from_db()
    assert first.scheduled_at == at(today + timedelta(days=5))
    page.wait_for_timeout(300)
    assert _cell(page, today + timedelta(days=5)).locator(event_of(first)).count() == 1


def test_campaigns_holidays_and_notes_are_labelled_bars(
    page, phone, live_server, org_a, alice, alice_m
):
    """A campaign is a labelled bar in its colour (not a faded background like a holiday); the
    list view names it once, and a day left with nothing to show has no header."""
    from publishing.posts import services as authoring

    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    today = timezone.now().astimezone(UTC).date()
    authoring.create_campaign(
        org_a,
        by=alice_m,
        name="Year-end sale",
        color="#aa3311",
        starts_on=today,
        ends_on=today + timedelta(days=5),
    )
    calendar_services.create_note(
        org_a, by=alice_m, title="Stock take", starts_on=today + timedelta(days=1)
    )
    _scheduled(org_a, alice, channel, _later_this_week(today), text="In the sale", hour=23)
    _sign_in(page, live_server, "alice@alpha.test")
    page.goto(f"{live_server.url}/o/alpha/calendar/")
    band = page.locator(".fc-daygrid .cal-campaign").first
    band.wait_for()
    assert band.text_content().startswith("Campaign") and "Year-end sale" in band.text_content()
    assert (
        page.evaluate(
            "getComputedStyle(document.querySelector('.fc-daygrid .cal-campaign')).borderLeftColor"
        )
        == "rgb(170, 51, 17)"
    )
    assert page.locator(".fc-bg-event.cal-campaign").count() == 0
    assert page.locator("#cal-legend .cal-key-campaign").is_visible()
    note = page.locator(".fc-daygrid .cal-note").first
    assert note.text_content().startswith("Note") and "Stock take" in note.text_content()

    _sign_in(phone, live_server, "alice@alpha.test")
    phone.goto(f"{live_server.url}/o/alpha/calendar/")
    phone.locator(".fc-list-event", has_text="In the sale").wait_for()
    phone.wait_for_timeout(200)
    assert phone.locator(".fc-list-event.cal-campaign:visible").count() == 1
    empty_days = phone.evaluate(
        """[...document.querySelectorAll('.fc-list-day')].filter(h => !h.hidden).filter(h => {
             for (let r = h.nextElementSibling; r && !r.classList.contains('fc-list-day'); r = r.nextElementSibling)
               if (!r.hidden) return false;
             return true; }).length"""
    )
    assert empty_days == 0


def test_the_week_view_scrolls_inside_and_opens_on_the_morning(
    page, live_server, org_a, alice, alice_m
):
    """The week view is a fixed-height scroller opened on the working morning: a 09:00 post is on
    the screen without scrolling the page, and dragging it to another hour reschedules it."""
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    today = timezone.now().astimezone(UTC).date()
    day = today + timedelta(days=1)
    post = _scheduled(org_a, alice, channel, day, text="Morning coffee", hour=9)
    variant = PostVariant.objects.for_org(org_a).get(post=post)
    _sign_in(page, live_server, "alice@alpha.test")
    page.goto(f"{live_server.url}/o/alpha/calendar/")
    page.locator("#calendar[data-ready='1']").wait_for()
    assert page.locator("#calendar").get_attribute("data-timezone") == "UTC"
    page.locator(".fc-timeGridWeek-button").click()
    page.locator(".fc-timeGridWeek-view").wait_for()
    if page.locator(f"td.fc-timegrid-col[data-date='{day.isoformat()}']").count() == 0:
        page.evaluate(f"window.socialopsCalendar.gotoDate('{day.isoformat()}')")
    event = page.locator(f".fc-timegrid [data-event-id='v{variant.pk}']")
    event.wait_for()
    page.wait_for_timeout(200)

    # the hours scroll inside the calendar, not the page
    scroller = page.locator(".fc-timegrid-body").locator(
        "xpath=ancestor::div[contains(@class,'fc-scroller')][1]"
    )
    sizes = scroller.evaluate("s => [s.scrollHeight, s.clientHeight, s.scrollTop]")
    assert sizes[0] > sizes[1] and sizes[2] > 0, sizes  # a scroller, opened past midnight
    assert page.evaluate("window.scrollY") == 0
    box, port = event.bounding_box(), page.viewport_size
    inner = scroller.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= port["height"], box
    assert inner["y"] <= box["y"] and box["y"] + box["height"] <= inner["y"] + inner["height"]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/calendar-week.png")

    # drag it two hours later on the same day (grabbed at its top, dropped at the top of 11:00)
    column = page.locator(f"td.fc-timegrid-col[data-date='{day.isoformat()}']").bounding_box()
    lane = page.locator("td.fc-timegrid-slot-lane[data-time='11:00:00']").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 4, y + 6, steps=5)
    page.mouse.move(column["x"] + column["width"] / 2, lane["y"] + 4, steps=15)
    page.mouse.up()
    page.locator("#cal-message:not([hidden])", has_text="Moved").wait_for()
    post.refresh_from_db()
    assert post.scheduled_at == datetime.combine(day, time(11), tzinfo=UTC)
    assert page.evaluate("window.scrollY") == 0


def test_the_week_view_opens_on_an_earlier_post(page, live_server, org_a, alice, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    day = timezone.now().astimezone(UTC).date() + timedelta(days=1)
    post = _scheduled(org_a, alice, channel, day, text="Dawn post", hour=4)
    variant = PostVariant.objects.for_org(org_a).get(post=post)
    _sign_in(page, live_server, "alice@alpha.test")
    page.goto(f"{live_server.url}/o/alpha/calendar/")
    page.locator("#calendar[data-ready='1']").wait_for()
    page.locator(".fc-timeGridWeek-button").click()
    page.evaluate(f"window.socialopsCalendar.gotoDate('{day.isoformat()}')")
    event = page.locator(f".fc-timegrid [data-event-id='v{variant.pk}']")
    event.wait_for()
    page.wait_for_timeout(300)
    scroller = page.locator(".fc-timegrid-body").locator(
        "xpath=ancestor::div[contains(@class,'fc-scroller')][1]"
    )
    inner, box = scroller.bounding_box(), event.bounding_box()
    # opened on 04:00, not on the working morning: the post is at the top of the scroller
    assert inner["y"] - 4 <= box["y"] <= inner["y"] + 40, (inner, box)
    assert scroller.evaluate("s => s.scrollTop") > 0
