"""publishing.posts.services (authoring): posts, variants, localization, campaigns, content validation.

Every function here is one state change (verb first, keyword-only arguments after the object),
runs in one transaction and writes its audit entry there. Content is validated against each
network before anything is kept: a save that would leave a variant over its network's limit is
refused as a whole (the transaction rolls back), with messages naming the variant.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, can, require
from socialops.audit.services import record_event
from socialops.errors import Conflict, NotAllowed, ValidationFailed

from .. import hooks
from ..models import Campaign, MediaAsset, Post, PostMedia, PostVariant

__all__ = [
    "hand_over_posts",
    "attach_media",
    "create_campaign",
    "create_post",
    "check_variant",
    "delete_post",
    "edit_variant",
    "ensure_publishable",
    "feed_cut",
    "final_link",
    "localize_post",
    "mark_approved",
    "mark_in_review",
    "network_capabilities",
    "text_length",
    "text_limit_for",
    "network_name",
    "reset_variant_text",
    "return_to_draft",
    "save_composition",
    "set_variant_format",
    "set_variant_text",
    "update_post",
    "validate_post",
    "variant_link",
    "variant_publish_text",
    "variant_count",
    "variant_preview",
]

#: post states in which the content may no longer change
_FROZEN = {
    Post.Status.PUBLISHING,
    Post.Status.PUBLISHED,
    Post.Status.PARTIALLY_PUBLISHED,
    Post.Status.CANCELLED,
}
#: post states an edit sends back to draft (an approval or a schedule bound to the old content)
_BACK_TO_DRAFT = {Post.Status.APPROVED, Post.Status.SCHEDULED}
_CONTENT_FIELDS = ("text", "link_url", "first_comment")


# --- Networks: names, capabilities, counting --------------------------------------------------


def _provider(provider_key: str):
    from channels_registry.providers import provider_class

    try:
        return provider_class(provider_key)
    except (KeyError, ImportError, AttributeError):
        return None


def network_capabilities(provider_key: str):
    provider = _provider(provider_key)
    return getattr(provider, "capabilities", None)


def _link_in_text(provider_key: str) -> bool:
    """Whether the network carries the link inside the text (it counts against the limit there)."""
    caps = network_capabilities(provider_key)
    return bool(caps and caps.link_in_text)


def text_limit_for(channel, caps) -> int:
    """The text limit of ``channel``: what its server reported (a Mastodon instance's own
    ``max_characters``, kept in ``Channel.metadata`` by the health check), else the network's."""
    reported = (getattr(channel, "metadata", None) or {}).get("max_characters")
    return reported if isinstance(reported, int) and reported > 0 else caps.text_limit


def network_name(provider_key: str) -> str:
    from channels_registry.selectors import provider_names

    return provider_names().get(provider_key, provider_key.title())


def text_length(provider_key: str, text: str) -> int:
    """Length of ``text`` as the network of ``provider_key`` counts it: its provider's own rule
    (``Provider.count_text``: X weighted, Bluesky graphemes, Mastodon graphemes with links 23…).
    The composer's live counter, its preview and the validation before saving all ask here."""
    provider = _provider(provider_key)
    if provider is None:
        return len(unicodedata.normalize("NFC", text or ""))
    return provider.count_text(text or "")


def variant_count(variant: PostVariant, post: Post) -> dict:
    """The composer's counter for one (possibly unsaved) variant: the length of the text it will
    publish (with the link where the network carries it in the text) and the channel's limit."""
    caps = network_capabilities(variant.channel.provider)
    length = text_length(variant.channel.provider, variant_publish_text(variant, post))
    limit = text_limit_for(variant.channel, caps) if caps is not None else None
    return {
        "channel": variant.channel_id,
        "count": length,
        "limit": limit,
        "over": limit is not None and length > limit,
    }


def _variant_label(channel) -> str:
    handle = channel.display_handle or channel.name or channel.external_id
    return f"{network_name(channel.provider)} {handle}".strip()


# --- Links and UTM -------------------------------------------------------------------------------


def final_link(url: str, campaign: Campaign | None) -> str:
    """``url`` with the campaign's UTM parameters added: exactly what the scheduler sends (its
    ``add_utm`` is the one rule: existing parameters kept, the campaign's win)."""
    if not url or campaign is None:
        return url or ""
    from ..scheduler.services import add_utm

    return add_utm(url, campaign)


def variant_link(variant: PostVariant, post: Post | None = None) -> str:
    """The link this variant publishes (the post's link with the campaign's UTM for this network)."""
    post = post or variant.post
    return final_link(post.link_url, post.campaign)


def variant_publish_text(variant: PostVariant, post: Post | None = None) -> str:
    """The text as the network will count it (X and Mastodon carry the link in the text)."""
    post = post or variant.post
    text = variant.effective_text(post)
    link = variant_link(variant, post)
    if link and _link_in_text(variant.channel.provider) and link not in text:
        text = f"{text.rstrip()}\n\n{link}" if text.strip() else link
    return text


# --- Validation ------------------------------------------------------------------------------------


