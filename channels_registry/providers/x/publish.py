"""X: publishing, finding an earlier attempt again, deleting."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from ...http import Budget
from ..base import (
    Credentials,
    MediaItem,
    PublishRequest,
    PublishResult,
)
from ..errors import (
    ContentRejected,
    ProviderError,
    TransientError,
    UnknownOutcome,
)
from .client import (
    DEFAULT_CHUNK_BYTES,
    GIF_MAX_BYTES,
    IMAGE_MAX_BYTES,
    VIDEO_MAX_BYTES,
    _comparable,
    _iso,
    _parse_time,
    log,
    snowflake_time,
)


class XPublishing:
    """X's publishing: publish, find an earlier attempt again, delete (a part of ``XProvider``)."""

    # --- Publishing ----------------------------------------------------------------------------
    def _compose_text(self, request: PublishRequest) -> str:
        text = request.text or ""
        if request.link and request.link not in text:
            text = f"{text.rstrip()}\n\n{request.link}" if text.strip() else request.link
        return text

    def _validate_media(self, media: list[MediaItem]) -> None:
        videos = [m for m in media if m.kind == "video"]
        gifs = [m for m in media if m.kind == "image" and m.mime_type == "image/gif"]
        images = [m for m in media if m.kind == "image" and m.mime_type != "image/gif"]
        if any(m.kind not in ("image", "video") for m in media):
            raise ContentRejected("X accepts images, GIFs and videos only.")
        if (videos or gifs) and len(media) > 1:
            raise ContentRejected(
                "X allows one video or one GIF per post, not combined with other media."
            )
        if len(images) > self.capabilities.max_images:
            raise ContentRejected(
                f"X allows at most {self.capabilities.max_images} images per post."
            )
        for m in images:
            if m.size_bytes and m.size_bytes > IMAGE_MAX_BYTES:
                raise ContentRejected("X accepts images up to 5 MB.")
        for m in gifs:
            if m.size_bytes and m.size_bytes > GIF_MAX_BYTES:
                raise ContentRejected("X accepts GIFs up to 15 MB.")
        for m in videos:
            if m.size_bytes and m.size_bytes > VIDEO_MAX_BYTES:
                raise ContentRejected("X accepts videos up to 512 MB.")
            if m.duration_seconds is not None and not 0.5 <= m.duration_seconds <= 140:
                raise ContentRejected("X accepts videos from 0.5 to 140 seconds long.")
            if m.width and m.height and not 1 / 3 <= m.width / m.height <= 3:
                raise ContentRejected("X accepts video aspect ratios between 1:3 and 3:1.")

    def _media_bytes(self, item: MediaItem) -> bytes:
        if item.read is not None:
            return item.read()
        response = self.http.get(item.url)
        if response.status_code != 200:
            raise TransientError(
                f"Could not read the media file to upload (HTTP {response.status_code})."
            )
        return response.content

    def _upload(self, credentials: Credentials, item: MediaItem) -> str:
        blob = self._media_bytes(item)
        is_gif = item.mime_type == "image/gif"
        if item.kind == "image" and not is_gif:
            if len(blob) > IMAGE_MAX_BYTES:
                raise ContentRejected("X accepts images up to 5 MB.")
            body = self._call(
                credentials,
                "POST",
                "/2/media/upload",
                files={"media": ("media", blob, item.mime_type)},
                data={"media_category": "tweet_image", "media_type": item.mime_type},
            )
            media_id = str((body.get("data") or {}).get("id") or "")
            if not media_id:
                raise TransientError("X accepted the image upload but returned no media id.")
        else:
            media_id = self._upload_chunked(
                credentials, blob, item.mime_type, "tweet_gif" if is_gif else "tweet_video"
            )
        if item.alt_text:
            self._call(
                credentials,
                "POST",
                "/2/media/metadata",
                json={"id": media_id, "metadata": {"alt_text": {"text": item.alt_text[:1000]}}},
            )
        return media_id

    def _upload_chunked(
        self, credentials: Credentials, blob: bytes, mime_type: str, category: str
    ) -> str:
        init = self._call(
            credentials,
            "POST",
            "/2/media/upload/initialize",
            json={"media_type": mime_type, "total_bytes": len(blob), "media_category": category},
        )
        media_id = str((init.get("data") or {}).get("id") or "")
        if not media_id:
            raise TransientError("X did not return a media id for the upload.")
        chunk = int(self._extra("chunk_size", DEFAULT_CHUNK_BYTES))
        for index, offset in enumerate(range(0, len(blob), chunk)):
            self._call(
                credentials,
                "POST",
                f"/2/media/upload/{media_id}/append",
                files={
                    "media": ("chunk", blob[offset : offset + chunk], "application/octet-stream")
                },
                data={"segment_index": str(index)},
            )
        final = self._call(credentials, "POST", f"/2/media/upload/{media_id}/finalize")
        info = (final.get("data") or {}).get("processing_info")
        self._wait_for_processing(credentials, media_id, info)
        return media_id

    def _wait_for_processing(
        self, credentials: Credentials, media_id: str, info: dict[str, Any] | None
    ) -> None:
        """Poll STATUS until succeeded; no processing_info means ready."""
        deadline = time.monotonic() + float(self._extra("media_max_wait", 600))
        interval_override = self._extra("poll_interval", None)
        while info:
            state = info.get("state")
            if state == "succeeded":
                return
            if state == "failed":
                error = info.get("error") or {}
                detail = error.get("message") or error.get("name") or "processing failed"
                raise ContentRejected(
                    f"X could not process the media: {detail}", code="media_failed"
                )
            if time.monotonic() > deadline:
                # nothing was posted: safe to retry later
                raise TransientError("X is still processing the media; try again later.")
            wait = (
                interval_override
                if interval_override is not None
                else info.get("check_after_secs", 5)
            )
            time.sleep(max(0.0, float(wait)))
            status = self._call(
                credentials,
                "GET",
                "/2/media/upload",
                params={"command": "STATUS", "media_id": media_id},
            )
            info = (status.get("data") or {}).get("processing_info")

    def _create_tweet(
        self, credentials: Credentials, account_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        budget = Budget(
            f"x:tweets:{account_id}", capacity=100, per_seconds=900
        )  # documented per-user window
        answer = self._call(
            credentials, "POST", "/2/tweets", json=body, creating=True, budgets=(budget,)
        )
        data = answer.get("data") or {}
        if not data.get("id"):
            raise UnknownOutcome("X answered without the new post's id; it may have been created.")
        return answer

    def publish(
        self, credentials: Credentials, account_id: str, request: PublishRequest
    ) -> PublishResult:
        if request.format != "post":
            raise ContentRejected(f"X has no {request.format}s; publish it as a post.")
        text = self._compose_text(request)
        if not text.strip() and not request.media:
            raise ContentRejected("An X post needs text or media.")
        self._check_text(text)
        if request.first_comment:
            self._check_text(request.first_comment, what="The first comment")
        self._validate_media(request.media)

        media_ids = [self._upload(credentials, item) for item in request.media]
        body: dict[str, Any] = {}
        if text:
            body["text"] = text
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        answer = self._create_tweet(credentials, account_id, body)
        tweet_id = str(answer["data"]["id"])
        result = PublishResult(
            status="published",
            external_id=tweet_id,
            url=self._permalink(tweet_id, credentials.extra.get("username")),
            raw=answer,
        )
        if request.first_comment:
            # the post is out: a failed self-reply must not make the caller retry the post
            try:
                reply = self._create_tweet(
                    credentials,
                    account_id,
                    {
                        "text": request.first_comment,
                        "reply": {"in_reply_to_tweet_id": tweet_id},
                    },
                )
                result.first_comment_id = str(reply["data"]["id"])
            except ProviderError as exc:
                log.warning(
                    "X post %s published but its first comment failed: %s", tweet_id, exc.message
                )
                result.raw = {**answer, "first_comment_error": exc.message}
        return result

    def check_publish(
        self, credentials: Credentials, account_id: str, pending_ref: str
    ) -> PublishResult:
        raise ProviderError("X publishes synchronously; there is nothing to poll.", permanent=True)

    def _recent_tweets(
        self, credentials: Credentials, account_id: str, since: datetime, max_pages: int = 5
    ) -> list[dict[str, Any]]:
        tweets: list[dict[str, Any]] = []
        params: dict[str, Any] = {
            "max_results": 100,
            "start_time": _iso(since),
            "exclude": "retweets",
            "tweet.fields": "created_at,conversation_id,referenced_tweets,attachments",
        }
        for _ in range(max_pages):
            body = self._call(credentials, "GET", f"/2/users/{account_id}/tweets", params=params)
            tweets.extend(body.get("data") or [])
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break
            params["pagination_token"] = token
        return tweets

    def find_existing(
        self, credentials: Credentials, account_id: str, request: PublishRequest, since: datetime
    ) -> PublishResult | None:
        wanted = _comparable(self._compose_text(request))
        tweets = self._recent_tweets(credentials, account_id, since - timedelta(seconds=5))
        roots = []
        for tweet in tweets:
            replied = any(
                r.get("type") == "replied_to" for r in tweet.get("referenced_tweets") or []
            )
            has_media = bool((tweet.get("attachments") or {}).get("media_keys"))
            if replied or bool(request.media) != has_media:
                continue
            if _comparable(tweet.get("text", ""), has_media=has_media) != wanted:
                continue
            created = _parse_time(tweet.get("created_at")) or snowflake_time(tweet.get("id"))
            if created and created < since - timedelta(seconds=5):
                continue
            roots.append(tweet)
        if not roots:
            return None
        root = min(roots, key=lambda t: int(t["id"]))  # the earliest attempt is the one that counts
        result = PublishResult(
            status="published",
            external_id=str(root["id"]),
            url=self._permalink(str(root["id"]), credentials.extra.get("username")),
            raw={"data": root},
        )
        if request.first_comment:
            comment = _comparable(request.first_comment)
            for tweet in tweets:
                refs = tweet.get("referenced_tweets") or []
                if (
                    any(
                        r.get("type") == "replied_to" and str(r.get("id")) == str(root["id"])
                        for r in refs
                    )
                    and _comparable(tweet.get("text", "")) == comment
                ):
                    result.first_comment_id = str(tweet["id"])
                    break
        return result

    def delete_post(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        budget = Budget(f"x:delete:{account_id}", capacity=50, per_seconds=900)
        try:
            self._call(credentials, "DELETE", f"/2/tweets/{external_id}", budgets=(budget,))
        except ProviderError as exc:
            if exc.status == 404:  # already gone
                return
            raise
