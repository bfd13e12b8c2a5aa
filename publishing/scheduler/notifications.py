"""The author hears about a variant that failed to publish (through accounts' notification service).

Called on commit by the scheduler (``transaction.on_commit``), with an id: it re-reads the row.
The bell and the e-mail (in the author's language, with the network's reason and a link) come
from ``accounts.notifications.notify`` and the templates ``templates/notifications/publish_failed_*``.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.urls import reverse

from accounts.notifications import NotificationKind, notify

from ..models import PostVariant

log = logging.getLogger(__name__)


def notify_publish_failure(variant_id: int) -> bool:
    """Tell the post's author that one channel failed, with the network's reason.

    True when the author got a new in-app notification (an e-mail alone, by their choice, returns False).
    """
    variant = (
        PostVariant.objects.unscoped()
        .select_related("post__author", "channel", "organization")
        .filter(pk=variant_id)
        .first()
    )
    if variant is None or variant.status != PostVariant.Status.FAILED:
        return False
    post, org = variant.post, variant.organization
    if post.author is None:
        return False
    channel = variant.channel
    context = {  # plain data: the bell keeps it and renders it in the reader's language when read
        "post": str(post),
        "channel": {"handle": channel.handle, "name": channel.name, "provider": channel.provider},
        "reason": variant.failure_reason,
    }
    try:
        with transaction.atomic():
            told = notify(
                org,
                recipients=[post.author],
                kind=NotificationKind.PUBLISH_FAILED,
                template="publish_failed",
                context=context,
                url=reverse("post_detail", args=[org.slug, post.pk]),
            )
    except Exception:  # noqa: BLE001 - telling people must not undo the recorded failure
        log.warning("could not notify the failure of variant %s", variant_id, exc_info=True)
        return False
    return bool(told)
