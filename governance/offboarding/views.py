"""Offboarding pages: pick a person, preview (change any "goes to"), confirm, the report (CSV, PDF)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import Capability, require_page
from socialops.errors import ApplicationError
from socialops.pdf import PdfUnavailable, render_pdf

from . import selectors, services
from .selectors import CHOOSABLE, GROUP_CHOICE


def _choices_from(data) -> dict:
    """The "goes to" choices a form sent: a field per item key or grouped kind."""
    out = {}
    for name, value in data.items():
        kind = name.split(":", 1)[0]
        if name in GROUP_CHOICE or (":" in name and _KIND_OF_KEY.get(kind) in CHOOSABLE):
            out[name] = value
    return out


_KIND_OF_KEY = {
    "stage_seat": selectors.STAGE_SEATS,
    "stage_backup": selectors.STAGE_BACKUPS,
    "assignment": selectors.ASSIGNMENTS,
    "conversation": selectors.CONVERSATIONS,
    "post": selectors.POSTS,
}


@require_GET
def offboarding_index(request, org_slug):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    org = request.organization
    picked = request.GET.get("member", "").strip()
    if picked:
        member = selectors.get_member(org, picked)
        return redirect("offboarding_preview", org_slug=org.slug, member_id=member.pk)
    return render(
        request,
        "governance/offboarding/index.html",
        {
            "members": selectors.members_to_offboard(org).exclude(pk=request.membership.pk),
            "reports": selectors.reports_of(org)[:50],
        },
    )


def _preview(request, member, choices, *, status=200, error=""):
    plan = selectors.plan_offboarding(member, by=request.membership, choices=choices)
    return render(
        request,
        "governance/offboarding/preview.html",
        {
            "member": member,
            "plan": plan,
            "error": error,
        },
        status=status,
    )


@require_GET
def offboarding_preview(request, org_slug, member_id):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    member = selectors.get_member(request.organization, member_id)
    return _preview(request, member, _choices_from(request.GET))


@require_POST
def offboarding_run(request, org_slug, member_id):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    member = selectors.get_member(request.organization, member_id)
    choices = _choices_from(request.POST)
    try:
        report = services.offboard_member(member, by=request.membership, choices=choices)
    except ApplicationError as exc:
        return _preview(request, member, choices, status=exc.http_status, error=exc.message)
    messages.success(request, _("%(person)s was offboarded.") % {"person": member.user})
    return redirect("offboarding_report", org_slug=request.organization.slug, report_id=report.pk)


def _report_context(request, report_id):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    report = selectors.get_report(request.organization, report_id)
    sections: dict[str, list[dict]] = {}
    for row in report.items:
        sections.setdefault(row.get("section", row["kind"]), []).append(row)
    return {
        "report": report,
        "sections": sections,
        "tasks": list(selectors.tasks_of(report)),
        "organization": request.organization,
    }


@require_GET
def offboarding_report(request, org_slug, report_id):
    return render(
        request, "governance/offboarding/report.html", _report_context(request, report_id)
    )


def _filename(report, ext: str) -> str:
    return f"offboarding-{report.pk}-{report.created_at:%Y%m%d}.{ext}"


@require_GET
def offboarding_report_csv(request, org_slug, report_id):
    context = _report_context(request, report_id)
    report = context["report"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "csv")}"'
    writer = csv.writer(response)
    writer.writerow([_("Section"), _("Item"), _("Detail"), _("Goes to"), _("Outcome")])
    for row in report.items:
        writer.writerow(
            [_safe(row.get(k, "")) for k in ("section", "label", "detail", "goes_to", "outcome")]
        )
    for task in context["tasks"]:
        writer.writerow(
            [
                _("Follow-up"),
                _safe(task.title),
                task.url,
                "",
                _("Done") if task.is_done else _("To do"),
            ]
        )
    return response


def _safe(value) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
def offboarding_report_pdf(request, org_slug, report_id):
    context = _report_context(request, report_id)
    context["generated_at"] = timezone.now()
    html = render_to_string("governance/offboarding/report_pdf.html", context, request=request)
    try:
        pdf = render_pdf(html)
    except PdfUnavailable:
        messages.error(
            request,
            _(
                "PDF reports need the Pango library on the server (Debian: libpango-1.0-0 and "
                "libpangoft2-1.0-0). The CSV report has everything the PDF has."
            ),
        )
        return redirect(
            "offboarding_report", org_slug=request.organization.slug, report_id=report_id
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = _filename(context["report"], "pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
def offboarding_task_done(request, org_slug, report_id, task_id):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    report = selectors.get_report(request.organization, report_id)
    task = selectors.get_task(report, task_id)
    services.mark_follow_up(task, by=request.membership, done=request.POST.get("done") != "0")
    return redirect("offboarding_report", org_slug=request.organization.slug, report_id=report.pk)
