from __future__ import annotations

from .models import AuditEvent


def audit_events_for_org(organization):
    return AuditEvent.objects.for_org(organization).select_related("actor").order_by("-seq")
