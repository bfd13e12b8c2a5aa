"""publishing.media.services: uploads validated by content, renditions with a focal point, the library.

State changes (one function each, verb first, audited in a short transaction):
``upload_media``, ``set_media_focal_point``, ``set_media_alt_text``, ``regenerate_renditions``,
``delete_media``.

Checks and lookups the composer and the scheduler use: ``validate_media_for_channel``,
``best_rendition_for``, ``publish_file_for`` (the library's reads are in ``publishing.media.selectors``).

Slow work (decoding, cropping, writing files) happens *before* the transaction that records it,
so the audit chain's organization lock is never held while Pillow works; files written for a
transaction that then fails are removed, and files replaced by a committed change are removed
on commit.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, require
from socialops.audit.services import record_event
from socialops.errors import Conflict, ValidationFailed

from ..models import MediaAsset, MediaRendition, Post, PostMedia, PostVariant
from . import processing

if TYPE_CHECKING:
    from channels_registry.providers.base import Capabilities, MediaSpec

log = logging.getLogger(__name__)

__all__ = [
    "PublishFile",
    "UploadResult",
    "best_rendition_for",
    "delete_media",
    "edit_media",
    "ensure_renditions",
    "ensure_renditions_by_id",
    "media_limits",
    "publish_file_for",
    "regenerate_renditions",
    "renditions_pending",
    "set_media_alt_text",
    "set_media_focal_point",
    "upload_media",
    "upload_media_from_url",
    "validate_media_for_channel",
]

ALT_TEXT_MAX = 1000

#: posts in these states are on their way out (or waiting for a decision on this exact content):
#: their media cannot be deleted underneath them
_LOCKING_POST_STATUSES = (
    Post.Status.IN_REVIEW,
    Post.Status.APPROVED,
    Post.Status.SCHEDULED,
    Post.Status.PUBLISHING,
    Post.Status.PARTIALLY_PUBLISHED,
    Post.Status.FAILED,
)
_LOCKING_VARIANT_STATUSES = (
    PostVariant.Status.SCHEDULED,
    PostVariant.Status.PUBLISHING,
    PostVariant.Status.UNCONFIRMED,
    PostVariant.Status.PENDING,
    PostVariant.Status.HELD,
    PostVariant.Status.FAILED,
)


def media_limits() -> processing.Limits:
    """Upload limits from settings (``MEDIA_MAX_IMAGE_BYTES``, ``MEDIA_MAX_VIDEO_BYTES``, ``MEDIA_MAX_IMAGE_PIXELS``)."""
    default = processing.Limits()
    return processing.Limits(
        max_image_bytes=int(getattr(settings, "MEDIA_MAX_IMAGE_BYTES", default.max_image_bytes)),
        max_video_bytes=int(getattr(settings, "MEDIA_MAX_VIDEO_BYTES", default.max_video_bytes)),
        max_image_pixels=int(getattr(settings, "MEDIA_MAX_IMAGE_PIXELS", default.max_image_pixels)),
    )


def _locking_posts(asset: MediaAsset) -> list[Post]:
    post_ids = (
        PostMedia.objects.for_org(asset.organization_id).filter(asset=asset).values("post_id")
    )
    live_variants = (
        PostVariant.objects.for_org(asset.organization_id)
        .filter(post_id__in=post_ids, status__in=_LOCKING_VARIANT_STATUSES)
        .values("post_id")
    )
    return list(
        Post.objects.for_org(asset.organization_id)
        .filter(
            Q(pk__in=post_ids) & (Q(status__in=_LOCKING_POST_STATUSES) | Q(pk__in=live_variants))
        )
        .order_by("pk")
    )


# --- Upload --------------------------------------------------------------------------------


@dataclass
class UploadResult:
    asset: MediaAsset
    #: False when the same bytes were already in the library (the existing asset is returned)
    created: bool


def _sha256(fileobj) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def _clean_name(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return (name or _("unnamed file"))[:255]


def _local_path(upload) -> str | None:
    path = getattr(upload, "temporary_file_path", None)
    return path() if callable(path) else None


def upload_media(organization, *, by, file, alt_text: str = "") -> UploadResult:
    """Store ``file`` once in the organization's library after checking what it really is.

    Raises ValidationFailed (field ``file``) with a message naming the file when it is not an
    image or video we can read, too big, or too many pixels. The same bytes uploaded again give
    back the existing asset.
    """
    require(by, Capability.COMPOSE)
    name = _clean_name(getattr(file, "name", ""))
    alt_text = (alt_text or "").strip()
    if len(alt_text) > ALT_TEXT_MAX:
        raise ValidationFailed(
            _("Alt text can be at most %(n)d characters.") % {"n": ALT_TEXT_MAX},
            fields={
                "alt_text": [_("Alt text can be at most %(n)d characters.") % {"n": ALT_TEXT_MAX}]
            },
        )
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
    try:
        probe = processing.inspect_upload(
            file, name=name, size=size, limits=media_limits(), path=_local_path(file)
        )
    except processing.MediaRejected as exc:
        raise ValidationFailed(exc.message, fields={"file": [exc.message]}, code=exc.code) from None
    sha = _sha256(file)
    existing = MediaAsset.objects.for_org(organization).filter(sha256=sha).first()
    if existing is not None:
        return UploadResult(existing, False)

    asset = MediaAsset(
        organization=organization,
        kind=probe.kind,
        original_name=name,
        mime_type=probe.mime_type,
        size_bytes=size,
        width=probe.width,
        height=probe.height,
        duration_seconds=probe.duration_seconds,
        sha256=sha,
        alt_text=alt_text,
        uploaded_by=by.user,
    )
    file.seek(0)
    asset.file.save(f"upload.{probe.extension}", file, save=False)
    written = [asset.file.name]
    try:
        with transaction.atomic():
            asset.save()
            record_event(
                organization,
                "media.uploaded",
                obj=asset,
                actor=by.user,
                changes={
                    "name": name,
                    "kind": probe.kind,
                    "mime_type": probe.mime_type,
                    "size_bytes": size,
                    "width": probe.width,
                    "height": probe.height,
                    "duration_seconds": probe.duration_seconds,
                    "codec": probe.codec,
                    "sha256": sha,
                },
            )
            if probe.kind == MediaAsset.Kind.IMAGE:
                # Renditions are made by a worker after the commit (the upload request stays short).
                asset_id = asset.pk
                transaction.on_commit(lambda: _enqueue_renditions(asset_id))
    except IntegrityError:
        # The same bytes arrived twice at once (unique organization + sha256): keep the winner's.
        _delete_files(written)
        winner = MediaAsset.objects.for_org(organization).filter(sha256=sha).first()
        if winner is None:
            raise
        return UploadResult(winner, False)
    except BaseException:
        _delete_files(written)
        raise
    return UploadResult(asset, True)


def upload_media_from_url(organization, *, by, url: str, alt_text: str = "") -> UploadResult:
    """Fetch ``url`` through the egress guard (:mod:`.fetch`) and store it like an upload.

    The same checks as :func:`upload_media` (what the bytes really are, the size and pixel limits,
    the same bytes stored once); a refusal names the field ``url``.
    """
    from . import fetch

    require(by, Capability.COMPOSE)  # before anything leaves: a viewer fetches nothing
    if len((alt_text or "").strip()) > ALT_TEXT_MAX:
        message = _("Alt text can be at most %(n)d characters.") % {"n": ALT_TEXT_MAX}
        raise ValidationFailed(message, fields={"alt_text": [message]})
    limits = media_limits()
    file = fetch.fetch_file(url, max_bytes=max(limits.max_image_bytes, limits.max_video_bytes))
    try:
        return upload_media(organization, by=by, file=file, alt_text=alt_text)
    except ValidationFailed as exc:
        if "file" not in exc.fields:
            raise
        raise ValidationFailed(
            exc.message, fields={"url": exc.fields["file"]}, code=exc.code
        ) from None
    finally:
        file.close()


def _enqueue_renditions(asset_id: int) -> None:
    from . import tasks

    try:
        tasks.make_renditions.delay(asset_id)
    except Exception:  # noqa: BLE001 - made on demand by the first composer check or publish instead
        log.warning(
            "Could not enqueue renditions of asset %s; they will be made on demand.",
            asset_id,
            exc_info=True,
        )


def renditions_pending(asset: MediaAsset) -> bool:
    """An image whose renditions the worker has not made yet (the library shows "being prepared")."""
    return asset.kind == MediaAsset.Kind.IMAGE and not asset.renditions.all()


def ensure_renditions(asset: MediaAsset) -> bool:
    """Make ``asset``'s renditions around its focal point if it has none; True when it made them.

    Idempotent and safe to run at once in several processes: the rendering happens outside any
    lock, then the asset row is locked and the renditions saved only if nobody saved them
    meanwhile (else the files just made are deleted). Called by the ``make_renditions`` task after
    an upload, and on demand by :func:`best_rendition_for` — so the composer's checks and the
    scheduler never see an image "without renditions" just because the worker is behind.
    Derived data of an audited upload: no audit entry of its own.
    """
    if asset.kind != MediaAsset.Kind.IMAGE:
        return False
    org_id = asset.organization_id
    if MediaRendition.objects.for_org(org_id).filter(asset_id=asset.pk).exists():
        return False
    with asset.file.open("rb") as fh:
        rendered = processing.render_all(fh, (asset.focal_x, asset.focal_y))
    written: list[str] = []
    made = False
    try:
        with transaction.atomic():
            locked = (
                MediaAsset.objects.for_org(org_id).select_for_update().filter(pk=asset.pk).first()
            )
            if (
                locked is not None
                and not MediaRendition.objects.for_org(org_id).filter(asset=locked).exists()
            ):
                written = _save_renditions(locked, rendered)
                made = True
    except BaseException:
        _delete_files(written)
        raise
    if hasattr(asset, "_prefetched_objects_cache"):
        asset._prefetched_objects_cache.pop("renditions", None)
    return made


def ensure_renditions_by_id(asset_id: int) -> bool:
    """The task's entry: ids, not objects; a deleted asset is nothing to do."""
    asset = MediaAsset.objects.unscoped().filter(pk=asset_id).first()
    return False if asset is None else ensure_renditions(asset)