def feed_cut(text: str, caps) -> tuple[str, str]:
    """``text`` split where the network's feed cuts it behind "…more": (what the feed shows, the
    rest). The cut comes after ``caps.feed_cut_chars`` characters or ``caps.feed_cut_lines`` lines,
    whichever is first, moved back to a space so no word or link is split; ("text", "") when the
    feed shows it all."""
    text = text or ""
    cut = len(text)
    if caps.feed_cut_chars and len(text) > caps.feed_cut_chars:
        cut = caps.feed_cut_chars
    if caps.feed_cut_lines:
        breaks = [i for i, ch in enumerate(text) if ch == "\n"]
        if len(breaks) >= caps.feed_cut_lines:
            cut = min(cut, breaks[caps.feed_cut_lines - 1])
    if cut >= len(text.rstrip()):
        return text, ""
    space = max(text.rfind(" ", 0, cut + 1), text.rfind("\n", 0, cut + 1))
    if space > cut // 2:
        cut = space
    return text[:cut].rstrip(), text[cut:].strip()


def _preview_media(items: list[PostMedia], caps, fmt: str) -> list[dict]:
    """Each attached file as the preview shows it: the rendition the network will get (an image
    with renditions), else the library's thumbnail (a video's first frame). Only ids and preset
    names: the template builds the organization's media URLs (membership-checked views)."""
    from ..media import services as media_services

    out = []
    for item in items:
        asset = item.asset
        preset = ""
        if asset.kind == MediaAsset.Kind.IMAGE and asset.renditions.all():  # never made here
            rendition = media_services.best_rendition_for(asset, caps, fmt)
            preset = rendition.preset if rendition is not None else ""
        out.append(
            {
                "asset_id": asset.pk,
                "kind": asset.kind,
                "preset": preset,
                "alt": item.alt_text or asset.alt_text,
                "video": asset.kind == MediaAsset.Kind.VIDEO,
            }
        )
    return out


def variant_preview(
    variant: PostVariant, post: Post, items: list[PostMedia], *, with_errors: bool = True
) -> dict | None:
    """What ``publishing/compose_preview.html`` shows for one variant (the composer and the approval
    pages): who posts it, the text as published and where the network's feed cuts it, its length
    against the channel's own limit, the media as the network gets them, the link card, first
    comment, format and, optionally, what would stop it from going out. None for a network this
    server does not know."""
    channel = variant.channel
    caps = network_capabilities(channel.provider)
    if caps is None:
        return None
    body = variant_publish_text(variant, post)
    shown, more = feed_cut(body, caps)
    link = variant_link(variant, post)
    media = _preview_media(items, caps, variant.format)
    name = channel.name or channel.handle or channel.external_id
    return {
        "channel": channel,
        "provider": channel.provider,
        "network": network_name(channel.provider),
        "name": name,
        "handle": channel.display_handle,
        "initial": (name or "?")[:1].upper(),
        "text": body,
        "text_shown": shown,
        "text_more": more,
        "length": text_length(channel.provider, body),
        "limit": text_limit_for(channel, caps),
        "link": link,
        "link_card": urlsplit(link).netloc if link and not caps.link_in_text else "",
        "first_comment": variant.first_comment,
        "format": variant.format,
        "format_label": variant.get_format_display(),
        "media": media,
        "media_shown": media[:1] if caps.carousel else media[:4],
        "carousel_dots": range(len(media)) if caps.carousel and len(media) > 1 else range(0),
        "errors": check_variant(variant, post, items, for_draft=False) if with_errors else [],
    }


def _media_rule_errors(variant: PostVariant, post: Post, caps, items: list[PostMedia]) -> list[str]:
    label = _variant_label(variant.channel)
    errors: list[str] = []
    if variant.format in (PostVariant.Format.STORY, PostVariant.Format.REEL) and not items:
        errors.append(
            _("%(variant)s: a story or reel needs an image or a video.") % {"variant": label}
        )
    elif caps.media_required_message and not items:
        errors.append(str(caps.media_required_message) % {"variant": label})
    if post.link_url and not caps.link_posts:
        errors.append(
            _(
                "%(variant)s: links are not clickable on this network; put the link in the text or "
                "remove it."
            )
            % {"variant": label}
        )
    if not items:
        return errors
    # The media library's per-network checks: counts, types, sizes, dimensions, durations.
    from ..media import services as media_services

    found = media_services.validate_media_for_channel(
        items, caps, variant.format, network=network_name(variant.channel.provider)
    )
    return errors + [f"{label}: {message}" for message in found]


