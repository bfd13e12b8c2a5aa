"""Reads of the audit log: the governance page's list (filtered, searched, paged by ``seq``), the
start page's recent activity, a retention setting, and the organizations whose chains
``verify_audit_log`` walks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.db.models.expressions import RawSQL

from .models import AuditChainHead, AuditEvent, AuditRetention


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


#: the text an entry is searched by, as PostgreSQL indexes it (GIN index ``audit_search``, made by
#: migration audit.0003 with this very expression: change both together or the index goes unused)
SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, action || ' ' || object_type || ' ' || object_id || ' ' "
    "|| object_repr || ' ' || actor_label || ' ' || changes::text)"
)
#: the object type of a channel, as entries record it (``Model._meta.label_lower``)
CHANNEL_TYPE = "channels_registry.channel"


@dataclass(frozen=True)
class EventFilters:
    """What the audit log page and API narrow the log by; every field optional.

    ``action`` keeps actions equal to it or, ending in ``.``, starting with it (``post.``);
    ``channel`` keeps entries about the channel (its own, and those whose changes name it as
    ``channel`` or among ``channels``); ``since``/``until`` are instants (``until`` excluded);
    ``text`` is a full-text search over the entry (action, object, actor and what changed)."""

    actor: int | None = None
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    channel: int | None = None
    via: str = ""
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""


def _search(events: QuerySet[AuditEvent], text: str) -> QuerySet[AuditEvent]:
    if connection.vendor == "postgresql":
        document = RawSQL(SEARCH_DOCUMENT, [], output_field=SearchVectorField())  # noqa: S611 - a constant
        query = SearchQuery(text, config="simple", search_type="websearch")
        return events.annotate(_document=document).filter(_document=query)
    # elsewhere (SQLite in development): every word appears somewhere in the entry
    for word in text.split():
        events = events.filter(
            Q(action__icontains=word)
            | Q(object_repr__icontains=word)
            | Q(actor_label__icontains=word)
            | Q(object_id=word)
            | Q(changes__icontains=word)
        )
    return events


def filter_events(organization, filters: EventFilters) -> QuerySet[AuditEvent]:
    """``organization``'s entries that match ``filters``, newest first, with their actor."""
    events = AuditEvent.objects.for_org(organization).select_related("actor").order_by("-seq")
    return filter_events_by(events, filters)


def filter_events_by(events: QuerySet[AuditEvent], filters: EventFilters) -> QuerySet[AuditEvent]:
    """``events`` (one organization's, already scoped) narrowed by ``filters``."""
    if filters.actor is not None:
        events = events.filter(actor_id=filters.actor)
    if filters.action:
        if filters.action.endswith("."):
            events = events.filter(action__startswith=filters.action)
        else:
            events = events.filter(action=filters.action)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    if filters.via:
        events = events.filter(via=filters.via)
    if filters.channel is not None:
        about = Q(object_type=CHANNEL_TYPE, object_id=str(filters.channel)) | Q(
            changes__channel=filters.channel
        )
        if connection.features.supports_json_field_contains:
            about |= Q(changes__channels__contains=[filters.channel])
        events = events.filter(about)
    if filters.since is not None:
        events = events.filter(created_at__gte=filters.since)
    if filters.until is not None:
        events = events.filter(created_at__lt=filters.until)
    if filters.text.strip():
        events = _search(events, filters.text.strip())
    return events


def action_names(organization) -> list[str]:
    """The actions ``organization``'s log holds, for the page's filter (index ``audit_org_action``)."""
    return list(
        AuditEvent.objects.for_org(organization)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )


def object_types(organization) -> list[str]:
    """The object types ``organization``'s log holds, for the page's filter."""
    return list(
        AuditEvent.objects.for_org(organization)
        .exclude(object_type="")
        .order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    )


def retention_of(organization) -> int:
    """How many years ``organization`` keeps its entries."""
    years = AuditRetention.objects.for_org(organization).values_list("years", flat=True).first()
    return years if years is not None else AuditRetention.DEFAULT_YEARS


def retention_cutoff(organization, *, now: datetime) -> datetime:
    """The instant before which ``organization``'s entries are past their retention."""
    years = retention_of(organization)
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def checkpoint_of(organization) -> tuple[int, str]:
    """``(seq, hash)`` of the last purged entry (``(0, "")``: nothing purged yet)."""
    row = (
        AuditChainHead.objects.for_org(organization)
        .values_list("checkpoint_seq", "checkpoint_hash")
        .first()
    )
    return row or (0, "")


def organizations_with_expired_entries(*, now: datetime) -> list[int]:
    """Ids of the organizations whose oldest remaining entry is past their retention.

    One query per organization that has entries, on the index ``(organization, -created_at)``."""
    due = []
    organization_ids = (
        AuditEvent.objects.unscoped()
        .order_by()
        .values_list("organization_id", flat=True)
        .distinct()
    )
    for organization in organizations().filter(pk__in=organization_ids):
        oldest = (
            AuditEvent.objects.for_org(organization)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if oldest is not None and oldest < retention_cutoff(organization, now=now):
            due.append(organization.pk)
    return due
