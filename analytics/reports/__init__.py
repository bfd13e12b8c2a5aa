"""Scheduled reports (issue 16, part 4): a schedule renders the organization dashboard, with its
saved filters, as a PDF and a CSV for a period, stores both and e-mails them through the
notifications outbox to members and to outside addresses at the organization's allowed domains.

- ``models``: ``ReportSchedule`` and ``ReportRun`` (one per period; its files).
- ``schedule``: pure time math (the next slot in a zone, the period a run covers).
- ``services``: create / update / delete / enable, ``send_now``, the beat's ``claim_due_schedules``
  and ``deliver_run`` (render, store, e-mail).
- ``render``: the PDF's HTML, the CSV, and ``report_charts`` (the organization dashboard's charts as SVG).
- ``selectors``, ``views``, ``forms``, ``api``, ``serializers``, ``urls``, ``tasks``.
"""