def _save_renditions(asset: MediaAsset, rendered: Sequence[processing.RenderedImage]) -> list[str]:
    """Write and upsert one rendition row per preset; returns the new file names (for cleanup)."""
    names = []
    current = {
        r.preset: r
        for r in MediaRendition.objects.for_org(asset.organization_id).filter(asset=asset)
    }
    for image in rendered:
        row = current.get(image.preset) or MediaRendition(
            organization_id=asset.organization_id, asset=asset, preset=image.preset
        )
        row.file.save("r.jpg", ContentFile(image.content), save=False)
        names.append(row.file.name)
        row.width, row.height, row.size_bytes = image.width, image.height, len(image.content)
        row.focal_x, row.focal_y = asset.focal_x, asset.focal_y
        row.save()
    return names


def _delete_files(names: Iterable[str]) -> None:
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except OSError:  # pragma: no cover - a leftover file is harmless; say so in the log
            log.warning("could not delete media file %s", name)


# --- Focal point, renditions, alt text -----------------------------------------------------


def _check_focal(x: Any, y: Any) -> tuple[float, float]:
    errors: dict[str, list[str]] = {}
    values = []
    for field, value in (("focal_x", x), ("focal_y", y)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not 0.0 <= number <= 1.0:  # NaN fails both comparisons
            errors[field] = [_("Enter a number from 0 to 1.")]
        values.append(number)
    if errors:
        raise ValidationFailed(
            _("The focal point must be inside the image (0 to 1 across and down)."), fields=errors
        )
    return values[0], values[1]


def set_media_focal_point(asset: MediaAsset, *, by, x: float, y: float) -> MediaAsset:
    """Move the subject's point and regenerate every rendition around it."""
    require(by, Capability.COMPOSE, asset)
    fx, fy = _check_focal(x, y)
    if asset.kind != MediaAsset.Kind.IMAGE:
        raise ValidationFailed(_("Only images have a focal point."))
    if (round(fx, 4), round(fy, 4)) == (
        round(asset.focal_x, 4),
        round(asset.focal_y, 4),
    ) and asset.renditions.exists():
        return asset
    return _rerender(
        asset, by=by, focal=(round(fx, 4), round(fy, 4)), action="media.focal_point_moved"
    )


def regenerate_renditions(asset: MediaAsset, *, by) -> MediaAsset:
    """Make every preset again from the original (after a preset change, or to repair missing files)."""
    require(by, Capability.COMPOSE, asset)
    if asset.kind != MediaAsset.Kind.IMAGE:
        return asset
    return _rerender(
        asset, by=by, focal=(asset.focal_x, asset.focal_y), action="media.renditions_regenerated"
    )


def _rerender(asset: MediaAsset, *, by, focal: tuple[float, float], action: str) -> MediaAsset:
    with asset.file.open("rb") as fh:
        rendered = processing.render_all(fh, focal)
    before = (asset.focal_x, asset.focal_y)
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = (
                MediaAsset.objects.for_org(asset.organization_id)
                .select_for_update()
                .get(pk=asset.pk)
            )
            old_files = list(
                MediaRendition.objects.for_org(asset.organization_id)
                .filter(asset=locked)
                .values_list("file", flat=True)
            )
            locked.focal_x, locked.focal_y = focal
            locked.save(update_fields=["focal_x", "focal_y"])
            written = _save_renditions(locked, rendered)
            record_event(
                locked.organization,
                action,
                obj=locked,
                actor=by.user,
                changes={"focal_point": [list(before), list(focal)]},
            )
            transaction.on_commit(lambda: _delete_files(old_files))
    except BaseException:
        _delete_files(written)
        raise
    asset.focal_x, asset.focal_y = focal
    if hasattr(asset, "_prefetched_objects_cache"):
        asset._prefetched_objects_cache.pop("renditions", None)
    return asset


@transaction.atomic
def edit_media(
    asset: MediaAsset, *, by, alt_text: str | None = None, focal: tuple[float, float] | None = None
) -> MediaAsset:
    """One edit of a library file (the API's PATCH): its alt text and its focal point, all or
    nothing (a focal point refused, say on a video, leaves the alt text as it was)."""
    if alt_text is not None:
        asset = set_media_alt_text(asset, by=by, alt_text=alt_text)
    if focal is not None:
        asset = set_media_focal_point(asset, by=by, x=focal[0], y=focal[1])
    return asset


@transaction.atomic
def set_media_alt_text(asset: MediaAsset, *, by, alt_text: str) -> MediaAsset:
    """The asset's default alt text (a post can override it per use: PostMedia.alt_text)."""
    require(by, Capability.COMPOSE, asset)
    alt_text = (alt_text or "").strip()
    if len(alt_text) > ALT_TEXT_MAX:
        message = _("Alt text can be at most %(n)d characters.") % {"n": ALT_TEXT_MAX}
        raise ValidationFailed(message, fields={"alt_text": [message]})
    if alt_text == asset.alt_text:
        return asset
    before = asset.alt_text
    asset.alt_text = alt_text
    asset.save(update_fields=["alt_text"])
    record_event(
        asset.organization,
        "media.alt_text_changed",
        obj=asset,
        actor=by.user,
        changes={"alt_text": [before, alt_text]},
    )
    return asset


def delete_media(asset: MediaAsset, *, by) -> None:
    """Remove an asset and its renditions.

    Refused while a post that uses it is in review, approved, scheduled, publishing or failed
    (a retry would go out without it). Drafts, cancelled and published posts lose the attachment.
    """
    require(by, Capability.COMPOSE, asset)
    with transaction.atomic():
        locked = (
            MediaAsset.objects.for_org(asset.organization_id)
            .select_for_update()
            .filter(pk=asset.pk)
            .first()
        )
        if locked is None:
            return
        blocking = _locking_posts(locked)
        if blocking:
            titles = ", ".join(f"“{p}”" for p in blocking[:3]) + ("…" if len(blocking) > 3 else "")
            raise Conflict(
                _(
                    "%(name)s is used by a post that is scheduled or on its way: %(posts)s. Remove it "
                    "from the post first."
                )
                % {"name": locked.original_name, "posts": titles}
            )
        uses = PostMedia.objects.for_org(locked.organization_id).filter(asset=locked)
        detached = list(uses.values_list("post_id", flat=True))
        files = [
            locked.file.name,
            *MediaRendition.objects.for_org(locked.organization_id)
            .filter(asset=locked)
            .values_list("file", flat=True),
        ]
        uses.delete()
        record_event(
            locked.organization,
            "media.deleted",
            obj=locked,
            actor=by.user,
            changes={
                "name": locked.original_name,
                "sha256": locked.sha256,
                "detached_from_posts": detached,
            },
        )
        locked.delete()
        transaction.on_commit(lambda: _delete_files(files))


# --- Fitting media to a network ------------------------------------------------------------


def _network_name(capabilities: Capabilities) -> str:
    from channels_registry.selectors import available_providers

    for _key, cls in available_providers():
        if cls.capabilities is capabilities:
            return str(cls.name)
    for _key, cls in available_providers():
        if cls.capabilities == capabilities:
            return str(cls.name)
    return _("this network")


_ASPECT_TOLERANCE = 0.01

#: feed posts on a network with an aspect range: the first preset inside it (taller fills more of a feed)
_RANGED_PREFERENCE = ("feed_4_5", "square", "landscape_16_9", "link_1_91", "story_9_16")
#: networks without a documented range show wide images uncropped in the timeline (X, LinkedIn, Facebook)
_OPEN_PREFERENCE = ("landscape_16_9", "link_1_91", "square", "feed_4_5")


def _fits(aspect: float, spec: MediaSpec | None) -> bool:
    if spec is None:
        return True
    if spec.min_aspect is not None and aspect < spec.min_aspect * (1 - _ASPECT_TOLERANCE):
        return False
    return not (spec.max_aspect is not None and aspect > spec.max_aspect * (1 + _ASPECT_TOLERANCE))


def _renditions(asset: MediaAsset) -> dict[str, MediaRendition]:
    return {r.preset: r for r in asset.renditions.all()}


def best_rendition_for(
    asset: MediaAsset, capabilities: Capabilities, format: str = "post"
) -> MediaRendition | None:
    """The rendition to send to a network, or None to send the original (videos; animated GIFs
    where the network takes GIFs; an asset without renditions).

    Stories and reels → 9:16. Feed posts → the first of 4:5, 1:1, 16:9, 1.91:1 inside the
    network's aspect range (Instagram → 4:5), or 16:9 where the network documents no range (X, LinkedIn).
    """
    if asset.kind != MediaAsset.Kind.IMAGE:
        return None
    spec = capabilities.image
    if (
        asset.mime_type == "image/gif"
        and spec is not None
        and "image/gif" in spec.mime_types
        and format == "post"
    ):
        return None  # keep the animation
    renditions = _renditions(asset)
    if not renditions and ensure_renditions(asset):
        # the worker has not made them yet: made now, so what is checked is what is sent
        renditions = _renditions(asset)
    if not renditions:
        return None
    if format in (PostVariant.Format.STORY, PostVariant.Format.REEL):
        return renditions.get("story_9_16")
    ranged = spec is not None and (spec.min_aspect is not None or spec.max_aspect is not None)
    for key in _RANGED_PREFERENCE if ranged else _OPEN_PREFERENCE:
        rendition = renditions.get(key)
        if rendition is not None and _fits(rendition.width / rendition.height, spec):
            return rendition
    return None


@dataclass
class PublishFile:
    """The one file to hand to a network for an asset (a rendition or the original)."""

    storage_path: str
    mime_type: str
    width: int | None
    height: int | None
    size_bytes: int
    duration_seconds: float | None
    alt_text: str
    rendition: MediaRendition | None = None


def publish_file_for(
    asset: MediaAsset, capabilities: Capabilities, format: str = "post", *, alt_text: str = ""
) -> PublishFile:
    """What the scheduler sends for ``asset`` on a network: build ``MediaItem`` from it
    (``signed_media_url(storage_path, organization_id=...)`` for networks that pull media)."""
    rendition = best_rendition_for(asset, capabilities, format)
    alt = alt_text or asset.alt_text
    if rendition is not None:
        return PublishFile(
            rendition.file.name,
            "image/jpeg",
            rendition.width,
            rendition.height,
            rendition.size_bytes,
            None,
            alt,
            rendition,
        )
    return PublishFile(
        asset.file.name,
        asset.mime_type,
        asset.width,
        asset.height,
        asset.size_bytes,
        asset.duration_seconds,
        alt,
    )


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _ratio(aspect: float) -> str:
    return f"{aspect:.2f}:1"


def validate_media_for_channel(
    assets: Sequence[Any], capabilities: Capabilities, format: str = "post", *, network: str = ""
) -> list[str]:
    """Every reason ``assets`` (MediaAssets, or PostMedia rows) cannot go to a network, as messages
    naming the file and the network. Empty when they can. Used by the composer and the scheduler."""
    assets = [getattr(item, "asset", item) for item in assets]
    if not assets:
        return []
    net = network or _network_name(capabilities)
    errors: list[str] = []
    images = [a for a in assets if a.kind == MediaAsset.Kind.IMAGE]
    videos = [a for a in assets if a.kind == MediaAsset.Kind.VIDEO]

    if format == PostVariant.Format.STORY and not capabilities.stories:
        errors.append(_("%(network)s does not take stories.") % {"network": net})
    if format == PostVariant.Format.REEL:
        if not capabilities.reels:
            errors.append(_("%(network)s does not take reels.") % {"network": net})
        elif not videos:
            errors.append(_("A reel on %(network)s needs a video.") % {"network": net})
    if format in (PostVariant.Format.STORY, PostVariant.Format.REEL) and len(assets) > 1:
        errors.append(
            _("A story or reel on %(network)s takes one image or video; this one has %(n)d.")
            % {"network": net, "n": len(assets)}
        )
    if images and videos and not capabilities.mixed_media:
        errors.append(_("%(network)s cannot mix images and videos in one post.") % {"network": net})
    if images and capabilities.image is None:
        errors.append(
            _("%(network)s does not take images (%(names)s).")
            % {"network": net, "names": ", ".join(a.original_name for a in images)}
        )
    if videos and capabilities.video is None:
        errors.append(
            _("%(network)s does not take videos (%(names)s).")
            % {"network": net, "names": ", ".join(a.original_name for a in videos)}
        )
    if capabilities.image is not None and len(images) > capabilities.max_images:
        errors.append(
            _("%(network)s takes at most %(max)d images per post; this one has %(n)d.")
            % {"network": net, "max": capabilities.max_images, "n": len(images)}
        )
    if capabilities.video is not None and len(videos) > capabilities.max_videos:
        errors.append(
            _("%(network)s takes at most %(max)d videos per post; this one has %(n)d.")
            % {"network": net, "max": capabilities.max_videos, "n": len(videos)}
        )

    if capabilities.image is not None:
        for asset in images:
            errors += _image_problems(asset, capabilities, format, net)
    if capabilities.video is not None:
        for asset in videos:
            errors += _video_problems(asset, capabilities.video, format, net)
    return errors


def _image_problems(
    asset: MediaAsset, capabilities: Capabilities, format: str, net: str
) -> list[str]:
    spec = capabilities.image
    out: list[str] = []
    chosen = publish_file_for(asset, capabilities, format)
    name = asset.original_name
    if spec.mime_types and chosen.mime_type not in spec.mime_types:
        out.append(
            _("%(name)s is %(type)s, which %(network)s does not take.")
            % {"name": name, "type": chosen.mime_type, "network": net}
        )
    if spec.max_bytes and chosen.size_bytes > spec.max_bytes:
        out.append(
            _("%(name)s is %(size)s; %(network)s takes images up to %(max)s.")
            % {
                "name": name,
                "size": _mb(chosen.size_bytes),
                "network": net,
                "max": _mb(spec.max_bytes),
            }
        )
    if spec.min_width and chosen.width and chosen.width < spec.min_width:
        out.append(
            _("%(name)s is too small for %(network)s: %(w)d px wide, at least %(min)d px needed.")
            % {"name": name, "network": net, "w": chosen.width, "min": spec.min_width}
        )
    story = format in (PostVariant.Format.STORY, PostVariant.Format.REEL)
    if (
        not story
        and chosen.width
        and chosen.height
        and not _fits(chosen.width / chosen.height, spec)
    ):
        out.append(
            _(
                "%(name)s has an aspect ratio of %(ratio)s, outside what %(network)s takes "
                "(%(min)s to %(max)s), and no rendition fits."
            )
            % {
                "name": name,
                "ratio": _ratio(chosen.width / chosen.height),
                "network": net,
                "min": _ratio(spec.min_aspect) if spec.min_aspect else "—",
                "max": _ratio(spec.max_aspect) if spec.max_aspect else "—",
            }
        )
    return out


def _video_problems(asset: MediaAsset, spec: MediaSpec, format: str, net: str) -> list[str]:
    out: list[str] = []
    name = asset.original_name
    if spec.mime_types and asset.mime_type not in spec.mime_types:
        out.append(
            _("%(name)s is %(type)s, which %(network)s does not take.")
            % {"name": name, "type": asset.mime_type, "network": net}
        )
    if spec.max_bytes and asset.size_bytes > spec.max_bytes:
        out.append(
            _("%(name)s is %(size)s; %(network)s takes videos up to %(max)s.")
            % {
                "name": name,
                "size": _mb(asset.size_bytes),
                "network": net,
                "max": _mb(spec.max_bytes),
            }
        )
    seconds = asset.duration_seconds
    if seconds is not None and spec.max_seconds is not None and seconds > spec.max_seconds:
        out.append(
            _("%(name)s is too long for %(network)s: %(s).0f s, at most %(max).0f s.")
            % {"name": name, "network": net, "s": seconds, "max": spec.max_seconds}
        )
    if seconds is not None and spec.min_seconds is not None and seconds < spec.min_seconds:
        out.append(
            _("%(name)s is too short for %(network)s: %(s).1f s, at least %(min).1f s.")
            % {"name": name, "network": net, "s": seconds, "min": spec.min_seconds}
        )
    if asset.width and asset.height and not _fits(asset.width / asset.height, spec):
        out.append(
            _(
                "%(name)s has an aspect ratio of %(ratio)s, outside what %(network)s takes "
                "(%(min)s to %(max)s)."
            )
            % {
                "name": name,
                "ratio": _ratio(asset.width / asset.height),
                "network": net,
                "min": _ratio(spec.min_aspect) if spec.min_aspect else "—",
                "max": _ratio(spec.max_aspect) if spec.max_aspect else "—",
            }
        )
    if spec.min_width and asset.width and asset.width < spec.min_width:
        out.append(
            _("%(name)s is too small for %(network)s: %(w)d px wide, at least %(min)d px needed.")
            % {"name": name, "network": net, "w": asset.width, "min": spec.min_width}
        )
    return out
