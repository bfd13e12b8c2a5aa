from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from socialops.tenancy_models import TenantManager, TenantModel, TenantQuerySet


class AppendOnlyError(RuntimeError):
    """The audit log is append-only: rows are never updated or deleted."""


class AuditEventQuerySet(TenantQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted.")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be updated.")


class AuditEvent(TenantModel):
    """One state change or access decision, chained to the organization's previous event.

    ``hash = sha256(prev_hash + canonical JSON of this event)``; ``seq`` counts from 1 per
    organization. Written only by :func:`governance.services.record_event`.
    """

    class Via(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        LINK = "link", _("Signed link")
        TASK = "task", _("Background task")
        SYSTEM = "system", _("System")

    seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.SYSTEM)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = TenantManager.from_queryset(AuditEventQuerySet)()

    class Meta:
        ordering = ["organization", "seq"]
        constraints = [models.UniqueConstraint(fields=["organization", "seq"], name="audit_seq_unique")]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="audit_org_created"),
            models.Index(fields=["organization", "action"], name="audit_org_action"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be updated.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")
