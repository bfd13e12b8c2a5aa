"""X: webhook handshake, signature verification and parsing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
from datetime import UTC, datetime
from typing import Any

from ..base import (
    InboxItem,
    WebhookEvent,
    WebhookRequest,
)
from .client import (
    _parse_time,
)


class XWebhooks:
    """X's webhooks: handshake, signature and parsing (a part of ``XProvider``)."""

    # --- Webhooks (Account Activity) ----------------------------------------------------------
    def _webhook_secret(self) -> str:
        return str(self.config.extra.get("consumer_secret") or self.config.client_secret or "")

    def _signature(self, payload: bytes) -> str:
        digest = hmac.new(self._webhook_secret().encode(), payload, hashlib.sha256).digest()
        return "sha256=" + base64.b64encode(digest).decode()

    # X's documented CRC answer is base64 HMAC-SHA256(consumer_secret, crc_token), and a delivery's
    # x-twitter-webhooks-signature is the same HMAC over the body: answering any crc_token would
    # sign any body an attacker picks (GET ?crc_token=<their JSON>, then POST that JSON with the
    # answer). So the two inputs are kept apart on our side:
    # - a CRC is answered only for a token of the shape X sends: a short run of base64 / url-safe
    #   base64 characters (X's tokens are random base64 strings);
    # - a delivery whose body has that shape is refused. Our deliveries are JSON objects ("{…}"),
    #   which contain "{", '"' and ":"; no such body can have been signed by a CRC answer.
    # The two sets are disjoint, so no CRC answer is ever a valid signature for a delivery we accept.
    _CRC_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{1,256}")

    def webhook_handshake(self, request: WebhookRequest) -> tuple[int, str, str] | None:
        crc_token = request.query.get("crc_token")
        if request.method.upper() != "GET" or not crc_token or not self._webhook_secret():
            return None
        if not self._CRC_TOKEN.fullmatch(crc_token):
            return None  # 400: not a token X would send, and signing it could mint a delivery
        body = json.dumps({"response_token": self._signature(crc_token.encode())})
        return 200, "application/json", body

    def verify_webhook(self, request: WebhookRequest) -> bool:
        given = request.headers.get("x-twitter-webhooks-signature", "")
        if not given or not self._webhook_secret():
            return False
        if self._CRC_TOKEN.fullmatch(request.body.decode("latin-1")):
            return False  # a body a CRC answer could have signed (see above)
        return hmac.compare_digest(given.encode(), self._signature(request.body).encode())

    def parse_webhook(self, request: WebhookRequest) -> list[WebhookEvent]:
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return []
        if not isinstance(payload, dict):
            return []
        me = str(payload.get("for_user_id", ""))
        events: list[WebhookEvent] = []
        for tweet in payload.get("tweet_create_events") or []:
            events.append(self._webhook_tweet(me, tweet))
        users = payload.get("users") or {}
        for dm in payload.get("direct_message_events") or []:
            events.append(self._webhook_dm(me, dm, users))
        user_event = payload.get("user_event") or {}
        if "revoke" in user_event:
            events.append(WebhookEvent(account_external_id=me, kind="deauthorized", raw=user_event))
        for name in ("favorite_events", "tweet_delete_events", "follow_events"):
            for event in payload.get(name) or []:
                events.append(WebhookEvent(account_external_id=me, kind="other", raw={name: event}))
        return events

    def _webhook_tweet(self, me: str, tweet: dict[str, Any]) -> WebhookEvent:
        user = tweet.get("user") or {}
        author_id = str(user.get("id_str") or user.get("id") or "")
        if author_id == me:  # our own post or reply
            return WebhookEvent(account_external_id=me, kind="other", raw=tweet)
        extended = tweet.get("extended_tweet") or {}
        text = extended.get("full_text") or tweet.get("full_text") or tweet.get("text", "")
        tweet_id = str(tweet.get("id_str") or tweet.get("id"))
        parent = str(tweet.get("in_reply_to_status_id_str") or "")
        kind = (
            "comment" if parent and str(tweet.get("in_reply_to_user_id_str")) == me else "mention"
        )
        item = InboxItem(
            external_id=tweet_id,
            kind=kind,
            text=html.unescape(text),
            author_id=author_id,
            author_name=user.get("name", ""),
            author_handle=user.get("screen_name", ""),
            created_at=_parse_time(tweet.get("created_at")),
            parent_external_id=parent,
            post_external_id=parent if kind == "comment" else "",
            permalink=self._permalink(tweet_id, user.get("screen_name")),
            raw=tweet,
        )
        return WebhookEvent(account_external_id=me, kind="inbox_item", item=item, raw=tweet)

    def _webhook_dm(self, me: str, event: dict[str, Any], users: dict[str, Any]) -> WebhookEvent:
        create = event.get("message_create") or {}
        sender = str(create.get("sender_id", ""))
        if event.get("type") != "message_create" or sender == me:
            return WebhookEvent(account_external_id=me, kind="other", raw=event)
        recipient = str((create.get("target") or {}).get("recipient_id", ""))
        pair = sorted([sender, recipient], key=lambda v: int(v) if v.isdigit() else 0)
        profile = users.get(sender) or {}
        timestamp = event.get("created_timestamp")
        created = (
            datetime.fromtimestamp(int(timestamp) / 1000, tz=UTC)
            if str(timestamp).isdigit()
            else None
        )
        item = InboxItem(
            external_id=str(event.get("id", "")),
            kind="dm",
            text=(create.get("message_data") or {}).get("text", ""),
            author_id=sender,
            author_name=profile.get("name", ""),
            author_handle=profile.get("screen_name", ""),
            created_at=created,
            thread_id="-".join(pair),
            raw=event,
        )
        return WebhookEvent(account_external_id=me, kind="inbox_item", item=item, raw=event)
