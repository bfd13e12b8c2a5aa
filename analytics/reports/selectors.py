"""Reads of scheduled reports. Organization first; a schedule or run of another organization is
the same 404 as a missing one."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from .models import ReportRun, ReportSchedule


def schedules_of(organization) -> QuerySet[ReportSchedule]:
    return (
        ReportSchedule.objects.for_org(organization)
        .select_related("team", "channel", "created_by")
        .prefetch_related("recipients__user")
    )


def get_schedule(organization, schedule_id) -> ReportSchedule:
    s = schedules_of(organization).filter(pk=schedule_id).first()
    if s is None:
        raise Http404("No such report schedule.")
    return s


def runs_of(schedule: ReportSchedule) -> QuerySet[ReportRun]:
    return ReportRun.objects.for_org(schedule.organization_id).filter(schedule=schedule)


def get_run(organization, run_id, *, schedule_id=None) -> ReportRun:
    qs = ReportRun.objects.for_org(organization).select_related("schedule")
    if schedule_id is not None:
        qs = qs.filter(schedule_id=schedule_id)
    run = qs.filter(pk=run_id).first()
    if run is None:
        raise Http404("No such report.")
    return run
