"""Reads of the media library: the organization's files, one file for a member, where a file is used."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.capabilities import Capability, can

from ..models import MediaAsset, PostMedia

__all__ = ["asset_uses", "assets_by_ids", "assets_of", "get_asset_for_member", "media_library"]


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


def assets_of(organization, *, kind: str = "", search: str = ""):
    """The organization's media library, newest first, with renditions and use counts prefetched."""
    # PostMedia.asset has no reverse accessor (related_name="+"): count uses with a subquery.
    uses = (
        PostMedia.objects.for_org(organization)
        .filter(asset=OuterRef("pk"))
        .order_by()
        .values("asset")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = (
        MediaAsset.objects.for_org(organization)
        .select_related("uploaded_by")
        .prefetch_related("renditions")
        .annotate(use_count=Coalesce(Subquery(uses, output_field=IntegerField()), 0))
    )
    if kind in MediaAsset.Kind.values:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(Q(original_name__icontains=search) | Q(alt_text__icontains=search))
    return qs


def get_asset_for_member(membership, asset_id: Any, *, need: str = Capability.VIEW) -> MediaAsset:
    """One asset of the member's organization: another organization's and a missing one are the same 404."""
    try:
        asset_id = int(asset_id)
    except (TypeError, ValueError):
        raise Http404("No such media.") from None
    asset = MediaAsset.objects.for_org(membership.organization).filter(pk=asset_id).first()
    if asset is None:
        raise Http404("No such media.")
    if not can(membership, need, asset):
        raise PermissionDenied
    return asset


def asset_uses(asset: MediaAsset) -> list[PostMedia]:
    """Where the asset is used: its PostMedia rows with their posts (same organization only)."""
    return list(
        PostMedia.objects.for_org(asset.organization_id)
        .filter(asset=asset)
        .select_related("post")
        .order_by("-post__created_at")
    )
