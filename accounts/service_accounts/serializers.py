"""Input and output shapes of /api/v1/service-accounts/. No logic: services decide."""

from __future__ import annotations

from rest_framework import serializers

from socialops.api import InputSerializer, OffsetDateTimeField
from socialops.scopes import all_scopes

from ..models import ApiToken, ServiceAccount


class ServiceAccountOut(serializers.ModelSerializer):
    created_by = serializers.EmailField(
        source="created_by.email",
        read_only=True,
        default=None,
        allow_null=True,
        help_text="Who created it (null once that person's account is gone).",
    )

    class Meta:
        model = ServiceAccount
        fields = [
            "id",
            "name",
            "description",
            "is_active",
            "created_by",
            "created_at",
            "disabled_at",
        ]


class ServiceAccountIn(InputSerializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )


class ServiceAccountPatchIn(InputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    is_active = serializers.BooleanField(
        required=False,
        help_text="false disables the account: its tokens stop working until it is enabled again.",
    )


class TokenOut(serializers.ModelSerializer):
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=all_scopes()), read_only=True
    )
    created_by = serializers.EmailField(
        source="created_by.email", read_only=True, default=None, allow_null=True
    )
    replaced_by = serializers.IntegerField(
        source="replaced_by_id",
        read_only=True,
        allow_null=True,
        help_text="The token that replaced this one in a rotation.",
    )
    is_usable = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "created_by",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "replaced_by",
            "is_usable",
        ]


class TokenCreated(TokenOut):
    token = serializers.CharField(read_only=True, help_text="The secret: shown once, never again.")

    class Meta(TokenOut.Meta):
        fields = [*TokenOut.Meta.fields, "token"]


class TokenIn(InputSerializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=all_scopes()), min_length=1
    )
    expires_at = OffsetDateTimeField(
        required=False, allow_null=True, help_text="Leave out for a token that lasts until revoked."
    )


class RotateIn(InputSerializer):
    old_token_expires_at = OffsetDateTimeField(
        required=False,
        allow_null=True,
        help_text="Until when the old token keeps working beside the new one (default: 24 hours from now; "
        "at most 30 days).",
    )
