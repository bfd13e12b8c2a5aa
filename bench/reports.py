"""Scheduled reports (issue 16: 4): a weekly report (this week beside the week before) of an
organization with ``BENCH_REPORTS_CHANNELS`` (300) channels, rendered end to end as the worker
does it (the dashboard's figures, the PDF through WeasyPrint, the CSV); median of a few.

``BENCH_REPORTS_TINY=1``: 8 channels (a smoke run).
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta

Row = tuple[str, str, str, str]


def run() -> list[Row]:
    from django.utils import timezone

    from accounts import services as account_services
    from accounts.models import Membership, User
    from analytics.models import ChannelDay
    from analytics.reports import services
    from analytics.reports.models import ReportRun
    from channels_registry.models import Channel
    from socialops.pdf import PdfUnavailable, render_pdf

    n = (
        8
        if os.environ.get("BENCH_REPORTS_TINY")
        else int(os.environ.get("BENCH_REPORTS_CHANNELS", "300"))
    )
    owner = User.objects.create_user("bench-reports-owner@example.test", "bench-password-123")
    org = account_services.create_organization(
        name="Bench Reports", slug="bench-reports", owner=owner
    )
    member = Membership.objects.for_org(org).get(user=owner)
    channels = Channel.objects.bulk_create(
        Channel(
            organization=org,
            provider="sandbox",
            external_id=f"r{i}",
            handle=f"r{i}",
            name=f"Channel {i}",
        )
        for i in range(n)
    )
    today = timezone.now().date()
    ChannelDay.objects.bulk_create(
        (
            ChannelDay(
                organization=org,
                channel=c,
                day=today - timedelta(days=d),
                followers=10_000 + d,
                impressions=5_000 + d,
                reach=3_000,
                engagements=400,
                link_clicks=50,
                video_views=100,
                posts_published=d % 2,
            )
            for c in channels
            for d in range(1, 16)
        ),
        batch_size=5000,
    )
    from analytics.services import refresh_running_totals

    refresh_running_totals()  # rows written here, not by the rollup service: their running totals
    schedule = services.create_schedule(
        member,
        services.ScheduleInput(
            name="Bench weekly",
            send_time=timezone.now().time(),
            timezone="UTC",
            member_ids=[member.pk],
        ),
    )
    [run_id] = services.claim_due_schedules(now=schedule.next_run_at)
    run_row = ReportRun.objects.unscoped().select_related("schedule__organization").get(pk=run_id)
    try:
        render_pdf("<p>warm</p>")  # WeasyPrint's first use loads its fonts
    except PdfUnavailable:
        return [("weekly report PDF", "n/a", "", "WeasyPrint missing")]
    times, cpu, size = [], [], 0
    for _ in range(3):
        started, started_cpu = time.perf_counter(), time.process_time()
        rendered = services.render_run(run_row)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)  # this process's CPU: a busy machine aside
        size = len(rendered.pdf)
    return [
        (
            f"weekly report PDF+CSV, {n} channels (median of 3)",
            f"{statistics.median(times):.2f}",
            "s",
            "≤ 10 s",
        ),
        ("  of which CPU time of this process", f"{statistics.median(cpu):.2f}", "s", ""),
        (f"weekly report PDF size, {n} channels", f"{size / 1024:.0f}", "KiB", ""),
    ]
