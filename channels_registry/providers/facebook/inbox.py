"""Facebook: the inbox: comments, mentions and messages, replies and moderation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..base import (
    Credentials,
    InboxItem,
    InboxPage,
)
from ..meta import (
    CursorTracker,
    parse_time,
)
from .client import COMMENT_FIELDS


class FacebookInbox:
    """Facebook's inbox (a part of ``FacebookProvider``)."""

    # --- engagement ----------------------------------------------------------------------------
    def fetch_inbox(
        self, credentials: Credentials, account_id: str, cursor: str | None = None
    ) -> InboxPage:
        """New comments on the Page's recent posts and new Messenger messages, oldest first.

        Posts are listed by ``updated_time`` (a new comment bumps it); each changed post's comments
        are read newest first (``filter=stream`` includes replies, ``order=reverse_chronological``)
        until they are older than the cursor.
        """
        token = credentials.access_token
        tracker = CursorTracker(cursor)
        items: list[InboxItem] = []
        post_limit = int(self.config.extra.get("inbox_posts", 25))
        posts = (
            self.graph_get(
                self.api,
                f"{account_id}/feed",
                token,
                {"fields": "id,updated_time,created_time", "limit": post_limit},
            ).get("data")
            or []
        )
        for post in posts:
            updated = parse_time(post.get("updated_time") or post.get("created_time"))
            if tracker.is_older_than_cursor(updated):
                continue
            for comment in self.graph_pages(
                self.api,
                f"{post['id']}/comments",
                token,
                {
                    "fields": COMMENT_FIELDS,
                    "filter": "stream",
                    "order": "reverse_chronological",
                    "limit": 100,
                },
            ):
                created = parse_time(comment.get("created_time"))
                if tracker.is_older_than_cursor(created):
                    break
                author = comment.get("from") or {}
                if str(author.get("id", "")) == str(account_id):
                    continue  # the Page's own replies
                if tracker.is_new(str(comment["id"]), created):
                    items.append(self._comment_item(comment, str(post["id"])))
                tracker.note(str(comment["id"]), created)

        conversations = (
            self.graph_get(
                self.api,
                f"{account_id}/conversations",
                token,
                {
                    "platform": "messenger",
                    "fields": "id,updated_time,messages{id,message,from,created_time}",
                    "limit": int(self.config.extra.get("inbox_conversations", 25)),
                },
            ).get("data")
            or []
        )
        for conversation in conversations:
            if tracker.is_older_than_cursor(parse_time(conversation.get("updated_time"))):
                continue
            for message in (conversation.get("messages") or {}).get("data") or []:
                created = parse_time(message.get("created_time"))
                author = message.get("from") or {}
                if str(author.get("id", "")) == str(account_id):
                    continue
                if tracker.is_new(str(message["id"]), created):
                    items.append(
                        InboxItem(
                            external_id=str(message["id"]),
                            kind="dm",
                            text=message.get("message") or "",
                            author_id=str(author.get("id", "")),
                            author_name=author.get("name", ""),
                            # The thread is the person (PSID), as in Messenger webhooks, which name no conversation.
                            created_at=created,
                            thread_id=str(author.get("id", "")),
                            raw={**message, "conversation_id": conversation["id"]},
                        )
                    )
                tracker.note(str(message["id"]), created)
        items.sort(key=lambda i: i.created_at or datetime.min.replace(tzinfo=UTC))
        return InboxPage(items=items, cursor=tracker.cursor() or cursor)

    @staticmethod
    def _comment_item(comment: dict[str, Any], post_id: str) -> InboxItem:
        author = comment.get("from") or {}
        parent = (comment.get("parent") or {}).get("id", "")
        is_reply = bool(parent) and parent != post_id
        return InboxItem(
            external_id=str(comment["id"]),
            kind="reply" if is_reply else "comment",
            text=comment.get("message") or "",
            author_id=str(author.get("id", "")),
            author_name=author.get("name", ""),
            created_at=parse_time(comment.get("created_time")),
            post_external_id=post_id,
            parent_external_id=parent if is_reply else "",
            thread_id=post_id,
            permalink=comment.get("permalink_url") or "",
            is_hidden=bool(comment.get("is_hidden")),
            raw=comment,
        )

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        token = credentials.access_token
        if item.kind == "dm":
            # Inside the 24 h window a standard reply is messaging_type RESPONSE (Send API).
            body = self.graph_post(
                self.api,
                f"{account_id}/messages",
                token,
                {
                    "recipient": {"id": item.author_id},
                    "messaging_type": "RESPONSE",
                    "message": {"text": text},
                },
                publishing=True,
            )
            return str(body.get("message_id", ""))
        body = self.graph_post(
            self.api, f"{item.external_id}/comments", token, {"message": text}, publishing=True
        )
        return str(body.get("id", ""))

    def hide_comment(
        self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True
    ) -> None:
        self.graph_post(self.api, external_id, credentials.access_token, {"is_hidden": hidden})

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        self.graph_delete(self.api, external_id, credentials.access_token)

    def like_comment(
        self, credentials: Credentials, account_id: str, external_id: str, liked: bool = True
    ) -> None:
        """``POST /{comment-id}/likes`` (``DELETE`` to take it back) with the Page's token: the
        Page likes the comment."""
        if liked:
            self.graph_post(self.api, f"{external_id}/likes", credentials.access_token)
        else:
            self.graph_delete(self.api, f"{external_id}/likes", credentials.access_token)
