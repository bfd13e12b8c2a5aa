"""One row per (credential, key): the request's fingerprint and, once it succeeded, its response."""

from __future__ import annotations

from django.db import models

from socialops.tenancy_models import TenantModel


class IdempotencyKey(TenantModel):
    #: which token sent it (``<app_label.model>:<pk>``): keys are per token, never shared between callers
    credential = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    #: SHA-256 of method, path and body: the same key with another request is refused
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    #: the stored answer of the first request (2xx only; a failed request frees its key)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "key"], name="idempotency_key_once_per_credential"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credential} {self.key}"
