"""Reads of publishing; every one names the organization first."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.capabilities import Capability, can

from .models import Campaign, MediaAsset, Post, PostMedia, PostVariant


@dataclass
class PostFilters:
    status: str = ""
    channel_id: int | None = None
    campaign_id: int | None = None
    author_id: int | None = None
    team_id: int | None = None


def posts_of(organization, filters: PostFilters | None = None) -> QuerySet[Post]:
    """Posts with their variants (and channels), campaign and author: a fixed number of queries."""
    f = filters or PostFilters()
    qs = Post.objects.for_org(organization).select_related("campaign", "author", "team", "parent")
    if f.status:
        qs = qs.filter(status=f.status)
    if f.channel_id:
        qs = qs.filter(pk__in=PostVariant.objects.for_org(organization).filter(channel_id=f.channel_id)
                       .values("post_id"))
    if f.campaign_id:
        qs = qs.filter(campaign_id=f.campaign_id)
    if f.author_id:
        qs = qs.filter(author_id=f.author_id)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    variants = PostVariant.objects.for_org(organization).select_related("channel").order_by("channel__provider", "pk")
    return qs.prefetch_related(Prefetch("variants", queryset=variants)).order_by("-created_at", "-pk")


def get_post_for_member(membership, post_id, *, need: str = Capability.VIEW) -> Post:
    """Another organization's post and a missing one are the same 404; lacking ``need`` is a 403."""
    try:
        post_id = int(post_id)
    except (TypeError, ValueError):
        raise Http404("No such post.") from None
    post = (Post.objects.for_org(membership.organization).select_related("campaign", "author", "team", "parent")
            .filter(pk=post_id).first())
    if post is None:
        raise Http404("No such post.")
    if not can(membership, need, post):
        raise PermissionDenied
    return post


def get_variant_for_member(membership, variant_id, *, post: Post | None = None,
                           need: str = Capability.VIEW) -> PostVariant:
    try:
        variant_id = int(variant_id)
    except (TypeError, ValueError):
        raise Http404("No such variant.") from None
    qs = PostVariant.objects.for_org(membership.organization).select_related("channel", "post").filter(pk=variant_id)
    if post is not None:
        qs = qs.filter(post=post)
    variant = qs.first()
    if variant is None or not can(membership, Capability.VIEW, variant.channel):
        raise Http404("No such variant.")
    if not can(membership, need, variant.post):
        raise PermissionDenied
    return variant


def variants_of(post: Post) -> QuerySet[PostVariant]:
    return PostVariant.objects.for_org(post.organization_id).filter(post=post).select_related("channel").order_by(
        "channel__provider", "pk")


def media_of(post: Post) -> QuerySet[PostMedia]:
    return PostMedia.objects.for_org(post.organization_id).filter(post=post).select_related("asset")


def localizations_of(post: Post) -> QuerySet[Post]:
    """The regional children of a head-office post (each keeps its link to the parent)."""
    return Post.objects.for_org(post.organization_id).filter(parent=post).select_related("team").order_by("pk")


def campaigns_of(organization) -> QuerySet[Campaign]:
    return Campaign.objects.for_org(organization).select_related("team").order_by("-starts_on", "name")


def get_campaign(organization, campaign_id) -> Campaign:
    try:
        campaign_id = int(campaign_id)
    except (TypeError, ValueError):
        raise Http404("No such campaign.") from None
    campaign = Campaign.objects.for_org(organization).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def composable_channels(membership) -> QuerySet:
    """Channels the member may write for: visible, connected (or needing re-auth), and not archived."""
    from channels_registry.models import Channel
    from channels_registry.selectors import visible_channels

    qs = visible_channels(membership).filter(status__in=[Channel.Status.ACTIVE, Channel.Status.NEEDS_REAUTH])
    return qs


def can_post_to(membership, channel) -> bool:
    return can(membership, Capability.COMPOSE, channel) or can(membership, Capability.PUBLISH, channel)


def media_library(organization, *, limit: int | None = None) -> QuerySet[MediaAsset]:
    qs = MediaAsset.objects.for_org(organization).order_by("-created_at", "-pk")
    return qs[:limit] if limit else qs


def assets_by_ids(organization, ids) -> list[MediaAsset]:
    """The organization's assets among ``ids``, in the order given; unknown ids are left out."""
    wanted = []
    for raw in ids:
        try:
            wanted.append(int(raw))
        except (TypeError, ValueError):
            continue
    found = {a.pk: a for a in MediaAsset.objects.for_org(organization).filter(pk__in=wanted)}
    return [found[i] for i in dict.fromkeys(wanted) if i in found]


def authors_of(organization):
    """People who wrote posts here (for the list's author filter)."""
    from accounts.selectors import members_of

    author_ids = Post.objects.for_org(organization).exclude(author=None).values("author_id")
    return members_of(organization).filter(user_id__in=author_ids).select_related("user")


__all__ = [
    "PostFilters", "assets_by_ids", "authors_of", "campaigns_of", "can_post_to", "composable_channels",
    "get_campaign", "get_post_for_member", "get_variant_for_member", "localizations_of", "media_library", "media_of",
    "posts_of", "variants_of",
]