def _variant_errors(
    variant: PostVariant, post: Post, items: list[PostMedia], *, for_draft: bool
) -> list[str]:
    channel = variant.channel
    label = _variant_label(channel)
    caps = network_capabilities(channel.provider)
    if caps is None:
        return [_("%(variant)s: this network is not available.") % {"variant": label}]
    errors: list[str] = []
    text = variant_publish_text(variant, post)
    length = text_length(channel.provider, text)
    limit = text_limit_for(channel, caps)
    if length > limit:
        how = {
            "weighted": _(" as X counts them (links 23, CJK and emoji 2)"),
            "graphemes": _(" (as the network counts them)"),
        }.get(caps.text_counting, "")
        errors.append(
            _("%(variant)s: the text is %(length)d characters%(how)s; the limit is %(limit)d.")
            % {"variant": label, "length": length, "how": how, "limit": limit}
        )
    if not text.strip() and not items:
        errors.append(_("%(variant)s: write some text or attach media.") % {"variant": label})
    if variant.first_comment:
        if not caps.first_comment:
            errors.append(_("%(variant)s: this network has no first comment.") % {"variant": label})
        elif text_length(channel.provider, variant.first_comment) > limit:
            errors.append(
                _("%(variant)s: the first comment is over the limit of %(limit)d.")
                % {"variant": label, "limit": limit}
            )
    if variant.format == PostVariant.Format.STORY and not caps.stories:
        errors.append(_("%(variant)s: this network has no stories.") % {"variant": label})
    if variant.format == PostVariant.Format.REEL and not caps.reels:
        errors.append(_("%(variant)s: this network has no reels.") % {"variant": label})
    errors += _media_rule_errors(variant, post, caps, items)
    if not for_draft:
        if channel.status == channel.Status.NEEDS_REAUTH:
            errors.append(
                _(
                    "%(variant)s: the channel needs to be reconnected (re-auth) before it can publish."
                )
                % {"variant": label}
            )
        elif channel.status != channel.Status.ACTIVE:
            errors.append(
                _("%(variant)s: the channel is %(status)s.")
                % {"variant": label, "status": channel.get_status_display().lower()}
            )
    return errors


def validate_post(post: Post, *, for_draft: bool = False) -> dict[int, list[str]]:
    """Problems per variant id (empty when the post can go out). ``for_draft`` skips channel state."""
    items = list(
        PostMedia.objects.for_org(post.organization_id).filter(post=post).select_related("asset")
    )
    variants = (
        PostVariant.objects.for_org(post.organization_id)
        .filter(post=post)
        .select_related("channel")
    )
    out: dict[int, list[str]] = {}
    for variant in variants:
        errors = _variant_errors(variant, post, items, for_draft=for_draft)
        if errors:
            out[variant.pk] = errors
    return out


def check_variant(
    variant: PostVariant, post: Post, items: list[PostMedia], *, for_draft: bool = True
) -> list[str]:
    """Problems of one (possibly unsaved) variant: what the composer's preview shows."""
    return _variant_errors(variant, post, items, for_draft=for_draft)


def ensure_publishable(post: Post, *, by=None) -> None:
    """Raise ValidationFailed naming each variant that cannot go out (content, media, channel state);
    with ``by``, a variant on a channel they may not see is mentioned without its name."""
    _raise_if_invalid(post, for_draft=False, by=by)


def _raise_if_invalid(post: Post, *, for_draft: bool = True, by=None) -> None:
    problems = validate_post(post, for_draft=for_draft)
    if not problems:
        return
    channel_of = dict(
        PostVariant.objects.for_org(post.organization_id)
        .filter(pk__in=problems)
        .values_list("pk", "channel_id")
    )
    hidden: set[int] = set()
    if (
        by is not None
    ):  # a variant on a restricted channel ``by`` may not see: neither its name nor its id
        from .selectors import visible_variants

        seen = set(
            visible_variants(
                by, PostVariant.objects.for_org(post.organization_id).filter(pk__in=problems)
            ).values_list("pk", flat=True)
        )
        hidden = set(problems) - seen
    fields = {
        f"channel_{channel_of[vid]}": msgs for vid, msgs in problems.items() if vid not in hidden
    }
    flat = [m for vid, msgs in problems.items() if vid not in hidden for m in msgs]
    if hidden:
        message = _(
            "A channel of this post that you cannot see is not ready: someone with access to it must "
            "fix it."
        )
        fields["channels"] = [message]
        flat.append(message)
    raise ValidationFailed(
        _("Nothing was saved. %(problems)s") % {"problems": " ".join(flat)},
        fields=fields,
        code="invalid_variants",
    )


# --- Access ------------------------------------------------------------------------------------------


def _check_channels(org, by, channels: Iterable) -> list:
    channels = list(dict.fromkeys(channels))
    if not channels:
        raise ValidationFailed(
            _("Pick at least one channel."), fields={"channels": [_("Pick at least one channel.")]}
        )
    for channel in channels:
        # A restricted channel the person cannot see is "not found", like another organization's.
        if channel.organization_id != org.pk or not can(by, Capability.VIEW, channel):
            raise ValidationFailed(
                _("That channel was not found."), fields={"channels": [_("Choose valid channels.")]}
            )
        if not (can(by, Capability.COMPOSE, channel) or can(by, Capability.PUBLISH, channel)):
            raise NotAllowed(
                _("You may not post to %(channel)s.") % {"channel": _variant_label(channel)}
            )
        if channel.status in (channel.Status.ARCHIVED, channel.Status.DISCONNECTED):
            raise ValidationFailed(
                _("%(channel)s is %(status)s: reconnect or unarchive it first.")
                % {
                    "channel": _variant_label(channel),
                    "status": channel.get_status_display().lower(),
                },
                fields={"channels": [_("Choose connected channels.")]},
            )
    return channels


def _check_same_org(org, obj, field: str) -> None:
    if obj is not None and obj.organization_id != org.pk:
        raise ValidationFailed(
            _("That choice was not found."), fields={field: [_("Choose a valid option.")]}
        )


