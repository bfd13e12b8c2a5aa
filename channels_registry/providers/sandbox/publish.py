"""Sandbox: publishing, finding an earlier attempt again, deleting."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.utils import timezone

from ..base import (
    Credentials,
    PublishRequest,
    PublishResult,
)
from ..errors import ContentRejected, ProviderError
from .client import (
    post_url,
)


class SandboxPublishing:
    """Sandbox's publishing: publish, find an earlier attempt again, delete (a part of ``SandboxProvider``)."""

    # --- publishing -----------------------------------------------------------------------
    @staticmethod
    def _result(post, channel) -> PublishResult:
        return PublishResult(
            status="published",
            external_id=post.external_id,
            url=post_url(channel, post.external_id),
        )

    def publish(
        self, credentials: Credentials, account_id: str, request: PublishRequest
    ) -> PublishResult:
        from ...models import SandboxInteraction, SandboxPost

        channel = self._channel(credentials, account_id)
        if len(request.text) > self.capabilities.text_limit:
            raise ContentRejected(
                f"The text is longer than {self.capabilities.text_limit} characters."
            )
        if not request.text.strip() and not request.media:
            raise ContentRejected("A post needs text or media.")
        if len([m for m in request.media if m.kind == "image"]) > self.capabilities.max_images:
            raise ContentRejected(f"At most {self.capabilities.max_images} images per post.")
        posts = SandboxPost.objects.for_org(channel.organization_id)
        if request.idempotency_key:
            existing = posts.filter(
                channel=channel, idempotency_key=request.idempotency_key
            ).first()
            if existing is not None:
                return self._result(existing, channel)
        post = posts.create(
            organization_id=channel.organization_id,
            channel=channel,
            external_id="sbxp_" + secrets.token_hex(8),
            text=request.text,
            link=request.link or "",
            media_count=len(request.media),
            format=request.format,
            idempotency_key=request.idempotency_key or "",
        )
        result = self._result(post, channel)
        if request.first_comment:
            comment = SandboxInteraction.objects.create(
                organization_id=channel.organization_id,
                channel=channel,
                post=post,
                external_id="sbxc_" + secrets.token_hex(8),
                kind=SandboxInteraction.Kind.COMMENT,
                author_id=account_id,
                author_handle=channel.handle,
                author_name=channel.name,
                text=request.first_comment,
                from_account=True,
            )
            result.first_comment_id = comment.external_id
        return result

    def check_publish(
        self, credentials: Credentials, account_id: str, pending_ref: str
    ) -> PublishResult:
        from ...models import SandboxPost

        channel = self._channel(credentials, account_id)
        post = (
            SandboxPost.objects.for_org(channel.organization_id)
            .filter(channel=channel, external_id=pending_ref)
            .first()
        )
        if post is None:
            raise ProviderError("No such sandbox post.", permanent=True, status=404)
        return self._result(post, channel)

    def find_existing(
        self, credentials: Credentials, account_id: str, request: PublishRequest, since: datetime
    ) -> PublishResult | None:
        from ...models import SandboxPost

        channel = self._channel(credentials, account_id)
        posts = SandboxPost.objects.for_org(channel.organization_id).filter(
            channel=channel, created_at__gte=since, deleted_at__isnull=True
        )
        if request.idempotency_key:
            posts = posts.filter(idempotency_key=request.idempotency_key)
        else:
            posts = posts.filter(text=request.text)
        post = posts.first()
        return self._result(post, channel) if post else None

    def delete_post(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        from ...models import SandboxPost

        channel = self._channel(credentials, account_id)
        updated = (
            SandboxPost.objects.for_org(channel.organization_id)
            .filter(channel=channel, external_id=external_id)
            .update(deleted_at=timezone.now())
        )
        if not updated:
            raise ProviderError("No such sandbox post.", permanent=True, status=404)
