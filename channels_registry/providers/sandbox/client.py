"""Sandbox: HTTP plumbing, error mapping and the pieces every other module of the package shares."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from ..base import (
    Account,
    Capabilities,
    Credentials,
    MediaSpec,
    Provider,
)
from ..errors import AuthExpired, ProviderError

#: the accounts the consent page offers: (external id, handle, display name)
SANDBOX_ACCOUNTS: list[tuple[str, str, str]] = [
    ("sbx-kitchen", "nusantara.kitchen", "Nusantara Kitchen"),
    ("sbx-kopi", "kopi.pagi", "Kopi Pagi"),
    ("sbx-promo", "promo.harian", "Promo Harian"),
]
ACCESS_TTL = timedelta(days=7)
REFRESH_TTL = timedelta(days=90)
CODE_MAX_AGE = 600
_DISABLED = "The Sandbox network is turned off for this organization (Organization settings)."
_TOKEN_SALT = "channels_registry.sandbox.token"  # noqa: S105 - a signing salt, not a secret
_CODE_SALT = "channels_registry.sandbox.code"
SIGNATURE_HEADER = "x-sandbox-signature"
#: the sandbox names each push; a replay carries the same name (see record_webhook_delivery)
DELIVERY_HEADER = "x-sandbox-delivery"


def sandbox_allowed(organization) -> bool:
    """Whether ``organization`` may use the Sandbox network: always outside production; in
    production (``SOCIALOPS_ENV=production``) only if it opted in (``Organization.sandbox_network``).
    The connect page, the connect flow, the webhook, the simulated audience and every call the
    sandbox answers (publishing included) ask this."""
    return not getattr(settings, "PRODUCTION", False) or bool(organization.sandbox_network)


def webhook_secret() -> str:
    """The shared secret the sandbox signs its pushes with (derived, never stored)."""
    return hmac.new(settings.SECRET_KEY.encode(), b"sandbox-webhook", hashlib.sha256).hexdigest()


def _handshake_secret() -> str:
    """A second derived secret, only for answering challenges.

    With the push secret, the answer to ``?challenge=<anything>`` was exactly the signature a
    push of that body needs, so anyone could have minted a valid push. Separate keys make the two
    unrelated whatever the challenge is.
    """
    return hmac.new(
        settings.SECRET_KEY.encode(), b"sandbox-webhook-handshake", hashlib.sha256
    ).hexdigest()


def sign_webhook_body(body: bytes) -> str:
    return "sha256=" + hmac.new(webhook_secret().encode(), body, hashlib.sha256).hexdigest()


def make_authorization_code(account_ids: list[str], redirect_uri: str) -> str:
    """What the consent page hands back to the callback."""
    return signing.dumps(
        {"accounts": account_ids, "redirect_uri": redirect_uri, "n": secrets.token_hex(4)},
        salt=_CODE_SALT,
    )


def issue_credentials(
    account_id: str, organization_id: int, *, now: datetime | None = None
) -> Credentials:
    now = now or timezone.now()
    expires_at = now + ACCESS_TTL
    access = signing.dumps(
        {
            "k": "a",
            "acct": account_id,
            "org": organization_id,
            "exp": int(expires_at.timestamp()),
            "n": secrets.token_hex(8),
        },
        salt=_TOKEN_SALT,
    )
    refresh = signing.dumps(
        {
            "k": "r",
            "acct": account_id,
            "org": organization_id,
            "exp": int((now + REFRESH_TTL).timestamp()),
            "n": secrets.token_hex(8),
        },
        salt=_TOKEN_SALT,
    )
    return Credentials(
        access_token=access,
        refresh_token=refresh,
        expires_at=expires_at,
        refresh_expires_at=now + REFRESH_TTL,
        scopes=("read", "write"),
        extra={"organization_id": organization_id},
    )


def account_for(
    account_id: str, organization_id: int, *, handle: str | None = None, name: str | None = None
) -> Account:
    known = {ext: (h, n) for ext, h, n in SANDBOX_ACCOUNTS}
    h, n = known.get(account_id, (handle or account_id, name or account_id))
    return Account(
        external_id=account_id,
        handle=handle or h,
        name=name or n,
        credentials=issue_credentials(account_id, organization_id),
        url=f"{settings.SITE_URL}/sandbox/@{handle or h}",
    )


def post_url(channel, external_id: str, *, org_slug: str = "") -> str:
    """Where a sandbox post lives: a page of this app (``channels_registry.views.sandbox_post``) that
    shows the simulated post with its comments and figures, to members of its organization only.
    ``org_slug``: the channel's organization's, when the caller has it (saves a query per post)."""
    path = reverse(
        "sandbox_post",
        kwargs={"org_slug": org_slug or channel.organization.slug, "external_id": external_id},
    )
    return f"{settings.SITE_URL}{path}"


def _iso(dt: datetime | None) -> str:
    return dt.isoformat() if dt else ""


class SandboxClient(Provider):
    """What the Sandbox provider's modules share: its capabilities, URLs and HTTP calls."""

    key = "sandbox"

    @classmethod
    def live_url(cls, channel, external_id: str, stored_url: str, *, org_slug: str = "") -> str:
        # a page of this app: built from today's SITE_URL, not the one the worker had when it published
        return post_url(channel, external_id, org_slug=org_slug) if external_id else stored_url

    name = "Sandbox"
    #: the services pass the organization in ``extra``: the sandbox keeps its state per organization
    needs_organization = True
    #: no operator-registered OAuth app: the consent page is our own
    needs_app_credentials = False
    capabilities = Capabilities(
        network_roles=False,
        text_limit=5000,
        image=MediaSpec(
            max_bytes=10 * 1024 * 1024,
            min_aspect=0.5,
            max_aspect=2.0,
            mime_types=("image/jpeg", "image/png", "image/webp", "image/gif"),
        ),
        video=MediaSpec(max_bytes=200 * 1024 * 1024, max_seconds=600, mime_types=("video/mp4",)),
        max_images=10,
        carousel=True,
        first_comment=True,
        stories=True,
        reels=True,
        direct_messages=True,
        hide_comments=True,
        like_comments=True,
        webhooks=True,
        auth_kind="oauth2",
        mark="SB",
        webhook_headers=(
            "x-sandbox-signature",
            "x-sandbox-delivery",
        ),
    )

    # --- tokens ---------------------------------------------------------------------------
    @staticmethod
    def _read_token(token: str, kind: str) -> dict[str, Any]:
        try:
            data = signing.loads(token, salt=_TOKEN_SALT)
        except signing.BadSignature:
            raise AuthExpired("The sandbox does not recognise this token.") from None
        if data.get("k") != kind:
            raise AuthExpired("The sandbox got the wrong kind of token.")
        if data.get("exp", 0) <= time.time():
            raise AuthExpired("The sandbox token has expired.")
        return data

    def _channel(self, credentials: Credentials, account_id: str):
        from ...models import Channel

        data = self._read_token(credentials.access_token, "a")
        if data["acct"] != account_id:
            raise AuthExpired("This token belongs to another sandbox account.")
        channel = (
            Channel.objects.for_org(data["org"])
            .filter(provider=self.key, external_id=account_id)
            .select_related("organization")
            .first()
        )
        if channel is None:
            raise AuthExpired("The sandbox account is not connected.")
        if not sandbox_allowed(channel.organization):
            raise ProviderError(_DISABLED, permanent=True, code="network_disabled")
        return channel
