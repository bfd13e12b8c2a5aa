"""SocialOps' date formats, one module per language (``FORMAT_MODULE_PATH``).

Django looks here before its own ``django.conf.locale.<lang>.formats``. Each module names the few
kinds SocialOps shows (a date, a day, a time, a date and time) once, for the server (Django's
``date`` format characters) and for the browser (``Intl.DateTimeFormat`` options for FullCalendar
and calendar.js). Templates and Python never spell a format: they call ``socialops.dates``
(``{{ value|local_datetime }}``, ``local_datetime(value)``), which reads these.
"""
