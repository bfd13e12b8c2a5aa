"""Inbound webhooks: record each delivery once, then process it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from ..hooks import inbox_items_arrived
from ..models import (
    Channel,
    WebhookDelivery,
)
from ..providers import SANDBOX, webhook_headers
from ..providers.base import Provider, WebhookRequest
from ..providers.errors import ProviderError
from .credentials import _now, _provider

log = logging.getLogger(__name__)

# --- Webhooks ------------------------------------------------------------------------------------

#: kept with a stored push besides the headers networks sign or number it by (``Capabilities.webhook_headers``)
_KEPT_HEADERS = ("content-type", "user-agent")


def webhook_delivery_key(provider: Provider, request: WebhookRequest) -> str:
    """What makes a push the same push: the network's delivery id where it sends one, else the
    raw body (a signed body cannot change without its signature, so a replay is byte-identical)."""
    delivery_id = provider.webhook_delivery_id(request)
    if delivery_id:
        return "id:" + hashlib.sha256(delivery_id.encode()).hexdigest()  # bounded whatever was sent
    return "sha256:" + hashlib.sha256(request.body).hexdigest()


def webhook_accepted(provider_key: str) -> bool:
    """Whether ``/webhooks/<network>/`` is open at all. The Sandbox network's is closed in
    production unless some organization opted in to the Sandbox network."""
    if provider_key != SANDBOX or not getattr(settings, "PRODUCTION", False):
        return True
    from accounts.selectors import all_organizations

    return all_organizations().filter(sandbox_network=True).exists()


@transaction.atomic
def record_webhook_delivery(
    provider_key: str, request: WebhookRequest
) -> tuple[WebhookDelivery, bool]:
    """Store a push whose signature was already verified; processing happens in a task.

    Returns ``(delivery, created)``. A replay (the same delivery key) stores nothing new and
    queues nothing: the row already stored is returned with ``created=False``. Two copies racing
    in are settled by the unique constraint (``webhook_delivery_once``).
    """
    headers = {
        k: v for k, v in request.headers.items() if k in _KEPT_HEADERS or k in webhook_headers()
    }
    key = webhook_delivery_key(_provider(provider_key), request)
    delivery, created = WebhookDelivery.objects.get_or_create(
        provider=provider_key,
        delivery_key=key,
        defaults={"headers": headers, "query": request.query, "body": request.body},
    )
    if created:
        delivery_id = delivery.pk
        transaction.on_commit(lambda: _enqueue_webhook(delivery_id))
    return delivery, created


def _enqueue_webhook(delivery_id: int) -> None:
    from ..tasks import process_webhook_delivery

    process_webhook_delivery.delay(delivery_id)


#: a push still unprocessed this long after it came is queued again (its task was lost: a broker
#: restart, a worker killed before it acknowledged, a database failover under the task)
RESUME_AFTER = timedelta(minutes=2)
#: pushes older than this are left as they are (kept for inspection, told in the log)
RESUME_WITHIN = timedelta(days=1)
#: pushes queued again by one sweep, at most (the next sweep takes the rest)
RESUME_BATCH = 500


def resume_unprocessed_webhook_deliveries(*, now=None) -> list[int]:
    """Queue again the pushes stored but never processed (``RECEIVED`` for ``RESUME_AFTER``),
    oldest first; returns their ids. Processing is idempotent (a processed push is skipped, the
    inbox's ``ingest`` stores an item once), so a push whose first task was only slow is safe to
    queue twice."""
    now = now or _now()
    pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.RECEIVED)
    ids = list(
        pending.filter(received_at__lte=now - RESUME_AFTER, received_at__gt=now - RESUME_WITHIN)
        .order_by("received_at")
        .values_list("pk", flat=True)[:RESUME_BATCH]
    )
    for delivery_id in ids:
        _enqueue_webhook(delivery_id)
    if ids:
        log.warning("Webhooks: %d push(es) left unprocessed were queued again.", len(ids))
    stale = pending.filter(received_at__lte=now - RESUME_WITHIN).count()
    if stale:
        log.error("Webhooks: %d push(es) older than a day were never processed.", stale)
    return ids


def process_webhook_delivery(delivery_id: int) -> WebhookDelivery | None:
    """Parse a stored push, keep the normalized events on the row and hand its inbox items to the
    registered handlers (``channels_registry.hooks``: the inbox's ``ingest``).

    Channels are resolved with ``.unscoped()``: a push names a network account, not one of our
    organizations, and the same account may be connected by several organizations.
    """
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.status == WebhookDelivery.Status.PROCESSED:
        return delivery
    provider = _provider(delivery.provider)
    request = WebhookRequest(
        method="POST",
        headers=dict(delivery.headers),
        query=dict(delivery.query),
        body=bytes(delivery.body),
    )
    try:
        events = provider.parse_webhook(request)
    except ProviderError as exc:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED, error=exc.message[:1000], processed_at=_now()
        )
        delivery.refresh_from_db()
        return delivery
    ids = {e.account_external_id for e in events}
    channels: dict[str, list[tuple[int, int]]] = {}
    matching = Channel.objects.unscoped().filter(provider=delivery.provider, external_id__in=ids)
    if delivery.provider == SANDBOX and getattr(settings, "PRODUCTION", False):
        matching = matching.filter(organization__sandbox_network=True)  # see sandbox_allowed
    for pk, org_id, ext in matching.values_list("pk", "organization_id", "external_id"):
        channels.setdefault(ext, []).append((org_id, pk))
    out = []
    for e in events:
        item = dataclasses.asdict(e.item) if e.item else None
        out.append(
            {
                "account_external_id": e.account_external_id,
                "kind": e.kind,
                "item": item,
                "channels": [
                    {"organization_id": o, "channel_id": c}
                    for o, c in channels.get(e.account_external_id, [])
                ],
            }
        )
    delivery.events = json.loads(json.dumps(out, cls=DjangoJSONEncoder))
    delivery.status = WebhookDelivery.Status.PROCESSED
    delivery.processed_at = _now()
    with transaction.atomic():
        # the inbox takes its items in the same transaction: a failure leaves the delivery unprocessed
        inbox_items_arrived(delivery.events)
        delivery.save(update_fields=["events", "status", "processed_at"])
    return delivery
