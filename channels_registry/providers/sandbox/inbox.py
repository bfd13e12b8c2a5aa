"""Sandbox: the inbox: comments, mentions and messages, replies and moderation."""

from __future__ import annotations

import secrets

from django.utils import timezone

from ..base import (
    Credentials,
    InboxItem,
    InboxPage,
)
from ..errors import ContentRejected, ProviderError


class SandboxInbox:
    """Sandbox's inbox (a part of ``SandboxProvider``)."""

    # --- engagement -----------------------------------------------------------------------
    @staticmethod
    def _item(row, post_external_id: str = "") -> InboxItem:
        return InboxItem(
            external_id=row.external_id,
            kind=row.kind,
            text=row.text,
            author_id=row.author_id,
            author_name=row.author_name,
            author_handle=row.author_handle,
            created_at=row.created_at,
            post_external_id=post_external_id,
            parent_external_id=row.parent_external_id,
            thread_id=row.thread_id,
            is_hidden=row.is_hidden,
            raw={"language": row.language, "sentiment_hint": row.sentiment_hint},
        )

    def fetch_inbox(
        self, credentials: Credentials, account_id: str, cursor: str | None = None
    ) -> InboxPage:
        from ...models import SandboxInteraction

        channel = self._channel(credentials, account_id)
        rows = (
            SandboxInteraction.objects.for_org(channel.organization_id)
            .filter(channel=channel, from_account=False, deleted_at__isnull=True)
            .select_related("post")
            .order_by("pk")
        )
        if cursor:
            try:
                rows = rows.filter(pk__gt=int(cursor))
            except ValueError:
                raise ProviderError(
                    "The sandbox does not understand this cursor.", permanent=True
                ) from None
        page = list(rows[:100])
        items = [self._item(r, r.post.external_id if r.post else "") for r in page]
        return InboxPage(items=items, cursor=str(page[-1].pk) if page else cursor)

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        from ...models import SandboxInteraction

        channel = self._channel(credentials, account_id)
        if not text.strip():
            raise ContentRejected("A reply needs text.")
        if len(text) > self.capabilities.text_limit:
            raise ContentRejected(
                f"The reply is longer than {self.capabilities.text_limit} characters."
            )
        interactions = SandboxInteraction.objects.for_org(channel.organization_id)
        parent = interactions.filter(channel=channel, external_id=item.external_id).first()
        if parent is None:
            raise ProviderError(
                "The message being answered does not exist.", permanent=True, status=404
            )
        kind = (
            SandboxInteraction.Kind.DM
            if parent.kind == SandboxInteraction.Kind.DM
            else SandboxInteraction.Kind.REPLY
        )
        row = interactions.create(
            organization_id=channel.organization_id,
            channel=channel,
            post=parent.post,
            external_id="sbxr_" + secrets.token_hex(8),
            kind=kind,
            parent_external_id=parent.external_id,
            thread_id=parent.thread_id or parent.external_id,
            author_id=account_id,
            author_handle=channel.handle,
            author_name=channel.name,
            text=text,
            from_account=True,
        )
        return row.external_id

    def _comment(self, credentials: Credentials, account_id: str, external_id: str):
        from ...models import SandboxInteraction

        channel = self._channel(credentials, account_id)
        qs = SandboxInteraction.objects.for_org(channel.organization_id).filter(
            channel=channel, external_id=external_id
        )
        if not qs.exists():
            raise ProviderError("No such sandbox comment.", permanent=True, status=404)
        return qs

    def hide_comment(
        self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True
    ) -> None:
        self._comment(credentials, account_id, external_id).update(is_hidden=hidden)

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        self._comment(credentials, account_id, external_id).update(deleted_at=timezone.now())

    def like_comment(
        self, credentials: Credentials, account_id: str, external_id: str, liked: bool = True
    ) -> None:
        self._comment(credentials, account_id, external_id).update(is_liked=liked)
