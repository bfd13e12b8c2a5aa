"""GET /api/v1/governance/coverage/: the coverage gaps (governance/coverage/selectors.py) as JSON."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from accounts.capabilities import Capability
from channels_registry.models import Channel
from socialops.api import OneObjectSchema, OrgScopedViewSet

from .selectors import coverage_report


class PersonOut(serializers.Serializer):
    membership = serializers.IntegerField(help_text="The member's id (see /members/).")
    email = serializers.EmailField(help_text="The member's e-mail address.")
    name = serializers.CharField(help_text="The member's full name; empty if they gave none.")


class ChannelGapOut(serializers.Serializer):
    channel = serializers.IntegerField(help_text="The channel's id.")
    name = serializers.CharField(help_text="The channel's name, else its handle.")
    network = serializers.CharField(help_text="The channel's network.")
    admins = PersonOut(many=True, help_text="Who can administer it (fewer than two people).")


class StageGapOut(serializers.Serializer):
    workflow = serializers.IntegerField(help_text="The approval workflow's id.")
    workflow_name = serializers.CharField(help_text="The approval workflow's name.")
    stage = serializers.IntegerField(help_text="The stage's id.")
    stage_name = serializers.CharField(help_text="The stage's name.")
    reason = serializers.ChoiceField(
        choices=["none", "inactive"],
        help_text="`none`: the stage has no backup approver; `inactive`: its backup left.",
    )


class SoleAdminOut(serializers.Serializer):
    person = PersonOut(help_text="The person who alone administers these channels.")
    channels = serializers.ListField(
        child=serializers.IntegerField(), help_text="The ids of the channels only they administer."
    )


class TokenGapOut(serializers.Serializer):
    channel = serializers.IntegerField(help_text="The channel's id.")
    name = serializers.CharField(help_text="The channel's name, else its handle.")
    reason = serializers.ChoiceField(
        choices=["needs_reauth", "expires"],
        help_text="`needs_reauth`: the network refused its authorization; `expires`: its token "
        "runs out within a week.",
    )
    token_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When the channel's token runs out; null: not known."
    )


class TeamGapOut(serializers.Serializer):
    team = serializers.IntegerField(help_text="The team's id.")
    team_name = serializers.CharField(help_text="The team's name.")
    members = serializers.IntegerField(
        help_text="How many active people are in it (sub-teams included)."
    )
    channels = serializers.IntegerField(help_text="How many of its channels are not archived.")


class CountsOut(serializers.Serializer):
    channels = serializers.IntegerField(help_text="Channels with fewer than two admins.")
    stages = serializers.IntegerField(help_text="Approval stages without a backup.")
    sole_admins = serializers.IntegerField(help_text="People who alone administer many channels.")
    tokens = serializers.IntegerField(help_text="Channels to reconnect within a week.")
    teams = serializers.IntegerField(help_text="Teams where nobody can publish.")


class CoverageOut(serializers.Serializer):
    counts = CountsOut(help_text="How many gaps of each kind.")
    channels = ChannelGapOut(many=True, help_text="Channels fewer than two people can administer.")
    stages = StageGapOut(
        many=True, help_text="Stages of active workflows without a working backup."
    )
    sole_admins = SoleAdminOut(
        many=True, help_text="People who are the only admin of three or more channels."
    )
    tokens = TokenGapOut(
        many=True, help_text="Channels that need re-auth or whose token expires within a week."
    )
    teams = TeamGapOut(many=True, help_text="Teams in which nobody may publish to their channels.")


def _person(m) -> dict:
    return {"membership": m.pk, "email": m.user.email, "name": m.user.full_name}


def coverage_payload(report) -> dict:
    return {
        "counts": report.counts,
        "channels": [
            {
                "channel": g.channel.pk,
                "name": g.channel.name or g.channel.handle,
                "network": g.channel.provider,
                "admins": [_person(m) for m in g.admins],
            }
            for g in report.channels
        ],
        "stages": [
            {
                "workflow": g.workflow.pk,
                "workflow_name": g.workflow.name,
                "stage": g.stage.pk,
                "stage_name": g.stage.name,
                "reason": g.reason,
            }
            for g in report.stages
        ],
        "sole_admins": [
            {"person": _person(s.membership), "channels": [c.pk for c in s.channels]}
            for s in report.sole_admins
        ],
        "tokens": [
            {
                "channel": g.channel.pk,
                "name": g.channel.name or g.channel.handle,
                "reason": g.reason,
                "token_expires_at": g.expires_at,
            }
            for g in report.tokens
        ],
        "teams": [
            {
                "team": g.team.pk,
                "team_name": g.team.name,
                "members": g.members,
                "channels": g.channels,
            }
            for g in report.teams
        ],
    }


@extend_schema_view(
    list=extend_schema(
        summary="Read the coverage gaps",
        description="Channels with fewer than two people who can administer them, approval stages "
        "without a backup, people who alone administer three or more channels, channels that need "
        "re-auth or whose token expires within a week, and teams where nobody can publish. "
        "Archived channels are left out. Needs the `manage_governance` capability.",
    ),
)
@extend_schema(tags=["governance"])
class CoverageViewSet(OrgScopedViewSet):
    schema = OneObjectSchema()
    model = Channel
    read_capability = Capability.MANAGE_GOVERNANCE
    pagination_class = None  # one report, not a list of pages

    def scoped_queryset(self, organization):
        return Channel.objects.for_org(organization).none()

    @extend_schema(responses=CoverageOut, operation_id="governance_coverage_read")
    def list(self, request, *args, **kwargs):
        return Response(CoverageOut(coverage_payload(coverage_report(self.organization))).data)