def _check_format(channel, fmt: str) -> str:
    fmt = fmt or PostVariant.Format.POST
    if fmt not in PostVariant.Format.values:
        raise ValidationFailed(
            _("Choose post, story or reel."), fields={"format": [_("Choose a valid format.")]}
        )
    caps = network_capabilities(channel.provider)
    if (fmt == PostVariant.Format.STORY and not (caps and caps.stories)) or (
        fmt == PostVariant.Format.REEL and not (caps and caps.reels)
    ):
        raise ValidationFailed(
            _("%(variant)s has no %(format)s format.")
            % {"variant": _variant_label(channel), "format": fmt},
            fields={f"channel_{channel.pk}": [_("This network has no such format.")]},
        )
    return fmt


def _check_override_channels(channel_ids: set[int], fields: dict) -> None:
    """``variant_texts``/``variant_formats`` name only channels of the post (a key for another channel
    would be dropped without a word: the caller meant something that did not happen)."""
    errors = {
        f"{name}.{channel_id}": [_("This channel is not one of the post's channels.")]
        for name in ("variant_texts", "variant_formats")
        for channel_id in (fields.get(name) or {})
        if channel_id not in channel_ids
    }
    if errors:
        raise ValidationFailed(
            _("A variant text or format names a channel the post does not go to."), fields=errors
        )


def _first_comment_for(channel, first_comment: str) -> str:
    caps = network_capabilities(channel.provider)
    return first_comment if caps is not None and caps.first_comment else ""


# --- Posts ---------------------------------------------------------------------------------------------


def _set_media(post: Post, assets: Sequence[MediaAsset], alt_texts: Sequence[str]) -> list[int]:
    org_id = post.organization_id
    assets = list(dict.fromkeys(assets))
    for asset in assets:
        if asset.organization_id != org_id:
            raise ValidationFailed(
                _("That media was not found."),
                fields={"media": [_("Choose media from the library.")]},
            )
    alt_texts = list(alt_texts) + [""] * (len(assets) - len(alt_texts))
    PostMedia.objects.for_org(org_id).filter(post=post).delete()
    PostMedia.objects.bulk_create(
        [
            PostMedia(
                organization_id=org_id,
                post=post,
                asset=asset,
                position=i,
                alt_text=(alt_texts[i] or asset.alt_text or "")[:1000],
            )
            for i, asset in enumerate(assets)
        ]
    )
    return [a.pk for a in assets]


def _add_variants(
    post: Post, channels, *, variant_texts: dict | None, variant_formats: dict | None
) -> None:
    variant_texts = variant_texts or {}
    variant_formats = variant_formats or {}
    rows = []
    for channel in channels:
        text = variant_texts.get(channel.pk)
        overridden = text is not None and text != post.text
        rows.append(
            PostVariant(
                organization_id=post.organization_id,
                post=post,
                channel=channel,
                text=text if overridden else "",
                text_overridden=overridden,
                first_comment=_first_comment_for(channel, post.first_comment),
                format=_check_format(channel, variant_formats.get(channel.pk, "")),
                content_version=post.version,
            )
        )
    PostVariant.objects.bulk_create(rows)


@transaction.atomic
def create_post(
    org,
    *,
    by,
    text: str,
    channels,
    link_url: str = "",
    first_comment: str = "",
    campaign: Campaign | None = None,
    team=None,
    title: str = "",
    media: Sequence[MediaAsset] = (),
    alt_texts: Sequence[str] = (),
    variant_texts: dict[int, str] | None = None,
    variant_formats: dict[int, str] | None = None,
) -> Post:
    """A draft with one variant per channel. ``variant_texts``/``variant_formats`` are keyed by channel id."""
    require(by, Capability.COMPOSE)
    channels = _check_channels(org, by, channels)
    _check_override_channels(
        {c.pk for c in channels},
        {"variant_texts": variant_texts, "variant_formats": variant_formats},
    )
    _check_same_org(org, campaign, "campaign")
    _check_same_org(org, team, "team")
    post = Post.objects.create(
        organization=org,
        author=by.user,
        title=(title or "")[:200],
        text=text or "",
        link_url=link_url or "",
        first_comment=first_comment or "",
        campaign=campaign,
        team=team,
        status=Post.Status.DRAFT,
    )
    _add_variants(post, channels, variant_texts=variant_texts, variant_formats=variant_formats)
    media_ids = _set_media(post, media, alt_texts) if media else []
    _raise_if_invalid(post)
    record_event(
        org,
        "post.created",
        obj=post,
        changes={
            "channels": [c.pk for c in channels],
            "campaign": campaign.pk if campaign else None,
            "media": media_ids,
        },
    )
    return post


def _send_back_to_draft(post: Post, *, by) -> None:
    """An approved or scheduled post whose content changed goes back to draft (the old content never goes out)."""
    if post.status not in _BACK_TO_DRAFT:
        return
    if post.status == Post.Status.SCHEDULED:
        from ..scheduler import services as scheduling

        # The scheduler's own call (it writes its audit entry) when this person may unschedule;
        # an editor without the publish capability still sends the post back, below.
        if can(by, Capability.PUBLISH, post):
            scheduling.unschedule_post(post, by=by)
            post.refresh_from_db()
            if post.status == Post.Status.DRAFT:
                return
    # An editor who may not unschedule (or an unschedule that left the post approved): move the
    # rows back ourselves, in this transaction; the dispatcher only claims variants in "scheduled".
    PostVariant.objects.for_org(post.organization_id).filter(
        post=post, status__in=[PostVariant.Status.SCHEDULED, PostVariant.Status.HELD]
    ).update(status=PostVariant.Status.DRAFT, updated_at=timezone.now())
    post.status = Post.Status.DRAFT
    post.save(update_fields=["status", "updated_at"])


