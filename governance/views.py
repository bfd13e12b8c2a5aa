from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.capabilities import Capability, can
from socialops.audit import selectors as audit_selectors
from socialops.audit.services import verify_chain


def audit_log(request, org_slug):
    if not can(request.membership, Capability.MANAGE_GOVERNANCE):
        raise PermissionDenied
    action = request.GET.get("action", "").strip()
    events = audit_selectors.events_for_org(request.organization, action_prefix=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    report = verify_chain(request.organization) if request.GET.get("verify") else None
    return render(
        request, "governance/audit_log.html", {"page": page, "action": action, "report": report}
    )
