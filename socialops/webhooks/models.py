"""Outgoing webhooks: an organization's endpoints and the outbox of deliveries to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from socialops.fields import SealedTextField
from socialops.tenancy_models import TenantModel


class WebhookEndpoint(TenantModel):
    """A URL of the organization's own systems that receives the events it chose, signed with its
    secret (Standard Webhooks). ``disabled_at`` set = nothing is sent to it (``disabled_reason``
    says whether an admin did it or the engine did, after repeated failure)."""

    class DisabledReason(models.TextChoices):
        NONE = "", _("Enabled")
        BY_ADMIN = "by_admin", _("Disabled by an admin")
        FAILING = "failing", _("Disabled after repeated failure")

    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    # "whsec_<base64>", sealed at rest. During a rotation the previous secret signs too until
    # previous_secret_until (both signatures in one header, as the specification allows).
    secret = SealedTextField()
    previous_secret = SealedTextField(blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(
        max_length=20, choices=DisabledReason.choices, default=DisabledReason.NONE, blank=True
    )
    # Health: failures in a row since the last success, and when that run of failures began.
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organization", "created_at"], name="webhookendpoint_org")]

    def __str__(self) -> str:
        return self.url

    @property
    def is_enabled(self) -> bool:
        return self.disabled_at is None

    def secrets_signing(self, now=None) -> list[str]:
        """The secrets that sign a message now: the current one, and the previous one while the
        rotation's overlap lasts."""
        now = now or timezone.now()
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_until and self.previous_secret_until > now:
            secrets.append(self.previous_secret)
        return secrets


class WebhookDelivery(TenantModel):
    """One event for one endpoint: the outbox row (written in the emitting action's transaction)
    and the delivery log's line.

    ``msg_id`` is the ``webhook-id`` header: the same on every attempt and on a replay, so a
    receiver can drop a message it has already handled. ``next_attempt_at`` is when it may next
    be tried (also a claim's lease while a worker holds it). A pending delivery for one object
    holds back every later one for the same object and endpoint (``object_key``): a receiver
    sees ``post.scheduled`` before ``post.published``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    msg_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=60)
    object_key = models.CharField(max_length=120)
    body = models.TextField()  # the JSON sent, byte for byte what is signed
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    claim = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)  # the first WEBHOOK_RESPONSE_SNIPPET characters
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The delivery log of one endpoint, newest first.
            models.Index(
                fields=["organization", "endpoint", "-created_at"], name="webhookdelivery_log"
            ),
            # The sweep: pending rows that are due (a small set: delivered rows leave it).
            models.Index(
                fields=["next_attempt_at"],
                name="webhookdelivery_due",
                condition=Q(status="pending"),
            ),
            # Per-object order: "is an earlier delivery for this object still pending?"
            models.Index(
                fields=["endpoint", "object_key", "id"],
                name="webhookdelivery_order",
                condition=Q(status="pending"),
            ),
            models.Index(
                fields=["claim"], name="webhookdelivery_claim", condition=Q(claim__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"
