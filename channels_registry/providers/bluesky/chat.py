"""Bluesky: direct messages (Bluesky chat, ``chat.bsky.convo.*``).

Chat is not served by the PDS: the PDS proxies each call to the chat service named in the
``atproto-proxy`` header (``did:web:api.bsky.chat#bsky_chat``), signing it with a service token for
the account (packages/pds/src/pipethrough.ts). Every ``chat.bsky.*`` method is *privileged*: an
app password made without "Allow access to your direct messages" (session scope
``com.atproto.appPass``) is refused with 400 ``InvalidToken`` "Bad token method", an atproto OAuth
session without ``transition:chat.bsky`` with 403 ``ScopeMissingError``. Such an account keeps its
comments and mentions; its DMs are simply not read (``chat_access``).

Reading: ``listConvos`` pages conversations by latest activity; a conversation whose ``rev`` has
not moved since the last poll (the inbox cursor keeps each conversation's ``rev``) ends the walk.
For each moved one, ``getMessages`` pages its messages newest first down to the stored ``rev``
(message revs and conversation revs come from the same ordered log). A conversation seen for the
first time is read back ``dm_backfill`` messages (50). The very first poll of an account reads only
its ``dm_backfill_convos`` (20) most recently active conversations: an older one comes in when it
moves again. Messages the account sent itself and deleted ones (``#deletedMessageView``: Bluesky
has no unsend; that is a message this account deleted for itself) are not inbox items.

Answering: ``sendMessage`` to the conversation (its id is the inbox thread), or, for an item without
one, ``getConvoForMembers`` first. Text: ``maxGraphemes`` 1,000 and ``maxLength`` 10,000
(lexicons/chat/bsky/convo/defs.json ``#messageInput``).
"""

from __future__ import annotations

import logging
from typing import Any

from ..base import Credentials, InboxItem
from ..errors import ContentRejected, ProviderError, UnknownOutcome
from ..text import count_graphemes
from .client import _parse_dt

log = logging.getLogger(__name__)

CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
DM_GRAPHEMES = 1000
DM_CHARS = 10000
#: the error code the client gives a call the session's scope does not allow (see client._raise_for)
SCOPE_REFUSED = "ScopeMissing"
#: session scopes (the ``scope`` claim of a session JWT) that reach chat, and the one that does not
PRIVILEGED_SCOPES = {"com.atproto.access", "com.atproto.appPassPrivileged"}
UNPRIVILEGED_SCOPES = {"com.atproto.appPass"}
#: conversations whose rev the cursor keeps at most (the most recently active ones)
KEPT_CONVOS = 500


