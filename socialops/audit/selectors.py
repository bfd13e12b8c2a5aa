"""Reads of the audit log: the governance page's list, the start page's recent activity, and the
organizations whose chains ``verify_audit_log`` walks."""

from __future__ import annotations

from django.db.models import Model, QuerySet

from .models import AuditEvent


def events_for_org(organization, *, action_prefix: str = "") -> QuerySet[AuditEvent]:
    """``organization``'s entries, newest first, with their actor; ``action_prefix`` (e.g.
    ``"team."``) keeps the actions that start with it."""
    events = AuditEvent.objects.for_org(organization).select_related("actor").order_by("-seq")
    return events.filter(action__startswith=action_prefix) if action_prefix else events


def recent_events(organization, *, limit: int) -> list[AuditEvent]:
    """The newest ``limit`` entries (one query)."""
    return list(events_for_org(organization)[:limit])


def organizations(*, slug: str | None = None) -> QuerySet:
    """Every organization (or the one with ``slug``): the tenant model the log's rows point at.

    Reached through the foreign key, which names it by string (``"accounts.Organization"``), so the
    kernel imports no app.
    """
    organization_model: type[Model] = AuditEvent._meta.get_field("organization").related_model
    organizations = organization_model._default_manager.all()
    return organizations.filter(slug=slug) if slug is not None else organizations
