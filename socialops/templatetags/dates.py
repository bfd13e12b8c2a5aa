"""Template filters for the one date rule (``socialops.dates``), built into every template.

``{{ at|local_datetime }}`` (the viewer's zone), ``{{ at|local_datetime:post.schedule_timezone }}``
(another zone), ``{{ day|local_date }}``, ``{{ day|local_day }}``, ``{{ at|local_time }}``; and
``{% intl_date_formats as f %}{{ f|json_script:"date-formats" }}`` for the browser.
"""

from __future__ import annotations

from django import template

from socialops import dates

register = template.Library()

register.filter("local_datetime", dates.local_datetime)
register.filter("local_date", dates.local_date)
register.filter("local_day", dates.local_day)
register.filter("local_time", dates.local_time)
register.simple_tag(dates.intl_formats, name="intl_date_formats")
