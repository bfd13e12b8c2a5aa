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
        fields = [
            "id",
            "name",
            "slug",
            "timezone",
            "default_language",
            "report_allowed_domains",
            "created_at",
        ]
        extra_kwargs = {
            "report_allowed_domains": {
                "help_text": "The e-mail domains scheduled reports may be sent to outside the "
                "organization's members; empty: members only."
            }
        }


class OrganizationIn(InputSerializer):
    name = serializers.CharField(max_length=120)
    timezone = serializers.ChoiceField(choices=TIMEZONE_CHOICES)
    default_language = serializers.ChoiceField(choices=settings.LANGUAGES)
    report_allowed_domains = serializers.ListField(
        child=serializers.CharField(max_length=253),
        max_length=200,
        required=False,
        help_text="The e-mail domains scheduled reports may be sent to outside the organization's "
        "members (e.g. partner.example); [] for members only. Absent: unchanged.",
    )


class WorkingHoursIO(serializers.Serializer):
    """A weekly schedule: ``{}`` not set, ``{"always": true}`` 24/7, or ``{"days": {...}}``."""

    always = serializers.BooleanField(
        required=False, help_text="true: working 24/7 (holidays included)."
    )
    days = serializers.DictField(
        child=serializers.ListField(
            child=serializers.CharField(max_length=5), min_length=2, max_length=2
        ),
        required=False,
        help_text='Weekday (mon … sun) → ["HH:MM", "HH:MM"] opening and closing, local time '
        '("24:00" is midnight); an absent day is closed.',
    )


_HOURS_HELP = (
    "The weekly working hours ({} = not set; see the shape). Local times in the zone of the "
    "team (else the organization's) or of the person."
)


class TeamOut(serializers.ModelSerializer):
    lead = serializers.IntegerField(
        source="lead_id", allow_null=True, help_text="The team lead (a member's id), or null."
    )
    timezone = serializers.CharField(
        help_text="The zone of its working hours; empty: the organization's."
    )
    working_hours = WorkingHoursIO(help_text=_HOURS_HELP)

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "parent",
            "description",
            "lead",
            "timezone",
            "working_hours",
            "created_at",
        ]


class TeamIn(InputSerializer):
    name = serializers.CharField(max_length=120)
    parent = IdField(required=False, allow_null=True)
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    lead = IdField(
        required=False,
        allow_null=True,
        help_text="The team lead (an active member's id), told of SLA breaches; null: none.",
    )
    timezone = serializers.ChoiceField(
        choices=TIMEZONE_CHOICES,
        required=False,
        allow_blank=True,
        help_text="The zone of its working hours; empty: the organization's.",
    )
    working_hours = WorkingHoursIO(required=False, help_text=_HOURS_HELP)


class MemberOut(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    teams = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    capabilities = serializers.SerializerMethodField()
    working_hours = WorkingHoursIO(
        help_text="The person's own working hours here ({}: their team's), in their time zone."
    )

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
            "working_hours",
        ]

    def get_capabilities(self, obj) -> list[str]:
        return sorted(capabilities_of(obj))


class MemberIn(InputSerializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    teams = serializers.ListField(child=IdField(), required=False)
    working_hours = WorkingHoursIO(
        required=False, help_text="The person's own working hours ({}: their team's)."
    )


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