def _check_editable(post: Post) -> None:
    if post.status in _FROZEN:
        raise Conflict(
            _("This post is %(status)s; it can no longer be edited.")
            % {"status": post.get_status_display().lower()}
        )
    busy = (
        PostVariant.objects.for_org(post.organization_id)
        .filter(
            post=post,
            status__in=[
                PostVariant.Status.PUBLISHING,
                PostVariant.Status.UNCONFIRMED,
                PostVariant.Status.PENDING,
            ],
        )
        .exists()
    )
    if busy:
        raise Conflict(_("This post is being published right now; wait until it finishes."))


def _bump_version(post: Post) -> None:
    post.version += 1
    PostVariant.objects.for_org(post.organization_id).filter(post=post).update(
        content_version=post.version, updated_at=timezone.now()
    )


_UNSET = object()
_UPDATABLE = {
    "title",
    "text",
    "link_url",
    "first_comment",
    "campaign",
    "team",
    "channels",
    "media",
    "alt_texts",
    "variant_texts",
    "variant_formats",
}
#: variant states a channel can still be taken off the post in (the others have gone out)
_REMOVABLE = (
    PostVariant.Status.DRAFT,
    PostVariant.Status.SCHEDULED,
    PostVariant.Status.HELD,
    PostVariant.Status.CANCELLED,
    PostVariant.Status.FAILED,
)


def _variants_by_channel(post: Post) -> dict[int, PostVariant]:
    return {
        v.channel_id: v
        for v in PostVariant.objects.for_org(post.organization_id)
        .filter(post=post)
        .select_related("channel")
    }


def _apply_post_fields(post: Post, fields: dict, changes: dict) -> bool:
    """Title, text, link, first comment, campaign and team onto the (locked) post; True when content changed."""
    content_changed = False
    for name in ("title", "text", "link_url", "first_comment"):
        value = fields.get(name, _UNSET)
        if value is _UNSET:
            continue
        value = value or ""
        if getattr(post, name) != value:
            changes[name] = [getattr(post, name), value] if name != "text" else ["…", "…"]
            setattr(post, name, value)
            content_changed |= name in _CONTENT_FIELDS
    for name in ("campaign", "team"):
        value = fields.get(name, _UNSET)
        if value is _UNSET:
            continue
        _check_same_org(post.organization, value, name)
        if getattr(post, f"{name}_id") != (value.pk if value else None):
            changes[name] = [getattr(post, f"{name}_id"), value.pk if value else None]
            setattr(post, name, value)
            content_changed |= name == "campaign"  # the campaign changes the link's UTM
    return content_changed


def _apply_channels(
    post: Post, *, by, channels, variants: dict[int, PostVariant], fields: dict, changes: dict
) -> bool:
    """Add and remove variants so the post goes to ``channels``; True when any was added or removed."""
    org = post.organization
    wanted = _check_channels(org, by, channels)
    wanted_ids = {c.pk for c in wanted}
    # A variant on a channel this person cannot see is not theirs to remove: the composer never
    # showed it to them, so its absence from their channel list means nothing. It stays.
    hidden = {cid for cid, v in variants.items() if not can(by, Capability.VIEW, v.channel)}
    wanted_ids |= hidden
    removed = [v for cid, v in variants.items() if cid not in wanted_ids]
    for variant in removed:
        if variant.status not in _REMOVABLE:
            raise Conflict(
                _("%(variant)s has already gone out; it cannot be removed.")
                % {"variant": _variant_label(variant.channel)}
            )
    PostVariant.objects.for_org(org).filter(pk__in=[v.pk for v in removed]).delete()
    added = [c for c in wanted if c.pk not in variants]
    _add_variants(
        post,
        added,
        variant_texts=fields.get("variant_texts"),
        variant_formats=fields.get("variant_formats"),
    )
    if removed or added:
        changes["channels"] = [sorted(variants), sorted(wanted_ids)]
        return True
    return False


def _apply_variant_overrides(
    post: Post, variants: dict[int, PostVariant], fields: dict, changes: dict
) -> bool:
    """Each variant's own text and format (keyed by channel id); True when any changed."""
    content_changed = False
    for channel_id, text in (fields.get("variant_texts") or {}).items():
        variant = variants.get(channel_id)
        if variant is None:
            continue
        overridden = text is not None and text != post.text
        new_text = text if overridden else ""
        if (variant.text, variant.text_overridden) != (new_text, overridden):
            variant.text, variant.text_overridden = new_text, overridden
            variant.save(update_fields=["text", "text_overridden", "updated_at"])
            changes.setdefault("variant_texts", []).append(channel_id)
            content_changed = True
    for channel_id, fmt in (fields.get("variant_formats") or {}).items():
        variant = variants.get(channel_id)
        if variant is None:
            continue
        fmt = _check_format(variant.channel, fmt)
        if variant.format != fmt:
            variant.format = fmt
            variant.save(update_fields=["format", "updated_at"])
            changes.setdefault("variant_formats", []).append(channel_id)
            content_changed = True
    return content_changed


