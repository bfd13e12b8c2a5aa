"""Instagram: publishing, finding an earlier attempt again, deleting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..base import (
    Credentials,
    PublishRequest,
    PublishResult,
)
from ..errors import ContentRejected, ProviderError, RateLimited, TransientError, UnknownOutcome
from ..meta import (
    make_pending_ref,
    parse_time,
    split_pending_ref,
)
from .client import (
    HASHTAG,
    MAX_HASHTAGS,
    MAX_MENTIONS,
    MENTION,
    _source,
)


class InstagramPublishing:
    """Instagram's publishing: publish, find an earlier attempt again, delete (a part of ``InstagramProvider``)."""

    # --- publishing ----------------------------------------------------------------------------
    @staticmethod
    def _caption(request: PublishRequest) -> str:
        """Instagram has no link posts: a link is written at the end of the caption (not clickable)."""
        text = request.text or ""
        if request.link and request.link not in text:
            text = f"{text}\n\n{request.link}".strip()
        return text

    def _check_caption(self, caption: str) -> None:
        if len(caption) > self.capabilities.text_limit:
            raise ContentRejected(
                f"Instagram captions are limited to {self.capabilities.text_limit} characters."
            )
        if len(HASHTAG.findall(caption)) > MAX_HASHTAGS:
            raise ContentRejected(f"Instagram captions may have at most {MAX_HASHTAGS} hashtags.")
        if len(MENTION.findall(caption)) > MAX_MENTIONS:
            raise ContentRejected(
                f"Instagram captions may mention at most {MAX_MENTIONS} accounts."
            )

    def publishing_quota(self, credentials: Credentials, account_id: str) -> tuple[int, int]:
        """(used, total) of the rolling 24 h publishing quota (carousels count once)."""
        body = self.graph_get(
            self._api(credentials),
            f"{account_id}/content_publishing_limit",
            credentials.access_token,
            {"fields": "quota_usage,config"},
        )
        row = (body.get("data") or [{}])[0]
        total = int(
            (row.get("config") or {}).get("quota_total") or self.capabilities.daily_publish_cap or 0
        )
        return int(row.get("quota_usage") or 0), total

    def publish(
        self, credentials: Credentials, account_id: str, request: PublishRequest
    ) -> PublishResult:
        caption = self._caption(request)
        if request.format != "story":
            self._check_caption(caption)
        media = request.media
        if not media:
            raise ContentRejected("Instagram posts need a photo or a video.")
        if request.format in ("story", "reel") and len(media) != 1:
            raise ContentRejected(
                f"An Instagram {request.format} takes exactly one photo or video."
            )
        if request.format == "reel" and media[0].kind != "video":
            raise ContentRejected("An Instagram reel needs a video.")
        if len(media) > 10:
            raise ContentRejected("An Instagram carousel takes at most 10 photos and videos.")

        used, total = self.publishing_quota(credentials, account_id)
        if total and used >= total:
            # The quota is a moving 24 h window and the API does not say when the oldest post
            # leaves it: try again in an hour (configurable) rather than guess a reset time.
            raise RateLimited(
                f"Instagram's publishing limit is used up ({used} of {total} posts in 24 hours).",
                retry_after=float(self.config.extra.get("quota_retry_after", 3600)),
            )

        api, token = self._api(credentials), credentials.access_token
        if request.format == "story":
            container = self._container(
                api, token, account_id, {"media_type": "STORIES", **_source(media[0])}
            )
        elif request.format == "reel" or (len(media) == 1 and media[0].kind == "video"):
            # Feed videos are published as reels; media_type VIDEO is retired.
            container = self._container(
                api,
                token,
                account_id,
                {
                    "media_type": "REELS",
                    "video_url": media[0].url,
                    "caption": caption or None,
                    "share_to_feed": True,
                },
            )
        elif len(media) == 1:
            container = self._container(
                api,
                token,
                account_id,
                {
                    "image_url": media[0].url,
                    "caption": caption or None,
                    "alt_text": media[0].alt_text or None,
                },
            )
        else:
            children = []
            for item in media:
                child = {"is_carousel_item": True, **_source(item)}
                if item.kind == "video":
                    child["media_type"] = "VIDEO"
                children.append(self._container(api, token, account_id, child))
            container = self._container(
                api,
                token,
                account_id,
                {
                    "media_type": "CAROUSEL",
                    "children": ",".join(children),
                    "caption": caption or None,
                },
            )

        first_comment = request.first_comment if request.format != "story" else None
        pending_ref = make_pending_ref(container, first_comment)
        return self._advance(credentials, account_id, container, pending_ref, first_comment)

    def _container(self, api: str, token: str, account_id: str, body: dict[str, Any]) -> str:
        created = self.graph_post(api, f"{account_id}/media", token, body, publishing=True)
        if not created.get("id"):
            raise TransientError("Instagram created no media container.")
        return str(created["id"])

    def _advance(
        self,
        credentials: Credentials,
        account_id: str,
        container: str,
        pending_ref: str,
        first_comment: str | None,
    ) -> PublishResult:
        api, token = self._api(credentials), credentials.access_token
        state = self.graph_get(api, container, token, {"fields": "status_code,status"})
        code = state.get("status_code")
        if code == "FINISHED":
            return self._publish_container(credentials, account_id, container, first_comment)
        if code == "IN_PROGRESS" or code is None:
            return PublishResult(status="pending", pending_ref=pending_ref, raw=state)
        if code == "PUBLISHED":
            # Published by an earlier attempt whose answer we lost; the container does not name
            # the media, so the caller settles it with find_existing.
            raise UnknownOutcome(
                "Instagram already published this container; look the post up to settle it."
            )
        if code == "EXPIRED":
            raise ContentRejected(
                "Instagram's media container expired (not published within 24 hours)."
            )
        raise ContentRejected(
            f"Instagram could not process the media: {state.get('status') or code}."
        )

    def _publish_container(
        self, credentials: Credentials, account_id: str, container: str, first_comment: str | None
    ) -> PublishResult:
        api, token = self._api(credentials), credentials.access_token
        body = self.graph_post(
            api, f"{account_id}/media_publish", token, {"creation_id": container}, publishing=True
        )
        media_id = str(body.get("id") or "")
        if not media_id:
            raise UnknownOutcome("Instagram accepted media_publish but returned no media id.")
        result = PublishResult(
            status="published", external_id=media_id, raw={**body, "creation_id": container}
        )
        try:  # best effort: the post is out, a failed look-up must not fail the publish
            result.url = (
                self.graph_get(api, media_id, token, {"fields": "permalink"}).get("permalink") or ""
            )
        except ProviderError as exc:
            result.raw["permalink_error"] = exc.message
        if first_comment:
            try:
                comment = self.graph_post(
                    api, f"{media_id}/comments", token, {"message": first_comment}
                )
                result.first_comment_id = str(comment.get("id", ""))
            except ProviderError as exc:  # reported, never raised: the post itself succeeded
                result.raw["first_comment_error"] = exc.message
        return result

    def check_publish(
        self, credentials: Credentials, account_id: str, pending_ref: str
    ) -> PublishResult:
        container, first_comment = split_pending_ref(pending_ref)
        return self._advance(credentials, account_id, container, pending_ref, first_comment)

    def find_existing(
        self, credentials: Credentials, account_id: str, request: PublishRequest, since: datetime
    ) -> PublishResult | None:
        caption = self._caption(request).strip()
        if not caption:
            return None  # stories and caption-less posts cannot be told apart
        since_ts = int(since.timestamp()) - 60  # clock skew
        for media in self.graph_pages(
            self._api(credentials),
            f"{account_id}/media",
            credentials.access_token,
            {"fields": "id,caption,permalink,timestamp", "since": since_ts, "limit": 50},
        ):
            created = parse_time(media.get("timestamp"))
            if created is not None and created.timestamp() < since_ts:
                break
            if (media.get("caption") or "").strip() == caption:
                return PublishResult(
                    status="published",
                    external_id=str(media["id"]),
                    url=media.get("permalink") or "",
                    raw=media,
                )
        return None

    def delete_post(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        self.graph_delete(self._api(credentials), external_id, credentials.access_token)
