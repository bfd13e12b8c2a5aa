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

from .client import FacebookClient
from .connect import FacebookConnection
from .inbox import FacebookInbox
from .metrics import FacebookMetrics
from .publish import FacebookPublishing
from .webhooks import FacebookWebhooks


class FacebookProvider(
    FacebookConnection,
    FacebookPublishing,
    FacebookInbox,
    FacebookMetrics,
    FacebookWebhooks,
    FacebookClient,
):
    """Facebook: the parts of the package as one provider (the registry names this class)."""


__all__ = ["FacebookClient", "FacebookProvider"]
