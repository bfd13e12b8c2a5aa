"""The iCalendar feed of a calendar share link (``/calendar/shared/<token>/feed.ics``), via ``icalendar``.

Outlook and Google Calendar poll the URL; it shows what the shared page shows (the link's frozen
filters, its creator's visibility, never another organization's data), from 30 days back to 180
days ahead: posts as 15-minute events, campaigns and notes as all-day events.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from . import selectors as cal

PAST = timedelta(days=30)
AHEAD = timedelta(days=180)
POST_LENGTH = timedelta(minutes=15)
#: control characters (CR and LF among them) and Unicode line/paragraph separators
_NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _one_line(text: str) -> str:
    """``text`` as one line: a name typed before names were checked (or an organization's) must
    not end the feed's header line early (icalendar refuses a raw line break: it was a 500)."""
    return " ".join(_NOT_ONE_LINE.sub(" ", text or "").split())


def _range(zone_name: str, now: datetime) -> cal.Range:
    return cal.Range(now - PAST, now + AHEAD, cal.zone_of(zone_name))


def feed_for_link(link, creator, *, now: datetime | None = None) -> bytes:
    from icalendar import Calendar, Event, vText

    now = now or timezone.now()
    rng = _range(link.timezone, now)
    filters = cal.CalendarFilters.from_data(link.filters)
    # The feed spans more than one calendar page: read it as two ranges of at most MAX_RANGE each.
    payload_events: list[dict] = []
    start = rng.start
    while start < rng.end:
        end = min(start + cal.MAX_RANGE, rng.end)
        part = cal.calendar_payload(
            link.organization,
            membership=creator,
            rng=cal.Range(start, end, rng.zone),
            filters=filters,
            holiday_team_id=filters.team_id,
            editable=False,
            post_url="",
            now=now,
            cadence=False,  # internal to the team, as on the shared page
        )
        payload_events.extend(part["events"])
        start = end
    ical = Calendar()
    ical.add("prodid", "-//SocialOps//Editorial calendar//EN")
    ical.add("version", "2.0")
    ical.add("calscale", "GREGORIAN")
    # An X- property is not escaped by icalendar unless it is given as text.
    ical.add("x-wr-calname", vText(_one_line(f"{link.organization.name} · {link.name}")))
    ical.add("x-wr-timezone", rng.zone.key)
    ical.add("refresh-interval;value=duration", "PT1H")
    seen: set[str] = set()
    for e in payload_events:
        props = e.get("extendedProps", {})
        kind = props.get("kind")
        if kind not in ("post", "campaign", "note", "holiday") or e["id"] in seen:
            continue
        seen.add(e["id"])
        ev = Event()
        ev.add("uid", f"{e['id']}-{link.organization_id}@socialops")
        ev.add("dtstamp", now.astimezone(UTC))
        ev.add("summary", e.get("title", ""))
        if kind == "post":
            start_utc = datetime.fromisoformat(props["startUtc"]).astimezone(UTC)
            ev.add("dtstart", start_utc)
            ev.add("dtend", start_utc + POST_LENGTH)
            ev.add(
                "description",
                " · ".join(
                    x for x in (props.get("statusLabel", ""), props.get("campaign", "")) if x
                ),
            )
            ev.add("categories", [props.get("status", "")])
        else:
            first = date.fromisoformat(e["start"])
            ev.add("dtstart", first)
            ev.add(
                "dtend", date.fromisoformat(e["end"]) if e.get("end") else first + timedelta(days=1)
            )
            ev.add("transp", "TRANSPARENT")
            if props.get("body"):
                ev.add("description", props["body"])
        ical.add_component(ev)
    return ical.to_ical()
