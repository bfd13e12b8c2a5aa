"""Facebook: publishing, finding an earlier attempt again, deleting."""

from __future__ import annotations

from datetime import datetime

from ..base import (
    Credentials,
    MediaItem,
    PublishRequest,
    PublishResult,
)
from ..errors import ContentRejected, ProviderError, TransientError
from ..meta import (
    absolute_facebook_url,
    make_pending_ref,
    split_pending_ref,
)
from .client import REEL_PREFIX, log


class FacebookPublishing:
    """Facebook's publishing: publish, find an earlier attempt again, delete (a part of ``FacebookProvider``)."""

    # --- publishing ----------------------------------------------------------------------------
    def publish(
        self, credentials: Credentials, account_id: str, request: PublishRequest
    ) -> PublishResult:
        token = credentials.access_token
        images = [m for m in request.media if m.kind == "image"]
        videos = [m for m in request.media if m.kind == "video"]
        if images and videos:
            raise ContentRejected(
                "Facebook cannot mix photos and videos in one post through the API."
            )
        if len(videos) > 1:
            raise ContentRejected("Facebook takes one video per post.")
        if len(images) > self.capabilities.max_images:
            raise ContentRejected(
                f"Facebook takes at most {self.capabilities.max_images} photos per post here."
            )

        if request.format == "story":
            return self._publish_story(token, account_id, request)  # stories take no comments
        if request.format == "reel":
            if len(videos) != 1:
                raise ContentRejected("A Facebook reel needs exactly one video.")
            return self._start_reel(token, account_id, request, videos[0])

        if videos:
            body = self.graph_post(
                self.urls["video"],
                f"{account_id}/videos",
                token,
                {
                    "file_url": videos[0].url,
                    "description": self._message(request, attach_link=True),
                },
                publishing=True,
            )
            video_id = str(body["id"])
            url = self._permalink(
                token, video_id, f"https://www.facebook.com/{account_id}/videos/{video_id}"
            )
            result = PublishResult(status="published", external_id=video_id, url=url, raw=body)
        elif len(images) == 1:
            photo = images[0]
            body = self.graph_post(
                self.api,
                f"{account_id}/photos",
                token,
                {"url": photo.url, "message": self._message(request, attach_link=True)},
                publishing=True,
            )
            post_id = str(body.get("post_id") or body["id"])
            result = PublishResult(
                status="published",
                external_id=post_id,
                url=self._permalink(token, post_id, f"https://www.facebook.com/{post_id}"),
                raw=body,
            )
        elif images:
            media_ids = []
            for photo in images:
                uploaded = self.graph_post(
                    self.api,
                    f"{account_id}/photos",
                    token,
                    {"url": photo.url, "published": False},
                    publishing=True,
                )
                media_ids.append(str(uploaded["id"]))
            body = self.graph_post(
                self.api,
                f"{account_id}/feed",
                token,
                {
                    "message": self._message(request, attach_link=True),
                    "attached_media": [{"media_fbid": mid} for mid in media_ids],
                },
                publishing=True,
            )
            post_id = str(body["id"])
            result = PublishResult(
                status="published",
                external_id=post_id,
                url=self._permalink(token, post_id, f"https://www.facebook.com/{post_id}"),
                raw={**body, "media_fbids": media_ids},
            )
        else:
            if not request.text.strip() and not request.link:
                raise ContentRejected("A Facebook post needs text, a link or media.")
            body = self.graph_post(
                self.api,
                f"{account_id}/feed",
                token,
                {"message": request.text or None, "link": request.link or None},
                publishing=True,
            )
            post_id = str(body["id"])
            result = PublishResult(
                status="published",
                external_id=post_id,
                url=self._permalink(token, post_id, f"https://www.facebook.com/{post_id}"),
                raw=body,
            )

        if request.first_comment:
            self._first_comment(token, result, request.first_comment)
        return result

    @staticmethod
    def _message(request: PublishRequest, *, attach_link: bool) -> str | None:
        """Photo and video posts have no ``link`` field: the link goes at the end of the text."""
        text = request.text or ""
        if attach_link and request.link and request.link not in text:
            text = f"{text}\n\n{request.link}".strip()
        return text or None

    def _permalink(self, token: str, object_id: str, fallback: str) -> str:
        """Best effort: the post already exists, so a failed look-up must not fail the publish."""
        try:
            body = self.graph_get(self.api, object_id, token, {"fields": "permalink_url"})
        except ProviderError as exc:
            log.info("Facebook permalink look-up failed after publishing: %s", exc.message)
            return fallback
        return absolute_facebook_url(body.get("permalink_url"), fallback)

    def _first_comment(self, token: str, result: PublishResult, text: str) -> None:
        """The post is out whatever happens here: a failed comment is reported, never raised
        (raising would make the caller retry a publish that succeeded)."""
        try:
            body = self.graph_post(
                self.api, f"{result.external_id}/comments", token, {"message": text}
            )
            result.first_comment_id = str(body.get("id", ""))
        except ProviderError as exc:
            result.raw["first_comment_error"] = exc.message

    def _rupload(self, token: str, upload_url: str | None, video_id: str, media: MediaItem) -> None:
        """Hand Meta the hosted file: ``POST rupload…/video-upload/{GV}/{video_id}`` with
        ``Authorization: OAuth <token>`` and ``file_url`` headers; Meta fetches the video itself."""
        url = (
            upload_url
            or f"{self.urls['rupload'].rstrip('/')}/video-upload/{self.graph_version}/{video_id}"
        )
        body = self._send(
            "POST",
            url,
            headers={"Authorization": f"OAuth {token}", "file_url": media.url},
            publishing=True,
        )
        if isinstance(body, dict) and body.get("success") is False:
            raise ContentRejected("Facebook did not accept the video upload.")

    def _start_reel(
        self, token: str, page_id: str, request: PublishRequest, video: MediaItem
    ) -> PublishResult:
        start = self.graph_post(
            self.api, f"{page_id}/video_reels", token, {"upload_phase": "start"}, publishing=True
        )
        video_id = str(start["video_id"])
        self._rupload(token, start.get("upload_url"), video_id, video)
        finish = self.graph_post(
            self.api,
            f"{page_id}/video_reels",
            token,
            {
                "upload_phase": "finish",
                "video_id": video_id,
                "video_state": "PUBLISHED",
                "description": request.text or None,
            },
            publishing=True,
        )
        if finish.get("success") is False:
            raise ContentRejected("Facebook did not accept the reel.")
        return PublishResult(
            status="pending",
            external_id=video_id,
            pending_ref=make_pending_ref(REEL_PREFIX + video_id, request.first_comment),
            raw={"start": start, "finish": finish},
        )

    def _publish_story(self, token: str, page_id: str, request: PublishRequest) -> PublishResult:
        if len(request.media) != 1:
            raise ContentRejected("A Facebook story needs exactly one photo or video.")
        media = request.media[0]
        if media.kind == "image":
            photo = self.graph_post(
                self.api,
                f"{page_id}/photos",
                token,
                {"url": media.url, "published": False},
                publishing=True,
            )
            body = self.graph_post(
                self.api,
                f"{page_id}/photo_stories",
                token,
                {"photo_id": str(photo["id"])},
                publishing=True,
            )
        else:
            start = self.graph_post(
                self.api,
                f"{page_id}/video_stories",
                token,
                {"upload_phase": "start"},
                publishing=True,
            )
            video_id = str(start["video_id"])
            self._rupload(token, start.get("upload_url"), video_id, media)
            body = self.graph_post(
                self.api,
                f"{page_id}/video_stories",
                token,
                {"upload_phase": "finish", "video_id": video_id},
                publishing=True,
            )
        post_id = str(body.get("post_id") or "")
        if not post_id:
            raise TransientError("Facebook accepted the story but returned no post id.")
        return PublishResult(
            status="published",
            external_id=post_id,
            url=f"https://www.facebook.com/{post_id}",
            raw=body,
        )

    def check_publish(
        self, credentials: Credentials, account_id: str, pending_ref: str
    ) -> PublishResult:
        ref, first_comment = split_pending_ref(pending_ref)
        if not ref.startswith(REEL_PREFIX):
            raise ProviderError(f"Unknown pending reference {ref!r} for Facebook.", permanent=True)
        video_id = ref[len(REEL_PREFIX) :]
        token = credentials.access_token
        body = self.graph_get(self.api, video_id, token, {"fields": "status"})
        status = body.get("status") or {}
        phases = [
            status.get(k) or {} for k in ("uploading_phase", "processing_phase", "publishing_phase")
        ]
        if status.get("video_status") == "error" or any(p.get("status") == "error" for p in phases):
            errors = [
                e.get("message", "")
                for p in phases
                for e in (p.get("errors") or [])
                if isinstance(e, dict)
            ]
            raise ContentRejected(
                "Facebook could not process the reel: "
                + ("; ".join(filter(None, errors)) or "processing failed.")
            )
        publishing = status.get("publishing_phase") or {}
        if publishing.get("status") != "complete":
            return PublishResult(
                status="pending", external_id=video_id, pending_ref=pending_ref, raw=body
            )
        result = PublishResult(
            status="published",
            external_id=video_id,
            url=f"https://www.facebook.com/reel/{video_id}",
            raw=body,
        )
        if first_comment:
            self._first_comment(token, result, first_comment)
        return result

    def find_existing(
        self, credentials: Credentials, account_id: str, request: PublishRequest, since: datetime
    ) -> PublishResult | None:
        wanted = {
            m.strip()
            for m in (request.text, self._message(request, attach_link=True))
            if m and m.strip()
        }
        if not wanted:
            return None
        since_ts = int(since.timestamp()) - 60  # allow for clock skew between us and Meta
        for post in self.graph_pages(
            self.api,
            f"{account_id}/feed",
            credentials.access_token,
            {
                "fields": "id,message,created_time,permalink_url,from",
                "since": since_ts,
                "limit": 100,
            },
        ):
            author = (post.get("from") or {}).get("id")
            if author and str(author) != str(account_id):
                continue  # a visitor's post on the Page
            if (post.get("message") or "").strip() in wanted:
                post_id = str(post["id"])
                return PublishResult(
                    status="published",
                    external_id=post_id,
                    url=absolute_facebook_url(
                        post.get("permalink_url"), f"https://www.facebook.com/{post_id}"
                    ),
                    raw=post,
                )
        return None

    def delete_post(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        self.graph_delete(self.api, external_id, credentials.access_token)
