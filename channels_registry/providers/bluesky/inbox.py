"""Bluesky: the inbox: comments, mentions and messages, replies and moderation."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from ..base import (
    Credentials,
    InboxItem,
    InboxPage,
)
from ..errors import AuthExpired, ContentRejected, ProviderError, RateLimited
from .chat import SCOPE_REFUSED
from .client import (
    HIDDEN_REPLIES_MAX,
    INBOX_REASONS,
    POST,
    THREADGATE,
    AtUri,
    _now_iso,
    _parse_dt,
)

#: the collection of like records
LIKE = "app.bsky.feed.like"
log = logging.getLogger(__name__)


class BlueskyInbox:
    """Bluesky's inbox (a part of ``BlueskyProvider``)."""

    # ===== Engagement ======================================================================================

    def fetch_inbox(
        self, credentials: Credentials, account_id: str, cursor: str | None = None
    ) -> InboxPage:
        """Replies, mentions and quotes newer than ``cursor``, and direct messages (``chat.py``)
        where the session may read them.

        listNotifications pages from newest to oldest; we walk back until we meet what the last
        call already returned, and hand out a cursor holding the newest ``indexedAt`` seen (plus
        the URIs at that instant, so ties are neither lost nor repeated) and each conversation's
        latest ``rev``.
        """
        did = self._did(credentials, account_id)
        state = self._decode_inbox_cursor(cursor)
        after, seen_uris = _parse_dt(state.get("after")), set(state.get("uris") or [])
        items: list[InboxItem] = []
        newest = after
        newest_uris: set[str] = set(seen_uris)
        page_cursor: str | None = None
        for _ in range(int(self.config.extra.get("inbox_max_pages", 5))):
            params: dict[str, Any] = {"limit": 100, "reasons": list(INBOX_REASONS)}
            if page_cursor:
                params["cursor"] = page_cursor
            if after:
                params["seenAt"] = after.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            page = self._xrpc(
                credentials, "GET", "app.bsky.notification.listNotifications", params=params
            )
            notifications = page.get("notifications") or []
            reached_seen = False
            for note in notifications:
                indexed = _parse_dt(note.get("indexedAt"))
                if (
                    after
                    and indexed
                    and (indexed < after or (indexed == after and note.get("uri") in seen_uris))
                ):
                    reached_seen = True
                    continue
                if note.get("reason") not in INBOX_REASONS:
                    continue
                items.append(self._inbox_item(did, note))
                if indexed and (newest is None or indexed > newest):
                    newest, newest_uris = indexed, {note.get("uri", "")}
                elif indexed and indexed == newest:
                    newest_uris.add(note.get("uri", ""))
            page_cursor = page.get("cursor")
            if reached_seen or not page_cursor or not notifications:
                break
        if newest:
            state["after"] = newest.isoformat()
            state["uris"] = sorted(u for u in newest_uris if u)
        items.extend(self._poll_direct_messages(credentials, did, state))
        return InboxPage(items=items, cursor=self._encode_inbox_cursor(state) if state else cursor)

    def _poll_direct_messages(
        self, credentials: Credentials, did: str, state: dict[str, Any]
    ) -> list[InboxItem]:
        """New DMs, with ``state`` (the cursor's) brought forward. Skipped without a word when the
        session may not read chat; a refusal we only learn from the network is remembered in the
        cursor for ``dm_recheck_hours`` (6), so a poll does not ask again every minute."""
        if not self.config.extra.get("direct_messages", True):
            return []
        if self.chat_access(credentials) is False:
            return []
        off = _parse_dt(state.get("dm_off"))
        recheck = timedelta(hours=float(self.config.extra.get("dm_recheck_hours", 6)))
        if off and datetime.now(UTC) - off < recheck:
            return []
        known = state.get("dm") if isinstance(state.get("dm"), dict) else None
        try:
            items, revs = self._dm_items(credentials, did, known)
        except (RateLimited, AuthExpired):
            raise  # the account's budget and session are shared with comments: the poll waits
        except ProviderError as exc:
            if exc.code == SCOPE_REFUSED:
                log.info("Bluesky chat is not allowed for %s; DMs are not read.", did)
                state["dm_off"] = datetime.now(UTC).isoformat()
            else:
                log.warning("Bluesky chat could not be read for %s: %s", did, exc.message)
            return []  # comments and mentions still go through
        state.pop("dm_off", None)
        state["dm"] = revs
        return items

    @staticmethod
    def _encode_inbox_cursor(state: dict[str, Any]) -> str:
        payload = {"v": 1, **state}
        return base64.urlsafe_b64encode(
            json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        ).decode()

    @staticmethod
    def _decode_inbox_cursor(cursor: str | None) -> dict[str, Any]:
        """The cursor's state: ``after``/``uris`` (notifications), ``dm`` (convo id → rev) and
        ``dm_off`` (when chat was last refused); an unreadable cursor starts afresh."""
        if not cursor:
            return {}
        try:
            payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (ValueError, TypeError):
            return {}
        if not isinstance(payload, dict):
            return {}
        payload.pop("v", None)
        return payload

    def _inbox_item(self, did: str, note: dict[str, Any]) -> InboxItem:
        record = note.get("record") or {}
        reply = record.get("reply") or {}
        root_uri = (reply.get("root") or {}).get("uri", "")
        parent_uri = (reply.get("parent") or {}).get("uri", "")
        reason = note.get("reason")
        author = note.get("author") or {}
        uri = note.get("uri", "")
        if reason == "reply":
            kind = "comment" if parent_uri.startswith(f"at://{did}/") else "reply"
            post_id = (
                root_uri
                if root_uri.startswith(f"at://{did}/")
                else (note.get("reasonSubject") or root_uri)
            )
        elif reason == "quote":
            kind, post_id = "mention", note.get("reasonSubject") or ""
        else:
            kind, post_id = "mention", root_uri if root_uri.startswith(f"at://{did}/") else ""
        handle = author.get("handle") or author.get("did", "")
        rkey = uri.rsplit("/", 1)[-1] if uri else ""
        return InboxItem(
            external_id=uri,
            kind=kind,
            text=record.get("text", ""),
            author_id=author.get("did", ""),
            author_name=author.get("displayName") or handle,
            author_handle=handle,
            created_at=_parse_dt(record.get("createdAt")) or _parse_dt(note.get("indexedAt")),
            post_external_id=post_id,
            parent_external_id=parent_uri,
            thread_id=root_uri or uri,
            permalink=f"{self.urls['web']}/profile/{handle}/post/{rkey}" if rkey else "",
            raw=note,
        )

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        if item.kind == "dm":
            return self.send_direct_message(credentials, item, text)
        self._check_text(text)
        did = self._did(credentials, account_id)
        parent_uri = item.external_id
        # Always ask: the PDS writes a reply to a deleted post without complaint (it checks the
        # record's shape, not that its parent exists: packages/pds/src/repo/prepare.ts), and
        # nobody would ever see that answer.
        view = self._get_posts(credentials, [parent_uri]).get(parent_uri)
        if view is None:
            raise ContentRejected(
                "That Bluesky post no longer exists, so the reply was not sent.",
                code="ParentDeleted",
            )
        cid, record = view.get("cid"), view.get("record") or {}
        parent = {"uri": parent_uri, "cid": cid}
        root = (record.get("reply") or {}).get("root") or parent
        created = self._post_reply(
            credentials, did, text, root={"uri": root["uri"], "cid": root["cid"]}, parent=parent
        )
        return created["uri"]

    def _post_reply(
        self,
        credentials: Credentials,
        did: str,
        text: str,
        *,
        root: dict[str, str],
        parent: dict[str, str],
        rkey: str | None = None,
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "$type": POST,
            "text": text,
            "createdAt": _now_iso(),
            "reply": {"root": root, "parent": parent},
        }
        facets = self._facets(credentials, text)
        if facets:
            record["facets"] = facets
        langs = self.config.extra.get("langs")
        if langs:
            record["langs"] = list(langs)[:3]
        return self._create_post(credentials, did, record, rkey)

    def hide_comment(
        self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True
    ) -> None:
        """Add (or remove) the reply in the root post's threadgate ``hiddenReplies``.

        Only the author of the thread's root post can hide replies in it, so the root must be one
        of this account's posts. Any reply rules already on the threadgate (``allow``) are kept.
        """
        did = self._did(credentials, account_id)
        view = self._get_posts(credentials, [external_id]).get(external_id)
        if view is None:
            raise ContentRejected("That Bluesky reply no longer exists.")
        root_uri = (((view.get("record") or {}).get("reply") or {}).get("root") or {}).get("uri")
        if not root_uri:
            raise ContentRejected(
                "Only replies can be hidden on Bluesky; this post is not a reply."
            )
        root = AtUri.parse(root_uri)
        if root.repo != did:
            raise ContentRejected("Bluesky only lets the author of a thread hide replies in it.")
        gate = self._get_record(credentials, did, THREADGATE, root.rkey)
        value = dict(gate["value"]) if gate else {}
        current = [u for u in value.get("hiddenReplies") or [] if isinstance(u, str)]
        if hidden:
            if external_id in current:
                return
            if len(current) >= HIDDEN_REPLIES_MAX:
                raise ContentRejected(
                    f"Bluesky hides at most {HIDDEN_REPLIES_MAX} replies per thread."
                )
            wanted = [*current, external_id]
        else:
            if external_id not in current:
                return
            wanted = [u for u in current if u != external_id]
        if gate is None:
            record = {
                "$type": THREADGATE,
                "post": root_uri,
                "createdAt": _now_iso(),
                "hiddenReplies": wanted,
            }
            self._xrpc(
                credentials,
                "POST",
                "com.atproto.repo.createRecord",
                write=True,
                json={"repo": did, "collection": THREADGATE, "rkey": root.rkey, "record": record},
            )
            return
        value.update(
            {"$type": THREADGATE, "post": value.get("post") or root_uri, "hiddenReplies": wanted}
        )
        value.setdefault("createdAt", _now_iso())
        self._xrpc(
            credentials,
            "POST",
            "com.atproto.repo.putRecord",
            write=True,
            json={
                "repo": did,
                "collection": THREADGATE,
                "rkey": root.rkey,
                "record": value,
                "swapRecord": gate.get("cid"),
            },
        )

    def like_comment(
        self, credentials: Credentials, account_id: str, external_id: str, liked: bool = True
    ) -> None:
        """A like is a record in the account's repo: ``app.bsky.feed.like {subject:{uri,cid}}``
        (created with ``createRecord``); taking it back deletes that record, found in the post's
        ``viewer.like`` (``app.bsky.feed.getPosts``)."""
        did = self._did(credentials, account_id)
        view = self._get_posts(credentials, [external_id]).get(external_id)
        if view is None:
            raise ContentRejected("That Bluesky post no longer exists.")
        mine = (view.get("viewer") or {}).get("like")
        if liked:
            if mine:
                return  # already liked
            record = {
                "$type": LIKE,
                "subject": {"uri": external_id, "cid": view.get("cid")},
                "createdAt": _now_iso(),
            }
            self._xrpc(
                credentials,
                "POST",
                "com.atproto.repo.createRecord",
                write=True,
                json={"repo": did, "collection": LIKE, "record": record},
            )
            return
        if not mine:
            return  # not liked
        like = AtUri.parse(mine)
        self._xrpc(
            credentials,
            "POST",
            "com.atproto.repo.deleteRecord",
            write=True,
            json={"repo": did, "collection": LIKE, "rkey": like.rkey},
        )

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        did = self._did(credentials, account_id)
        uri = AtUri.parse(external_id)
        if uri.repo != did:
            raise ContentRejected(
                "Bluesky does not let you delete other people's replies; hide the reply instead."
            )
        self._xrpc(
            credentials,
            "POST",
            "com.atproto.repo.deleteRecord",
            json={"repo": did, "collection": uri.collection, "rkey": uri.rkey},
            write=True,
        )
