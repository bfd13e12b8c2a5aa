"""Input and output shapes of the accounts API. No logic: services decide."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from socialops.api import IdField, InputSerializer

from .capabilities import Role, capabilities_of
from .models import TIMEZONE_CHOICES, Invitation, Membership, Organization, Team


class OrganizationOut(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "timezone", "default_language", "created_at"]


class OrganizationIn(InputSerializer):
    name = serializers.CharField(max_length=120)
    timezone = serializers.ChoiceField(choices=TIMEZONE_CHOICES)
    default_language = serializers.ChoiceField(choices=settings.LANGUAGES)


class TeamOut(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "parent", "description", "created_at"]


class TeamIn(InputSerializer):
    name = serializers.CharField(max_length=120)
    parent = IdField(required=False, allow_null=True)
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )


class MemberOut(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    teams = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    capabilities = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = [
            "id",
            "email",
            "full_name",
            "role",
            "teams",
            "is_active",
            "joined_at",
            "deactivated_at",
            "capabilities",
        ]

    def get_capabilities(self, obj) -> list[str]:
        return sorted(capabilities_of(obj))


class MemberIn(InputSerializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    teams = serializers.ListField(child=IdField(), required=False)


class InvitationOut(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "role",
            "team",
            "status",
            "created_at",
            "expires_at",
            "accepted_at",
            "revoked_at",
        ]


class InvitationIn(InputSerializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    team = IdField(required=False, allow_null=True)
