"""The scheduled reports' pages under /o/<slug>/analytics/reports/. Short: parse, check, one
service call, render. Seeing needs ``view_analytics``; changing needs ``manage_organization``
(services.MANAGE)."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.capabilities import Capability, can, require_page
from accounts.selectors import members_of, teams_of
from channels_registry.selectors import channels_with_capability, provider_names
from socialops.errors import ApplicationError

from . import selectors, services
from .forms import ScheduleForm

RUNS_SHOWN = 100


def _form(request, data=None, initial=None) -> ScheduleForm:
    member = request.membership
    org = request.organization
    channels = list(channels_with_capability(member, Capability.VIEW_ANALYTICS))
    names = provider_names()
    return ScheduleForm(
        data,
        initial=initial,
        teams=teams_of(org).order_by("name"),
        networks=sorted({(c.provider, names.get(c.provider, c.provider)) for c in channels}),
        channels=channels,
        members=members_of(org, include_inactive=False),
    )


@require_GET
def report_list(request, org_slug):
    require_page(request, Capability.VIEW_ANALYTICS)
    return render(
        request,
        "analytics/reports/list.html",
        {
            "schedules": selectors.schedules_of(request.organization),
            "may_manage": can(request.membership, services.MANAGE),
        },
    )


@require_http_methods(["GET", "POST"])
def report_new(request, org_slug):
    require_page(request, services.MANAGE)
    org = request.organization
    form = _form(
        request,
        request.POST or None,
        initial={"timezone": org.timezone, "send_time": "08:00", "enabled": True},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                s = services.create_schedule(request.membership, form.to_input())
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                messages.success(request, _("Report “%(name)s” scheduled.") % {"name": s.name})
                return redirect("analytics_report_detail", org_slug=org.slug, schedule_id=s.pk)
        status = 400
    return render(
        request, "analytics/reports/form.html", {"form": form, "schedule": None}, status=status
    )


@require_GET
def report_detail(request, org_slug, schedule_id):
    s = selectors.get_schedule(request.organization, schedule_id)
    require_page(request, Capability.VIEW_ANALYTICS)
    return render(
        request,
        "analytics/reports/detail.html",
        {
            "schedule": s,
            "runs": selectors.runs_of(s)[:RUNS_SHOWN],
            "may_manage": can(request.membership, services.MANAGE),
        },
    )


@require_http_methods(["GET", "POST"])
def report_edit(request, org_slug, schedule_id):
    s = selectors.get_schedule(request.organization, schedule_id)
    require_page(request, services.MANAGE)
    form = _form(request, request.POST or None, initial=ScheduleForm.initial_of(s))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_schedule(s, by=request.membership, data=form.to_input())
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                messages.success(request, _("Report schedule saved."))
                return redirect("analytics_report_detail", org_slug=org_slug, schedule_id=s.pk)
        status = 400
    return render(
        request, "analytics/reports/form.html", {"form": form, "schedule": s}, status=status
    )


@require_POST
def report_toggle(request, org_slug, schedule_id):
    s = selectors.get_schedule(request.organization, schedule_id)
    require_page(request, services.MANAGE)
    s = services.set_schedule_enabled(s, by=request.membership, enabled=not s.enabled)
    messages.success(
        request, _("Report schedule enabled.") if s.enabled else _("Report schedule paused.")
    )
    return redirect("analytics_report_detail", org_slug=org_slug, schedule_id=s.pk)


@require_POST
def report_delete(request, org_slug, schedule_id):
    s = selectors.get_schedule(request.organization, schedule_id)
    require_page(request, services.MANAGE)
    services.delete_schedule(s, by=request.membership)
    messages.success(request, _("Report schedule deleted."))
    return redirect("analytics_reports", org_slug=org_slug)


@require_POST
def report_send_now(request, org_slug, schedule_id):
    s = selectors.get_schedule(request.organization, schedule_id)
    require_page(request, services.MANAGE)
    services.send_now(s, by=request.membership)
    messages.success(request, _("The report is being made; it appears below when it is sent."))
    return redirect("analytics_report_detail", org_slug=org_slug, schedule_id=s.pk)


def _file(request, schedule_id, run_id, which: str):
    run = selectors.get_run(request.organization, run_id, schedule_id=schedule_id)
    require_page(request, Capability.VIEW_ANALYTICS)
    path = run.pdf_path if which == "pdf" else run.csv_path
    if not path or not default_storage.exists(path):
        raise Http404("No file.")
    return FileResponse(
        default_storage.open(path, "rb"),
        as_attachment=True,
        filename=path.rsplit("/", 1)[-1],
        content_type="application/pdf" if which == "pdf" else "text/csv; charset=utf-8",
    )


@require_GET
def report_run_pdf(request, org_slug, schedule_id, run_id):
    return _file(request, schedule_id, run_id, "pdf")


@require_GET
def report_run_csv(request, org_slug, schedule_id, run_id):
    return _file(request, schedule_id, run_id, "csv")