def _apply_media(post: Post, media, alt_texts, changes: dict) -> bool:
    """Replace the post's media (in order, with their alt texts); True when anything changed."""
    items = PostMedia.objects.for_org(post.organization_id).filter(post=post)
    before = list(items.values_list("asset_id", "alt_text"))
    _set_media(post, media or (), alt_texts or ())
    after = list(items.values_list("asset_id", "alt_text"))
    if before == after:
        return False
    changes["media"] = [[a for a, _t in before], [a for a, _t in after]]
    return True


def _content_changed(post: Post, *, by, changes: dict) -> None:
    """A new version: bumped on the post and its variants, the post back to draft if it was
    approved or scheduled, and the registered handlers told (approvals starts a new round), then announced."""
    old_version = post.version
    _bump_version(post)
    post.save(update_fields=["version", "updated_at"])
    _send_back_to_draft(post, by=by)
    hooks.new_version(post, old_version=old_version, by=by, changes=changes)


def _check_version(post: Post, expected_version: int | None) -> None:
    """A stale ``expected_version`` (the version the caller read) is a 409: never a silent overwrite.
    Compared on the locked row, so two writers who read one version cannot both pass."""
    if expected_version is None or expected_version == post.version:
        return
    raise Conflict(
        _(
            "The post has changed since version %(seen)s; it is now version %(now)s. Read it again "
            "and send your change with version %(now)s."
        )
        % {"seen": expected_version, "now": post.version},
        fields={"version": [_("The current version is %(now)s.") % {"now": post.version}]},
        code="stale_version",
    )


@transaction.atomic
def update_post(post: Post, *, by, expected_version: int | None = None, **fields) -> Post:
    """Change a post: any of title, text, link_url, first_comment, campaign, team, channels, media
    (with alt_texts), variant_texts and variant_formats (keyed by channel id).

    A content change bumps ``version``; variants that inherit the text follow it; an approved or
    scheduled post goes back to draft. Nothing is kept when any variant ends up invalid.
    ``expected_version``: the version the caller last read; another one is a 409 ``stale_version``.
    A variant text or format for a channel that is not (and does not become) one of the post's is a 400.
    """
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise TypeError(f"update_post() got unexpected fields: {sorted(unknown)}")
    post = Post.objects.for_org(post.organization_id).select_for_update().get(pk=post.pk)
    require(by, Capability.COMPOSE, post)
    _check_version(post, expected_version)
    _check_editable(post)
    changes: dict[str, list] = {}
    content_changed = _apply_post_fields(post, fields, changes)
    post.save()

    variants = _variants_by_channel(post)
    if "first_comment" in changes:
        for variant in variants.values():
            variant.first_comment = _first_comment_for(variant.channel, post.first_comment)
            variant.save(update_fields=["first_comment", "updated_at"])
    if "channels" in fields:
        if _apply_channels(
            post,
            by=by,
            channels=fields["channels"],
            variants=variants,
            fields=fields,
            changes=changes,
        ):
            content_changed = True
        variants = _variants_by_channel(post)
    # a channel the person cannot see is not "one of the post's" to them (its existence stays hidden)
    _check_override_channels(
        {cid for cid, v in variants.items() if can(by, Capability.VIEW, v.channel)}, fields
    )
    content_changed |= _apply_variant_overrides(post, variants, fields, changes)
    if "media" in fields:
        content_changed |= _apply_media(post, fields["media"], fields.get("alt_texts"), changes)

    if content_changed:
        _content_changed(post, by=by, changes=changes)
    _raise_if_invalid(post, by=by)
    if changes:
        record_event(
            post.organization,
            "post.updated",
            obj=post,
            changes={**changes, "version": post.version},
        )
    return post


@transaction.atomic
def delete_post(post: Post, *, by) -> None:
    """Delete a draft (or a cancelled or failed post that never went out)."""
    require(by, Capability.COMPOSE, post)
    post = Post.objects.for_org(post.organization_id).select_for_update().get(pk=post.pk)
    gone_out = (
        PostVariant.objects.for_org(post.organization_id)
        .filter(post=post)
        .exclude(
            status__in=[
                PostVariant.Status.DRAFT,
                PostVariant.Status.CANCELLED,
                PostVariant.Status.FAILED,
            ]
        )
        .exists()
    )
    if (
        post.status not in (Post.Status.DRAFT, Post.Status.CANCELLED, Post.Status.FAILED)
        or gone_out
    ):
        raise Conflict(_("Only drafts can be deleted; cancel a scheduled post first."))
    record_event(post.organization, "post.deleted", obj=post, changes={"title": str(post)})
    Post.objects.for_org(post.organization_id).filter(parent=post).update(
        parent=None, updated_at=timezone.now()
    )
    Post.objects.for_org(post.organization_id).filter(pk=post.pk).delete()


# --- Variants ----------------------------------------------------------------------------------------


