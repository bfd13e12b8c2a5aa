"""Share links' state changes: create (the token shown once), revoke, resolve a token.

The caller (the kind's own service) checks the person's capability and the kind's own fields
(the calendar's filters, the dashboard's id); the kernel checks the name and the expiry, stores
the hash and writes the audit log in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import datetime, timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socialops.audit.services import record_event
from socialops.errors import ValidationFailed

from .kinds import get_kind
from .models import ShareLink

__all__ = [
    "ShareLinkGone",
    "create_link",
    "name_errors",
    "resolve",
    "revoke_link",
    "token_hash",
]

#: ``last_used_at`` is written at most this often a link (a busy dashboard is not one UPDATE a view)
TOUCH_EVERY = timedelta(minutes=5)


class ShareLinkGone(Exception):
    """The link existed but is expired or revoked (HTTP 410); ``reason`` says which."""

    def __init__(self, link: ShareLink, reason: str):
        super().__init__(reason)
        self.link = link
        self.reason = reason


def token_hash(secret: str) -> str:
    """What is stored of a token: a SHA-256 of its random part (the part before the signature)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def name_errors(name: str) -> list[str]:
    """A link's name is required and one line (it goes into page titles and the calendar feed's header)."""
    if not name:
        return [_("This field is required.")]
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in name):
        return [_("A name is one line: it cannot contain line breaks or control characters.")]
    if len(name) > 120:
        return [_("Enter at most 120 characters.")]
    return []


@transaction.atomic
def create_link(
    org,
    *,
    kind: str,
    by,
    name: str,
    filters: dict | None = None,
    target_id: int | None = None,
    timezone_name: str = "UTC",
    expires_at: datetime | None = None,
    audit_changes: dict | None = None,
) -> tuple[ShareLink, str]:
    """A new link of ``kind`` made by the user ``by``; returns it and its token (shown only this once).

    ``expires_at`` None: the link never expires. ``audit_changes`` adds to what the audit entry
    records (the name, target, filters and expiry are always in it).
    """
    share_kind = get_kind(kind)
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if problems := name_errors(name):
        errors["name"] = problems
    if expires_at is not None and (timezone.is_naive(expires_at) or expires_at <= timezone.now()):
        errors["expires_at"] = [_("Choose a time in the future.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    secret = secrets.token_urlsafe(32)
    link = ShareLink.objects.create(
        organization=org,
        kind=kind,
        target_id=target_id,
        name=name,
        token_hash=token_hash(secret),
        filters=filters or {},
        timezone=timezone_name or "UTC",
        created_by=by,
        expires_at=expires_at,
    )
    changes = {"name": name, "filters": link.filters, "expires_at": expires_at}
    if target_id is not None:
        changes["target"] = target_id
    changes.update(audit_changes or {})
    record_event(org, f"{kind}_share.created", obj=link, actor=by, changes=changes)
    return link, signing.Signer(salt=share_kind.salt).sign(secret)


@transaction.atomic
def revoke_link(link: ShareLink, *, by) -> ShareLink:
    """Turn ``link`` off at once (its page and its feed answer 410); revoking twice changes nothing."""
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.revoked_by = by
        link.save(update_fields=["revoked_at", "revoked_by"])
        record_event(link.organization, f"{link.kind}_share.revoked", obj=link, actor=by)
    return link


def resolve(token: str, *, kind: str) -> ShareLink | None:
    """The link of ``kind`` a token names; None when unknown, tampered or another kind's (a 404).

    Raises :class:`ShareLinkGone` when the link is revoked or expired (a 410). The token carries no
    organization (it is the credential): the lookup is by its hash alone.
    """
    share_kind = get_kind(kind)
    try:
        secret = signing.Signer(salt=share_kind.salt).unsign(token or "")
    except signing.BadSignature:
        return None
    link = (
        ShareLink.objects.unscoped()
        .select_related("organization", "created_by")
        .filter(token_hash=token_hash(secret), kind=kind)
        .first()
    )
    if link is None:
        return None
    if link.revoked_at is not None:
        raise ShareLinkGone(link, "revoked")
    if link.is_expired:
        raise ShareLinkGone(link, "expired")
    touch(link)
    return link


def touch(link: ShareLink) -> None:
    """Mark the link used now: one conditional UPDATE, at most every :data:`TOUCH_EVERY`."""
    now = timezone.now()
    if link.last_used_at is not None and now - link.last_used_at <= TOUCH_EVERY:
        return
    ShareLink.objects.unscoped().filter(pk=link.pk).update(last_used_at=now)
    link.last_used_at = now
