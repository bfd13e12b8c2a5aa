"""Writes of the audit log page: the retention setting and the record of an export (the log itself is
written only by the kernel, :mod:`socialops.audit.services`)."""

from __future__ import annotations

from dataclasses import asdict

from django.db import transaction

from accounts.capabilities import Capability, require
from socialops.audit import services as audit_services
from socialops.audit.selectors import EventFilters


def _described(filters: EventFilters) -> dict:
    return {k: v for k, v in asdict(filters).items() if v not in (None, "")}


@transaction.atomic
def set_audit_retention(membership, *, years: int):
    """Keep the organization's audit entries ``years`` years (governance managers only)."""
    require(membership, Capability.MANAGE_GOVERNANCE)
    return audit_services.set_retention(membership.organization, years=years, actor=membership.user)


def record_audit_export(membership, *, filters: EventFilters, through_seq: int, via: str = "web"):
    """Record that ``membership`` exported the log's entries matching ``filters`` up to entry
    ``through_seq`` (an export is read access to every tenant's most sensitive table: it is audited)."""
    require(membership, Capability.MANAGE_GOVERNANCE)
    return audit_services.record_event(
        membership.organization,
        "audit.exported",
        actor=membership.user,
        via=via,
        changes={"filters": _described(filters), "through_seq": through_seq, "format": "csv"},
    )
