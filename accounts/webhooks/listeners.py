"""accounts hears what the webhook engine (the kernel, which imports no app) announces and tells
people: an endpoint disabled after repeated failure is news for the organization's admins (those
who may manage the organization's settings), in-app and by e-mail."""

from __future__ import annotations

from django.dispatch import receiver
from django.urls import reverse

from socialops.webhooks.models import WebhookEndpoint
from socialops.webhooks.signals import endpoint_disabled

from ..capabilities import Capability, can
from ..models import Membership, NotificationKind
from ..notifications import notify


def admins_of(organization) -> list[Membership]:
    members = Membership.objects.for_org(organization).filter(is_active=True).select_related("user")
    return [m for m in members if can(m, Capability.MANAGE_ORGANIZATION)]


@receiver(
    endpoint_disabled, sender=WebhookEndpoint, dispatch_uid="accounts.webhook_endpoint_disabled"
)
def tell_admins_an_endpoint_was_disabled(sender, endpoint: WebhookEndpoint, **kwargs) -> None:
    organization = endpoint.organization
    last = (
        endpoint.deliveries.order_by("-last_attempt_at", "-pk")
        .exclude(last_attempt_at=None)
        .values_list("last_error", flat=True)
        .first()
    )
    notify(
        organization,
        recipients=admins_of(organization),
        kind=NotificationKind.WEBHOOK_DISABLED,
        template="webhook_disabled",
        context={
            "endpoint_url": endpoint.url,
            "failures": endpoint.consecutive_failures,
            "last_error": last or "",
        },
        url=reverse("webhook_endpoint_detail", args=[organization.slug, endpoint.pk]),
        dedupe_key=f"webhook_disabled:{endpoint.pk}:{endpoint.disabled_at.isoformat()}",
        email_required=True,
    )
