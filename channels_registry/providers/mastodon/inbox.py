"""Mastodon: the inbox: comments, mentions and messages, replies and moderation."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from ..base import (
    Credentials,
    InboxItem,
    InboxPage,
)
from ..errors import (
    ProviderError,
    TransientError,
)
from .client import (
    _VISIBILITIES,
    _id_key,
    _parse_time,
    html_to_text,
)


class MastodonInbox:
    """Mastodon's inbox (a part of ``MastodonProvider``)."""

    # --- Engagement ------------------------------------------------------------------------

    def fetch_inbox(
        self, credentials: Credentials, account_id: str, cursor: str | None = None
    ) -> InboxPage:
        """Mentions (replies to our posts are "comment", direct ones "dm") and direct conversations.

        The cursor holds the newest notification id and conversation ``min_id`` seen; the next call
        asks for ``min_id`` = those, i.e. only what arrived since, oldest batch first (call again
        until a page comes back empty). The first call, without a cursor, returns the newest page.
        """
        account_id = self._account_id(credentials, account_id)
        state = {k: v[0] for k, v in parse_qs(cursor or "").items() if k in ("n", "c") and v}
        limit = int(self.config.extra.get("inbox_page_size", 40))

        params: list[tuple[str, Any]] = [("types[]", "mention"), ("limit", min(limit, 80))]
        if state.get("n"):
            params.append(("min_id", state["n"]))
        resp = self._get(credentials, account_id, "/api/v1/notifications", params=params)
        notifications = self._json(resp)
        if not isinstance(notifications, list):
            raise TransientError(
                "Mastodon answered the notifications request with something other than a list."
            )
        # A first fetch that finds nothing still sets a cursor ("0"): whatever comes later is new.
        state["n"] = (
            self._newest(resp, [str(n.get("id")) for n in notifications if n.get("id")])
            or state.get("n")
            or "0"
        )

        conv_params: list[tuple[str, Any]] = [("limit", min(limit, 40))]
        if state.get("c"):
            conv_params.append(("min_id", state["c"]))
        resp = self._get(credentials, account_id, "/api/v1/conversations", params=conv_params)
        conversations = self._json(resp)
        if not isinstance(conversations, list):
            raise TransientError(
                "Mastodon answered the conversations request with something other than a list."
            )
        state["c"] = (
            self._newest(
                resp, [str((c.get("last_status") or {}).get("id") or "") for c in conversations]
            )
            or state.get("c")
            or "0"
        )

        items: dict[str, InboxItem] = {}
        for notification in notifications:
            status = notification.get("status")
            if not status or str((status.get("account") or {}).get("id")) == str(account_id):
                continue
            item = self._inbox_item(status, account_id)
            item.raw = {**item.raw, "notification_id": str(notification.get("id"))}
            items.setdefault(item.external_id, item)
        for conversation in conversations:
            status = conversation.get("last_status")
            if not status or str((status.get("account") or {}).get("id")) == str(account_id):
                continue  # the last word is ours: nothing to answer
            item = self._inbox_item(status, account_id)
            item.kind = "dm"
            item.thread_id = str(conversation.get("id") or "")
            items[item.external_id] = item  # prefer this one: it knows the conversation
        ordered = sorted(items.values(), key=lambda i: _id_key(i.external_id))
        return InboxPage(items=ordered, cursor=urlencode(state))

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        """A status ``in_reply_to_id`` the item, addressed to its author (and, for DMs, kept direct).

        On Mastodon only mentioned accounts are notified, and a direct status reaches only the
        accounts it mentions, so the author's handle is put in front unless the text has it.
        """
        account_id = self._account_id(credentials, account_id)
        status = item.raw or {}
        if item.kind == "dm" or status.get("visibility") == "direct":
            visibility = "direct"
        else:
            visibility = (
                status.get("visibility") if status.get("visibility") in _VISIBILITIES else "public"
            )
        handles = [item.author_handle] if item.author_handle else []
        if visibility == "direct":  # keep every participant in the conversation
            handles += [
                m.get("acct", "")
                for m in status.get("mentions") or []
                if str(m.get("id")) != str(account_id)
            ]
        prefix = []
        for handle in dict.fromkeys(h for h in handles if h):
            mention = f"@{handle}"
            if not re.search(rf"(?<![\w@]){re.escape(mention)}(?![\w@])", text, re.IGNORECASE):
                prefix.append(mention)
        body = f"{' '.join(prefix)} {text}" if prefix else text
        # Same reply retried within the hour → the server returns the first one instead of a copy.
        key = hashlib.sha256(f"{account_id}:{item.external_id}:{text}".encode()).hexdigest()[:40]
        reply = self._post_status(
            credentials,
            account_id,
            text=body,
            visibility=visibility,
            in_reply_to_id=item.external_id,
            idempotency_key=f"reply-{key}",
        )
        return str(reply["id"])

    def hide_comment(
        self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True
    ) -> None:
        raise ProviderError(
            "Mastodon cannot hide someone else's reply. Mute, block or report the account instead.",
            permanent=True,
            code="unsupported",
        )

    def like_comment(
        self, credentials: Credentials, account_id: str, external_id: str, liked: bool = True
    ) -> None:
        """``POST /api/v1/statuses/:id/favourite`` (``/unfavourite`` to take it back)."""
        account_id = self._account_id(credentials, account_id)
        self._call(
            "POST",
            self._base(credentials),
            f"/api/v1/statuses/{external_id}/{'favourite' if liked else 'unfavourite'}",
            token=credentials.access_token,
            budgets=self._budgets(credentials, account_id),
        )

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        """Delete one of our own replies; Mastodon lets nobody delete other people's statuses."""
        account_id = self._account_id(credentials, account_id)
        try:
            status = self._json(
                self._get(credentials, account_id, f"/api/v1/statuses/{external_id}")
            )
        except ProviderError as exc:
            if exc.status == 404:
                return  # already gone
            raise
        if str((status.get("account") or {}).get("id")) != str(account_id):
            raise ProviderError(
                "Mastodon only lets an account delete its own posts; this reply belongs to someone else.",
                permanent=True,
                status=403,
                code="not_own_status",
            )
        self.delete_post(credentials, account_id, external_id)

    # --- Internals: inbox ------------------------------------------------------------------

    @staticmethod
    def _newest(response: httpx.Response, ids: list[str]) -> str | None:
        """The ``min_id`` for "only newer next time": the Link header's prev link, else the top id."""
        prev = response.links.get("prev", {}).get("url")
        if prev:
            query = parse_qs(urlsplit(prev).query)
            for name in ("min_id", "since_id"):
                if query.get(name):
                    return query[name][0]
        ids = [i for i in ids if i]
        return max(ids, key=_id_key) if ids else None

    @staticmethod
    def _inbox_item(status: dict[str, Any], account_id: str) -> InboxItem:
        author = status.get("account") or {}
        in_reply_to = str(status.get("in_reply_to_id") or "")
        if status.get("visibility") == "direct":
            kind = "dm"
        elif in_reply_to and str(status.get("in_reply_to_account_id")) == str(account_id):
            kind = "comment"
        else:
            kind = "mention"
        return InboxItem(
            external_id=str(status["id"]),
            kind=kind,
            text=html_to_text(status.get("content")),
            author_id=str(author.get("id") or ""),
            author_name=str(author.get("display_name") or author.get("username") or ""),
            author_handle=str(author.get("acct") or ""),
            created_at=_parse_time(status.get("created_at")),
            post_external_id=in_reply_to if kind == "comment" else "",
            parent_external_id=in_reply_to,
            permalink=str(status.get("url") or status.get("uri") or ""),
            raw=status,
        )
