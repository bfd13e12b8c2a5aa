"""X: the inbox: comments, mentions and messages, replies and moderation."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from ..base import (
    Credentials,
    InboxItem,
    InboxPage,
)
from ..errors import (
    ContentRejected,
    ProviderError,
    TransientError,
    UnknownOutcome,
)
from .client import (
    RECENT_SEARCH_DAYS,
    SEARCH_QUERY_MAX,
    TWEET_FIELDS,
    USER_FIELDS,
    _iso,
    _max_id,
    _parse_time,
    log,
    snowflake_time,
)


class XInbox:
    """X's inbox (a part of ``XProvider``)."""

    # --- Engagement ----------------------------------------------------------------------------
    @staticmethod
    def _parse_cursor(cursor: str | None) -> dict[str, str]:
        if not cursor:
            return {}
        return {k: v[0] for k, v in parse_qs(cursor).items() if v and v[0].isdigit()}

    def _tweet_item(
        self,
        tweet: dict[str, Any],
        users: dict[str, dict[str, Any]],
        account_id: str,
        default_kind: str,
    ) -> InboxItem:
        author = users.get(str(tweet.get("author_id")), {})
        parent = next(
            (
                str(r["id"])
                for r in tweet.get("referenced_tweets") or []
                if r.get("type") == "replied_to"
            ),
            "",
        )
        kind = default_kind
        if parent and str(tweet.get("in_reply_to_user_id")) == str(account_id):
            kind = "comment"  # a direct answer to one of our posts or replies
        elif parent and default_kind == "reply":
            kind = "reply"
        return InboxItem(
            external_id=str(tweet["id"]),
            kind=kind,
            text=html.unescape(tweet.get("text", "")),
            author_id=str(tweet.get("author_id", "")),
            author_name=author.get("name", ""),
            author_handle=author.get("username", ""),
            created_at=_parse_time(tweet.get("created_at")),
            # only replies in our own conversations belong to one of our posts
            post_external_id=str(tweet.get("conversation_id") or "")
            if kind in ("comment", "reply")
            else "",
            parent_external_id=parent,
            thread_id=str(tweet.get("conversation_id") or ""),
            permalink=self._permalink(str(tweet["id"]), author.get("username")),
            raw=tweet,
        )

    @staticmethod
    def _users(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {
            str(u["id"]): u for u in (body.get("includes") or {}).get("users") or [] if u.get("id")
        }

    def _mentions(
        self, credentials: Credentials, account_id: str, since_id: str | None, max_pages: int
    ) -> tuple[list[InboxItem], str | None]:
        params: dict[str, Any] = {
            "max_results": 100,
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }
        if since_id:
            params["since_id"] = since_id
        items: list[InboxItem] = []
        newest = since_id
        for _ in range(max_pages):
            body = self._call(credentials, "GET", f"/2/users/{account_id}/mentions", params=params)
            users = self._users(body)
            meta = body.get("meta") or {}
            newest = _max_id(
                newest, meta.get("newest_id"), *[t.get("id") for t in body.get("data") or []]
            )
            items.extend(
                self._tweet_item(t, users, account_id, "mention")
                for t in body.get("data") or []
                if str(t.get("author_id")) != str(account_id)
            )
            token = meta.get("next_token")
            if not token:
                break
            params["pagination_token"] = token
        return items, newest

    def _conversation_replies(
        self, credentials: Credentials, account_id: str, since_id: str | None, max_pages: int
    ) -> tuple[list[InboxItem], str | None]:
        """Replies anywhere in our recent conversations, through recent search (7 days)."""
        window_start = datetime.now(UTC) - timedelta(days=RECENT_SEARCH_DAYS) + timedelta(minutes=1)
        count = max(5, min(100, int(self._extra("reply_conversations", 10))))
        own = self._call(
            credentials,
            "GET",
            f"/2/users/{account_id}/tweets",
            params={
                "max_results": count,
                "exclude": "retweets,replies",
                "start_time": _iso(window_start),
                "tweet.fields": "created_at,conversation_id",
            },
        )
        conversations = []
        for tweet in own.get("data") or []:
            cid = str(tweet.get("conversation_id") or tweet["id"])
            if cid not in conversations:
                conversations.append(cid)
        if not conversations:
            return [], since_id
        suffix = f") -from:{account_id}"
        query = ""
        for cid in conversations:
            term = f"conversation_id:{cid}"
            candidate = f"({term}" if not query else f"{query} OR {term}"
            if len(candidate) + len(suffix) > SEARCH_QUERY_MAX:
                break
            query = candidate
        params: dict[str, Any] = {
            "query": query + suffix,
            "max_results": 100,
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }
        since_time = snowflake_time(since_id)
        if since_id and since_time and since_time > window_start:
            params["since_id"] = since_id
        else:
            params["start_time"] = _iso(window_start)
        items: list[InboxItem] = []
        newest = since_id
        for _ in range(max_pages):
            body = self._call(credentials, "GET", "/2/tweets/search/recent", params=params)
            users = self._users(body)
            meta = body.get("meta") or {}
            newest = _max_id(
                newest, meta.get("newest_id"), *[t.get("id") for t in body.get("data") or []]
            )
            items.extend(
                self._tweet_item(t, users, account_id, "reply")
                for t in body.get("data") or []
                if str(t.get("author_id")) != str(account_id)
            )
            token = meta.get("next_token")
            if not token:
                break
            params["next_token"] = (
                token  # search paginates with next_token, timelines with pagination_token
            )
        return items, newest

    def _direct_messages(
        self, credentials: Credentials, account_id: str, after_id: str | None, max_pages: int
    ) -> tuple[list[InboxItem], str | None]:
        params: dict[str, Any] = {
            "event_types": "MessageCreate",
            "max_results": 100,
            "dm_event.fields": "id,text,event_type,created_at,sender_id,dm_conversation_id",
            "expansions": "sender_id",
            "user.fields": USER_FIELDS,
        }
        items: list[InboxItem] = []
        newest = after_id
        floor = int(after_id) if after_id else None
        for _ in range(max_pages):
            body = self._call(credentials, "GET", "/2/dm_events", params=params)
            users = self._users(body)
            reached_old = False
            for event in body.get("data") or []:  # newest first
                event_id = str(event.get("id", ""))
                if not event_id.isdigit():
                    continue
                if floor is not None and int(event_id) <= floor:
                    reached_old = True
                    continue
                newest = _max_id(newest, event_id)
                if event.get("event_type", "MessageCreate") != "MessageCreate":
                    continue
                if str(event.get("sender_id")) == str(account_id):
                    continue
                sender = users.get(str(event.get("sender_id")), {})
                items.append(
                    InboxItem(
                        external_id=event_id,
                        kind="dm",
                        text=event.get("text", ""),
                        author_id=str(event.get("sender_id", "")),
                        author_name=sender.get("name", ""),
                        author_handle=sender.get("username", ""),
                        created_at=_parse_time(event.get("created_at")),
                        thread_id=str(event.get("dm_conversation_id") or ""),
                        raw=event,
                    )
                )
            token = (body.get("meta") or {}).get("next_token")
            if reached_old or not token:
                break
            params["pagination_token"] = token
        return items, newest

    def fetch_inbox(
        self, credentials: Credentials, account_id: str, cursor: str | None = None
    ) -> InboxPage:
        state = self._parse_cursor(cursor)
        max_pages = int(self._extra("max_pages", 3))
        items, mentions_newest = self._mentions(credentials, account_id, state.get("m"), max_pages)
        replies_newest = state.get("c")
        if self._extra("search_replies", True):
            try:
                replies, replies_newest = self._conversation_replies(
                    credentials, account_id, state.get("c"), max_pages
                )
            except ProviderError as exc:
                if exc.status != 403:
                    raise
                log.warning(
                    "X recent search unavailable for this app (%s); replies come via mentions only.",
                    exc.code,
                )
                replies = []
            seen = {i.external_id for i in items}
            items.extend(r for r in replies if r.external_id not in seen)
        dms_newest = state.get("d")
        if self._extra("direct_messages", True):
            try:
                dms, dms_newest = self._direct_messages(
                    credentials, account_id, state.get("d"), max_pages
                )
            except ProviderError as exc:
                if exc.status != 403:
                    raise
                log.warning("X DMs unavailable for this grant or app (%s).", exc.code)
                dms = []
            items.extend(dms)
        items.sort(key=lambda i: int(i.external_id) if i.external_id.isdigit() else 0)
        new_state = {
            k: v for k, v in (("m", mentions_newest), ("c", replies_newest), ("d", dms_newest)) if v
        }
        return InboxPage(items=items, cursor=urlencode(new_state) if new_state else cursor)

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        if item.kind == "dm":
            if len(text) > 10000:
                raise ContentRejected("X direct messages are limited to 10,000 characters.")
            path = (
                f"/2/dm_conversations/{item.thread_id}/messages"
                if item.thread_id
                else f"/2/dm_conversations/with/{item.author_id}/messages"
            )
            body = self._call(credentials, "POST", path, json={"text": text}, creating=True)
            event_id = (body.get("data") or {}).get("dm_event_id")
            if not event_id:
                raise UnknownOutcome("X answered without the message id; it may have been sent.")
            return str(event_id)
        self._check_text(text, what="The reply")
        answer = self._create_tweet(
            credentials,
            account_id,
            {
                "text": text,
                "reply": {"in_reply_to_tweet_id": item.external_id},
            },
        )
        return str(answer["data"]["id"])

    def hide_comment(
        self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True
    ) -> None:
        body = self._call(
            credentials, "PUT", f"/2/tweets/{external_id}/hidden", json={"hidden": bool(hidden)}
        )
        if (body.get("data") or {}).get("hidden") is not bool(hidden):
            raise TransientError("X did not confirm the reply's hidden state.")

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        """Delete one of OUR replies (X cannot delete other people's; hide those instead)."""
        self.delete_post(credentials, account_id, external_id)

    def like_comment(
        self, credentials: Credentials, account_id: str, external_id: str, liked: bool = True
    ) -> None:
        """``POST /2/users/:id/likes {"tweet_id"}`` as the account; ``DELETE
        /2/users/:id/likes/:tweet_id`` takes it back (both answer ``{"data":{"liked":…}}``)."""
        if liked:
            body = self._call(
                credentials, "POST", f"/2/users/{account_id}/likes", json={"tweet_id": external_id}
            )
        else:
            body = self._call(credentials, "DELETE", f"/2/users/{account_id}/likes/{external_id}")
        if (body.get("data") or {}).get("liked") is not bool(liked):
            raise TransientError("X did not confirm the like.")
