"""Facebook: webhook handshake, signature verification and parsing."""

from __future__ import annotations

from datetime import UTC, datetime

from ..base import (
    InboxItem,
    WebhookEvent,
    WebhookRequest,
)
from ..meta import (
    parse_time,
)


class FacebookWebhooks:
    """Facebook's webhooks: handshake, signature and parsing (a part of ``FacebookProvider``)."""

    # --- webhooks ------------------------------------------------------------------------------
    def parse_webhook(self, request: WebhookRequest) -> list[WebhookEvent]:
        """``object: page``: ``changes`` with ``field: feed`` (comments) and ``messaging`` (DMs)."""
        payload = self.webhook_payload(request)
        if not payload or payload.get("object") != "page":
            return []
        events: list[WebhookEvent] = []
        for entry in payload.get("entry") or []:
            page_id = str(entry.get("id", ""))
            for change in entry.get("changes") or []:
                value = change.get("value") or {}
                if change.get("field") != "feed" or value.get("item") != "comment":
                    events.append(
                        WebhookEvent(account_external_id=page_id, kind="other", raw=change)
                    )
                    continue
                author = value.get("from") or {}
                if str(author.get("id", "")) == page_id:
                    continue  # our own comment or reply echoed back
                if value.get("verb") not in ("add", "edited"):
                    events.append(
                        WebhookEvent(account_external_id=page_id, kind="other", raw=change)
                    )
                    continue
                post_id = str(value.get("post_id", ""))
                parent = str(value.get("parent_id") or "")
                is_reply = bool(parent) and parent != post_id
                events.append(
                    WebhookEvent(
                        account_external_id=page_id,
                        kind="inbox_item",
                        raw=change,
                        item=InboxItem(
                            external_id=str(value.get("comment_id", "")),
                            kind="reply" if is_reply else "comment",
                            text=value.get("message") or "",
                            author_id=str(author.get("id", "")),
                            author_name=author.get("name", ""),
                            created_at=parse_time(value.get("created_time")),
                            post_external_id=post_id,
                            parent_external_id=parent if is_reply else "",
                            thread_id=post_id,
                            is_hidden=value.get("verb") == "hide",
                            raw=value,
                        ),
                    )
                )
            for messaging in entry.get("messaging") or []:
                message = messaging.get("message") or {}
                sender = str((messaging.get("sender") or {}).get("id", ""))
                if not message or message.get("is_echo") or sender == page_id:
                    events.append(
                        WebhookEvent(account_external_id=page_id, kind="other", raw=messaging)
                    )
                    continue
                timestamp = messaging.get("timestamp")
                created = (
                    datetime.fromtimestamp(timestamp / 1000, tz=UTC)
                    if isinstance(timestamp, int | float)
                    else None
                )  # Messenger: milliseconds
                events.append(
                    WebhookEvent(
                        account_external_id=page_id,
                        kind="inbox_item",
                        raw=messaging,
                        item=InboxItem(
                            external_id=str(message.get("mid", "")),
                            kind="dm",
                            text=message.get("text") or "",
                            author_id=sender,
                            created_at=created,
                            thread_id=sender,
                            raw=messaging,
                        ),
                    )
                )
        return events
