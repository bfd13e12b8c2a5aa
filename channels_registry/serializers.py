"""Input and output shapes of the channels API. No logic, and never a credential."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import TIMEZONE_CHOICES
from socialops.api import IdField, InputSerializer

from .models import Channel, ChannelGrant, ChannelGroup, GrantCapability


class ChannelOut(serializers.ModelSerializer):
    network = serializers.CharField(source="provider")

    class Meta:
        model = Channel
        # An explicit list: credentials live in another table and are never serialized.
        fields = [
            "id",
            "network",
            "external_id",
            "handle",
            "name",
            "avatar_url",
            "url",
            "team",
            "timezone",
            "status",
            "access",
            "token_expires_at",
            "last_synced_at",
            "last_error",
            "created_at",
        ]


class ChannelIn(InputSerializer):
    team = IdField(required=False, allow_null=True)
    timezone = serializers.ChoiceField(choices=TIMEZONE_CHOICES, required=False)
    access = serializers.ChoiceField(choices=Channel.Access.choices, required=False)


class ChannelGroupOut(serializers.ModelSerializer):
    channels = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = ChannelGroup
        fields = ["id", "name", "description", "channels", "created_at"]


class ChannelGroupIn(InputSerializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    channels = serializers.ListField(child=IdField(), required=False, default=list)


class ChannelGrantOut(serializers.ModelSerializer):
    class Meta:
        model = ChannelGrant
        fields = ["id", "channel", "membership", "team", "capability", "created_at"]


class ChannelGrantIn(InputSerializer):
    channel = IdField()
    capability = serializers.ChoiceField(choices=GrantCapability.choices)
    membership = IdField(required=False, allow_null=True)
    team = IdField(required=False, allow_null=True)
