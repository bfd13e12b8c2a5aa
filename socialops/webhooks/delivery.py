"""The sending side of the webhook outbox (the writing side is ``services.emit``).

The accounts e-mail outbox's approach (accounts/notifications.py), for HTTP:

- A worker **claims** rows (pending, due, endpoint enabled, and no earlier pending delivery for
  the same object and endpoint) with ``SELECT ... FOR UPDATE SKIP LOCKED`` and one UPDATE that
  stamps them with its claim id and a lease in ``next_attempt_at``; two workers never both win a
  row, and a worker that dies leaves rows that are due again once the lease lapses. Every claim
  counts as an attempt.
- **Batches**: a task claims the rows its action wrote and, in the same batch, whatever else is
  due (oldest first, up to ``BATCH``), and goes on while rows are due (for ``DRAIN_SECONDS`` at
  most): the further behind the workers are, the bigger their batches, and the per-batch cost
  (five queries: claim three, outcomes one, the endpoint's health one) is shared by up to
  ``BATCH`` deliveries. A commit while a task waits in the queue sends none (``QUEUED_KEY``).
- It sends the claimed rows concurrently (threads; HTTP only, the database stays in the calling
  thread) through the egress guard (``socialops.egress``) with one client per process whose
  keep-alive pool keeps the connections open: an endpoint's rows go in at most
  ``WEBHOOK_CONCURRENCY_PER_ENDPOINT`` lanes, each one connection sending in turn; public
  addresses only, no redirects followed, ``WEBHOOK_TIMEOUT`` seconds.
- A 2xx answer is a delivery. Anything else (a time-out, a refused connection, a 500, a 3xx, a
  blocked address) is a failed attempt, kept with its status, duration and the first
  ``WEBHOOK_RESPONSE_SNIPPET`` characters of the body, and tried again after
  ``WEBHOOK_BACKOFF[n]`` (the waits add up to about a day); after the last one the row is given up.
  The outcomes of a batch are one UPDATE, of the rows still under this worker's claim only.
- An endpoint that answers again after ``WEBHOOK_RECOVERY_MIN_FAILURES`` failures in a row (it
  was down) has its deliveries that wait for a retry made due now: they follow the first success
  instead of each waiting out its backoff (up to hours).
- **Order per object**: a delivery waits while an earlier one for the same object and endpoint is
  pending (also while that one waits for its retry). When a row is done, the next one for its
  object is due, and the worker's next batch takes it.
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

import httpx
from django.conf import settings
from django.db import connections, transaction
from django.db.models import Case, Exists, F, OuterRef, Value, When
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
#: how long one task goes on taking due rows (the rest is left to the next task or the sweep)
DRAIN_SECONDS = 10.0
#: set (in the shared cache) while a delivery task is queued and not started: commits meanwhile
#: send no task of their own, since that one takes their rows too (see ``services._enqueue``)
QUEUED_KEY = "webhooks:task-queued"
QUEUED_SECONDS = 5

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


def _claim(ids, *, limit: int = BATCH) -> list[WebhookDelivery]:
    """Claim up to ``limit`` claimable rows, those of ``ids`` first, then the others that are due,
    oldest first; returns them with their endpoints (three queries; one when nothing is due).

    The race this avoids: the task sent on commit and the sweep (or two tasks) want the same rows
    at once. A conditional ``UPDATE ... WHERE id IN (SELECT <conditions>)`` (what Django writes
    for a filter across a join) let both win on PostgreSQL: the second UPDATE waits for the
    first's row lock, then re-checks only ``id IN (...)``, whose subquery still saw the row due,
    and claimed it again; both sent it and the first one's outcome was dropped. Here the rows are
    locked by a ``SELECT ... FOR UPDATE SKIP LOCKED`` that re-checks the row's own conditions on
    its newest version, and a row another worker is claiming is skipped, never waited for."""
    now = timezone.now()
    token = uuid.uuid4()
    ids = list(ids)
    order = ["next_attempt_at", "pk"]
    if ids:
        order.insert(0, Case(When(pk__in=ids, then=Value(0)), default=Value(1)))
    with transaction.atomic():
        rows = list(
            _claimable().select_for_update(skip_locked=True, of=("self",)).order_by(*order)[:limit]
        )
        if not rows:
            return []
        WebhookDelivery.objects.unscoped().filter(pk__in=[row.pk for row in rows]).update(
            claim=token,
            next_attempt_at=now + LEASE,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
        )
    # Each endpoint once (its secrets are unsealed once per batch, not once per row).
    endpoints = WebhookEndpoint.objects.unscoped().in_bulk({row.endpoint_id for row in rows})
    for row in rows:
        row.endpoint = endpoints[row.endpoint_id]
        row.claim = row.claim_token = token
        row.next_attempt_at, row.last_attempt_at = now + LEASE, now
        row.attempts += 1
    rows.sort(key=lambda row: row.pk)
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
            # A keep-alive connection per sending thread (httpx's pool keeps them per endpoint):
            # a new TCP connection (and TLS handshake) for every delivery cost more than the call.
            limits = httpx.Limits(
                max_connections=max(100, settings.WEBHOOK_CONCURRENCY),
                max_keepalive_connections=settings.WEBHOOK_CONCURRENCY,
                keepalive_expiry=30.0,
            )
            client = _clients[pid] = egress.HttpClient(
                transport=egress.GuardedTransport(limits=limits)
            )
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
    """Send a batch: each endpoint's rows in at most ``WEBHOOK_CONCURRENCY_PER_ENDPOINT`` lanes,
    each lane one thread sending its rows one after the other over one kept-alive connection.
    Endpoints are sent to side by side, but one endpoint never gets more connections than that:
    thirty-two threads on one fast receiver spent more time passing the GIL than sending (and
    one slow endpoint cannot take every thread). Rows of one object are never in one batch
    (the claim holds back a row behind a pending one), so lanes do not reorder them."""
    client = _client()
    if len(rows) == 1:
        return [_send(client, rows[0])]
    per_endpoint = max(1, settings.WEBHOOK_CONCURRENCY_PER_ENDPOINT)
    by_endpoint: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_endpoint[row.endpoint_id].append(i)
    lanes = []
    for indexes in by_endpoint.values():
        width = min(per_endpoint, len(indexes))
        lanes += [indexes[k::width] for k in range(width)]
    outcomes: list[Outcome | None] = [None] * len(rows)

    def run(lane: list[int]) -> None:
        for i in lane:
            outcomes[i] = _send(client, rows[i])

    for _done in _pool().map(run, lanes):
        pass
    return outcomes  # type: ignore[return-value] - every index is in one lane


def _write_outcomes(token, values: dict, rows: list[WebhookDelivery]) -> list[int]:
    """One UPDATE: ``values`` (the same for every row) and each row's ``duration_ms``, on the rows
    of ``rows`` still under claim ``token``; returns their ids.

    Plain SQL (``CASE id WHEN ...``, ``RETURNING``, both understood by PostgreSQL and SQLite):
    Django's ``bulk_update`` builds one ``CASE`` per field and row, which cost the worker more CPU
    than sending the batch. The claim is checked in the same statement (a row whose lease lapsed
    belongs to whoever claimed it since)."""
    meta = WebhookDelivery._meta
    conn = connections[WebhookDelivery.objects.db]
    quote = conn.ops.quote_name

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    def prep(name: str, value):
        return meta.get_field(name).get_db_prep_save(value, conn)

    sets = [f"{column(name)} = %s" for name in values]
    params = [prep(name, value) for name, value in values.items()]
    whens = " ".join(["WHEN %s THEN %s"] * len(rows))
    for row in rows:
        params += [row.pk, row.duration_ms]
    pk = column("id")
    params.append(prep("claim", token))
    params += [row.pk for row in rows]
    # Names from the model's options; every value is a parameter.
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)}, "  # noqa: S608
        f"{column('duration_ms')} = CASE {pk} {whens} ELSE {column('duration_ms')} END "
        f"WHERE {column('claim')} = %s AND {pk} IN ({', '.join(['%s'] * len(rows))}) "
        f"RETURNING {pk}"
    )
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return [r[0] for r in cursor.fetchall()]


def _record(rows: list[WebhookDelivery], outcomes: list[Outcome]) -> list[WebhookDelivery]:
    """Write each attempt's outcome (one UPDATE per kind of outcome: usually one for the batch)
    and the endpoints' health; returns the rows settled (delivered or given up)."""
    now = timezone.now()
    backoff = settings.WEBHOOK_BACKOFF
    health: dict[int, list[bool]] = defaultdict(list)
    groups: dict[tuple, list[WebhookDelivery]] = defaultdict(list)
    for row, outcome in zip(rows, outcomes, strict=True):
        row.claim = None
        row.response_status, row.response_body = outcome.status, outcome.body
        row.duration_ms, row.last_error = outcome.duration_ms, outcome.error
        if outcome.ok:
            row.status, row.delivered_at, row.next_attempt_at = Status.SUCCEEDED, now, None
        elif row.attempts > len(backoff):
            row.status, row.next_attempt_at = Status.FAILED, None
            log.warning(
                "gave up on webhook delivery %s (endpoint %s) after %d attempts: %s",
                row.pk,
                row.endpoint_id,
                row.attempts,
                outcome.error,
            )
        else:
            row.status = Status.PENDING
            row.next_attempt_at = now + timedelta(seconds=backoff[row.attempts - 1])
        key = tuple(getattr(row, name) for name in _RECORDED)
        groups[(row.claim_token, key)].append(row)
        health[row.endpoint_id].append(outcome.ok)
    mine: set[int] = set()
    with transaction.atomic():
        for (token, key), group in groups.items():
            mine.update(_write_outcomes(token, dict(zip(_RECORDED, key, strict=True)), group))
        for endpoint_id, results in health.items():
            _update_health(endpoint_id, results, now)
    return [row for row in rows if row.pk in mine and row.status != Status.PENDING]


