"""The audit chain's arithmetic, without the database: keys, entry hashes and the head's seal.

An entry's hash links it to the previous entry of its organization's chain:

- keyed entries (``key_id`` set, everything written since the chain was keyed):
  ``HMAC-SHA256(key, prev_hash + canonical JSON of the entry, key id included)``. The key lives
  outside the database (``AUDIT_CHAIN_KEY`` / ``AUDIT_CHAIN_KEY_FILE``), so someone who can write
  the database cannot rewrite an entry and recompute the chain after it;
- entries written before the chain was keyed (``key_id == ""``): ``sha256(prev_hash + canonical)``,
  the original scheme. Only entries up to the head's ``legacy_seq`` may be of this kind, and the
  head, which records ``legacy_seq``, is sealed with the key (see :func:`seal_head`).

Keys rotate: ``AUDIT_CHAIN_KEY`` holds comma-separated keys, the first signs, every one verifies,
and each entry records the id of its key (:func:`key_id`, a fingerprint that reveals nothing of
the key). Migration ``governance.0003`` seals existing heads with :func:`seal_head`: change its
format only under a new version tag.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder

GENESIS_HASH = "0" * 64
_HEAD_TAG = "audit-head:v1"
#: the seal of a head with a checkpoint (entries up to ``checkpoint_seq`` purged under retention)
_HEAD_TAG_CHECKPOINT = "audit-head:v2"


def key_id(key: str) -> str:
    """A short public name for a key (12 hex characters of an HMAC under it)."""
    return hmac.new(key.encode(), b"socialops audit chain key id", hashlib.sha256).hexdigest()[:12]


@functools.lru_cache(maxsize=8)
def _ring(keys: tuple[str, ...]) -> dict[str, str]:
    if not keys:
        raise ImproperlyConfigured("AUDIT_CHAIN_KEY is empty.")
    return {key_id(k): k for k in keys}


def key_ring() -> dict[str, str]:
    """Every configured key by id, the signing key first."""
    return _ring(tuple(settings.AUDIT_CHAIN_KEYS))


def signing_key() -> tuple[str, str]:
    """``(id, key)`` that new entries and the head are signed with."""
    return next(iter(key_ring().items()))


def canonical(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)


def entry_fields(event) -> dict[str, Any]:
    fields = {
        "organization": event.organization_id,
        "seq": event.seq,
        "created_at": event.created_at.isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "ip_address": event.ip_address,
        "via": event.via,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
    }
    if event.key_id:
        fields["key"] = event.key_id
    return fields


def entry_hash(prev_hash: str, event, key: str | None) -> str:
    """The hash ``event`` must carry after ``prev_hash``: keyed when ``event.key_id`` is set
    (``key`` is that id's key), the original sha256 otherwise."""
    message = (prev_hash + canonical(entry_fields(event))).encode()
    if event.key_id:
        if key is None:
            raise ValueError("a keyed entry needs its key")
        return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()


def seal_head(
    key: str,
    organization_id: int,
    seq: int,
    last_hash: str,
    legacy_seq: int,
    checkpoint_seq: int = 0,
    checkpoint_hash: str = "",
) -> str:
    """The head's MAC: without the key nobody can move the head (e.g. back, after deleting the
    newest entries) or widen the range of unkeyed entries.

    A head with a checkpoint (the oldest entries were purged under the organization's retention,
    see ``services.purge_entries``) seals it too, under the ``v2`` tag: without the key nobody can
    move the checkpoint forward to hide deleted old entries. A head without one keeps the ``v1``
    seal, so every head sealed before checkpoints existed still verifies.
    """
    if checkpoint_seq:
        message = (
            f"{_HEAD_TAG_CHECKPOINT}|{organization_id}|{seq}|{last_hash}|{legacy_seq}"
            f"|{checkpoint_seq}|{checkpoint_hash}"
        ).encode()
    else:
        message = f"{_HEAD_TAG}|{organization_id}|{seq}|{last_hash}|{legacy_seq}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
