"""Facebook Pages through the Graph API (API-NOTES §1, §11).

Connect: Facebook Login dialog → code → short-lived user token → long-lived user token →
``GET /me/accounts`` → one :class:`Account` per Page, each carrying its own Page token. Page tokens
obtained from a long-lived user token do not expire (they die on a password change or when a
permission is withdrawn, which surfaces as error 190), so ``expires_at`` is ``None``.

Publishing (Pages API, Video API, Reels and Stories APIs):

- text / link: ``POST /{page}/feed {message, link?}``
- one photo: ``POST /{page}/photos {url, message}`` (Meta pulls ``MediaItem.url``)
- several photos: each ``POST /{page}/photos {url, published:false}``, then
  ``POST /{page}/feed {message, attached_media:[{media_fbid}]}``
- video: ``POST graph-video…/{page}/videos {file_url, description}``
- reel (async): ``POST /{page}/video_reels {upload_phase:start}`` → ``POST rupload…/{video_id}``
  with ``Authorization: OAuth`` and ``file_url`` headers → ``{upload_phase:finish, video_state:
  PUBLISHED, description}``; then ``check_publish`` polls ``GET /{video_id}?fields=status``
- story: photo → unpublished photo + ``POST /{page}/photo_stories {photo_id}``; video →
  ``/{page}/video_stories`` start / rupload / finish
- first comment: ``POST /{post-id}/comments {message}``

Never retries a publish; an unconfirmed attempt is settled with :meth:`find_existing`, which scans
``GET /{page}/feed`` since the attempt for the same message.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .base import (
    Account,
    Capabilities,
    Credentials,
    DailyAccountMetrics,
    InboxItem,
    InboxPage,
    MediaItem,
    MediaSpec,
    PostMetrics,
    PublishRequest,
    PublishResult,
    WebhookEvent,
    WebhookRequest,
)
from .errors import ContentRejected, ProviderError, TransientError
from .meta import (
    CursorTracker,
    MetaGraphProvider,
    absolute_facebook_url,
    day_start,
    insight_day,
    make_pending_ref,
    parse_time,
    split_pending_ref,
)

log = logging.getLogger(__name__)

MB = 1024 * 1024

COMMENT_FIELDS = "id,message,from,created_time,like_count,is_hidden,parent,permalink_url"
REEL_PREFIX = "reel:"


class FacebookProvider(MetaGraphProvider):
    key = "facebook"
    name = "Facebook"
    network_label = "Facebook"
    capabilities = Capabilities(
        text_limit=63206,
        text_counting="chars",
        # the feed cuts a long post behind "See more" (about 480 characters or 5 lines)
        feed_cut_chars=480,
        feed_cut_lines=5,
        # Page photos: JPEG, PNG, GIF, BMP, TIFF up to 10 MB (Stories API / notes §12).
        image=MediaSpec(max_bytes=10 * MB, mime_types=("image/jpeg", "image/png", "image/gif", "image/bmp",
                                                       "image/tiff")),
        # Non-resumable uploads (file_url) take up to 1 GB and 20 minutes; Reels are 3–90 s, 9:16.
        video=MediaSpec(max_bytes=1024 * MB, max_seconds=20 * 60, mime_types=("video/mp4", "video/quicktime")),
        # Multi-photo posts have no documented ceiling; 10 keeps them readable and accepted.
        max_images=10,
        max_videos=1,
        mixed_media=False,
        link_posts=True,
        first_comment=True,
        stories=True,
        reels=True,
        carousel=False,
        # Reels finish processing after the API call: publish() answers "pending" for them.
        async_publish=True,
        # No Page-wide daily cap is documented (Reels alone: 30 per Page per 24 h).
        daily_publish_cap=None,
        comments_api=True,
        direct_messages=True,
        hide_comments=True,
        delete_comments=True,
        webhooks=True,
        auth_kind="oauth2",
    )
    default_urls = {
        "api": "https://graph.facebook.com",
        "video": "https://graph-video.facebook.com",
        "rupload": "https://rupload.facebook.com",
        "auth": "https://www.facebook.com",
        "token": "https://graph.facebook.com",
    }
    default_scopes = (
        "pages_show_list",
        "pages_manage_posts",
        "pages_read_engagement",
        "pages_read_user_content",
        "pages_manage_engagement",
        "pages_messaging",
        "read_insights",
        "pages_manage_metadata",
        "business_management",
        "publish_video",
    )
    #: Reels per Page per 24 h through the API (Reels Publishing API)
    reels_daily_cap = 30

    # --- helpers -----------------------------------------------------------------------------
    @property
    def api(self) -> str:
        return self.urls["api"]

    def _scopes(self) -> tuple[str, ...]:
        scopes = self.config.extra.get("scopes")
        return tuple(scopes) if scopes else self.default_scopes

    # --- OAuth ---------------------------------------------------------------------------------
    def authorization_url(self, *, redirect_uri: str, state: str, code_verifier: str | None = None,
                          extra: dict[str, Any] | None = None) -> str:
        return self.facebook_dialog_url(redirect_uri=redirect_uri, state=state, scopes=self._scopes(), extra=extra)

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None = None,
                      extra: dict[str, Any] | None = None) -> list[Account]:
        user_token, _user_expiry = self.facebook_user_token(code=code, redirect_uri=redirect_uri)
        scopes = self.granted_permissions(self.api, user_token)
        me = self.graph_get(self.api, "me", user_token, {"fields": "id,name"})
        accounts = []
        for page in self.graph_pages(self.api, "me/accounts", user_token,
                                     {"fields": "id,name,access_token,username,link,picture,tasks", "limit": 100}):
            if not page.get("access_token"):
                continue  # the person cannot act for this Page (no tasks granted to the app)
            accounts.append(self._page_account(page, Credentials(
                access_token=page["access_token"],
                expires_at=None,  # Page tokens from a long-lived user token do not expire
                scopes=scopes,
                extra={"page_id": str(page["id"]), "user_id": str(me.get("id", "")),
                       "tasks": list(page.get("tasks") or [])},
            )))
        return accounts

    @staticmethod
    def _page_account(page: dict[str, Any], credentials: Credentials) -> Account:
        page_id = str(page["id"])
        picture = (page.get("picture") or {}).get("data", {}) if isinstance(page.get("picture"), dict) else {}
        return Account(
            external_id=page_id,
            handle=page.get("username") or page_id,
            name=page.get("name") or page_id,
            credentials=credentials,
            avatar_url=picture.get("url", "") if isinstance(picture, dict) else "",
            url=page.get("link") or f"https://www.facebook.com/{page_id}",
            extra={"tasks": list(page.get("tasks") or [])},
        )

    def refresh(self, credentials: Credentials) -> Credentials:
        """Page tokens do not expire and have no refresh grant: confirm the token still works
        (190 → AuthExpired, the Page must be connected again) and hand the same credentials back."""
        self.graph_get(self.api, "me", credentials.access_token, {"fields": "id"})
        return credentials

    def verify_credentials(self, credentials: Credentials, account_id: str) -> Account:
        page = self.graph_get(self.api, account_id, credentials.access_token,
                              {"fields": "id,name,username,link,picture,followers_count"})
        return self._page_account(page, credentials)

    # --- publishing ----------------------------------------------------------------------------
    def publish(self, credentials: Credentials, account_id: str, request: PublishRequest) -> PublishResult:
        token = credentials.access_token
        images = [m for m in request.media if m.kind == "image"]
        videos = [m for m in request.media if m.kind == "video"]
        if images and videos:
            raise ContentRejected("Facebook cannot mix photos and videos in one post through the API.")
        if len(videos) > 1:
            raise ContentRejected("Facebook takes one video per post.")
        if len(images) > self.capabilities.max_images:
            raise ContentRejected(f"Facebook takes at most {self.capabilities.max_images} photos per post here.")

        if request.format == "story":
            return self._publish_story(token, account_id, request)  # stories take no comments
        if request.format == "reel":
            if len(videos) != 1:
                raise ContentRejected("A Facebook reel needs exactly one video.")
            return self._start_reel(token, account_id, request, videos[0])

        if videos:
            body = self.graph_post(self.urls["video"], f"{account_id}/videos", token,
                                   {"file_url": videos[0].url, "description": self._message(request, attach_link=True)},
                                   publishing=True)
            video_id = str(body["id"])
            url = self._permalink(token, video_id, f"https://www.facebook.com/{account_id}/videos/{video_id}")
            result = PublishResult(status="published", external_id=video_id, url=url, raw=body)
        elif len(images) == 1:
            photo = images[0]
            body = self.graph_post(self.api, f"{account_id}/photos", token,
                                   {"url": photo.url, "message": self._message(request, attach_link=True)}, publishing=True)
            post_id = str(body.get("post_id") or body["id"])
            result = PublishResult(status="published", external_id=post_id,
                                   url=self._permalink(token, post_id, f"https://www.facebook.com/{post_id}"), raw=body)
        elif images:
            media_ids = []
            for photo in images:
                uploaded = self.graph_post(self.api, f"{account_id}/photos", token,
                                           {"url": photo.url, "published": False}, publishing=True)
                media_ids.append(str(uploaded["id"]))
            body = self.graph_post(self.api, f"{account_id}/feed", token,
                                   {"message": self._message(request, attach_link=True),
                                    "attached_media": [{"media_fbid": mid} for mid in media_ids]}, publishing=True)
            post_id = str(body["id"])
            result = PublishResult(status="published", external_id=post_id,
                                   url=self._permalink(token, post_id, f"https://www.facebook.com/{post_id}"),
                                   raw={**body, "media_fbids": media_ids})
        else:
            if not request.text.strip() and not request.link:
                raise ContentRejected("A Facebook post needs text, a link or media.")
            body = self.graph_post(self.api, f"{account_id}/feed", token,
                                   {"message": request.text or None, "link": request.link or None}, publishing=True)
            post_id = str(body["id"])
            result = PublishResult(status="published", external_id=post_id,
                                   url=self._permalink(token, post_id, f"https://www.facebook.com/{post_id}"), raw=body)

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
            body = self.graph_post(self.api, f"{result.external_id}/comments", token, {"message": text})
            result.first_comment_id = str(body.get("id", ""))
        except ProviderError as exc:
            result.raw["first_comment_error"] = exc.message

    def _rupload(self, token: str, upload_url: str | None, video_id: str, media: MediaItem) -> None:
        """Hand Meta the hosted file: ``POST rupload…/video-upload/{GV}/{video_id}`` with
        ``Authorization: OAuth <token>`` and ``file_url`` headers; Meta fetches the video itself."""
        url = upload_url or f"{self.urls['rupload'].rstrip('/')}/video-upload/{self.graph_version}/{video_id}"
        body = self._send("POST", url, headers={"Authorization": f"OAuth {token}", "file_url": media.url},
                          publishing=True)
        if isinstance(body, dict) and body.get("success") is False:
            raise ContentRejected("Facebook did not accept the video upload.")

    def _start_reel(self, token: str, page_id: str, request: PublishRequest, video: MediaItem) -> PublishResult:
        start = self.graph_post(self.api, f"{page_id}/video_reels", token, {"upload_phase": "start"}, publishing=True)
        video_id = str(start["video_id"])
        self._rupload(token, start.get("upload_url"), video_id, video)
        finish = self.graph_post(self.api, f"{page_id}/video_reels", token,
                                 {"upload_phase": "finish", "video_id": video_id, "video_state": "PUBLISHED",
                                  "description": request.text or None}, publishing=True)
        if finish.get("success") is False:
            raise ContentRejected("Facebook did not accept the reel.")
        return PublishResult(status="pending", external_id=video_id,
                             pending_ref=make_pending_ref(REEL_PREFIX + video_id, request.first_comment),
                             raw={"start": start, "finish": finish})

    def _publish_story(self, token: str, page_id: str, request: PublishRequest) -> PublishResult:
        if len(request.media) != 1:
            raise ContentRejected("A Facebook story needs exactly one photo or video.")
        media = request.media[0]
        if media.kind == "image":
            photo = self.graph_post(self.api, f"{page_id}/photos", token, {"url": media.url, "published": False},
                                    publishing=True)
            body = self.graph_post(self.api, f"{page_id}/photo_stories", token, {"photo_id": str(photo["id"])},
                                   publishing=True)
        else:
            start = self.graph_post(self.api, f"{page_id}/video_stories", token, {"upload_phase": "start"},
                                    publishing=True)
            video_id = str(start["video_id"])
            self._rupload(token, start.get("upload_url"), video_id, media)
            body = self.graph_post(self.api, f"{page_id}/video_stories", token,
                                   {"upload_phase": "finish", "video_id": video_id}, publishing=True)
        post_id = str(body.get("post_id") or "")
        if not post_id:
            raise TransientError("Facebook accepted the story but returned no post id.")
        return PublishResult(status="published", external_id=post_id, url=f"https://www.facebook.com/{post_id}",
                             raw=body)

    def check_publish(self, credentials: Credentials, account_id: str, pending_ref: str) -> PublishResult:
        ref, first_comment = split_pending_ref(pending_ref)
        if not ref.startswith(REEL_PREFIX):
            raise ProviderError(f"Unknown pending reference {ref!r} for Facebook.", permanent=True)
        video_id = ref[len(REEL_PREFIX):]
        token = credentials.access_token
        body = self.graph_get(self.api, video_id, token, {"fields": "status"})
        status = body.get("status") or {}
        phases = [status.get(k) or {} for k in ("uploading_phase", "processing_phase", "publishing_phase")]
        if status.get("video_status") == "error" or any(p.get("status") == "error" for p in phases):
            errors = [e.get("message", "") for p in phases for e in (p.get("errors") or []) if isinstance(e, dict)]
            raise ContentRejected("Facebook could not process the reel: " + ("; ".join(filter(None, errors))
                                                                              or "processing failed."))
        publishing = status.get("publishing_phase") or {}
        if publishing.get("status") != "complete":
            return PublishResult(status="pending", external_id=video_id, pending_ref=pending_ref, raw=body)
        result = PublishResult(status="published", external_id=video_id,
                               url=f"https://www.facebook.com/reel/{video_id}", raw=body)
        if first_comment:
            self._first_comment(token, result, first_comment)
        return result

    def find_existing(self, credentials: Credentials, account_id: str, request: PublishRequest,
                      since: datetime) -> PublishResult | None:
        wanted = {m.strip() for m in (request.text, self._message(request, attach_link=True)) if m and m.strip()}
        if not wanted:
            return None
        since_ts = int(since.timestamp()) - 60  # allow for clock skew between us and Meta
        for post in self.graph_pages(self.api, f"{account_id}/feed", credentials.access_token,
                                     {"fields": "id,message,created_time,permalink_url,from", "since": since_ts,
                                      "limit": 100}):
            author = (post.get("from") or {}).get("id")
            if author and str(author) != str(account_id):
                continue  # a visitor's post on the Page
            if (post.get("message") or "").strip() in wanted:
                post_id = str(post["id"])
                return PublishResult(status="published", external_id=post_id,
                                     url=absolute_facebook_url(post.get("permalink_url"),
                                                               f"https://www.facebook.com/{post_id}"), raw=post)
        return None

    def delete_post(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        self.graph_delete(self.api, external_id, credentials.access_token)

    # --- engagement ----------------------------------------------------------------------------
    def fetch_inbox(self, credentials: Credentials, account_id: str, cursor: str | None = None) -> InboxPage:
        """New comments on the Page's recent posts and new Messenger messages, oldest first.

        Posts are listed by ``updated_time`` (a new comment bumps it); each changed post's comments
        are read newest first (``filter=stream`` includes replies, ``order=reverse_chronological``)
        until they are older than the cursor.
        """
        token = credentials.access_token
        tracker = CursorTracker(cursor)
        items: list[InboxItem] = []
        post_limit = int(self.config.extra.get("inbox_posts", 25))
        posts = self.graph_get(self.api, f"{account_id}/feed", token,
                               {"fields": "id,updated_time,created_time", "limit": post_limit}).get("data") or []
        for post in posts:
            updated = parse_time(post.get("updated_time") or post.get("created_time"))
            if tracker.is_older_than_cursor(updated):
                continue
            for comment in self.graph_pages(self.api, f"{post['id']}/comments", token,
                                            {"fields": COMMENT_FIELDS, "filter": "stream",
                                             "order": "reverse_chronological", "limit": 100}):
                created = parse_time(comment.get("created_time"))
                if tracker.is_older_than_cursor(created):
                    break
                author = comment.get("from") or {}
                if str(author.get("id", "")) == str(account_id):
                    continue  # the Page's own replies
                if tracker.is_new(str(comment["id"]), created):
                    items.append(self._comment_item(comment, str(post["id"])))
                tracker.note(str(comment["id"]), created)

        conversations = self.graph_get(self.api, f"{account_id}/conversations", token, {
            "platform": "messenger", "fields": "id,updated_time,messages{id,message,from,created_time}",
            "limit": int(self.config.extra.get("inbox_conversations", 25)),
        }).get("data") or []
        for conversation in conversations:
            if tracker.is_older_than_cursor(parse_time(conversation.get("updated_time"))):
                continue
            for message in (conversation.get("messages") or {}).get("data") or []:
                created = parse_time(message.get("created_time"))
                author = message.get("from") or {}
                if str(author.get("id", "")) == str(account_id):
                    continue
                if tracker.is_new(str(message["id"]), created):
                    items.append(InboxItem(
                        external_id=str(message["id"]), kind="dm", text=message.get("message") or "",
                        author_id=str(author.get("id", "")), author_name=author.get("name", ""),
                        # The thread is the person (PSID), as in Messenger webhooks, which name no conversation.
                        created_at=created, thread_id=str(author.get("id", "")),
                        raw={**message, "conversation_id": conversation["id"]},
                    ))
                tracker.note(str(message["id"]), created)
        items.sort(key=lambda i: i.created_at or datetime.min.replace(tzinfo=UTC))
        return InboxPage(items=items, cursor=tracker.cursor() or cursor)

    @staticmethod
    def _comment_item(comment: dict[str, Any], post_id: str) -> InboxItem:
        author = comment.get("from") or {}
        parent = (comment.get("parent") or {}).get("id", "")
        is_reply = bool(parent) and parent != post_id
        return InboxItem(
            external_id=str(comment["id"]), kind="reply" if is_reply else "comment",
            text=comment.get("message") or "", author_id=str(author.get("id", "")),
            author_name=author.get("name", ""), created_at=parse_time(comment.get("created_time")),
            post_external_id=post_id, parent_external_id=parent if is_reply else "", thread_id=post_id,
            permalink=comment.get("permalink_url") or "", is_hidden=bool(comment.get("is_hidden")), raw=comment,
        )

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        token = credentials.access_token
        if item.kind == "dm":
            # Inside the 24 h window a standard reply is messaging_type RESPONSE (Send API).
            body = self.graph_post(self.api, f"{account_id}/messages", token, {
                "recipient": {"id": item.author_id}, "messaging_type": "RESPONSE", "message": {"text": text},
            }, publishing=True)
            return str(body.get("message_id", ""))
        body = self.graph_post(self.api, f"{item.external_id}/comments", token, {"message": text}, publishing=True)
        return str(body.get("id", ""))

    def hide_comment(self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True) -> None:
        self.graph_post(self.api, external_id, credentials.access_token, {"is_hidden": hidden})

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        self.graph_delete(self.api, external_id, credentials.access_token)

    # --- metrics -------------------------------------------------------------------------------
    def fetch_account_metrics(self, credentials: Credentials, account_id: str, since: date,
                              until: date) -> list[DailyAccountMetrics]:
        """Page insights with the post-2025 names (impression and fan metrics are gone):
        views ``page_media_view``, reach ``page_total_media_view_unique``, engagement
        ``page_post_engagements``; the follower total comes from ``?fields=followers_count``."""
        token = credentials.access_token
        body = self.graph_get(self.api, f"{account_id}/insights", token, {
            "metric": "page_media_view,page_total_media_view_unique,page_post_engagements,page_daily_follows_unique",
            "period": "day", "since": day_start(since), "until": day_start(until + timedelta(days=1)),
        })
        days: dict[date, DailyAccountMetrics] = {}
        field_for = {"page_media_view": "impressions", "page_total_media_view_unique": "reach",
                     "page_post_engagements": "engagements"}
        for metric in body.get("data") or []:
            field = field_for.get(metric.get("name"))
            if not field or metric.get("period", "day") != "day":
                continue
            for value in metric.get("values") or []:
                day = insight_day(value.get("end_time"))
                if day is None or not since <= day <= until:
                    continue
                row = days.setdefault(day, DailyAccountMetrics(day=day))
                setattr(row, field, _number(value.get("value")))
        page = self.graph_get(self.api, account_id, token, {"fields": "followers_count"})
        if page.get("followers_count") is not None:
            latest = days.setdefault(until, DailyAccountMetrics(day=until))
            latest.followers = int(page["followers_count"])
        return [days[d] for d in sorted(days)]

    def fetch_post_metrics(self, credentials: Credentials, account_id: str,
                           external_ids: list[str]) -> list[PostMetrics]:
        token = credentials.access_token
        results = []
        for post_id in external_ids:
            insights = self.graph_get(self.api, f"{post_id}/insights", token, {
                "metric": "post_media_view,post_total_media_view_unique,post_reactions_by_type_total,post_clicks",
            })
            values = {m.get("name"): _number(((m.get("values") or [{}])[0]).get("value"))
                      for m in insights.get("data") or []}
            node = self.graph_get(self.api, post_id, token, {"fields": "shares,comments.summary(true).limit(0)"})
            comments = ((node.get("comments") or {}).get("summary") or {}).get("total_count")
            results.append(PostMetrics(
                external_id=post_id,
                impressions=values.get("post_media_view"),
                reach=values.get("post_total_media_view_unique"),
                likes=values.get("post_reactions_by_type_total"),
                comments=int(comments) if comments is not None else None,
                shares=int((node.get("shares") or {}).get("count", 0)),  # absent = never shared
                clicks=values.get("post_clicks"),
            ))
        return results

    # --- webhooks ------------------------------------------------------------------------------
    def parse_webhook(self, request: WebhookRequest) -> list[WebhookEvent]:
        """``object: page``: ``changes`` with ``field: feed`` (comments) and ``messaging`` (DMs)."""
        payload = self.webhook_payload(request)
        if not payload or payload.get("object") != "page":
            return []
        events: list[WebhookEvent] = []
        for entry in payload.get("entry") or []:
            page_id = str(entry.get("id", ""))
            for change in entry.get("changes") or []:
                value = change.get("value") or {}
                if change.get("field") != "feed" or value.get("item") != "comment":
                    events.append(WebhookEvent(account_external_id=page_id, kind="other", raw=change))
                    continue
                author = value.get("from") or {}
                if str(author.get("id", "")) == page_id:
                    continue  # our own comment or reply echoed back
                if value.get("verb") not in ("add", "edited"):
                    events.append(WebhookEvent(account_external_id=page_id, kind="other", raw=change))
                    continue
                post_id = str(value.get("post_id", ""))
                parent = str(value.get("parent_id") or "")
                is_reply = bool(parent) and parent != post_id
                events.append(WebhookEvent(account_external_id=page_id, kind="inbox_item", raw=change, item=InboxItem(
                    external_id=str(value.get("comment_id", "")), kind="reply" if is_reply else "comment",
                    text=value.get("message") or "", author_id=str(author.get("id", "")),
                    author_name=author.get("name", ""), created_at=parse_time(value.get("created_time")),
                    post_external_id=post_id, parent_external_id=parent if is_reply else "", thread_id=post_id,
                    is_hidden=value.get("verb") == "hide", raw=value,
                )))
            for messaging in entry.get("messaging") or []:
                message = messaging.get("message") or {}
                sender = str((messaging.get("sender") or {}).get("id", ""))
                if not message or message.get("is_echo") or sender == page_id:
                    events.append(WebhookEvent(account_external_id=page_id, kind="other", raw=messaging))
                    continue
                timestamp = messaging.get("timestamp")
                created = (datetime.fromtimestamp(timestamp / 1000, tz=UTC)
                           if isinstance(timestamp, int | float) else None)  # Messenger: milliseconds
                events.append(WebhookEvent(account_external_id=page_id, kind="inbox_item", raw=messaging,
                                           item=InboxItem(
                    external_id=str(message.get("mid", "")), kind="dm", text=message.get("text") or "",
                    author_id=sender, created_at=created, thread_id=sender, raw=messaging,
                )))
        return events


def _number(value: Any) -> int | None:
    """Insight values are numbers, or objects of numbers (reactions by type) that we sum."""
    if value is None:
        return None
    if isinstance(value, dict):
        return int(sum(v for v in value.values() if isinstance(v, int | float)))
    if isinstance(value, int | float):
        return int(value)
    return None


__all__ = ["FacebookProvider"]