#: the fields an outcome writes, besides duration_ms (rows alike in these share one UPDATE)
_RECORDED = [
    "claim",
    "status",
    "next_attempt_at",
    "delivered_at",
    "response_status",
    "response_body",
    "last_error",
]


def _update_health(endpoint_id: int, results: list[bool], now) -> None:
    endpoints = WebhookEndpoint.objects.unscoped().filter(pk=endpoint_id)
    if any(results):
        # A success ends the run of failures (failures after it in the same batch start a new one).
        trailing = len(results) - 1 - max(i for i, ok in enumerate(results) if ok)
        healthy = {
            "consecutive_failures": trailing,
            "failing_since": now if trailing else None,
            "last_success_at": now,
        }
        recovery = settings.WEBHOOK_RECOVERY_MIN_FAILURES
        if endpoints.filter(consecutive_failures__lt=recovery).update(**healthy):
            return  # it was not down (the usual case: one query)
        if endpoints.update(**healthy):
            # Back after an outage: what waits for a retry goes now, not after its own backoff
            # (order per object still holds: the claim skips a row behind a pending one).
            WebhookDelivery.objects.unscoped().filter(
                endpoint_id=endpoint_id,
                status=Status.PENDING,
                claim__isnull=True,
                next_attempt_at__gt=now,
            ).update(next_attempt_at=now)
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


def deliver(ids=(), *, budget_seconds: float | None = None, limit: int = BATCH) -> int:
    """Send these deliveries (those due and claimable) and, in the same batches, whatever else
    is due, oldest first (the next delivery of an object whose delivery was just settled among
    them), until nothing is due or ``budget_seconds`` (``DRAIN_SECONDS``) have passed.
    Idempotent: each row is claimed before it is sent. Returns how many were delivered."""
    budget = DRAIN_SECONDS if budget_seconds is None else budget_seconds
    started = time.monotonic()
    ids = list(dict.fromkeys(ids))
    delivered = 0
    while True:
        rows = _claim(ids[:limit], limit=limit)
        ids = ids[limit:]
        if not rows:
            if ids:
                continue
            return delivered
        outcomes = _send_all(rows)
        _record(rows, outcomes)
        delivered += sum(o.ok for o in outcomes)
        if time.monotonic() - started >= budget:
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
    # Uses the partial index webhookdelivery_due (status = pending).
    return deliver(budget_seconds=budget - (time.monotonic() - started), limit=min(limit, BATCH))
