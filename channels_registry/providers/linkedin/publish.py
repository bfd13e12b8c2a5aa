"""LinkedIn: publishing, finding an earlier attempt again, deleting."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

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
    MAX_IMAGES,
    TEXT_LIMIT,
    _enc,
    _int,
    _ms,
    escape_little_text,
    log,
    unescape_little_text,
)


class LinkedInPublishing:
    """LinkedIn's publishing: publish, find an earlier attempt again, delete (a part of ``LinkedInProvider``)."""

    # --- publishing -------------------------------------------------------------------------
    def post_url(self, urn: str) -> str:
        return f"{self.urls['web'].rstrip('/')}/feed/update/{urn}/"

    def _commentary_source(self, request: PublishRequest) -> str:
        """The post's text before escaping (a link that cannot be an article card is appended)."""
        text = request.text or ""
        images = [m for m in request.media if m.kind == "image"]
        videos = [m for m in request.media if m.kind == "video"]
        article_possible = not videos and len(images) <= 1
        if request.link and not article_possible and request.link not in text:
            text = f"{text}\n\n{request.link}" if text else request.link
        return text

    def _validate(self, request: PublishRequest) -> None:
        if request.format != "post":
            raise ContentRejected(
                f"LinkedIn organization pages have no {request.format}s; publish a post instead."
            )
        if len(self._commentary_source(request)) > TEXT_LIMIT:
            raise ContentRejected(f"LinkedIn posts are limited to {TEXT_LIMIT} characters.")
        kinds = {m.kind for m in request.media}
        if kinds - {"image", "video"}:
            raise ContentRejected("LinkedIn posts take images or a video only.")
        if "video" in kinds and len(request.media) > 1:
            raise ContentRejected("A LinkedIn post takes one video and nothing else.")
        if len(request.media) > MAX_IMAGES:
            raise ContentRejected(f"A LinkedIn post takes at most {MAX_IMAGES} images.")

    def publish(
        self, credentials: Credentials, account_id: str, request: PublishRequest
    ) -> PublishResult:
        self._validate(request)
        org = self._org_urn(account_id)
        images = [m for m in request.media if m.kind == "image"]
        videos = [m for m in request.media if m.kind == "video"]

        content: dict[str, Any] | None = None
        if videos:
            video_urn = self._upload_video(credentials, org, videos[0])
            content = {"media": {"id": video_urn}}
        elif request.link and len(images) <= 1:
            article: dict[str, Any] = {
                "source": request.link,
                "title": self._article_title(request),
            }
            if images:
                article["thumbnail"] = self._upload_image(credentials, org, images[0])
                if images[0].alt_text:
                    article["thumbnailAltText"] = images[0].alt_text
            content = {"article": article}
        elif len(images) == 1:
            content = {
                "media": self._image_ref(self._upload_image(credentials, org, images[0]), images[0])
            }
        elif len(images) > 1:
            content = {
                "multiImage": {
                    "images": [
                        self._image_ref(self._upload_image(credentials, org, image), image)
                        for image in images
                    ]
                }
            }

        body: dict[str, Any] = {
            "author": org,
            "commentary": escape_little_text(self._commentary_source(request)),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if content is not None:
            body["content"] = content

        # Never retried here. A cut connection (HttpClient) or a 5xx after sending may still have
        # created the post: both are UnknownOutcome, which the caller settles with find_existing.
        try:
            response = self._rest(
                "POST",
                "posts",
                credentials,
                json_body=body,
                ok=(200, 201),
                extra_headers={"Content-Type": "application/json"},
            )
        except TransientError as exc:
            if isinstance(exc, UnknownOutcome) or (exc.status or 0) < 500:
                raise
            raise UnknownOutcome(
                f"{exc.message} The post may or may not have been created.",
                status=exc.status,
                code=exc.code,
            ) from exc
        urn = response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id") or ""
        if not urn:
            raise UnknownOutcome(
                "LinkedIn accepted the post but did not say its id (no x-restli-id header)."
            )
        result = PublishResult(
            status="published",
            external_id=urn,
            url=self.post_url(urn),
            raw={"id": urn, "content": content or {}},
        )
        if request.first_comment:
            try:
                result.first_comment_id = self._create_comment(
                    credentials, org, urn, urn, request.first_comment
                )
            except (
                ProviderError
            ) as exc:  # the post is out; never fail (and so re-publish) over its comment
                log.warning("LinkedIn first comment failed for %s: %s", urn, exc.message)
                result.raw["first_comment_error"] = exc.message
        return result

    @staticmethod
    def _image_ref(urn: str, item: MediaItem) -> dict[str, str]:
        return {"id": urn, "altText": item.alt_text} if item.alt_text else {"id": urn}

    @staticmethod
    def _article_title(request: PublishRequest) -> str:
        # The Posts API does not scrape the link: the card shows the title we send.
        first_line = next(
            (line.strip() for line in (request.text or "").splitlines() if line.strip()), ""
        )
        title = first_line or urlsplit(request.link or "").netloc or (request.link or "")
        return title[:200]

    def _media_bytes(self, item: MediaItem) -> bytes:
        if item.read is not None:
            return item.read()
        response = self.http.get(item.url)
        if response.status_code != 200:
            raise TransientError(
                f"Could not read the media file to upload (HTTP {response.status_code})."
            )
        return response.content

    def _upload_headers(
        self, credentials: Credentials, upload_url: str, mime_type: str
    ) -> dict[str, str]:
        headers = {"Content-Type": mime_type}
        host = urlsplit(upload_url).netloc
        # the bearer token goes only to LinkedIn's own upload hosts (or the configured API host)
        if (
            host == urlsplit(self.urls["api"]).netloc
            or host.endswith(".linkedin.com")
            or host == "linkedin.com"
        ):
            headers["Authorization"] = f"Bearer {credentials.access_token}"
        return headers

    def _upload_image(self, credentials: Credentials, org: str, item: MediaItem) -> str:
        data = self._media_bytes(item)
        init = self._json_dict(
            self._rest(
                "POST",
                "images",
                credentials,
                query="action=initializeUpload",
                ok=(200,),
                json_body={"initializeUploadRequest": {"owner": org}},
                extra_headers={"Content-Type": "application/json"},
            )
        )
        value = init.get("value") or {}
        upload_url, image_urn = value.get("uploadUrl"), value.get("image")
        if not upload_url or not image_urn:
            raise TransientError("LinkedIn did not return an upload URL for the image.")
        response = self.http.put(
            upload_url,
            content=data,
            headers=self._upload_headers(credentials, upload_url, item.mime_type or "image/jpeg"),
        )
        if not response.is_success:
            self._raise_for(response)
        self._wait_available(
            credentials, "images", image_urn, timeout=self._opt("poll_timeout", 120)
        )
        return image_urn

    def _upload_video(self, credentials: Credentials, org: str, item: MediaItem) -> str:
        data = self._media_bytes(item)
        init = self._json_dict(
            self._rest(
                "POST",
                "videos",
                credentials,
                query="action=initializeUpload",
                ok=(200,),
                json_body={
                    "initializeUploadRequest": {
                        "owner": org,
                        "fileSizeBytes": len(data),
                        "uploadCaptions": False,
                        "uploadThumbnail": False,
                    }
                },
                extra_headers={"Content-Type": "application/json"},
            )
        )
        value = init.get("value") or {}
        video_urn = value.get("video")
        instructions = value.get("uploadInstructions") or []
        if not video_urn or not instructions:
            raise TransientError("LinkedIn did not return upload instructions for the video.")
        etags: list[str] = []
        for part in instructions:
            first, last = int(part["firstByte"]), int(part["lastByte"])
            upload_url = part["uploadUrl"]
            response = self.http.put(
                upload_url,
                content=data[first : last + 1],
                headers=self._upload_headers(credentials, upload_url, "application/octet-stream"),
            )
            if not response.is_success:
                self._raise_for(response)
            etag = response.headers.get("etag")
            if not etag:
                raise TransientError("LinkedIn did not return an ETag for an uploaded video part.")
            etags.append(etag)
        self._rest(
            "POST",
            "videos",
            credentials,
            query="action=finalizeUpload",
            ok=(200, 201, 204),
            json_body={
                "finalizeUploadRequest": {
                    "video": video_urn,
                    "uploadToken": value.get("uploadToken") or "",
                    "uploadedPartIds": etags,
                }
            },
            extra_headers={"Content-Type": "application/json"},
        )
        self._wait_available(
            credentials, "videos", video_urn, timeout=self._opt("video_poll_timeout", 600)
        )
        return video_urn

    def _wait_available(
        self, credentials: Credentials, resource: str, urn: str, *, timeout: float
    ) -> None:
        interval = self._opt("poll_interval", 2.0)
        deadline = time.monotonic() + timeout
        while True:
            data = self._get_json(f"{resource}/{_enc(urn)}", credentials)
            status = data.get("status")
            if status == "AVAILABLE":
                return
            if status == "PROCESSING_FAILED":
                reason = data.get("processingFailureReason") or "processing failed"
                raise ContentRejected(f"LinkedIn could not process the {resource[:-1]}: {reason}")
            if time.monotonic() >= deadline:
                raise TransientError(
                    f"LinkedIn is still processing the {resource[:-1]} ({status}); try again later."
                )
            time.sleep(interval)

    def check_publish(
        self, credentials: Credentials, account_id: str, pending_ref: str
    ) -> PublishResult:
        raise ProviderError(
            "LinkedIn publishes synchronously; there is nothing pending to check.", permanent=True
        )

    def _recent_posts(self, credentials: Credentials, org: str, count: int) -> list[dict[str, Any]]:
        query = f"author={_enc(org)}&q=author&count={count}&sortBy=LAST_MODIFIED"
        data = self._get_json(
            "posts", credentials, query=query, extra_headers={"X-RestLi-Method": "FINDER"}
        )
        return [p for p in (data.get("elements") or []) if isinstance(p, dict)]

    def find_existing(
        self, credentials: Credentials, account_id: str, request: PublishRequest, since: datetime
    ) -> PublishResult | None:
        """LinkedIn takes no idempotency key: scan the page's latest posts for this exact text."""
        org = self._org_urn(account_id)
        wanted = self._commentary_source(request).strip()
        since_ms = _ms(since) - 60_000  # clock skew between us and LinkedIn
        count = int(self._opt("find_existing_count", 20))
        matches = []
        for post in self._recent_posts(credentials, org, count):
            if post.get("lifecycleState") not in (None, "PUBLISHED", "PUBLISH_REQUESTED"):
                continue
            created = _int(post.get("publishedAt") or post.get("createdAt")) or 0
            if created and created < since_ms:
                continue
            commentary = str(post.get("commentary") or "")
            if unescape_little_text(
                commentary
            ).strip() == wanted or commentary.strip() == escape_little_text(wanted):
                matches.append((created, post))
        if not matches:
            return None
        _, post = max(matches, key=lambda pair: pair[0])
        urn = str(post.get("id"))
        result = PublishResult(
            status="published", external_id=urn, url=self.post_url(urn), raw=post
        )
        if request.first_comment:
            for comment in self._comments(credentials, urn, max_pages=2):
                if (
                    comment.get("actor") == org
                    and (comment.get("message") or {}).get("text") == request.first_comment
                ):
                    result.first_comment_id = self._comment_urn(comment, urn)
                    break
        return result

    def delete_post(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        # 404: already gone, which is what the caller wanted.
        self._rest(
            "DELETE",
            f"posts/{_enc(external_id)}",
            credentials,
            ok=(200, 204),
            allow_404=True,
            extra_headers={"X-RestLi-Method": "DELETE"},
        )
