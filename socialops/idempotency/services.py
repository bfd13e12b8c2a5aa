"""``Idempotency-Key`` for API writes (the IETF httpapi draft; Stripe's semantics).

- A POST or PATCH that carries the header runs in one transaction with the key's row: the first
  request inserts the row, runs, and stores its 2xx answer; a retry with the same key and the same
  request gets that answer again (``Idempotent-Replayed: true``) and changes nothing.
- The same key with another method, path or body is a 422 (``idempotency_key_reused``).
- A request still running under that key: on PostgreSQL the retry waits on the key's unique index
  until the first one commits, then replays it; nothing ever runs twice.
- A request that fails (4xx) frees its key: it created nothing, and the caller may fix and retry.
  A crash (5xx) rolls back with everything else.
- Keys are kept :data:`KEEP` per token, then purged by a beat task.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socialops.errors import ApplicationError, ValidationFailed

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
METHODS = frozenset({"POST", "PATCH"})
KEEP = timedelta(hours=24)
_VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as the draft's sf-string allows
#: response headers a replay gives back
_REPLAYED_HEADERS = ("Location", "ETag")


class KeyReused(ApplicationError):
    code = "idempotency_key_reused"
    http_status = 422


class Replay(Exception):
    """Raised by :func:`begin` when the key already has an answer; the view sends it again."""

    def __init__(self, record: IdempotencyKey):
        super().__init__(record.key)
        self.record = record


def credential_of(auth) -> str:
    return f"{auth._meta.label_lower}:{auth.pk}"


def fingerprint(request) -> str:
    """Method, path and body: JSON bodies by their content (key order and spacing do not matter)."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    content_type = request.content_type or ""
    if content_type.startswith("application/json"):
        digest.update(json.dumps(request.data, sort_keys=True, separators=(",", ":")).encode())
    else:  # multipart: the fields, then each file's bytes
        for name in sorted(request.data.keys()):
            for value in (
                request.data.getlist(name)
                if hasattr(request.data, "getlist")
                else [request.data[name]]
            ):
                if hasattr(value, "chunks"):
                    digest.update(f"{name}=file:".encode())
                    for chunk in value.chunks():
                        digest.update(chunk)
                    value.seek(0)
                else:
                    digest.update(f"{name}={value}\n".encode())
    return digest.hexdigest()


def begin(request, organization) -> IdempotencyKey | None:
    """The key's row for this request (inserted, in the caller's transaction), or None without a key.

    Raises :class:`Replay` when the key already holds an answer to this same request, and
    :class:`KeyReused` when it was used for another request.
    """
    key = request.headers.get(HEADER)
    if key is None or request.method not in METHODS or request.auth is None:
        return None
    if not _VALID_KEY.fullmatch(key):
        message = _("The Idempotency-Key header must be 1 to 255 visible ASCII characters.")
        raise ValidationFailed(message, fields={HEADER: [message]})
    credential, fp, now = credential_of(request.auth), fingerprint(request), timezone.now()
    fields = {
        "fingerprint": fp,
        "method": request.method,
        "path": request.path[:500],
        "created_at": now,
    }
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                organization=organization, credential=credential, key=key, **fields
            )
    except IntegrityError:
        pass
    # Taken: on PostgreSQL the insert above waited for the first request to commit, so its row is final.
    record = (
        IdempotencyKey.objects.for_org(organization)
        .select_for_update()
        .filter(credential=credential, key=key)
        .first()
    )
    if (
        record is not None and record.created_at < now - KEEP
    ):  # expired, not purged yet: the key is free again
        for name, value in {
            **fields,
            "status_code": None,
            "response_body": None,
            "response_headers": {},
        }.items():
            setattr(record, name, value)
        record.save()
        return record
    if record is None or record.fingerprint != fp:
        raise KeyReused(
            _("This Idempotency-Key was already used for another request: use a new key.")
        )
    if (
        record.status_code is None
    ):  # pragma: no cover - only while another request holds the key (SQLite)
        raise ApplicationError(
            _("A request with this Idempotency-Key is still running: retry in a moment."),
            code="idempotency_key_in_use",
        )
    raise Replay(record)


def finish(record: IdempotencyKey, response) -> None:
    """Store a 2xx answer for replays; anything else frees the key (the request changed nothing)."""
    if 200 <= response.status_code < 300:
        record.status_code = response.status_code
        record.response_body = (
            json.loads(json.dumps(response.data, default=str))
            if response.data is not None
            else None
        )
        record.response_headers = {
            h: response[h] for h in _REPLAYED_HEADERS if response.has_header(h)
        }
        record.save(update_fields=["status_code", "response_body", "response_headers"])
    else:
        IdempotencyKey.objects.for_org(record.organization_id).filter(pk=record.pk).delete()


def purge_expired(now=None) -> int:
    """Delete keys older than :data:`KEEP` (every organization's: a system sweep)."""
    cutoff = (now or timezone.now()) - KEEP
    deleted, _by_model = IdempotencyKey.objects.unscoped().filter(created_at__lt=cutoff).delete()
    return deleted
