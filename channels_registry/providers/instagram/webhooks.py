"""Instagram: webhook handshake, signature verification and parsing."""

from __future__ import annotations

from ..base import (
    InboxItem,
    WebhookEvent,
    WebhookRequest,
)
from ..meta import (
    parse_time,
)


class InstagramWebhooks:
    """Instagram's webhooks: handshake, signature and parsing (a part of ``InstagramProvider``)."""

    # --- webhooks ------------------------------------------------------------------------------
    def parse_webhook(self, request: WebhookRequest) -> list[WebhookEvent]:
        """``object: instagram``: ``comments`` (``{id,text,from,media,parent_id?}``) and
        ``mentions`` (``{media_id, comment_id}``); anything else is passed on as "other"."""
        payload = self.webhook_payload(request)
        if not payload or payload.get("object") != "instagram":
            return []
        events: list[WebhookEvent] = []
        for entry in payload.get("entry") or []:
            account = str(entry.get("id", ""))
            for change in entry.get("changes") or []:
                field, value = change.get("field"), change.get("value") or {}
                if field in ("comments", "live_comments"):
                    author = value.get("from") or {}
                    if str(author.get("id", "")) == account:
                        continue  # our own reply echoed back
                    parent = str(value.get("parent_id") or "")
                    media_id = str((value.get("media") or {}).get("id", ""))
                    events.append(
                        WebhookEvent(
                            account_external_id=account,
                            kind="inbox_item",
                            raw=change,
                            item=InboxItem(
                                external_id=str(value.get("id", "")),
                                kind="reply" if parent else "comment",
                                text=value.get("text") or "",
                                author_id=str(author.get("id", "")),
                                author_handle=author.get("username", ""),
                                author_name=author.get("username", ""),
                                created_at=parse_time(entry.get("time")),
                                post_external_id=media_id,
                                parent_external_id=parent,
                                thread_id=media_id,
                                raw=value,
                            ),
                        )
                    )
                elif field == "mentions":
                    events.append(
                        WebhookEvent(
                            account_external_id=account,
                            kind="inbox_item",
                            raw=change,
                            item=InboxItem(
                                external_id=str(
                                    value.get("comment_id") or value.get("media_id") or ""
                                ),
                                kind="mention",
                                text=value.get("text") or "",
                                author_id="",
                                created_at=parse_time(entry.get("time")),
                                post_external_id=str(value.get("media_id", "")),
                                thread_id=str(value.get("media_id", "")),
                                raw=value,
                            ),
                        )
                    )
                else:
                    events.append(
                        WebhookEvent(account_external_id=account, kind="other", raw=change)
                    )
            for messaging in entry.get("messaging") or []:
                events.append(
                    WebhookEvent(account_external_id=account, kind="other", raw=messaging)
                )
        return events
