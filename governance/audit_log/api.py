"""The audit log under /api/v1/ (read-only, governance managers, scope ``audit:read``).

- ``GET /api/v1/audit-events/`` newest first, cursor-paginated; filters: ``actor`` (a member's
  id), ``action`` (exact, or a prefix ending in ``.``), ``object_type``, ``object_id``, ``channel``,
  ``origin``, ``since``/``until`` (instants), ``q`` (full-text search)
- ``GET /api/v1/audit-events/{id}/``
"""

from __future__ import annotations

from django.db.models import F
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from accounts.capabilities import Capability
from socialops.api import ChoiceFilter, DateTimeFilter, IdFilter, OrgScopedViewSet, TextFilter
from socialops.audit import selectors as audit_selectors
from socialops.audit.models import AuditEvent
from socialops.audit.selectors import EventFilters


class AuditEventOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The entry's id.")
    seq = serializers.IntegerField(
        help_text="Its position in the organization's chain (1, 2, …; older ones may be purged)."
    )
    created_at = serializers.DateTimeField(help_text="When it was recorded (UTC).")
    actor = serializers.CharField(
        source="actor_label",
        help_text="The e-mail address of the person who acted; empty: the system.",
    )
    ip_address = serializers.IPAddressField(
        allow_null=True, help_text="The address the request came from; null for tasks."
    )
    origin = serializers.ChoiceField(
        source="via",
        choices=AuditEvent.Via.choices,
        help_text="How the change came in: web, api, link (a signed link), task, scim or system.",
    )
    action = serializers.CharField(help_text="What happened, e.g. `post.scheduled`.")
    object_type = serializers.CharField(
        help_text="The changed object's type (`app.model`), or empty."
    )
    object_id = serializers.CharField(help_text="The changed object's id, or empty.")
    object_repr = serializers.CharField(help_text="The object's name when it changed.")
    changes = serializers.JSONField(
        help_text="What changed: a field's `[old, new]`, or the values the action was given."
    )
    hash = serializers.CharField(help_text="The entry's link in the hash chain.")


def _by_actor(events, member_id):
    # the actor's membership in this same organization (a foreign member's id matches nothing)
    return events.filter(
        actor__memberships__pk=member_id, actor__memberships__organization=F("organization")
    )


def _by_action(events, action):
    return audit_selectors.filter_events_by(events, EventFilters(action=action))


def _by_channel(events, channel_id):
    return audit_selectors.filter_events_by(events, EventFilters(channel=channel_id))


def _by_text(events, text):
    return audit_selectors.filter_events_by(events, EventFilters(text=text))


@extend_schema_view(
    list=extend_schema(
        summary="List audit log entries",
        description="The organization's audit entries, newest first: who (`actor`), when, from which "
        "address and origin, what (`action`, the object) and what changed. Filters: `actor` (a "
        "member's id), `action` (exact, or a prefix ending in a dot: `post.`), `object_type`, "
        "`object_id`, `channel`, `origin`, `since`/`until`, `q` (full-text search over the entry). "
        "Governance managers only; a token needs `audit:read`.",
    ),
    retrieve=extend_schema(summary="Get an audit log entry", description="One audit entry."),
)
@extend_schema(tags=["audit"])
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """The audit log, read-only."""

    model = AuditEvent
    serializer_class = AuditEventOut
    read_capability = Capability.MANAGE_GOVERNANCE
    write_capability = Capability.MANAGE_GOVERNANCE
    list_ordering = ("-seq", "-id")
    filters = (
        IdFilter(
            "actor", "Only entries of this member (a member's id, see /members/).", apply=_by_actor
        ),
        TextFilter(
            "action",
            "Only this action (`post.scheduled`), or the actions starting with it when it ends in a dot (`post.`).",
            apply=_by_action,
        ),
        TextFilter(
            "object_type",
            "Only entries about objects of this type (`posts.post`).",
            lookup="object_type",
        ),
        TextFilter("object_id", "Only entries about the object with this id.", lookup="object_id"),
        IdFilter("channel", "Only entries about this channel.", apply=_by_channel),
        ChoiceFilter("origin", AuditEvent.Via, "Only entries that came in this way.", lookup="via"),
        DateTimeFilter(
            "since", "Only entries recorded at or after this instant.", lookup="created_at__gte"
        ),
        DateTimeFilter(
            "until", "Only entries recorded before this instant.", lookup="created_at__lt"
        ),
        TextFilter(
            "q", "Full-text search: words in the action, object, actor or changes.", apply=_by_text
        ),
    )

    def scoped_queryset(self, organization):
        return AuditEvent.objects.for_org(organization)
