"""Share links' reads: an organization's links (of a kind), one link by id, a person's links."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .models import ShareLink

__all__ = ["get_link", "links_created_by", "links_of"]


def links_of(organization, *, kind: str | None = None) -> QuerySet[ShareLink]:
    """``organization``'s links, newest first (``kind``: only that kind's)."""
    qs = ShareLink.objects.for_org(organization).select_related("created_by")
    if kind is not None:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-pk")


def get_link(organization, link_id, *, kind: str | None = None) -> ShareLink:
    """One link of ``organization`` (of ``kind``); another organization's, another kind's or a missing one is a 404."""
    try:
        pk = int(link_id)
    except (TypeError, ValueError):
        pk = 0
    link = links_of(organization, kind=kind).filter(pk=pk).first() if pk > 0 else None
    if link is None:
        raise Http404("No such share link.")
    return link


def links_created_by(organization, user, *, working_only: bool = True) -> QuerySet[ShareLink]:
    """The links ``user`` created in ``organization``, every kind (``working_only``: not revoked nor expired)."""
    qs = links_of(organization).filter(created_by=user)
    if working_only:
        qs = qs.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )
    return qs
