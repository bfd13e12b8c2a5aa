"""The built-in ``sandbox`` network: the whole provider interface, no network calls.

Its "servers" are tables of this app (``SandboxPost``, ``SandboxInteraction``,
``SandboxFollowerSnapshot``), scoped by organization through the channel. Tokens are signed
payloads (``django.core.signing``) naming the account and the organization, with a real expiry,
so refresh, expiry and re-authorization behave like a real network's. OAuth consent happens on a
local page (``/connect/sandbox/authorize``) that offers three fake accounts. The live audience is
simulated by ``channels_registry.simulation``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from .base import (
    Account,
    Capabilities,
    Credentials,
    DailyAccountMetrics,
    InboxItem,
    InboxPage,
    MediaSpec,
    PostMetrics,
    Provider,
    PublishRequest,
    PublishResult,
    WebhookEvent,
    WebhookRequest,
)
from .errors import AuthExpired, ContentRejected, ProviderError

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
    return hmac.new(settings.SECRET_KEY.encode(), b"sandbox-webhook-handshake", hashlib.sha256).hexdigest()


def sign_webhook_body(body: bytes) -> str:
    return "sha256=" + hmac.new(webhook_secret().encode(), body, hashlib.sha256).hexdigest()


def make_authorization_code(account_ids: list[str], redirect_uri: str) -> str:
    """What the consent page hands back to the callback."""
    return signing.dumps({"accounts": account_ids, "redirect_uri": redirect_uri, "n": secrets.token_hex(4)},
                         salt=_CODE_SALT)


def issue_credentials(account_id: str, organization_id: int, *, now: datetime | None = None) -> Credentials:
    now = now or timezone.now()
    expires_at = now + ACCESS_TTL
    access = signing.dumps({"k": "a", "acct": account_id, "org": organization_id, "exp": int(expires_at.timestamp()),
                            "n": secrets.token_hex(8)}, salt=_TOKEN_SALT)
    refresh = signing.dumps({"k": "r", "acct": account_id, "org": organization_id,
                             "exp": int((now + REFRESH_TTL).timestamp()), "n": secrets.token_hex(8)}, salt=_TOKEN_SALT)
    return Credentials(access_token=access, refresh_token=refresh, expires_at=expires_at,
                       refresh_expires_at=now + REFRESH_TTL, scopes=("read", "write"),
                       extra={"organization_id": organization_id})


def account_for(account_id: str, organization_id: int, *, handle: str | None = None, name: str | None = None) -> Account:
    known = {ext: (h, n) for ext, h, n in SANDBOX_ACCOUNTS}
    h, n = known.get(account_id, (handle or account_id, name or account_id))
    return Account(external_id=account_id, handle=handle or h, name=name or n,
                   credentials=issue_credentials(account_id, organization_id),
                   url=f"{settings.SITE_URL}/sandbox/@{handle or h}")


def post_url(channel, external_id: str) -> str:
    """Where a sandbox post lives: a page of this app (``channels_registry.views.sandbox_post``) that
    shows the simulated post with its comments and figures, to members of its organization only."""
    path = reverse("sandbox_post", kwargs={"org_slug": channel.organization.slug, "external_id": external_id})
    return f"{settings.SITE_URL}{path}"


def _iso(dt: datetime | None) -> str:
    return dt.isoformat() if dt else ""


class SandboxProvider(Provider):
    key = "sandbox"
    name = "Sandbox"
    #: the services pass the organization in ``extra``: the sandbox keeps its state per organization
    needs_organization = True
    #: no operator-registered OAuth app: the consent page is our own
    needs_app_credentials = False
    capabilities = Capabilities(
        text_limit=5000,
        image=MediaSpec(max_bytes=10 * 1024 * 1024, min_aspect=0.5, max_aspect=2.0,
                        mime_types=("image/jpeg", "image/png", "image/webp", "image/gif")),
        video=MediaSpec(max_bytes=200 * 1024 * 1024, max_seconds=600, mime_types=("video/mp4",)),
        max_images=10,
        carousel=True,
        first_comment=True,
        stories=True,
        reels=True,
        direct_messages=True,
        hide_comments=True,
        webhooks=True,
        auth_kind="oauth2",
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
        from ..models import Channel

        data = self._read_token(credentials.access_token, "a")
        if data["acct"] != account_id:
            raise AuthExpired("This token belongs to another sandbox account.")
        channel = (Channel.objects.for_org(data["org"]).filter(provider=self.key, external_id=account_id)
                   .select_related("organization").first())
        if channel is None:
            raise AuthExpired("The sandbox account is not connected.")
        if not sandbox_allowed(channel.organization):
            raise ProviderError(_DISABLED, permanent=True, code="network_disabled")
        return channel

    # --- OAuth ----------------------------------------------------------------------------
    def authorization_url(self, *, redirect_uri: str, state: str, code_verifier: str | None = None,
                          extra: dict[str, Any] | None = None) -> str:
        query = urlencode({"client_id": "socialops", "redirect_uri": redirect_uri, "state": state,
                           "response_type": "code", "scope": "read write"})
        return f"{settings.SITE_URL}{reverse('sandbox_authorize')}?{query}"

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None = None,
                      extra: dict[str, Any] | None = None) -> list[Account]:
        try:
            payload = signing.loads(code, salt=_CODE_SALT, max_age=CODE_MAX_AGE)
        except signing.BadSignature:
            raise ProviderError("The sandbox refused the authorization code.", permanent=True, code="invalid_grant") from None
        if payload.get("redirect_uri") != redirect_uri:
            raise ProviderError("The redirect URI does not match the one authorized.", permanent=True,
                                code="invalid_grant")
        org_id = int((extra or {})["organization_id"])
        from accounts.selectors import all_organizations

        organization = all_organizations().filter(pk=org_id).first()
        if organization is None or not sandbox_allowed(organization):
            raise ProviderError(_DISABLED, permanent=True, code="network_disabled")
        known = {ext for ext, _h, _n in SANDBOX_ACCOUNTS}
        return [account_for(ext, org_id) for ext in payload.get("accounts", []) if ext in known]

    def refresh(self, credentials: Credentials) -> Credentials:
        if not credentials.refresh_token:
            raise AuthExpired("No refresh token: reconnect the channel.")
        data = self._read_token(credentials.refresh_token, "r")
        return issue_credentials(data["acct"], data["org"])

    def verify_credentials(self, credentials: Credentials, account_id: str) -> Account:
        channel = self._channel(credentials, account_id)
        return Account(external_id=account_id, handle=channel.handle, name=channel.name, credentials=credentials,
                       url=channel.url)

    # --- publishing -----------------------------------------------------------------------
    @staticmethod
    def _result(post, channel) -> PublishResult:
        return PublishResult(status="published", external_id=post.external_id, url=post_url(channel, post.external_id))

    def publish(self, credentials: Credentials, account_id: str, request: PublishRequest) -> PublishResult:
        from ..models import SandboxInteraction, SandboxPost

        channel = self._channel(credentials, account_id)
        if len(request.text) > self.capabilities.text_limit:
            raise ContentRejected(f"The text is longer than {self.capabilities.text_limit} characters.")
        if not request.text.strip() and not request.media:
            raise ContentRejected("A post needs text or media.")
        if len([m for m in request.media if m.kind == "image"]) > self.capabilities.max_images:
            raise ContentRejected(f"At most {self.capabilities.max_images} images per post.")
        posts = SandboxPost.objects.for_org(channel.organization_id)
        if request.idempotency_key:
            existing = posts.filter(channel=channel, idempotency_key=request.idempotency_key).first()
            if existing is not None:
                return self._result(existing, channel)
        post = posts.create(organization_id=channel.organization_id, channel=channel,
                            external_id="sbxp_" + secrets.token_hex(8), text=request.text, link=request.link or "",
                            media_count=len(request.media), format=request.format,
                            idempotency_key=request.idempotency_key or "")
        result = self._result(post, channel)
        if request.first_comment:
            comment = SandboxInteraction.objects.create(
                organization_id=channel.organization_id, channel=channel, post=post,
                external_id="sbxc_" + secrets.token_hex(8), kind=SandboxInteraction.Kind.COMMENT,
                author_id=account_id, author_handle=channel.handle, author_name=channel.name,
                text=request.first_comment, from_account=True)
            result.first_comment_id = comment.external_id
        return result

    def check_publish(self, credentials: Credentials, account_id: str, pending_ref: str) -> PublishResult:
        from ..models import SandboxPost

        channel = self._channel(credentials, account_id)
        post = SandboxPost.objects.for_org(channel.organization_id).filter(channel=channel, external_id=pending_ref).first()
        if post is None:
            raise ProviderError("No such sandbox post.", permanent=True, status=404)
        return self._result(post, channel)

    def find_existing(self, credentials: Credentials, account_id: str, request: PublishRequest,
                      since: datetime) -> PublishResult | None:
        from ..models import SandboxPost

        channel = self._channel(credentials, account_id)
        posts = SandboxPost.objects.for_org(channel.organization_id).filter(channel=channel, created_at__gte=since,
                                                                             deleted_at__isnull=True)
        if request.idempotency_key:
            posts = posts.filter(idempotency_key=request.idempotency_key)
        else:
            posts = posts.filter(text=request.text)
        post = posts.first()
        return self._result(post, channel) if post else None

    def delete_post(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        from ..models import SandboxPost

        channel = self._channel(credentials, account_id)
        updated = SandboxPost.objects.for_org(channel.organization_id).filter(
            channel=channel, external_id=external_id).update(deleted_at=timezone.now())
        if not updated:
            raise ProviderError("No such sandbox post.", permanent=True, status=404)

    # --- engagement -----------------------------------------------------------------------
    @staticmethod
    def _item(row, post_external_id: str = "") -> InboxItem:
        return InboxItem(
            external_id=row.external_id, kind=row.kind, text=row.text, author_id=row.author_id,
            author_name=row.author_name, author_handle=row.author_handle, created_at=row.created_at,
            post_external_id=post_external_id, parent_external_id=row.parent_external_id,
            thread_id=row.thread_id, is_hidden=row.is_hidden,
            raw={"language": row.language, "sentiment_hint": row.sentiment_hint},
        )

    def fetch_inbox(self, credentials: Credentials, account_id: str, cursor: str | None = None) -> InboxPage:
        from ..models import SandboxInteraction

        channel = self._channel(credentials, account_id)
        rows = (SandboxInteraction.objects.for_org(channel.organization_id)
                .filter(channel=channel, from_account=False, deleted_at__isnull=True)
                .select_related("post").order_by("pk"))
        if cursor:
            try:
                rows = rows.filter(pk__gt=int(cursor))
            except ValueError:
                raise ProviderError("The sandbox does not understand this cursor.", permanent=True) from None
        page = list(rows[:100])
        items = [self._item(r, r.post.external_id if r.post else "") for r in page]
        return InboxPage(items=items, cursor=str(page[-1].pk) if page else cursor)

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        from ..models import SandboxInteraction

        channel = self._channel(credentials, account_id)
        if not text.strip():
            raise ContentRejected("A reply needs text.")
        if len(text) > self.capabilities.text_limit:
            raise ContentRejected(f"The reply is longer than {self.capabilities.text_limit} characters.")
        interactions = SandboxInteraction.objects.for_org(channel.organization_id)
        parent = interactions.filter(channel=channel, external_id=item.external_id).first()
        if parent is None:
            raise ProviderError("The message being answered does not exist.", permanent=True, status=404)
        kind = SandboxInteraction.Kind.DM if parent.kind == SandboxInteraction.Kind.DM else SandboxInteraction.Kind.REPLY
        row = interactions.create(
            organization_id=channel.organization_id, channel=channel, post=parent.post,
            external_id="sbxr_" + secrets.token_hex(8), kind=kind, parent_external_id=parent.external_id,
            thread_id=parent.thread_id or parent.external_id, author_id=account_id, author_handle=channel.handle,
            author_name=channel.name, text=text, from_account=True)
        return row.external_id

    def _comment(self, credentials: Credentials, account_id: str, external_id: str):
        from ..models import SandboxInteraction

        channel = self._channel(credentials, account_id)
        qs = SandboxInteraction.objects.for_org(channel.organization_id).filter(channel=channel, external_id=external_id)
        if not qs.exists():
            raise ProviderError("No such sandbox comment.", permanent=True, status=404)
        return qs

    def hide_comment(self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True) -> None:
        self._comment(credentials, account_id, external_id).update(is_hidden=hidden)

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        self._comment(credentials, account_id, external_id).update(deleted_at=timezone.now())

    # --- metrics --------------------------------------------------------------------------
    def fetch_account_metrics(self, credentials: Credentials, account_id: str, since: date,
                              until: date) -> list[DailyAccountMetrics]:
        from ..models import SandboxFollowerSnapshot

        channel = self._channel(credentials, account_id)
        rows = SandboxFollowerSnapshot.objects.for_org(channel.organization_id).filter(
            channel=channel, day__gte=since, day__lte=until)
        return [DailyAccountMetrics(day=r.day, followers=r.followers, impressions=r.impressions,
                                    engagements=r.engagements, profile_views=r.profile_views) for r in rows]

    def fetch_post_metrics(self, credentials: Credentials, account_id: str,
                           external_ids: list[str]) -> list[PostMetrics]:
        from ..models import SandboxPost

        channel = self._channel(credentials, account_id)
        rows = SandboxPost.objects.for_org(channel.organization_id).filter(channel=channel,
                                                                            external_id__in=external_ids)
        return [PostMetrics(external_id=p.external_id, impressions=p.impressions, reach=int(p.impressions * 0.8),
                            likes=p.likes, comments=p.comments, shares=p.shares) for p in rows]

    # --- webhooks -------------------------------------------------------------------------
    def webhook_handshake(self, request: WebhookRequest) -> tuple[int, str, str] | None:
        challenge = request.query.get("challenge")
        if request.method == "GET" and challenge:
            expected = hmac.new(_handshake_secret().encode(), challenge.encode(), hashlib.sha256).hexdigest()
            return 200, "application/json", json.dumps({"response_token": "sha256=" + expected})
        return None

    def webhook_delivery_id(self, request: WebhookRequest) -> str | None:
        return request.headers.get(DELIVERY_HEADER) or None

    def verify_webhook(self, request: WebhookRequest) -> bool:
        given = request.headers.get(SIGNATURE_HEADER, "")
        return bool(given) and hmac.compare_digest(given, sign_webhook_body(request.body))

    def parse_webhook(self, request: WebhookRequest) -> list[WebhookEvent]:
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            raise ProviderError("The sandbox push is not JSON.", permanent=True) from None
        events = []
        for raw in payload.get("events", []):
            item = None
            if raw.get("kind") in ("comment", "reply", "mention", "dm"):
                created = raw.get("created_at")
                item = InboxItem(
                    external_id=str(raw.get("id", "")), kind=raw["kind"], text=str(raw.get("text", "")),
                    author_id=str(raw.get("author_id", "")), author_name=str(raw.get("author_name", "")),
                    created_at=datetime.fromisoformat(created) if created else datetime.now(UTC),
                    post_external_id=str(raw.get("post_id", "")), raw=raw)
            events.append(WebhookEvent(account_external_id=str(raw.get("account", "")),
                                       kind="inbox_item" if item else "other", item=item, raw=raw))
        return events


__all__ = ["SANDBOX_ACCOUNTS", "SandboxProvider", "account_for", "issue_credentials", "make_authorization_code",
           "post_url", "sandbox_allowed", "sign_webhook_body"]
