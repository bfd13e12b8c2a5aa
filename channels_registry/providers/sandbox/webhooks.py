"""Sandbox: webhook handshake, signature verification and parsing."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from ..base import (
    InboxItem,
    WebhookEvent,
    WebhookRequest,
)
from ..errors import ProviderError
from .client import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    _handshake_secret,
    sign_webhook_body,
)


class SandboxWebhooks:
    """Sandbox's webhooks: handshake, signature and parsing (a part of ``SandboxProvider``)."""

    # --- webhooks -------------------------------------------------------------------------
    def webhook_handshake(self, request: WebhookRequest) -> tuple[int, str, str] | None:
        challenge = request.query.get("challenge")
        if request.method == "GET" and challenge:
            expected = hmac.new(
                _handshake_secret().encode(), challenge.encode(), hashlib.sha256
            ).hexdigest()
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
                    external_id=str(raw.get("id", "")),
                    kind=raw["kind"],
                    text=str(raw.get("text", "")),
                    author_id=str(raw.get("author_id", "")),
                    author_name=str(raw.get("author_name", "")),
                    created_at=datetime.fromisoformat(created) if created else datetime.now(UTC),
                    post_external_id=str(raw.get("post_id", "")),
                    raw=raw,
                )
            events.append(
                WebhookEvent(
                    account_external_id=str(raw.get("account", "")),
                    kind="inbox_item" if item else "other",
                    item=item,
                    raw=raw,
                )
            )
        return events
