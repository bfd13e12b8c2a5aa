"""Bahasa Indonesia: a comma after the weekday, a dot between hours and minutes (PUEBI).

"Min, 6 Des 2026 14.08 WIB" (the zone is added by ``socialops.dates.local_datetime``).
"""

DATE_FORMAT = "j M Y"  # 6 Des 2026
DAY_FORMAT = "D, j M"  # Min, 6 Des
TIME_FORMAT = "H.i"  # 14.08
DATETIME_FORMAT = "D, j M Y H.i"  # Min, 6 Des 2026 14.08
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H.i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
FIRST_DAY_OF_WEEK = 1  # Senin

INTL_LOCALE = "id-ID"  # Intl writes "Min, 6 Des" and "14.08" for these options
INTL_FORMATS = {
    "day": {"weekday": "short", "day": "numeric", "month": "short"},  # Min, 6 Des
    "date": {"day": "numeric", "month": "short", "year": "numeric"},  # 6 Des 2026
    "weekday": {"weekday": "short"},  # Min
    "month": {"month": "long", "year": "numeric"},  # Desember 2026
    "time": {"hour": "2-digit", "minute": "2-digit", "hourCycle": "h23"},  # 14.08
}
INTL_DATETIME_JOIN = " "  # between a day and a time, as in DATETIME_FORMAT: "Min, 6 Des 14.08"
