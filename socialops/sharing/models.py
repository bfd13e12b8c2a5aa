"""One table of share links, every kind's (see :mod:`socialops.sharing`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from socialops.tenancy_models import TenantModel


class ShareLink(TenantModel):
    """A read-only view of something for someone without an account: signed, revocable, optionally expiring.

    Only a SHA-256 of the token's random part is stored; the filters are frozen when it is created.
    """

    #: a registered kind (``socialops.sharing.kinds``): "calendar", "dashboard", …
    kind = models.CharField(_("kind"), max_length=30)
    #: the shared object's id, for kinds that share one object (a dashboard); null for the calendar
    target_id = models.BigIntegerField(null=True, blank=True)
    name = models.CharField(_("name"), max_length=120)
    token_hash = models.CharField(max_length=64, unique=True)
    #: the view's filters chosen by the creator (for the calendar: team, channel, network, …)
    filters = models.JSONField(default=dict, blank=True)
    #: the zone the shared view is shown in
    timezone = models.CharField(max_length=64, default="UTC")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    #: null: the link never expires
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["organization", "kind", "-created_at"], name="share_org_kind_created"
            ),
            models.Index(fields=["organization", "created_by"], name="share_org_creator"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= dj_timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def state(self) -> str:
        """ "revoked", "expired" or "active"."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired else "active"
