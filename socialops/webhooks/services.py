"""Outgoing webhooks: the only writer of endpoints, and ``emit``, which every app calls.

::

    from socialops.webhooks.services import emit

    emit(org, "post.published", variant.pk, {"id": variant.pk, "status": "published", ...})

``emit`` writes one delivery row per subscribed endpoint in the caller's transaction (an outbox:
a delivery exists iff the action committed) and, on commit, hands the new rows to a worker
(``socialops.webhooks.tasks.deliver_webhooks``); a beat sweep sends whatever the broker lost.
The sending side is :mod:`socialops.webhooks.delivery`.

Who may manage endpoints is the caller's question (the pages and the API ask for the
``manage_organization`` capability): the kernel imports no app.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socialops import egress
from socialops.audit.services import record_event
from socialops.errors import Conflict, ValidationFailed

from . import signing
from .events import EVENT_TYPES, object_kind
from .models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

__all__ = [
    "create_endpoint",
    "disable_endpoint",
    "emit",
    "emit_many",
    "enable_endpoint",
    "replay_delivery",
    "rotate_secret",
    "update_endpoint",
]

#: endpoints one organization may keep
MAX_ENDPOINTS = 20


# --- Emitting --------------------------------------------------------------------------------------


def _enqueue(ids: list[int]) -> None:
    """On commit: a task for the action's deliveries, unless one is queued and not yet started
    (``delivery.QUEUED_KEY``): that one takes these rows too, since a task sends whatever is due
    in batches; a hundred commits a second would otherwise be a hundred tasks, most finding
    their rows already sent. A broker that cannot be reached is logged and left to the sweep
    (the rows are committed); it never fails the user's action."""
    from . import tasks
    from .delivery import QUEUED_KEY, QUEUED_SECONDS

    try:
        if not cache.add(QUEUED_KEY, 1, timeout=QUEUED_SECONDS):
            return  # a queued task will claim these rows (it clears the key when it starts)
    except Exception:  # noqa: BLE001 - without the shared cache, send a task every time
        log.warning("could not check the webhook task flag", exc_info=True)
    try:
        tasks.deliver_webhooks.delay(ids)
    except Exception:  # noqa: BLE001 - the beat sweep sends the rows within seconds
        log.warning(
            "could not enqueue %d webhook deliveries; the sweep will send them",
            len(ids),
            exc_info=True,
        )


