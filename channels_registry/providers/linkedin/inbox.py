"""LinkedIn: the inbox: comments, mentions and messages, replies and moderation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ..base import (
    Credentials,
    InboxItem,
    InboxPage,
)
from ..errors import (
    ContentRejected,
    ProviderError,
    UnknownOutcome,
)
from .client import (
    _COMMENT_URN,
    _enc,
    _from_ms,
    _int,
)


class LinkedInInbox:
    """LinkedIn's inbox (a part of ``LinkedInProvider``)."""

    # --- comments ---------------------------------------------------------------------------
    @staticmethod
    def _comment_urn(comment: dict[str, Any], target: str) -> str:
        urn = comment.get("commentUrn") or comment.get("$URN")
        if urn:
            return str(urn)
        obj = comment.get("object") or target
        return f"urn:li:comment:({obj},{comment.get('id')})"

    def _create_comment(
        self,
        credentials: Credentials,
        org: str,
        target: str,
        obj: str,
        text: str,
        parent: str | None = None,
    ) -> str:
        body: dict[str, Any] = {"actor": org, "object": obj, "message": {"text": text}}
        if parent:
            body["parentComment"] = parent
        response = self._rest(
            "POST",
            f"socialActions/{_enc(target)}/comments",
            credentials,
            json_body=body,
            ok=(200, 201),
            extra_headers={"Content-Type": "application/json"},
            on_403=ContentRejected,
        )
        data: dict[str, Any] = {}
        if response.content:
            try:
                parsed = response.json()
                data = parsed if isinstance(parsed, dict) else {}
            except ValueError:
                data = {}
        if data.get("commentUrn") or data.get("$URN"):
            return str(data.get("commentUrn") or data.get("$URN"))
        comment_id = data.get("id") or response.headers.get("x-restli-id")
        if not comment_id:
            raise UnknownOutcome("LinkedIn accepted the comment but did not say its id.")
        if str(comment_id).startswith("urn:li:comment:"):
            return str(comment_id)
        return f"urn:li:comment:({data.get('object') or obj},{comment_id})"

    def _comments(
        self, credentials: Credentials, target: str, *, max_pages: int | None = None
    ) -> list[dict[str, Any]]:
        page_size = int(self._opt("comments_page_size", 50))
        pages = max_pages or int(self._opt("comments_max_pages", 10))
        out: list[dict[str, Any]] = []
        start = 0
        for _ in range(pages):
            data = self._get_json(
                f"socialActions/{_enc(target)}/comments",
                credentials,
                query=f"start={start}&count={page_size}",
            )
            elements = [c for c in (data.get("elements") or []) if isinstance(c, dict)]
            out.extend(elements)
            total = _int((data.get("paging") or {}).get("total"))
            start += len(elements)
            if (
                not elements
                or (total is not None and start >= total)
                or (total is None and len(elements) < page_size)
            ):
                break
        return out

    def _inbox_item(
        self, comment: dict[str, Any], post_urn: str, kind: str, parent: str = ""
    ) -> InboxItem:
        urn = self._comment_urn(comment, post_urn)
        created = comment.get("created") or {}
        parent_urn = str(comment.get("parentComment") or parent or "")
        web = self.urls["web"].rstrip("/")
        return InboxItem(
            external_id=urn,
            kind=kind,
            text=str((comment.get("message") or {}).get("text") or ""),
            author_id=str(comment.get("actor") or created.get("actor") or ""),
            created_at=_from_ms(created.get("time")),
            post_external_id=post_urn,
            parent_external_id=parent_urn,
            thread_id=parent_urn or urn,
            permalink=f"{web}/feed/update/{post_urn}/?commentUrn={_enc(urn)}",
            raw=comment,
        )

    def fetch_inbox(
        self, credentials: Credentials, account_id: str, cursor: str | None = None
    ) -> InboxPage:
        """Comments (and replies to them) on the page's recent posts, newer than the cursor.

        The cursor is the newest comment time seen (ms); LinkedIn has no mentions-by-poll for
        comments beyond this, and no DM API for pages.
        """
        org = self._org_urn(account_id)
        since = 0
        if cursor and cursor.startswith("t:"):
            since = _int(cursor[2:]) or 0
        newest = since
        items: list[InboxItem] = []
        posts = self._recent_posts(credentials, org, int(self._opt("inbox_posts", 10)))
        for post in posts:
            post_urn = str(post.get("id") or "")
            if not post_urn:
                continue
            for comment in self._comments(credentials, post_urn):
                created = _int((comment.get("created") or {}).get("time")) or 0
                newest = max(newest, created)
                comment_urn = self._comment_urn(comment, post_urn)
                if created > since and comment.get("actor") != org:
                    items.append(self._inbox_item(comment, post_urn, "comment"))
                replies = (
                    _int((comment.get("commentsSummary") or {}).get("totalFirstLevelComments")) or 0
                )
                if replies:
                    for reply in self._comments(credentials, comment_urn, max_pages=2):
                        r_created = _int((reply.get("created") or {}).get("time")) or 0
                        newest = max(newest, r_created)
                        if r_created > since and reply.get("actor") != org:
                            items.append(
                                self._inbox_item(reply, post_urn, "reply", parent=comment_urn)
                            )
        items.sort(key=lambda i: i.created_at or datetime.min.replace(tzinfo=UTC))
        return InboxPage(items=items, cursor=f"t:{newest}")

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        if item.kind == "dm":
            raise ContentRejected("LinkedIn has no messaging API for organization pages.")
        org = self._org_urn(account_id)
        # LinkedIn nests one level: a reply to a reply goes under the same top-level comment.
        parent = (
            item.parent_external_id
            if item.kind == "reply" and item.parent_external_id
            else item.external_id
        )
        match = _COMMENT_URN.match(parent)
        if not match:
            raise ContentRejected(f"Not a LinkedIn comment URN: {parent!r}")
        obj = (
            str(item.raw.get("object") or match.group("target"))
            if item.raw
            else match.group("target")
        )
        return self._create_comment(credentials, org, parent, obj, text, parent=parent)

    def hide_comment(
        self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True
    ) -> None:
        raise ProviderError(
            "LinkedIn's API cannot hide comments; delete the page's own comments instead.",
            permanent=True,
        )

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        match = _COMMENT_URN.match(external_id)
        if not match:
            raise ContentRejected(f"Not a LinkedIn comment URN: {external_id!r}")
        org = self._org_urn(account_id)
        self._rest(
            "DELETE",
            f"socialActions/{_enc(match.group('target'))}/comments/{quote(match.group('id'), safe='')}",
            credentials,
            query=f"actor={_enc(org)}",
            ok=(200, 204),
            allow_404=True,
            on_403=ContentRejected,
        )

    def like_comment(
        self, credentials: Credentials, account_id: str, external_id: str, liked: bool = True
    ) -> None:
        """Like a comment as the organization through the Reactions API (which replaces the likes
        of ``socialActions``): ``POST /rest/reactions?actor=<org>`` with ``{"root": <comment>,
        "reactionType": "LIKE"}``; take it back with ``DELETE /rest/reactions/(actor:<org>,
        entity:<comment>)`` (a reaction already gone is done)."""
        if not _COMMENT_URN.match(external_id):
            raise ContentRejected(f"Not a LinkedIn comment URN: {external_id!r}")
        org = self._org_urn(account_id)
        if liked:
            self._rest(
                "POST",
                "reactions",
                credentials,
                query=f"actor={_enc(org)}",
                json_body={"root": external_id, "reactionType": "LIKE"},
                # 409: a reaction of the organization is there already, which is what was asked
                ok=(200, 201, 409),
                extra_headers={"Content-Type": "application/json"},
                on_403=ContentRejected,
            )
            return
        self._rest(
            "DELETE",
            f"reactions/(actor:{_enc(org)},entity:{_enc(external_id)})",
            credentials,
            ok=(200, 204),
            allow_404=True,
            on_403=ContentRejected,
        )
