"""Input and output shapes of the webhook endpoints API. No logic: the kernel's services decide."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from socialops.api import InputSerializer
from socialops.webhooks.events import EVENT_TYPES
from socialops.webhooks.models import WebhookDelivery, WebhookEndpoint

EVENT_CHOICES = list(EVENT_TYPES)


class WebhookEndpointOut(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES),
        help_text="The event types sent to this endpoint.",
    )
    enabled = serializers.BooleanField(
        source="is_enabled", help_text="False: nothing is sent to it."
    )
    disabled_reason = serializers.ChoiceField(
        choices=WebhookEndpoint.DisabledReason.choices,
        allow_blank=True,
        help_text='"by_admin", "failing" (disabled after repeated failure) or "" when enabled.',
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "enabled",
            "disabled_at",
            "disabled_reason",
            "consecutive_failures",
            "failing_since",
            "last_success_at",
            "previous_secret_until",
            "created_at",
            "updated_at",
        ]


class WebhookEndpointCreated(WebhookEndpointOut):
    secret = serializers.CharField(
        help_text="The signing secret (whsec_…): shown once, in this answer."
    )

    class Meta(WebhookEndpointOut.Meta):
        fields = [*WebhookEndpointOut.Meta.fields, "secret"]


class WebhookEndpointIn(InputSerializer):
    url = serializers.CharField(
        max_length=2000, help_text="https:// on an address reachable on the internet."
    )
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES), allow_empty=False
    )


class WebhookEndpointPatch(InputSerializer):
    url = serializers.CharField(max_length=2000, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES), allow_empty=False, required=False
    )


class RotatedSecretOut(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret: shown once, in this answer.")
    previous_secret_until = serializers.DateTimeField(
        allow_null=True, help_text="Until then the previous secret signs each delivery too."
    )


class WebhookDeliveryOut(serializers.ModelSerializer):
    payload = serializers.SerializerMethodField(help_text="The body sent (JSON).")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "msg_id",
            "event_type",
            "status",
            "created_at",
            "attempts",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "response_status",
            "response_body",
            "duration_ms",
            "last_error",
            "replay_of",
            "payload",
        ]

    @extend_schema_field(serializers.DictField())
    def get_payload(self, row: WebhookDelivery) -> dict:
        import json

        return json.loads(row.body)