def _variant_change(variant: PostVariant, *, by, action: str, changes: dict, apply) -> PostVariant:
    post = Post.objects.for_org(variant.organization_id).select_for_update().get(pk=variant.post_id)
    require(by, Capability.COMPOSE, post)
    _check_editable(post)
    variant = (
        PostVariant.objects.for_org(variant.organization_id)
        .select_related("channel")
        .get(pk=variant.pk)
    )
    if not (
        can(by, Capability.COMPOSE, variant.channel) or can(by, Capability.PUBLISH, variant.channel)
    ):
        raise NotAllowed(
            _("You may not post to %(channel)s.") % {"channel": _variant_label(variant.channel)}
        )
    if not apply(variant, post):
        return variant
    variant.save()
    old_version = post.version
    _bump_version(post)
    post.save(update_fields=["version", "updated_at"])
    _send_back_to_draft(post, by=by)
    hooks.new_version(
        post, old_version=old_version, by=by, changes={**changes, "variant": variant.pk}
    )
    _raise_if_invalid(post, by=by)
    record_event(
        post.organization, action, obj=variant, changes={**changes, "version": post.version}
    )
    variant.refresh_from_db()
    return variant


@transaction.atomic
def set_variant_text(variant: PostVariant, *, by, text: str) -> PostVariant:
    """Give one variant its own text (it stops following the post's text)."""

    def apply(v, post):
        if v.text_overridden and v.text == text:
            return False
        v.text, v.text_overridden = text or "", True
        return True

    return _variant_change(
        variant,
        by=by,
        action="post_variant.text_set",
        changes={"channel": variant.channel_id},
        apply=apply,
    )


@transaction.atomic
def reset_variant_text(variant: PostVariant, *, by) -> PostVariant:
    """The variant follows the post's text again."""

    def apply(v, post):
        if not v.text_overridden:
            return False
        v.text, v.text_overridden = "", False
        return True

    return _variant_change(
        variant,
        by=by,
        action="post_variant.text_reset",
        changes={"channel": variant.channel_id},
        apply=apply,
    )


@transaction.atomic
def set_variant_format(variant: PostVariant, *, by, format: str) -> PostVariant:  # noqa: A002 - the field's name
    fmt = _check_format(variant.channel, format)

    def apply(v, post):
        if v.format == fmt:
            return False
        v.format = fmt
        return True

    return _variant_change(
        variant,
        by=by,
        action="post_variant.format_set",
        changes={"channel": variant.channel_id, "format": fmt},
        apply=apply,
    )


@transaction.atomic
def edit_variant(
    variant: PostVariant,
    *,
    by,
    text: str | None = None,
    reset_text: bool = False,
    format: str | None = None,
    expected_version: int | None = None,
) -> PostVariant:  # noqa: A002 - the field's name
    """One edit of a variant (the API's PATCH): its own text or back to the post's, and its format.
    All or nothing: a format the network refuses leaves the text as it was.
    ``expected_version``: the post version (the variant's ``content_version``) the caller read; another
    one is a 409 ``stale_version``, compared on the locked post."""
    if expected_version is not None:
        post = (
            Post.objects.for_org(variant.organization_id)
            .select_for_update()
            .get(pk=variant.post_id)
        )
        _check_version(post, expected_version)
    if reset_text:
        variant = reset_variant_text(variant, by=by)
    elif text is not None:
        variant = set_variant_text(variant, by=by, text=text)
    if format is not None:
        variant = set_variant_format(variant, by=by, format=format)
    return variant


@transaction.atomic
def attach_media(
    post: Post, *, by, assets: Sequence[MediaAsset], alt_texts: Sequence[str] = ()
) -> Post:
    """Replace the post's media with ``assets`` (in order), each with the alt text for this use."""
    return update_post(post, by=by, media=list(assets), alt_texts=list(alt_texts))


# --- Localization ------------------------------------------------------------------------------------


@transaction.atomic
def localize_post(parent: Post, *, by, team, channels) -> Post:
    """A regional child of ``parent`` for ``team``: same content to start with, its own channels.

    The child keeps the link to its parent; the region then edits its own text, time and channels.
    """
    org = parent.organization
    require(by, Capability.COMPOSE, parent)
    if team is None:
        raise ValidationFailed(
            _("Choose the region's team."), fields={"team": [_("This field is required.")]}
        )
    _check_same_org(org, team, "team")
    items = list(PostMedia.objects.for_org(org).filter(post=parent).select_related("asset"))
    child = create_post(
        org,
        by=by,
        text=parent.text,
        channels=channels,
        link_url=parent.link_url,
        first_comment=parent.first_comment,
        campaign=parent.campaign,
        team=team,
        title=parent.title,
        media=[m.asset for m in items],
        alt_texts=[m.alt_text for m in items],
    )
    child.parent = parent
    child.tags = list(parent.tags or [])
    child.save(update_fields=["parent", "tags", "updated_at"])
    record_event(org, "post.localized", obj=child, changes={"parent": parent.pk, "team": team.pk})
    return child


# --- Campaigns ------------------------------------------------------------------------------------------


