"""What publishing tells customers' systems through outgoing webhooks (socialops.webhooks): the
full post (with its variants) or the variant that was published or failed. Called from the
services, inside their transaction. Events are ordered per post (``obj_id`` is the post's id), so
a receiver sees ``post.scheduled`` before that post's ``post.published``."""

from __future__ import annotations

from django.urls import reverse

from channels_registry.selectors import live_post_url
from socialops.webhooks.services import absolute_url, emit, emit_many

from .models import Post, PostVariant


def variant_payload(variant: PostVariant, *, org_slug: str = "") -> dict:
    """``external_url`` is the link as it works today, as the API gives it (a sandbox post: its page
    on today's SITE_URL, not the one stored when it was published)."""
    channel = variant.channel
    return {
        "id": variant.pk,
        "post": variant.post_id,
        "channel": {
            "id": channel.pk,
            "provider": channel.provider,
            "handle": channel.handle,
            "name": channel.name,
        },
        "status": variant.status,
        "text": variant.text,
        "first_comment": variant.first_comment,
        "format": variant.format,
        "due_at": variant.due_at,
        "published_at": variant.published_at,
        "external_id": variant.external_id,
        "external_url": live_post_url(
            channel, variant.external_id, variant.external_url, org_slug=org_slug
        ),
        "failure_reason": variant.failure_reason,
        "attempts": variant.attempts_count,
        "updated_at": variant.updated_at,
    }


def post_payload(post: Post, variants=None) -> dict:
    org = post.organization
    if variants is None:
        variants = (
            PostVariant.objects.for_org(post.organization_id)
            .filter(post=post)
            .select_related("channel")
            .order_by("pk")
        )
    return {
        "id": post.pk,
        "organization": org.slug,
        "title": post.title,
        "text": post.text,
        "link_url": post.link_url,
        "status": post.status,
        "version": post.version,
        "campaign": post.campaign_id,
        "team": post.team_id,
        "parent": post.parent_id,
        "tags": post.tags,
        "scheduled_at": post.scheduled_at,
        "schedule_timezone": post.schedule_timezone,
        "created_at": post.created_at,
        "updated_at": post.updated_at,
        "url": absolute_url(reverse("post_detail", args=[org.slug, post.pk])),
        "variants": [variant_payload(v, org_slug=org.slug) for v in variants],
    }


def post_scheduled(post: Post) -> None:
    # the payload (a query for the variants) is read only when an endpoint listens
    emit_many(post.organization, "post.scheduled", lambda: [(post.pk, post_payload(post))])


def _variant_event(variant: PostVariant) -> dict:
    post = variant.post
    org = post.organization
    return {
        **variant_payload(variant, org_slug=org.slug),
        "organization": org.slug,
        "post_status": post.status,
        "post_title": post.title,
        "url": absolute_url(reverse("post_detail", args=[org.slug, post.pk])),
    }


def variants_published(organization, variant_ids) -> None:
    """One ``post.published`` per variant now on its network (one query, one insert)."""

    def items():
        variants = (
            PostVariant.objects.for_org(organization)
            .filter(pk__in=list(variant_ids))
            .select_related("channel", "post", "post__organization")
            .order_by("pk")
        )
        return [(v.post_id, _variant_event(v)) for v in variants]

    emit_many(organization, "post.published", items)


def variant_failed(variant: PostVariant) -> None:
    variant = (
        PostVariant.objects.for_org(variant.organization_id)
        .select_related("channel", "post", "post__organization")
        .get(pk=variant.pk)
    )
    emit(variant.post.organization, "post.failed", variant.post_id, _variant_event(variant))
