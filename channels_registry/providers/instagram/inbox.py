"""Instagram: the inbox: comments, mentions and messages, replies and moderation."""

from __future__ import annotations

from datetime import UTC, datetime

from ..base import (
    Credentials,
    InboxItem,
    InboxPage,
)
from ..errors import ProviderError
from ..meta import (
    CursorTracker,
    parse_time,
)
from .client import (
    COMMENT_FIELDS,
    _comment_item,
)


class InstagramInbox:
    """Instagram's inbox (a part of ``InstagramProvider``)."""

    # --- engagement ----------------------------------------------------------------------------
    def fetch_inbox(
        self, credentials: Credentials, account_id: str, cursor: str | None = None
    ) -> InboxPage:
        """New comments and replies on the account's recent media, oldest first."""
        api, token = self._api(credentials), credentials.access_token
        own_username = str(credentials.extra.get("username") or "").lower()
        tracker = CursorTracker(cursor)
        items: list[InboxItem] = []
        media_list = (
            self.graph_get(
                api,
                f"{account_id}/media",
                token,
                {
                    "fields": "id,caption,permalink,timestamp,comments_count",
                    "limit": int(self.config.extra.get("inbox_posts", 25)),
                },
            ).get("data")
            or []
        )
        for media in media_list:
            if media.get("comments_count") == 0:
                continue
            for comment in self.graph_pages(
                api, f"{media['id']}/comments", token, {"fields": COMMENT_FIELDS, "limit": 50}
            ):
                thread = [(comment, "")] + [
                    (r, str(comment["id"]))
                    for r in (comment.get("replies") or {}).get("data") or []
                ]
                for node, parent in thread:
                    author = node.get("from") or {}
                    if str(author.get("id", "")) == str(account_id) or (
                        own_username and str(node.get("username", "")).lower() == own_username
                    ):
                        continue  # our own replies
                    created = parse_time(node.get("timestamp"))
                    if tracker.is_new(str(node["id"]), created):
                        items.append(_comment_item(node, media, parent))
                    tracker.note(str(node["id"]), created)
        items.sort(key=lambda i: i.created_at or datetime.min.replace(tzinfo=UTC))
        return InboxPage(items=items, cursor=tracker.cursor() or cursor)

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        api, token = self._api(credentials), credentials.access_token
        if item.kind == "dm":
            raise ProviderError(
                "Instagram direct messages are not handled by this connector.", permanent=True
            )
        if item.kind == "mention":
            # A comment that @mentions us on someone else's media: answered through the mentions edge.
            body = self.graph_post(
                api,
                f"{account_id}/mentions",
                token,
                {
                    "media_id": item.post_external_id,
                    "comment_id": item.external_id,
                    "message": text,
                },
                publishing=True,
            )
            return str(body.get("id", ""))
        # Instagram threads are one level deep: an answer to a reply goes under its top comment.
        target = (
            item.parent_external_id
            if item.kind == "reply" and item.parent_external_id
            else item.external_id
        )
        body = self.graph_post(api, f"{target}/replies", token, {"message": text}, publishing=True)
        return str(body.get("id", ""))

    def hide_comment(
        self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True
    ) -> None:
        self.graph_post(
            self._api(credentials), external_id, credentials.access_token, {"hide": hidden}
        )

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        self.graph_delete(self._api(credentials), external_id, credentials.access_token)
