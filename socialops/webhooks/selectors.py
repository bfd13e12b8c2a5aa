"""Reads of the webhook engine: an organization's endpoints and an endpoint's delivery log.
An id from a URL is always looked up within the organization: another tenant's is a 404."""

from __future__ import annotations

from django.http import Http404

from .models import WebhookDelivery, WebhookEndpoint


def endpoints_of(organization):
    return WebhookEndpoint.objects.for_org(organization).order_by("created_at", "pk")


def get_endpoint(organization, endpoint_id) -> WebhookEndpoint:
    try:
        return WebhookEndpoint.objects.for_org(organization).get(pk=int(endpoint_id))
    except (WebhookEndpoint.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def deliveries_of(endpoint: WebhookEndpoint):
    """The delivery log, newest first (index webhookdelivery_log)."""
    return (
        WebhookDelivery.objects.for_org(endpoint.organization_id)
        .filter(endpoint=endpoint)
        .order_by("-created_at", "-pk")
    )


def get_delivery(endpoint: WebhookEndpoint, delivery_id) -> WebhookDelivery:
    try:
        return deliveries_of(endpoint).select_related("endpoint").get(pk=int(delivery_id))
    except (WebhookDelivery.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
