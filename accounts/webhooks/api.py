"""/api/v1/webhook-endpoints/: the organization's outgoing webhooks (admins: manage_organization)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from socialops.api import OrgScopedViewSet
from socialops.webhooks import selectors, services
from socialops.webhooks.models import WebhookEndpoint

from ..capabilities import Capability
from .serializers import (
    RotatedSecretOut,
    WebhookDeliveryOut,
    WebhookEndpointCreated,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPatch,
)


@extend_schema_view(
    list=extend_schema(
        summary="List webhook endpoints",
        description="The organization's endpoints that receive signed events.",
    ),
    create=extend_schema(
        summary="Register a webhook endpoint",
        description="An https endpoint (no private address) and the events it receives. Its signing secret is in this answer only.",
    ),
    retrieve=extend_schema(
        summary="Get a webhook endpoint", description="One endpoint (without its secret)."
    ),
    partial_update=extend_schema(
        summary="Change a webhook endpoint", description="Changes its URL, description or events."
    ),
    destroy=extend_schema(
        summary="Delete a webhook endpoint",
        description="Deletes the endpoint; nothing more is sent to it.",
    ),
    rotate_secret=extend_schema(
        summary="Rotate a webhook endpoint's secret",
        description="A new signing secret; deliveries are signed with both until `previous_secret_until`.",
    ),
    disable=extend_schema(
        summary="Disable a webhook endpoint",
        description="Stops deliveries to the endpoint until it is enabled.",
    ),
    enable=extend_schema(
        summary="Enable a webhook endpoint", description="Resumes deliveries to the endpoint."
    ),
    deliveries=extend_schema(
        summary="List an endpoint's deliveries",
        description="The delivery log, newest first: status, response status and body snippet, duration.",
    ),
    replay=extend_schema(
        summary="Replay a delivery",
        description="Sends a delivery's message again (same webhook-id and body), behind any pending one for its object.",
    ),
)
@extend_schema(tags=["webhooks"])
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Endpoints of the organization's systems that receive signed events (Standard Webhooks)."""

    model = WebhookEndpoint
    serializer_class = WebhookEndpointOut
    read_capability = Capability.MANAGE_ORGANIZATION
    write_capability = Capability.MANAGE_ORGANIZATION
    #: the delivery log is a list too (limit, cursor)
    paginated_actions = ("list", "deliveries")

    def scoped_queryset(self, organization):
        return selectors.endpoints_of(organization)

    @extend_schema(request=WebhookEndpointIn, responses={201: WebhookEndpointCreated})
    def create(self, request):
        payload = WebhookEndpointIn(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint = services.create_endpoint(
            self.organization, by=self.membership, **payload.validated_data
        )
        return Response(WebhookEndpointCreated(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WebhookEndpointPatch, responses=WebhookEndpointOut)
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        payload = WebhookEndpointPatch(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint = services.update_endpoint(endpoint, by=self.membership, **payload.validated_data)
        return Response(WebhookEndpointOut(endpoint).data)

    def destroy(self, request, pk=None):
        services.delete_endpoint(self.get_object(), by=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=RotatedSecretOut)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = self.get_object()
        secret = services.rotate_secret(endpoint, by=self.membership)
        endpoint.refresh_from_db()
        return Response(
            RotatedSecretOut(
                {"secret": secret, "previous_secret_until": endpoint.previous_secret_until}
            ).data
        )

    @extend_schema(request=None, responses=WebhookEndpointOut)
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        return Response(
            WebhookEndpointOut(
                services.disable_endpoint(self.get_object(), by=self.membership)
            ).data
        )

    @extend_schema(request=None, responses=WebhookEndpointOut)
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        return Response(
            WebhookEndpointOut(services.enable_endpoint(self.get_object(), by=self.membership)).data
        )

    @extend_schema(request=None, responses=WebhookDeliveryOut(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The delivery log, newest first: status, response status and body snippet, duration."""
        rows = self.paginate_queryset(selectors.deliveries_of(self.get_object()))
        return self.get_paginated_response(WebhookDeliveryOut(rows, many=True).data)

    @extend_schema(
        request=None,
        responses={202: WebhookDeliveryOut},
        parameters=[OpenApiParameter("delivery_id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>[0-9]+)/replay")
    def replay(self, request, pk=None, delivery_id=None):
        """Send a delivery's message again (same webhook-id and body), behind any pending one for its object."""
        row = selectors.get_delivery(self.get_object(), delivery_id)
        return Response(
            WebhookDeliveryOut(services.replay_delivery(row, by=self.membership)).data,
            status=status.HTTP_202_ACCEPTED,
        )
