"""English: day before month, 24-hour clock (the product is used by Asian regional teams).

"Sun 6 Dec 2026, 14:08 WIB" (the zone is added by ``socialops.dates.local_datetime``).
"""

DATE_FORMAT = "j M Y"  # 6 Dec 2026
DAY_FORMAT = "D j M"  # Sun 6 Dec (a day in the near past or future: agendas, week headers)
TIME_FORMAT = "H:i"  # 14:08
DATETIME_FORMAT = "D j M Y, H:i"  # Sun 6 Dec 2026, 14:08
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
FIRST_DAY_OF_WEEK = 1  # Monday

# The same kinds for the browser: a BCP 47 locale and Intl.DateTimeFormat options.
INTL_LOCALE = "en-GB"  # "en" would be US style in Intl: "Sun, Dec 6", "2:08 PM"
INTL_FORMATS = {
    "day": {"weekday": "short", "day": "numeric", "month": "short"},  # Sun 6 Dec
    "date": {"day": "numeric", "month": "short", "year": "numeric"},  # 6 Dec 2026
    "weekday": {"weekday": "short"},  # Sun
    "month": {"month": "long", "year": "numeric"},  # December 2026
    "time": {"hour": "2-digit", "minute": "2-digit", "hourCycle": "h23"},  # 14:08
}
INTL_DATETIME_JOIN = ", "  # between a day and a time, as in DATETIME_FORMAT: "Sun 6 Dec, 14:08"
