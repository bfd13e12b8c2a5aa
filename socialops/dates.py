"""The one rule for showing a date or a time to a person: one format per language, everywhere.

Pages, e-mails, notifications, the API's human messages and the calendar's JavaScript all show
times through these four kinds, whose formats live once per language in
``socialops/formats/<lang>/formats.py`` (``FORMAT_MODULE_PATH``):

=================  ================================  ===============================
kind               English                           Bahasa Indonesia
=================  ================================  ===============================
``local_datetime``  Sun 6 Dec 2026, 14:08 WIB         Min, 6 Des 2026 14.08 WIB
``local_date``      6 Dec 2026                        6 Des 2026
``local_day``       Sun 6 Dec                         Min, 6 Des
``local_time``      14:08                             14.08
=================  ================================  ===============================

A datetime is shown in the active time zone (the person's, set by the middleware, the
notification service or ``timezone.override``) unless a zone is given: ``local_datetime(at,
"Asia/Jakarta")``, ``{{ at|local_datetime:post.schedule_timezone }}``. A date and time always
names its zone, so no one has to guess which clock it is. The template filters are built in
(``TEMPLATES["OPTIONS"]["builtins"]``); ``|date`` is left for machine formats (``|date:"c"``).
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta, tzinfo

from django.utils import formats, timezone
from django.utils.translation import get_language

__all__ = ["intl_formats", "local_date", "local_datetime", "local_day", "local_time", "zone_label"]


def _zone(zone: str | tzinfo | None) -> tzinfo:
    if zone is None or zone == "":
        return timezone.get_current_timezone()
    if isinstance(zone, tzinfo):
        return zone
    try:
        return zoneinfo.ZoneInfo(str(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def _local(value: datetime, zone: str | tzinfo | None) -> datetime:
    """``value`` on the wall clock of ``zone`` (else the active zone). A naive value is taken to be
    a wall-clock time in that zone already."""
    tz = _zone(zone)
    if timezone.is_naive(value):
        return timezone.make_aware(value, tz)
    return value.astimezone(tz)


def zone_label(value: datetime) -> str:
    """The zone of an aware ``value`` as people write it: "WIB", "JST", "UTC"; a zone whose database
    name is only an offset ("+08" for Singapore) reads "UTC+8", "UTC+5:45"."""
    name = value.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def local_datetime(value: datetime | None, zone: str | tzinfo | None = None) -> str:
    """'Sun 6 Dec 2026, 14:08 WIB' / 'Min, 6 Des 2026 14.08 WIB'; '' for None."""
    if not value:
        return ""
    if not isinstance(value, datetime):
        return local_date(value)
    local = _local(value, zone)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {zone_label(local)}"


def local_date(value: date | datetime | None, zone: str | tzinfo | None = None) -> str:
    """'6 Dec 2026' / '6 Des 2026' (a datetime: its day in the zone); '' for None."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = _local(value, zone)
    return formats.date_format(value, "DATE_FORMAT")


def local_day(value: date | datetime | None, zone: str | tzinfo | None = None) -> str:
    """'Sun 6 Dec' / 'Min, 6 Des': a day near now, where the year goes without saying."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = _local(value, zone)
    return formats.date_format(value, "DAY_FORMAT")


def local_time(value: datetime | None, zone: str | tzinfo | None = None) -> str:
    """'14:08' / '14.08', beside a day or a zone already said; '' for None."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = _local(value, zone)
    return formats.time_format(value, "TIME_FORMAT")


def intl_formats() -> dict:
    """The same kinds for the browser, in the active language: ``{"locale": "id-ID", "formats":
    {"day": {...Intl.DateTimeFormat options...}, ...}}`` (FullCalendar and calendar.js read it)."""
    return {
        "locale": formats.get_format("INTL_LOCALE"),
        "formats": formats.get_format("INTL_FORMATS"),
        "join": formats.get_format("INTL_DATETIME_JOIN"),
        "language": (get_language() or "en").split("-")[0],
    }
