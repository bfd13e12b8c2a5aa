"""The sending side of the webhook outbox (the writing side is ``services.emit``).

The accounts e-mail outbox's approach (accounts/notifications.py), for HTTP:

- A worker **claims** rows with one conditional UPDATE (pending, due, endpoint enabled, and no
  earlier pending delivery for the same object and endpoint) that stamps them with its claim id
  and a lease in ``next_attempt_at``; two workers never both win a row, and a worker that dies
  leaves rows that are due again once the lease lapses. Every claim counts as an attempt.
- It sends the claimed rows concurrently (threads; HTTP only, the database stays in the calling
  thread) through the egress guard (``socialops.egress``): public addresses only, no redirects
  followed, ``WEBHOOK_TIMEOUT`` seconds.
- A 2xx answer is a delivery. Anything else (a time-out, a refused connection, a 500, a 3xx, a
  blocked address) is a failed attempt, kept with its status, duration and the first
  ``WEBHOOK_RESPONSE_SNIPPET`` characters of the body, and tried again after
  ``WEBHOOK_BACKOFF[n]`` (the waits add up to about a day); after the last one the row is given up.
- **Order per object**: a delivery waits while an earlier one for the same object and endpoint is
  pending (also while that one waits for its retry). When a row is done, the next one for its
  object is sent straight away.
- An endpoint that has failed ``WEBHOOK_DISABLE_MIN_FAILURES`` times in a row with no success for
  ``WEBHOOK_DISABLE_AFTER`` is **disabled**, in one transaction with the
  ``signals.endpoint_disabled`` announcement (accounts tells the organization's admins).
- A beat **sweep** every few seconds sends whatever is due: retries whose wait is over, messages
  the broker lost, lapsed claims. The broker is needed for promptness only.

Delivery is at least once: a worker that dies after the receiver answered sends again once the
lease lapses; receivers drop a ``webhook-id`` they have seen.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Min, OuterRef
from django.utils import timezone

from socialops import egress

from . import signing
from .models import WebhookDelivery, WebhookEndpoint
from .signals import endpoint_disabled

log = logging.getLogger(__name__)

#: rows claimed (and sent concurrently) at a time
BATCH = 200
#: a claimed row not marked within this may be claimed again (far above the request's time-out)
LEASE = timedelta(minutes=2)

Status = WebhookDelivery.Status


@dataclass
class Outcome:
    ok: bool
    status: int | None = None
    body: str = ""
    duration_ms: int = 0
    error: str = ""


def _claimable():
    """Pending, due rows of enabled endpoints with no earlier pending row for their object."""
    earlier = WebhookDelivery.objects.unscoped().filter(
        endpoint=OuterRef("endpoint"),
        object_key=OuterRef("object_key"),
        status=Status.PENDING,
        pk__lt=OuterRef("pk"),
    )
    return (
        WebhookDelivery.objects.unscoped()
        .filter(
            status=Status.PENDING,
            next_attempt_at__lte=timezone.now(),
            attempts__lte=len(settings.WEBHOOK_BACKOFF),
            endpoint__disabled_at__isnull=True,
        )
        .exclude(Exists(earlier))
    )


def _claim(ids: list[int]) -> list[WebhookDelivery]:
    now = timezone.now()
    token = uuid.uuid4()
    taken = (
        _claimable()
        .filter(pk__in=ids)
        .update(
            claim=token,
            next_attempt_at=now + LEASE,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
        )
    )
    if not taken:
        return []
    rows = list(
        WebhookDelivery.objects.unscoped()
        .filter(claim=token)
        .select_related("endpoint")
        .order_by("pk")
    )
    for row in rows:
        row.claim_token = token
    return rows


def _snippet(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")[: settings.WEBHOOK_RESPONSE_SNIPPET]


def _send(client: egress.HttpClient, row: WebhookDelivery) -> Outcome:
    endpoint = row.endpoint
    body = row.body.encode("utf-8")
    headers = signing.headers(endpoint.secrets_signing(), row.msg_id, timezone.now(), body)
    started = time.monotonic()
    try:
        response, data = client.request_capped(
            "POST",
            endpoint.url,
            content=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT,
            max_body=settings.WEBHOOK_RESPONSE_SNIPPET * 4,
        )
    except egress.OutboundError as exc:
        return Outcome(False, duration_ms=_ms(started), error=exc.message[:500])
    except Exception as exc:  # noqa: BLE001 - one bad endpoint must not fail the batch
        log.warning("webhook delivery %s: unexpected error", row.pk, exc_info=True)
        return Outcome(False, duration_ms=_ms(started), error=type(exc).__name__)
    outcome = Outcome(
        200 <= response.status_code < 300, response.status_code, _snippet(data), _ms(started)
    )
    if 300 <= response.status_code < 400:
        outcome.error = "The endpoint answered with a redirect; redirects are not followed."
    elif not outcome.ok:
        outcome.error = f"The endpoint answered HTTP {response.status_code}."
    return outcome


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


_client_lock = threading.Lock()
_clients: dict[int, egress.HttpClient] = {}


def _client() -> egress.HttpClient:
    """One guarded client per process (its TLS context and keep-alive pool are reused by every
    batch); rebuilt after a fork (Celery's prefork workers)."""
    pid = os.getpid()
    with _client_lock:
        client = _clients.get(pid)
        if client is None:
            _clients.clear()
            client = _clients[pid] = egress.HttpClient()
        return client


_pools: dict[int, ThreadPoolExecutor] = {}


def _pool() -> ThreadPoolExecutor:
    """One thread pool per process for the HTTP calls (rebuilt after a fork)."""
    pid = os.getpid()
    with _client_lock:
        pool = _pools.get(pid)
        if pool is None:
            _pools.clear()
            pool = _pools[pid] = ThreadPoolExecutor(
                max_workers=settings.WEBHOOK_CONCURRENCY, thread_name_prefix="webhook"
            )
        return pool


def _send_all(rows: list[WebhookDelivery]) -> list[Outcome]:
    client = _client()
    if len(rows) == 1:
        return [_send(client, rows[0])]
    return list(_pool().map(lambda row: _send(client, row), rows))


_RECORDED = [
    "claim",
    "status",
    "next_attempt_at",
    "delivered_at",
    "response_status",
    "response_body",
    "duration_ms",
    "last_error",
]


def _record(rows: list[WebhookDelivery], outcomes: list[Outcome]) -> list[WebhookDelivery]:
    """Write each attempt's outcome (one UPDATE for the batch) and the endpoints' health; returns
    the rows settled (delivered or given up)."""
    now = timezone.now()
    backoff = settings.WEBHOOK_BACKOFF
    health: dict[int, list[bool]] = defaultdict(list)
    settled = []
    for row, outcome in zip(rows, outcomes, strict=True):
        row.claim = None
        row.response_status, row.response_body = outcome.status, outcome.body
        row.duration_ms, row.last_error = outcome.duration_ms, outcome.error
        if outcome.ok:
            row.status, row.delivered_at, row.next_attempt_at = Status.SUCCEEDED, now, None
            settled.append(row)
        elif row.attempts > len(backoff):
            row.status, row.next_attempt_at = Status.FAILED, None
            settled.append(row)
            log.warning(
                "gave up on webhook delivery %s (endpoint %s) after %d attempts: %s",
                row.pk,
                row.endpoint_id,
                row.attempts,
                outcome.error,
            )
        else:
            row.next_attempt_at = now + timedelta(seconds=backoff[row.attempts - 1])
        health[row.endpoint_id].append(outcome.ok)
    with transaction.atomic():
        # Only rows still under this worker's claim: one whose lease lapsed (a stalled worker)
        # belongs to whoever claimed it since. The claim is a lease, so this check and the
        # UPDATE below are close enough (the lease is minutes, this is one transaction).
        claims = {row.pk: row.claim_token for row in rows}
        ours = set(
            WebhookDelivery.objects.unscoped()
            .filter(pk__in=list(claims))
            .values_list("pk", "claim")
        )
        mine = [row for row in rows if (row.pk, claims[row.pk]) in ours]
        if mine:
            WebhookDelivery.objects.unscoped().bulk_update(mine, _RECORDED)
        for endpoint_id, results in health.items():
            _update_health(endpoint_id, results, now)
    return [row for row in settled if row in mine]


def _update_health(endpoint_id: int, results: list[bool], now) -> None:
    endpoints = WebhookEndpoint.objects.unscoped().filter(pk=endpoint_id)
    if any(results):
        # A success ends the run of failures (failures after it in the same batch start a new one).
        trailing = len(results) - 1 - max(i for i, ok in enumerate(results) if ok)
        endpoints.update(
            consecutive_failures=trailing,
            failing_since=now if trailing else None,
            last_success_at=now,
        )
        return
    endpoints.update(consecutive_failures=F("consecutive_failures") + len(results))
    endpoints.filter(failing_since__isnull=True).update(failing_since=now)
    cutoff = now - settings.WEBHOOK_DISABLE_AFTER
    disabled = endpoints.filter(
        disabled_at__isnull=True,
        consecutive_failures__gte=settings.WEBHOOK_DISABLE_MIN_FAILURES,
        failing_since__lte=cutoff,
    ).update(disabled_at=now, disabled_reason=WebhookEndpoint.DisabledReason.FAILING)
    if disabled:
        endpoint = (
            WebhookEndpoint.objects.unscoped().select_related("organization").get(pk=endpoint_id)
        )
        log.warning(
            "disabled webhook endpoint %s (organization %s): failing since %s",
            endpoint.pk,
            endpoint.organization_id,
            endpoint.failing_since,
        )
        endpoint_disabled.send(sender=WebhookEndpoint, endpoint=endpoint)


def _successors(settled: list[WebhookDelivery]) -> list[int]:
    """The next pending delivery of each object whose delivery was just settled (one query)."""
    if not settled:
        return []
    keys = {(row.endpoint_id, row.object_key) for row in settled}
    firsts = (
        WebhookDelivery.objects.unscoped()
        .filter(
            status=Status.PENDING,
            endpoint_id__in={e for e, _k in keys},
            object_key__in={k for _e, k in keys},
        )
        .values("endpoint_id", "object_key")
        .annotate(first=Min("pk"))
    )
    return [f["first"] for f in firsts if (f["endpoint_id"], f["object_key"]) in keys]


def deliver(ids) -> int:
    """Send these deliveries (those due and claimable), then the next one of each object they
    settled. Idempotent: each row is claimed before it is sent. Returns how many were delivered."""
    pending = list(dict.fromkeys(ids))
    delivered = 0
    while pending:
        chunk, pending = pending[:BATCH], pending[BATCH:]
        rows = _claim(chunk)
        if not rows:
            continue
        outcomes = _send_all(rows)
        settled = _record(rows, outcomes)
        delivered += sum(o.ok for o in outcomes)
        pending.extend(_successors(settled))
    return delivered


def purge_old(*, batch: int = 5000) -> int:
    """Delete settled deliveries (delivered or given up) older than ``WEBHOOK_LOG_RETENTION_DAYS``,
    in batches so one purge never holds a long lock. Pending ones stay, however old."""
    cutoff = timezone.now() - timedelta(days=settings.WEBHOOK_LOG_RETENTION_DAYS)
    old = (
        WebhookDelivery.objects.unscoped()
        .filter(created_at__lt=cutoff)
        .exclude(status=Status.PENDING)
    )
    deleted = 0
    while True:
        ids = list(old.values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += WebhookDelivery.objects.unscoped().filter(pk__in=ids).delete()[0]


def sweep(*, limit: int | None = None, budget_seconds: float | None = None) -> int:
    """Beat sweep (every organization: system work): send what is due — retries whose wait is
    over, rows never enqueued or lost by the broker, lapsed claims — until none is left or
    ``budget_seconds`` have passed."""
    limit = limit or settings.WEBHOOK_SWEEP_LIMIT
    budget = settings.WEBHOOK_SWEEP_SECONDS if budget_seconds is None else budget_seconds
    started = time.monotonic()
    # A row whose last attempt's worker died (its lease lapsed, no attempts left) is given up.
    lost = (
        WebhookDelivery.objects.unscoped()
        .filter(
            status=Status.PENDING,
            next_attempt_at__lte=timezone.now(),
            attempts__gt=len(settings.WEBHOOK_BACKOFF),
        )
        .update(
            status=Status.FAILED,
            next_attempt_at=None,
            claim=None,
            last_error="The last attempt's worker was lost.",
        )
    )
    if lost:
        log.error("gave up on %d webhook deliveries whose last attempt was lost", lost)
    delivered = 0
    while True:
        # Uses the partial index webhookdelivery_due (status = pending).
        due = list(
            _claimable().order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
        )
        if not due:
            break
        delivered += deliver(due)
        if time.monotonic() - started >= budget:
            break
    return delivered