class BlueskyChat:
    """Bluesky's direct messages (a part of ``BlueskyProvider``)."""

    @staticmethod
    def chat_access(credentials: Credentials) -> bool | None:
        """Do these credentials reach Bluesky chat? From the session's own scope: ``False`` for an
        app password without DM access or an OAuth grant without ``transition:chat.bsky``, ``True``
        for a privileged one, ``None`` when the scope does not say (ask the network)."""
        scopes = set(credentials.scopes)
        if "atproto" in scopes:  # atproto OAuth
            return "transition:chat.bsky" in scopes or any(
                s.startswith("rpc:chat.bsky.") for s in scopes
            )
        if scopes & PRIVILEGED_SCOPES:
            return True
        if scopes & UNPRIVILEGED_SCOPES:
            return False
        return None

    def _chat(
        self,
        credentials: Credentials,
        method: str,
        nsid: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        return self._xrpc(
            credentials,
            method,
            nsid,
            params=params,
            json=json,
            headers={"atproto-proxy": CHAT_PROXY},
            write=method == "POST",
        )

    def _dm_items(
        self, credentials: Credentials, did: str, known: dict[str, str] | None
    ) -> tuple[list[InboxItem], dict[str, str]]:
        """New messages from others in every conversation that moved since ``known`` (convo id →
        rev; ``None`` on the account's first poll); returns them (oldest first) and the revs to keep."""
        extra = self.config.extra
        first_poll = known is None
        known = known or {}
        max_pages = 1 if first_poll else max(1, int(extra.get("dm_max_pages", 3)))
        limit = min(100, max(1, int(extra.get("dm_backfill_convos", 20)))) if first_poll else 50
        revs = dict(known)
        items: list[InboxItem] = []
        params: dict[str, Any] = {"limit": limit}
        for _ in range(max_pages):
            page = self._chat(credentials, "GET", "chat.bsky.convo.listConvos", params=params)
            convos = [c for c in page.get("convos") or [] if isinstance(c, dict) and c.get("id")]
            reached_known = False
            for convo in convos:
                convo_id, rev = str(convo["id"]), str(convo.get("rev") or "")
                if rev and known.get(convo_id) == rev:
                    reached_known = True  # sorted by activity: the rest has not moved either
                    break
                items.extend(self._convo_items(credentials, did, convo, known.get(convo_id)))
                if rev:
                    revs[convo_id] = rev
            cursor = page.get("cursor")
            if reached_known or not cursor or not convos:
                break
            params["cursor"] = cursor
        if len(revs) > KEPT_CONVOS:
            revs = dict(sorted(revs.items(), key=lambda kv: kv[1], reverse=True)[:KEPT_CONVOS])
        items.sort(key=lambda i: (i.created_at is None, i.created_at, i.external_id))
        return items, revs

    def _convo_items(
        self, credentials: Credentials, did: str, convo: dict[str, Any], since_rev: str | None
    ) -> list[InboxItem]:
        extra = self.config.extra
        max_pages = max(1, int(extra.get("dm_max_pages", 3)))
        backfill = max(1, int(extra.get("dm_backfill", 50)))
        convo_id = str(convo["id"])
        profiles = {
            p["did"]: p for p in convo.get("members") or [] if isinstance(p, dict) and p.get("did")
        }
        items: list[InboxItem] = []
        params: dict[str, Any] = {"convoId": convo_id, "limit": min(100, backfill)}
        read = 0
        for _ in range(max_pages):
            page = self._chat(credentials, "GET", "chat.bsky.convo.getMessages", params=params)
            for profile in page.get("relatedProfiles") or []:
                if isinstance(profile, dict) and profile.get("did"):
                    profiles.setdefault(profile["did"], profile)
            messages = [m for m in page.get("messages") or [] if isinstance(m, dict)]
            reached_seen = False
            for message in messages:  # newest first
                rev = str(message.get("rev") or "")
                if since_rev and rev and rev <= since_rev:
                    reached_seen = True
                    break
                read += 1
                if since_rev is None and read > backfill:
                    reached_seen = True
                    break
                item = self._dm_item(did, convo_id, message, profiles)
                if item is not None:
                    items.append(item)
            cursor = page.get("cursor")
            if reached_seen or not cursor or not messages:
                break
            params["cursor"] = cursor
        return items

    def _dm_item(
        self,
        did: str,
        convo_id: str,
        message: dict[str, Any],
        profiles: dict[str, dict[str, Any]],
    ) -> InboxItem | None:
        kind = str(message.get("$type") or "")
        sender = str((message.get("sender") or {}).get("did") or "")
        if (
            kind.endswith(("#deletedMessageView", "#systemMessageView"))
            or "text" not in message
            or not message.get("id")
            or not sender
            or sender == did
        ):
            return None
        profile = profiles.get(sender, {})
        handle = profile.get("handle") or sender
        return InboxItem(
            external_id=str(message["id"]),
            kind="dm",
            text=str(message.get("text") or ""),
            author_id=sender,
            author_name=profile.get("displayName") or handle,
            author_handle=handle,
            created_at=_parse_dt(message.get("sentAt")),
            thread_id=convo_id,
            permalink=f"{self.urls['web']}/messages/{convo_id}",
            raw={"convoId": convo_id, **message},
        )

    def send_direct_message(self, credentials: Credentials, item: InboxItem, text: str) -> str:
        """Answer ``item`` in its conversation; returns the new message's id."""
        if count_graphemes(text) > DM_GRAPHEMES or len(text) > DM_CHARS:
            raise ContentRejected(
                f"Bluesky direct messages are limited to {DM_GRAPHEMES:,} characters."
            )
        convo_id = item.thread_id
        if not convo_id:
            if not item.author_id:
                raise ContentRejected("This message names neither a conversation nor its sender.")
            found = self._chat(
                credentials,
                "GET",
                "chat.bsky.convo.getConvoForMembers",
                params={"members": [item.author_id]},
            )
            convo_id = str((found.get("convo") or {}).get("id") or "")
            if not convo_id:
                raise ProviderError("Bluesky answered without a conversation.", permanent=True)
        sent = self._chat(
            credentials,
            "POST",
            "chat.bsky.convo.sendMessage",
            json={"convoId": convo_id, "message": {"text": text}},
        )
        message_id = sent.get("id")
        if not message_id:
            raise UnknownOutcome("Bluesky answered without the message id; it may have been sent.")
        return str(message_id)
