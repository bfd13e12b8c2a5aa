"""The custom dashboards' API under /api/v1/ (the same services and rules as the pages):

- ``GET/POST /api/v1/analytics/dashboards/``, ``GET/PATCH/DELETE …/{id}/``: the organization's
  dashboards with their widgets; ``POST …/{id}/duplicate/`` copies one with its widgets;
  ``POST …/{id}/arrange/`` puts its widgets in a new order;
- ``GET …/{id}/data/?since=&until=``: every widget's data (default: the dashboard's range);
- ``GET/POST /api/v1/analytics/widgets/?dashboard=``, ``GET/PATCH/DELETE …/{id}/``: widgets;
- ``GET/POST /api/v1/analytics/dashboard-share-links/?dashboard=``, ``GET …/{id}/``,
  ``POST …/{id}/revoke/``: read-only links to a dashboard for people without an account (the
  kernel's share links; the token is in the create answer only). Only those who may change a
  dashboard share it and see its links.

Anyone who sees analytics reads every dashboard (each with the figures of the channels they may
see) and may create or duplicate one; only its creator and administrators change it (a 403).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.capabilities import Capability
from socialops.api import DateFilter, IdFilter, OrgScopedViewSet
from socialops.errors import ValidationFailed
from socialops.sharing.models import ShareLink

from . import selectors, services
from .models import Dashboard, Widget
from .serializers import (
    ArrangeIn,
    DashboardDataOut,
    DashboardIn,
    DashboardOut,
    DashboardPatchIn,
    DashboardShareLinkCreated,
    DashboardShareLinkIn,
    DashboardShareLinkOut,
    DuplicateIn,
    WidgetIn,
    WidgetOut,
    WidgetPatchIn,
)


def _lookup(organization, model_name: str, pk):
    """A team, channel or campaign of the organization by id (None stays None); another
    organization's or an unknown id is a 400 on that field."""
    if pk is None:
        return None
    from accounts.selectors import teams_of
    from channels_registry.selectors import channels_of
    from publishing.selectors import campaigns_of

    qs = {
        "team": lambda: teams_of(organization),
        "channel": lambda: channels_of(organization),
        "campaign": lambda: campaigns_of(organization),
    }[model_name]()
    obj = qs.filter(pk=pk).first()
    if obj is None:
        message = {
            "team": _("No such team in this organization."),
            "channel": _("No such channel in this organization."),
            "campaign": _("No such campaign in this organization."),
        }[model_name]
        raise ValidationFailed(message, fields={model_name: [message]})
    return obj


def _filters(organization, data: dict) -> dict:
    out = dict(data)
    for name in ("team", "channel", "campaign"):
        if name in out:
            out[name] = _lookup(organization, name, out[name])
    return out


