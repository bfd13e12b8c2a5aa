"""The audit log's two tables: the entries and, per organization, the chain's head.

Both were governance's (tables ``governance_auditevent`` and ``governance_auditchainhead``, made by
its migrations 0001–0003); migration ``audit.0001`` adopted them as they were and ``audit.0002``
renamed them, with their PostgreSQL triggers, to ``audit_auditevent`` and
``audit_auditchainhead``. The organization and the actor are foreign keys by string (through
:class:`~socialops.tenancy_models.TenantModel` and ``AUTH_USER_MODEL``): the kernel imports no app.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
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

    def dangerously_purge(self) -> int:
        """Delete these rows: only ``services.purge_entries`` calls it, for entries its checkpoint
        covers (on PostgreSQL the trigger refuses any row above the head's ``checkpoint_seq``)."""
        return self._raw_delete(self.db)

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be updated.")


class AuditEvent(TenantModel):
    """One state change or access decision, chained to the organization's previous event.

    ``hash = HMAC-SHA256(chain key, prev_hash + canonical JSON of this event)`` (see
    :mod:`socialops.audit.chain`; entries from before the chain was keyed have ``key_id == ""`` and
    a plain sha256); ``seq`` counts from 1 per organization. Written only by
    :func:`socialops.audit.services.record_events`, which also moves the organization's
    :class:`AuditChainHead`. On PostgreSQL a trigger refuses UPDATE and DELETE of its rows.
    """

    class Via(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        LINK = "link", _("Signed link")
        TASK = "task", _("Background task")
        SCIM = "scim", _("SCIM provisioning")
        SYSTEM = "system", _("System")

    seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
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
    #: id of the chain key this entry's hash was made with; "" for entries from before the key
    key_id = models.CharField(max_length=16, blank=True, default="")

    objects = TenantManager.from_queryset(AuditEventQuerySet)()

    class Meta:
        ordering = ["organization", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "seq"], name="audit_seq_unique")
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="audit_org_created"),
            models.Index(fields=["organization", "action"], name="audit_org_action"),
            models.Index(fields=["organization", "actor", "-seq"], name="audit_org_actor"),
            models.Index(
                fields=["organization", "object_type", "object_id"], name="audit_org_object"
            ),
            # and on PostgreSQL a GIN index of the entries' text (audit.0003, see selectors.search)
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


class AuditChainHead(TenantModel):
    """The newest link of an organization's audit chain, kept apart from the entries, sealed with
    the chain key, and the row every append locks.

    Anchors the chain: deleting the newest entries (which leaves a chain that links up) no longer
    matches ``seq`` and ``hash`` here, and the seal (``mac``, see :mod:`socialops.audit.chain`) cannot
    be recomputed without the key. ``legacy_seq``: entries 1…legacy_seq were written before the chain
    was keyed and verify the old way; every later one must be keyed.

    Appends lock this row with ``SELECT … FOR NO KEY UPDATE``: it serializes the appends of one
    organization without locking the Organization row (``FOR UPDATE`` there would conflict with
    the ``FOR KEY SHARE`` every foreign-key check takes, so every insert of a row referencing the
    organization would wait for the appending transaction). On PostgreSQL a trigger refuses
    deleting a head and moving one backwards.
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
    legacy_seq = models.PositiveBigIntegerField(default=0)
    key_id = models.CharField(max_length=16, blank=True)
    mac = models.CharField(max_length=64, blank=True)
    #: entries 1…checkpoint_seq were purged under the retention; the chain verifies from
    #: ``checkpoint_hash``, the hash of the last purged entry (both sealed in ``mac``)
    checkpoint_seq = models.PositiveBigIntegerField(default=0)
    checkpoint_hash = models.CharField(max_length=64, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="audit_head_one_per_org")
        ]

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class AuditRetention(TenantModel):
    """How long an organization keeps its audit entries (no row: :data:`DEFAULT_YEARS`).

    The daily purge (``socialops.audit.tasks.purge_expired_entries``) deletes entries older than
    this, after storing a checkpoint on the chain's head so the rest still verifies."""

    DEFAULT_YEARS = 7
    MIN_YEARS = 1
    MAX_YEARS = 50

    years = models.PositiveSmallIntegerField(
        default=DEFAULT_YEARS,
        validators=[MinValueValidator(MIN_YEARS), MaxValueValidator(MAX_YEARS)],
        help_text=_("Audit entries older than this many years are deleted."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="audit_retention_one_per_org"),
            models.CheckConstraint(
                condition=models.Q(years__gte=1) & models.Q(years__lte=50),
                name="audit_retention_years_range",
            ),
        ]

    def __str__(self) -> str:
        return f"keep audit entries {self.years} years"
