"""Channel credentials: (de)serialization, storage, key rotation, and the provider plumbing the other modules share."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import logging
import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from socialops.errors import ApplicationError, ValidationFailed

from .. import crypto
from ..models import (
    Channel,
    ChannelCredential,
    ConnectAttempt,
)
from ..providers import REGISTRY, get_provider
from ..providers.base import Account, Credentials, Provider
from ..providers.errors import ProviderError

log = logging.getLogger(__name__)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _now() -> datetime:
    return timezone.now()


# --- Credentials (de)serialization ---------------------------------------------------------------


def credentials_to_dict(creds: Credentials) -> dict[str, Any]:
    return {
        "access_token": creds.access_token,
        "refresh_token": creds.refresh_token,
        "expires_at": creds.expires_at.isoformat() if creds.expires_at else None,
        "refresh_expires_at": creds.refresh_expires_at.isoformat()
        if creds.refresh_expires_at
        else None,
        "scopes": list(creds.scopes),
        "extra": creds.extra,
        "dpop_key": creds.dpop_key,
    }


def credentials_from_dict(data: dict[str, Any]) -> Credentials:
    def dt(value):
        return datetime.fromisoformat(value) if value else None

    return Credentials(
        access_token=data["access_token"],
        refresh_token=data.get("refresh_token"),
        expires_at=dt(data.get("expires_at")),
        refresh_expires_at=dt(data.get("refresh_expires_at")),
        scopes=tuple(data.get("scopes") or ()),
        extra=dict(data.get("extra") or {}),
        dpop_key=data.get("dpop_key"),
    )


def _account_to_dict(account: Account) -> dict[str, Any]:
    return {
        "external_id": str(account.external_id),
        "handle": account.handle,
        "name": account.name,
        "avatar_url": account.avatar_url,
        "url": account.url,
        "extra": account.extra,
        "credentials": credentials_to_dict(account.credentials),
    }


def _store_credentials(channel: Channel, creds: Credentials) -> None:
    blob = crypto.encrypt_json(credentials_to_dict(creds))
    ChannelCredential.objects.for_org(channel.organization_id).update_or_create(
        channel=channel,
        defaults={"organization_id": channel.organization_id, "blob": blob, "updated_at": _now()},
    )
    channel.token_expires_at = creds.expires_at


def _provider(key: str) -> Provider:
    if key not in REGISTRY:
        raise ValidationFailed(_("Choose a network."), fields={"provider": [_("Unknown network.")]})
    try:
        return get_provider(key)
    except (ImportError, AttributeError):
        raise ValidationFailed(
            _("That network is not available yet."),
            fields={"provider": [_("This network's connector is not installed.")]},
        ) from None


def _network_error(provider: Provider, exc: Exception) -> ApplicationError:
    name = getattr(provider, "name", provider.key)
    if isinstance(exc, ProviderError):
        return ApplicationError(
            _("%(network)s said: %(message)s") % {"network": name, "message": exc.message},
            code="network_error",
        )
    return ApplicationError(
        _("%(network)s could not be reached or answered unexpectedly. Try again.")
        % {"network": name},
        code="network_error",
    )


def callback_uri(provider_key: str) -> str:
    return settings.SITE_URL + reverse("channel_connect_callback", args=[provider_key])


def atproto_client_id() -> str:
    """Our atproto OAuth client_id: the public URL of our client metadata document."""
    return settings.SITE_URL + reverse("bluesky_client_metadata")


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    return verifier, challenge


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dict):
        return dict(value)
    raise ApplicationError(
        _("The network returned an app registration we cannot read."), code="network_error"
    )


# --- Key rotation --------------------------------------------------------------------------------


def rotate_credential_keys() -> int:
    """Re-encrypt every stored secret with the first key. Run after putting a new key first.

    Unscoped on purpose: key rotation is system work over every organization's rows.
    """
    count = 0
    for row in ChannelCredential.objects.unscoped().only("pk", "blob").iterator():
        ChannelCredential.objects.unscoped().filter(pk=row.pk).update(blob=crypto.rotate(row.blob))
        count += 1
    for attempt in (
        ConnectAttempt.objects.unscoped().exclude(candidates_blob="", secret_context="").iterator()
    ):
        update = {}
        if attempt.candidates_blob:
            update["candidates_blob"] = crypto.rotate(attempt.candidates_blob)
        if attempt.secret_context:
            update["secret_context"] = crypto.rotate(attempt.secret_context)
        ConnectAttempt.objects.unscoped().filter(pk=attempt.pk).update(**update)
        count += 1
    return count