@extend_schema_view(
    list=extend_schema(
        summary="List custom dashboards",
        description="The organization's custom dashboards, by name, each with its widgets in order "
        "and whether the token's holder may change it.",
    ),
    retrieve=extend_schema(summary="Get a custom dashboard", description="One dashboard."),
    create=extend_schema(
        summary="Create a custom dashboard",
        description="A new, empty dashboard with a name and default filters (a range of the last "
        "7, 28 or 90 days; a team, network, channel or campaign). Add widgets with "
        "/api/v1/analytics/widgets/.",
    ),
    partial_update=extend_schema(
        summary="Change a custom dashboard",
        description="Renames it or changes its description or default filters (the fields "
        "given). Its creator and administrators only (403).",
    ),
    destroy=extend_schema(
        summary="Delete a custom dashboard",
        description="Deletes it and its widgets. Its creator and administrators only (403).",
    ),
    duplicate=extend_schema(
        summary="Duplicate a custom dashboard",
        description="A copy with every widget in its order and size, made by and for the token's "
        "holder (who may then change it).",
    ),
    arrange=extend_schema(
        summary="Arrange a dashboard's widgets",
        description="Puts the widgets in `order` (every widget's id once; anything else is a 400).",
    ),
    data=extend_schema(
        summary="Read a custom dashboard's data",
        description="Every widget's data, in order, from `since` to `until` (UTC days, inclusive; "
        "default: the dashboard's range up to today; at most two years; a backwards range is a "
        "400), over the channels the token's holder may see analytics of, narrowed by the "
        "dashboard's filters. Read from the daily rollups and the inbox's figures. A metric a "
        "network does not report is null and the network is named in `not_available_for`, "
        "never 0.",
    ),
)
@extend_schema(tags=["analytics"])
class DashboardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Custom dashboards."""

    model = Dashboard
    serializer_class = DashboardOut
    read_capability = Capability.VIEW_ANALYTICS
    # who may change one is the services' answer (selectors.may_edit)
    write_capability = Capability.VIEW_ANALYTICS
    list_ordering = ("name", "id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    paginated_actions = ("list",)
    filters = (
        DateFilter("since", "The range's first day (YYYY-MM-DD, UTC).", actions=("data",)),
        DateFilter("until", "The range's last day (YYYY-MM-DD, UTC), included.", actions=("data",)),
    )

    def scoped_queryset(self, organization):
        return Dashboard.objects.for_org(organization).prefetch_related(
            Prefetch(
                "widgets",
                queryset=Widget.objects.for_org(organization).order_by("position", "id"),
                to_attr="widget_list",
            )
        )

    def _out(self, dashboard) -> dict:
        if not hasattr(dashboard, "widget_list"):
            dashboard.widget_list = list(selectors.widgets_of(dashboard))
        dashboard.may_edit = selectors.may_edit(self.membership, dashboard)
        return DashboardOut(dashboard).data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([self._out(d) for d in page])

    def retrieve(self, request, *args, **kwargs):
        return Response(self._out(self.get_object()))

    @extend_schema(request=DashboardIn, responses={201: DashboardOut})
    def create(self, request):
        payload = DashboardIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = _filters(self.organization, payload.validated_data)
        dashboard = services.create_dashboard(self.membership, via="api", **d)
        return Response(self._out(dashboard), status=status.HTTP_201_CREATED)

    @extend_schema(request=DashboardPatchIn, responses=DashboardOut)
    def partial_update(self, request, pk=None):
        dashboard = self.get_object()
        payload = DashboardPatchIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = _filters(self.organization, payload.validated_data)
        dashboard = services.update_dashboard(dashboard, by=self.membership, via="api", **d)
        return Response(self._out(dashboard))

    def destroy(self, request, pk=None):
        services.delete_dashboard(self.get_object(), by=self.membership, via="api")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=DuplicateIn, responses={201: DashboardOut})
    @action(detail=True, methods=["post"])
    def duplicate(self, request, pk=None):
        dashboard = self.get_object()
        payload = DuplicateIn(data=request.data)
        payload.is_valid(raise_exception=True)
        copy = services.duplicate_dashboard(
            dashboard, by=self.membership, name=payload.validated_data.get("name"), via="api"
        )
        return Response(self._out(copy), status=status.HTTP_201_CREATED)

    @extend_schema(request=ArrangeIn, responses=DashboardOut)
    @action(detail=True, methods=["post"])
    def arrange(self, request, pk=None):
        dashboard = self.get_object()
        payload = ArrangeIn(data=request.data)
        payload.is_valid(raise_exception=True)
        services.reorder_widgets(
            dashboard, by=self.membership, order=payload.validated_data["order"], via="api"
        )
        return Response(self._out(selectors.get_dashboard(self.organization, dashboard.pk)))

    @extend_schema(responses=DashboardDataOut)
    @action(detail=True, methods=["get"])
    def data(self, request, pk=None):
        dashboard = self.get_object()
        q = self.query
        filters = None
        if q.get("since") is not None or q.get("until") is not None:
            filters = selectors.board_filters(dashboard, since=q.get("since"), until=q.get("until"))
        board = selectors.board_data(self.membership, dashboard, filters)
        return Response(DashboardDataOut(board).data)


@extend_schema_view(
    list=extend_schema(
        summary="List dashboard widgets",
        description="The widgets of the organization's dashboards (`dashboard`: of one), in order.",
    ),
    retrieve=extend_schema(summary="Get a dashboard widget", description="One widget."),
    create=extend_schema(
        summary="Add a dashboard widget",
        description="A widget at the end of a dashboard: a `kind` (kpi, timeseries, breakdown, "
        "top_posts, sentiment, response_times, post_table), a `metric` that fits it, a "
        "`breakdown` (channel, network, team, campaign) for the breakdown kind, a size. An "
        "unknown kind, metric or breakdown, or a size off the grid, is a 400 naming the field. A "
        "metric some networks do not report is allowed: its data names them.",
    ),
    partial_update=extend_schema(
        summary="Change a dashboard widget",
        description="Retitles or resizes it, or changes its metric, breakdown or options.",
    ),
    destroy=extend_schema(summary="Remove a dashboard widget", description="Removes it."),
)
@extend_schema(tags=["analytics"])
class WidgetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """The widgets of custom dashboards."""

    model = Widget
    serializer_class = WidgetOut
    read_capability = Capability.VIEW_ANALYTICS
    write_capability = Capability.VIEW_ANALYTICS
    list_ordering = ("dashboard_id", "position", "id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filters = (IdFilter("dashboard", "Only this dashboard's widgets.", lookup="dashboard_id"),)

    def scoped_queryset(self, organization):
        return Widget.objects.for_org(organization).select_related("dashboard")

    @extend_schema(request=WidgetIn, responses={201: WidgetOut})
    def create(self, request):
        payload = WidgetIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = dict(payload.validated_data)
        dashboard_id = d.pop("dashboard")
        dashboard = Dashboard.objects.for_org(self.organization).filter(pk=dashboard_id).first()
        if dashboard is None:
            message = _("No such dashboard in this organization.")
            raise ValidationFailed(message, fields={"dashboard": [message]})
        widget = services.add_widget(dashboard, by=self.membership, via="api", **d)
        return Response(WidgetOut(widget).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WidgetPatchIn, responses=WidgetOut)
    def partial_update(self, request, pk=None):
        widget = self.get_object()
        payload = WidgetPatchIn(data=request.data)
        payload.is_valid(raise_exception=True)
        widget = services.update_widget(
            widget, by=self.membership, via="api", **payload.validated_data
        )
        return Response(WidgetOut(widget).data)

    def destroy(self, request, pk=None):
        services.remove_widget(self.get_object(), by=self.membership, via="api")
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List dashboard share links",
        description="The share links of the dashboards the token's holder may change (all of them "
        "for administrators), newest first; `dashboard`: of one.",
    ),
    retrieve=extend_schema(
        summary="Get a dashboard share link", description="One link (without its token)."
    ),
    create=extend_schema(
        summary="Create a dashboard share link",
        description="A signed, read-only link to a dashboard as the token's holder sees it, for "
        "someone without an account; `expires_at` optional (absent: until revoked). The token "
        "and the page's `url` are in this answer only. The dashboard's creator and "
        "administrators only (403); another organization's dashboard is a 400.",
    ),
    revoke=extend_schema(
        summary="Revoke a dashboard share link",
        description="The link stops working at once (its page answers 410).",
    ),
)
@extend_schema(tags=["analytics"])
class DashboardShareLinkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Share links of custom dashboards (the kernel's ShareLink rows of kind "dashboard")."""

    model = ShareLink
    serializer_class = DashboardShareLinkOut
    read_capability = Capability.VIEW_ANALYTICS
    # who may share a dashboard is the services' answer (selectors.may_edit)
    write_capability = Capability.VIEW_ANALYTICS
    filters = (IdFilter("dashboard", "Only this dashboard's links.", lookup="target_id"),)

    def scoped_queryset(self, organization):
        return selectors.shareable_links(self.membership)

    @extend_schema(request=DashboardShareLinkIn, responses={201: DashboardShareLinkCreated})
    def create(self, request):
        from django.urls import reverse

        payload = DashboardShareLinkIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        dashboard = Dashboard.objects.for_org(self.organization).filter(pk=d["dashboard"]).first()
        if dashboard is None:
            message = _("No such dashboard in this organization.")
            raise ValidationFailed(message, fields={"dashboard": [message]})
        user = request.user
        link, token = services.create_share_link(
            dashboard,
            by=self.membership,
            name=d["name"],
            timezone_name=getattr(user, "timezone", "") or self.organization.timezone or "UTC",
            expires_at=d.get("expires_at"),
            via="api",
        )
        out = DashboardShareLinkOut(link).data
        out.update(
            token=token,
            url=request.build_absolute_uri(
                reverse("dashboard_shared", kwargs={"share_token": token})
            ),
        )
        return Response(out, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=DashboardShareLinkOut)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        link = self.get_object()
        link = services.revoke_share_link(
            link, dashboard=selectors.shared_dashboard(link), by=self.membership
        )
        return Response(DashboardShareLinkOut(link).data)


__all__ = ["DashboardShareLinkViewSet", "DashboardViewSet", "WidgetViewSet"]
