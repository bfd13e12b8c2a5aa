from __future__ import annotations

from django.shortcuts import render

from accounts.capabilities import Capability, require_page

from .selectors import EXPIRY_WINDOW, MIN_ADMINS, SOLE_ADMIN_MANY, coverage_report


def coverage(request, org_slug):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    report = coverage_report(request.organization)
    return render(
        request,
        "governance/coverage.html",
        {
            "report": report,
            "counts": report.counts,
            "min_admins": MIN_ADMINS,
            "sole_admin_many": SOLE_ADMIN_MANY,
            "expiry_days": EXPIRY_WINDOW.days,
        },
    )
