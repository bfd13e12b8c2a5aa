"""Facebook: HTTP plumbing, error mapping and the pieces every other module of the package shares."""

from __future__ import annotations

import logging
from typing import Any

from ..base import (
    Capabilities,
    MediaSpec,
)
from ..meta import (
    MetaGraphProvider,
)

log = logging.getLogger(__name__)

MB = 1024 * 1024

COMMENT_FIELDS = "id,message,from,created_time,like_count,is_hidden,parent,permalink_url"
REEL_PREFIX = "reel:"


class FacebookClient(MetaGraphProvider):
    """What the Facebook provider's modules share: its capabilities, URLs and HTTP calls."""

    key = "facebook"
    name = "Facebook"
    network_label = "Facebook"
    capabilities = Capabilities(
        roles_page="https://business.facebook.com/settings/people",
        text_limit=63206,
        text_counting="chars",
        # the feed cuts a long post behind "See more" (about 480 characters or 5 lines)
        feed_cut_chars=480,
        feed_cut_lines=5,
        # Page photos: JPEG, PNG, GIF, BMP, TIFF up to 10 MB (Stories API / notes §12).
        image=MediaSpec(
            max_bytes=10 * MB,
            mime_types=("image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff"),
        ),
        # Non-resumable uploads (file_url) take up to 1 GB and 20 minutes; Reels are 3–90 s, 9:16.
        video=MediaSpec(
            max_bytes=1024 * MB, max_seconds=20 * 60, mime_types=("video/mp4", "video/quicktime")
        ),
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
        like_comments=True,  # POST/DELETE /{comment-id}/likes, as the Page
        webhooks=True,
        auth_kind="oauth2",
        mark="FB",
        webhook_headers=("x-hub-signature-256",),
        # engagement by weekday (Sprout Social and Hootsuite studies, 2024; see Capabilities.best_hours)
        best_hours=(
            (0, (9, 13)),
            (1, (9, 13)),
            (2, (9, 13)),
            (3, (9, 13)),
            (4, (9, 11)),
            (5, (10,)),
            (6, (12,)),
        ),
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


def _number(value: Any) -> int | None:
    """Insight values are numbers, or objects of numbers (reactions by type) that we sum."""
    if value is None:
        return None
    if isinstance(value, dict):
        return int(sum(v for v in value.values() if isinstance(v, int | float)))
    if isinstance(value, int | float):
        return int(value)
    return None