def envelope(organization, event_type: str, payload: dict, *, at=None) -> str:
    """The body sent: ``{"type", "timestamp", "organization", "data"}`` as the Standard Webhooks
    specification suggests, JSON with times in ISO 8601 with their offset."""
    at = at or timezone.now()
    return json.dumps(
        {
            "type": event_type,
            "timestamp": at.isoformat(),
            "organization": getattr(organization, "slug", None),
            "data": payload,
        },
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def emit(organization, event_type: str, obj_id: Any, payload: dict) -> list[WebhookDelivery]:
    """Queue ``event_type`` about object ``obj_id`` for every enabled endpoint of ``organization``
    that chose it, inside the caller's transaction. ``payload`` is the full object as plain JSON
    data (datetimes are written in ISO 8601 with their offset). Returns the rows written (none
    when no endpoint listens: one query)."""
    return emit_many(organization, event_type, [(obj_id, payload)])


def listening_endpoints(organization, event_type: str) -> list[WebhookEndpoint]:
    """The enabled endpoints of ``organization`` that chose ``event_type`` (one query; only their
    ids and events are read: no secret unsealed on every emit)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(
            f"unknown webhook event type {event_type!r}; list it in socialops/webhooks/events.py"
        )
    return [
        e
        for e in WebhookEndpoint.objects.for_org(organization)
        .filter(disabled_at__isnull=True)
        .only("pk", "organization_id", "events")
        if event_type in e.events
    ]


def emit_many(
    organization,
    event_type: str,
    items: list[tuple[Any, dict]] | Callable[[], list[tuple[Any, dict]]],
    *,
    endpoints: list[WebhookEndpoint] | None = None,
) -> list[WebhookDelivery]:
    """:func:`emit` for several objects at once (a worker's batch of publishes): one query for the
    endpoints and one multi-row insert, whatever the number of items. ``items`` may be a function
    that builds them: it is called only when an endpoint listens (no payload query otherwise).
    ``endpoints``: :func:`listening_endpoints` as the caller already has them (a caller that keeps
    them between calls must learn of every change to them, as ingest's kept facts do)."""
    if endpoints is None:
        endpoints = listening_endpoints(organization, event_type)
    elif event_type not in EVENT_TYPES:
        raise ValueError(
            f"unknown webhook event type {event_type!r}; list it in socialops/webhooks/events.py"
        )
    if not endpoints:
        return []
    if callable(items):
        items = items()
    now = timezone.now()
    kind = object_kind(event_type)
    rows = []
    for obj_id, payload in items:
        body = envelope(organization, event_type, payload, at=now)
        rows.extend(
            WebhookDelivery(
                organization_id=organization.pk,
                endpoint=endpoint,
                msg_id=f"msg_{uuid.uuid4().hex}",
                event_type=event_type,
                object_key=f"{kind}:{obj_id}",
                body=body,
                created_at=now,
                next_attempt_at=now,
            )
            for endpoint in endpoints
        )
    rows = WebhookDelivery.objects.bulk_create(rows)
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: _enqueue(ids))
    return rows


# --- Endpoints -------------------------------------------------------------------------------------


def _loopback_allowed(host: str) -> bool:
    if not getattr(settings, "OUTBOUND_ALLOW_LOOPBACK", False):
        return False
    return host in ("127.0.0.1", "::1", "localhost")


def clean_url(url: str) -> str:
    """The endpoint URL, or ValidationFailed: https only (http only to the test fakes' loopback,
    when ``OUTBOUND_ALLOW_LOOPBACK``), no credentials in it, a host that resolves to public
    addresses only. Each delivery checks the address again when it connects (DNS may change)."""
    url = (url or "").strip()

    def refuse(message: str) -> ValidationFailed:
        return ValidationFailed(message, fields={"url": [message]})

    if not url:
        raise refuse(_("Give the endpoint's URL."))
    if len(url) > 2000:
        raise refuse(_("The URL is too long (2,000 characters at most)."))
    try:
        URLValidator(schemes=["http", "https"])(url)
    except DjangoValidationError:
        raise refuse(_("Enter a valid URL.")) from None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" and not _loopback_allowed(host):
        raise refuse(_("The URL must start with https://."))
    if parts.username or parts.password:
        raise refuse(_("Leave user names and passwords out of the URL; every delivery is signed."))
    try:
        egress.check_destination(url)
    except egress.BlockedDestination:
        raise refuse(
            _("The URL points at a private or local address; it must be reachable on the internet.")
        ) from None
    except egress.OutboundError:
        raise refuse(_("The URL's host name does not resolve.")) from None
    return url


def clean_events(events) -> list[str]:
    chosen = list(dict.fromkeys(events or []))
    unknown = [e for e in chosen if e not in EVENT_TYPES]
    if unknown:
        message = _("Unknown event type: %(types)s.") % {"types": ", ".join(map(str, unknown))}
        raise ValidationFailed(message, fields={"events": [message]})
    if not chosen:
        message = _("Choose at least one event.")
        raise ValidationFailed(message, fields={"events": [message]})
    return [e for e in EVENT_TYPES if e in chosen]  # the catalogue's order


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > 200:
        message = _("The description is too long (200 characters at most).")
        raise ValidationFailed(message, fields={"description": [message]})
    return description


@transaction.atomic
def create_endpoint(
    organization, *, url: str, events, description: str = "", by=None
) -> WebhookEndpoint:
    """A new, enabled endpoint with a fresh secret (read it once from ``endpoint.secret``)."""
    url, events, description = clean_url(url), clean_events(events), _clean_description(description)
    if WebhookEndpoint.objects.for_org(organization).count() >= MAX_ENDPOINTS:
        raise Conflict(
            _("An organization keeps at most %(n)d webhook endpoints.") % {"n": MAX_ENDPOINTS}
        )
    endpoint = WebhookEndpoint.objects.create(
        organization=organization,
        url=url,
        events=events,
        description=description,
        secret=signing.new_secret(),
        created_by=getattr(by, "user", by),
    )
    record_event(
        organization,
        "webhook_endpoint.created",
        obj=endpoint,
        changes={"url": url, "events": events, "description": description},
    )
    return endpoint


@transaction.atomic
def update_endpoint(
    endpoint: WebhookEndpoint,
    *,
    url: str | None = None,
    events=None,
    description: str | None = None,
    by=None,
) -> WebhookEndpoint:
    changes: dict[str, Any] = {}
    if url is not None and url.strip() != endpoint.url:
        changes["url"] = endpoint.url = clean_url(url)
    if events is not None:
        events = clean_events(events)
        if events != endpoint.events:
            changes["events"] = endpoint.events = events
    if description is not None:
        description = _clean_description(description)
        if description != endpoint.description:
            changes["description"] = endpoint.description = description
    if changes:
        endpoint.updated_at = timezone.now()
        endpoint.save(update_fields=[*changes, "updated_at"])
        record_event(
            endpoint.organization, "webhook_endpoint.updated", obj=endpoint, changes=changes
        )
    return endpoint


@transaction.atomic
def rotate_secret(endpoint: WebhookEndpoint, *, overlap: timedelta | None = None, by=None) -> str:
    """A new secret for ``endpoint``, returned (shown once). The old one keeps signing beside it
    for ``overlap`` (``WEBHOOK_SECRET_OVERLAP`` by default) so the receiver can switch over."""
    overlap = settings.WEBHOOK_SECRET_OVERLAP if overlap is None else overlap
    endpoint = (
        WebhookEndpoint.objects.for_org(endpoint.organization_id)
        .select_for_update()
        .get(pk=endpoint.pk)
    )
    now = timezone.now()
    endpoint.previous_secret = endpoint.secret if overlap > timedelta(0) else ""
    endpoint.previous_secret_until = now + overlap if overlap > timedelta(0) else None
    endpoint.secret = signing.new_secret()
    endpoint.updated_at = now
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_until", "updated_at"]
    )
    record_event(
        endpoint.organization,
        "webhook_endpoint.secret_rotated",
        obj=endpoint,
        changes={"overlap_until": endpoint.previous_secret_until},
    )
    return endpoint.secret


@transaction.atomic
def disable_endpoint(endpoint: WebhookEndpoint, *, by=None) -> WebhookEndpoint:
    """An admin pauses the endpoint: nothing is queued for it or sent to it until it is enabled
    (deliveries already queued wait, and go when it is enabled)."""
    if endpoint.disabled_at is not None:
        raise Conflict(_("This endpoint is already disabled."))
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = WebhookEndpoint.DisabledReason.BY_ADMIN
    endpoint.save(update_fields=["disabled_at", "disabled_reason"])
    record_event(endpoint.organization, "webhook_endpoint.disabled", obj=endpoint)
    return endpoint


@transaction.atomic
def enable_endpoint(endpoint: WebhookEndpoint, *, by=None) -> WebhookEndpoint:
    """Send to the endpoint again: its failure count starts afresh and the deliveries that waited
    are due now."""
    if endpoint.disabled_at is None:
        raise Conflict(_("This endpoint is already enabled."))
    now = timezone.now()
    endpoint.disabled_at = None
    endpoint.disabled_reason = WebhookEndpoint.DisabledReason.NONE
    endpoint.consecutive_failures = 0
    endpoint.failing_since = None
    endpoint.save(
        update_fields=["disabled_at", "disabled_reason", "consecutive_failures", "failing_since"]
    )
    waiting = list(
        WebhookDelivery.objects.for_org(endpoint.organization_id)
        .filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING)
        .values_list("pk", flat=True)
    )
    if waiting:
        WebhookDelivery.objects.for_org(endpoint.organization_id).filter(pk__in=waiting).update(
            next_attempt_at=now, claim=None
        )
        transaction.on_commit(lambda: _enqueue(waiting))
    record_event(endpoint.organization, "webhook_endpoint.enabled", obj=endpoint)
    return endpoint