@transaction.atomic
def create_campaign(
    org,
    *,
    by,
    name: str,
    utm_source: str = "",
    utm_medium: str = "social",
    utm_campaign: str = "",
    starts_on=None,
    ends_on=None,
    team=None,
    color: str = "#2f5bd3",
    description: str = "",
) -> Campaign:
    require(by, Capability.PUBLISH)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Give the campaign a name."), fields={"name": [_("This field is required.")]}
        )
    if Campaign.objects.for_org(org).filter(name__iexact=name).exists():
        raise ValidationFailed(
            _("A campaign called “%(name)s” already exists.") % {"name": name},
            fields={"name": [_("Campaign names must be unique.")]},
        )
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationFailed(
            _("The campaign ends before it starts."), fields={"ends_on": [_("Pick a later date.")]}
        )
    _check_same_org(org, team, "team")
    campaign = Campaign.objects.create(
        organization=org,
        name=name,
        utm_source=utm_source or "",
        utm_medium=utm_medium or "",
        utm_campaign=utm_campaign or "",
        starts_on=starts_on,
        ends_on=ends_on,
        team=team,
        color=color or "#2f5bd3",
        description=description or "",
    )
    record_event(org, "campaign.created", obj=campaign, changes={"name": name})
    return campaign


# --- Review states (called by approvals; publishing stays the only writer of Post.status) ---------


def _review_move(
    post: Post, *, by, allowed: set, to: str, action: str, changes: dict | None = None
) -> Post:
    post = Post.objects.for_org(post.organization_id).select_for_update().get(pk=post.pk)
    if post.status == to:
        return post
    if post.status not in allowed:
        raise Conflict(
            _("This post is %(status)s; it cannot move to %(target)s.")
            % {"status": post.get_status_display().lower(), "target": Post.Status(to).label.lower()}
        )
    before = post.status
    post.status = to
    post.save(update_fields=["status", "updated_at"])
    record_event(
        post.organization,
        action,
        obj=post,
        actor=getattr(by, "user", None),
        changes={"status": [before, to], **(changes or {})},
    )
    return post


@transaction.atomic
def mark_in_review(post: Post, *, by) -> Post:
    """Draft (or approved, when re-submitted) → in review. ``by`` is a Membership or None (system)."""
    return _review_move(
        post,
        by=by,
        allowed={Post.Status.DRAFT, Post.Status.APPROVED},
        to=Post.Status.IN_REVIEW,
        action="post.in_review",
    )


@transaction.atomic
def mark_approved(post: Post, *, by) -> Post:
    """In review → approved (the final stage of its workflow approved this version)."""
    return _review_move(
        post,
        by=by,
        allowed={Post.Status.IN_REVIEW},
        to=Post.Status.APPROVED,
        action="post.approved",
        changes={"version": post.version},
    )


@transaction.atomic
def return_to_draft(post: Post, *, by, reason: str = "") -> Post:
    """In review or approved → draft (rejected, changes requested, or the request withdrawn)."""
    return _review_move(
        post,
        by=by,
        allowed={Post.Status.IN_REVIEW, Post.Status.APPROVED},
        to=Post.Status.DRAFT,
        action="post.returned_to_draft",
        changes={"reason": reason[:500]},
    )


# --- The composer -----------------------------------------------------------------------------------


@transaction.atomic
def save_composition(
    org,
    post: Post | None,
    *,
    by,
    action: str = "save",
    at: datetime | None = None,
    timezone_name: str = "",
    **content,
) -> Post:
    """The composer's one step: create ``post`` (None) or update it with ``content``, then, by
    ``action``, check it and schedule it at ``at`` in ``timezone_name`` ("schedule"), publish it
    now ("publish"), or plan the draft on the calendar at ``at`` (otherwise). One transaction:
    a post that cannot go out is not kept half-way."""
    from ..calendar import services as calendar_services
    from ..scheduler import services as scheduling

    if post is None:
        post = create_post(org, by=by, **content)
    else:
        post = update_post(post, by=by, **content)
    if action == "schedule":
        ensure_publishable(post, by=by)
        if at is None:
            raise ValidationFailed(
                _("Pick the date and time to publish."),
                fields={"schedule_date": [_("Pick a date and a time.")]},
            )
        return scheduling.schedule_post(post, by=by, at=at, timezone_name=timezone_name)
    if action == "publish":
        ensure_publishable(post, by=by)
        return scheduling.publish_now(post, by=by)
    return calendar_services.plan_from_composer(post, by=by, at=at)


@transaction.atomic
def hand_over_posts(posts: Sequence[Post], *, to, by) -> int:
    """``posts`` get ``to`` (a membership) as their author; their schedule and state do not change,
    so scheduled posts still go out. One update, one audit entry a post. Returns how many moved."""
    require(by, Capability.PUBLISH)
    if not can(to, Capability.COMPOSE):
        message = _("%(name)s may not write posts.") % {"name": to.user}
        raise ValidationFailed(message, fields={"to": [message]})
    if not posts:
        return 0
    org = by.organization
    for post in posts:
        record_event(
            org,
            "post.author_changed",
            obj=post,
            changes={"author": [post.author_id, to.user_id]},
        )
    return (
        Post.objects.for_org(org)
        .filter(pk__in=[p.pk for p in posts])
        .update(author=to.user, updated_at=timezone.now())
    )
