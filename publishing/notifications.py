"""The author hears about a variant that failed to publish (e-mail, in the author's language).

Called on commit by the scheduler (``transaction.on_commit``), with an id: it re-reads the row.
When the accounts notification service lands, this is the one place that switches to it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import PostVariant

log = logging.getLogger(__name__)


def _post_url(org, post) -> str:
    for name, args in (("post_detail", [org.slug, post.pk]), ("org_home", [org.slug])):
        try:
            return settings.SITE_URL + reverse(name, args=args)
        except NoReverseMatch:
            continue
    return settings.SITE_URL


def notify_publish_failure(variant_id: int) -> bool:
    """E-mail the post's author that one channel failed, with the network's reason. True if sent."""
    variant = (PostVariant.objects.unscoped().select_related("post__author", "channel", "organization")
               .filter(pk=variant_id).first())
    if variant is None or variant.status != PostVariant.Status.FAILED:
        return False
    post, org = variant.post, variant.organization
    author = post.author
    if author is None or not author.is_active or not author.email:
        return False
    language = author.language or org.default_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"variant": variant, "post": post, "channel": variant.channel, "organization": org,
                   "reason": variant.failure_reason, "url": _post_url(org, post)}
        subject = _("A post could not be published to %(channel)s") % {
            "channel": variant.channel.handle or variant.channel.name}
        body = render_to_string("publishing/email/publish_failed.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [author.email])
    except Exception:  # noqa: BLE001 - a mail outage must not undo the recorded failure
        log.warning("could not e-mail the failure of variant %s", variant_id, exc_info=True)
        return False
    return True
