"""Scoped managers for tenant-owned models (after PostHog's team-scoped managers).

A tenant-owned model's default manager fails closed: a query that is not narrowed to one
organization raises instead of returning every tenant's rows. The two escapes have names
that stand out in review: ``.for_org(org)`` (the normal way in) and ``.unscoped()`` (for
system tasks that truly act across organizations, e.g. a beat sweep).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.lookups import Lookup


class UnscopedQueryError(RuntimeError):
    """A tenant-owned model was queried without naming an organization."""


def _where_names_org(node: Any) -> bool:
    for child in getattr(node, "children", []):
        if isinstance(child, Lookup):
            target = getattr(child.lhs, "target", None)
            if (
                target is not None
                and target.name == "organization"
                and child.lookup_name in ("exact", "in")
            ):
                return True
        elif _where_names_org(child) and getattr(node, "connector", "AND") == "AND":
            return True
    return False


class TenantQuerySet(models.QuerySet):
    _scoped: bool = False

    def _clone(self):  # keep the flag across chaining
        clone = super()._clone()
        clone._scoped = self._scoped
        return clone

    def for_org(self, organization) -> TenantQuerySet:
        qs = self.filter(organization=organization)
        qs._scoped = True
        return qs

    def unscoped(self) -> TenantQuerySet:
        """Every organization's rows. Only for system work that must see all tenants."""
        qs = self._clone()
        qs._scoped = True
        return qs

    def _check_scope(self) -> None:
        if self._scoped or self.query.is_empty() or _where_names_org(self.query.where):
            return
        # A related manager (member.teams, prefetches) reaches rows through an object that was
        # itself loaded through a scoped query; Django marks such querysets with an instance hint.
        if self._hints.get("instance") is not None:
            return
        raise UnscopedQueryError(
            f"{self.model.__name__} is tenant-owned: query it with .for_org(org) (or .unscoped() for system work)."
        )

    def _fetch_all(self):
        if self._result_cache is None:
            self._check_scope()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._check_scope()
        return super().iterator(*args, **kwargs)

    def count(self):
        self._check_scope()
        return super().count()

    def exists(self):
        self._check_scope()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._check_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._check_scope()
        return super().update(**kwargs)

    def delete(self):
        self._check_scope()
        return super().delete()


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    pass


class TenantModel(models.Model):
    """Base for every tenant-owned row: a non-null organization and a scoped default manager."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )

    objects = TenantManager()

    class Meta:
        abstract = True