@transaction.atomic
def delete_endpoint(endpoint: WebhookEndpoint, *, by=None) -> None:
    record_event(
        endpoint.organization,
        "webhook_endpoint.deleted",
        obj=endpoint,
        changes={"url": endpoint.url},
    )
    endpoint.delete()


@transaction.atomic
def replay_delivery(delivery: WebhookDelivery, *, by=None) -> WebhookDelivery:
    """Send a delivery's message again, by hand: a new delivery row with the same ``webhook-id``
    and body (a receiver that already handled it can tell), queued behind any pending delivery
    for the same object."""
    endpoint = delivery.endpoint
    if endpoint.disabled_at is not None:
        raise Conflict(_("Enable the endpoint before replaying a delivery to it."))
    now = timezone.now()
    row = WebhookDelivery.objects.create(
        organization_id=delivery.organization_id,
        endpoint=endpoint,
        msg_id=delivery.msg_id,
        event_type=delivery.event_type,
        object_key=delivery.object_key,
        body=delivery.body,
        created_at=now,
        next_attempt_at=now,
        replay_of=delivery,
    )
    record_event(
        endpoint.organization,
        "webhook_delivery.replayed",
        obj=row,
        changes={"replay_of": delivery.pk, "msg_id": delivery.msg_id},
    )
    transaction.on_commit(lambda: _enqueue([row.pk]))
    return row


def absolute_url(path: str) -> str:
    """A page of this site as an absolute URL, for payloads (``SITE_URL`` + path)."""
    return settings.SITE_URL.rstrip("/") + path
