"""The caller's own notifications under /api/v1/notifications/ (in the token's organization only)."""

from __future__ import annotations

from django.db.models.functions import Coalesce
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from socialops.api import BoolFilter, DateTimeFilter, OrgScopedViewSet, since_filter

from . import notifications as service
from .capabilities import Capability
from .models import Notification


class NotificationOut(serializers.ModelSerializer):
    # Rendered for the reader when read (accounts.notifications.render_for_reader), in their
    # language (their saved one, else the request's Accept-Language) and time zone.
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    actor = serializers.SerializerMethodField()
    unread = serializers.BooleanField(source="is_unread")

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "actor", "created_at", "read_at", "unread"]

    def get_actor(self, obj) -> str | None:
        return obj.actor.get_full_name() if obj.actor_id else None


@extend_schema_view(
    list=extend_schema(
        summary="List notifications",
        description="The token owner's notifications in this organization, newest first. `unread=true` lists only unread ones.",
    ),
    read=extend_schema(
        summary="Mark a notification read",
        description="Marks one of the token owner's notifications read.",
    ),
    read_all=extend_schema(
        summary="Mark all notifications read",
        description="Marks every notification of the token owner read; answers how many were marked.",
    ),
)
@extend_schema(tags=["notifications"])
class NotificationViewSet(mixins.ListModelMixin, OrgScopedViewSet):
    """A person only ever sees and marks their own notifications, in the token's organization."""

    model = Notification
    serializer_class = NotificationOut
    read_capability = Capability.VIEW
    write_capability = Capability.VIEW  # marking one's own notifications read
    filters = (
        BoolFilter(
            "unread",
            "true: only unread notifications (false: all).",
            apply=lambda qs, unread: qs.filter(read_at__isnull=True) if unread else qs,
        ),
        since_filter("created_since", "created_at", "created"),
        # A notification changes once: when it is read (no updated_at of its own).
        DateTimeFilter(
            "updated_since",
            "Only notifications created or read at or after this instant.",
            apply=lambda qs, at: qs.alias(changed_at=Coalesce("read_at", "created_at")).filter(
                changed_at__gte=at
            ),
        ),
    )

    def scoped_queryset(self, organization):
        return service.notifications_for(organization, self.membership.user).select_related("actor")

    def _shown(self, rows):
        return service.render_for_reader(
            rows, organization=self.organization, user=self.membership.user
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        if page is None:
            return Response(self.get_serializer(self._shown(self.get_queryset()), many=True).data)
        return self.get_paginated_response(self.get_serializer(self._shown(page), many=True).data)

    @extend_schema(request=None, responses=NotificationOut)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        (shown,) = self._shown([service.mark_read(self.get_object())])
        return Response(NotificationOut(shown).data)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "NotificationsMarkedRead", {"marked": serializers.IntegerField()}
        ),
    )
    @action(detail=False, methods=["post"], url_path="read-all", url_name="read-all")
    def read_all(self, request):
        return Response({"marked": service.mark_all_read(self.organization, self.membership.user)})
