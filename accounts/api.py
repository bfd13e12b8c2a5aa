"""Accounts endpoints under /api/v1/: the current organization, members, teams, invitations."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from socialops.api import OrgScopedViewSet
from socialops.errors import ValidationFailed

from . import selectors, services
from .capabilities import Capability
from .models import Invitation, Membership, Team
from .serializers import (
    InvitationIn,
    InvitationOut,
    MemberIn,
    MemberOut,
    OrganizationIn,
    OrganizationOut,
    TeamIn,
    TeamOut,
)


def _team_or_error(org, team_id, field):
    if team_id is None:
        return None
    team = Team.objects.for_org(org).filter(pk=team_id).first()
    if team is None:
        raise ValidationFailed(
            "That team does not exist.", fields={field: ["Choose a valid team."]}
        )
    return team


@extend_schema(tags=["organization"])
class OrganizationViewSet(OrgScopedViewSet):
    """The organization the token belongs to."""

    write_capability = Capability.MANAGE_ORGANIZATION

    @extend_schema(
        summary="Get the organization",
        description="The organization the token belongs to.",
        responses=OrganizationOut,
    )
    def current(self, request):
        return Response(OrganizationOut(self.organization).data)

    @extend_schema(
        summary="Change the organization",
        description="Changes its name, time zone, default language or the domains scheduled "
        "reports may be sent to (the fields given).",
        request=OrganizationIn,
        responses=OrganizationOut,
    )
    def update_current(self, request):
        current = OrganizationOut(self.organization).data
        current.pop("report_allowed_domains")  # absent from the request: left as it is
        payload = OrganizationIn(data={**current, **request.data})
        payload.is_valid(raise_exception=True)
        org = services.update_organization(
            self.organization,
            by=self.membership,
            name=payload.validated_data["name"],
            timezone_name=payload.validated_data["timezone"],
            language=payload.validated_data["default_language"],
            report_allowed_domains=payload.validated_data.get("report_allowed_domains"),
        )
        return Response(OrganizationOut(org).data)


@extend_schema_view(
    list=extend_schema(
        summary="List teams",
        description="The organization's teams, by name; `parent` makes the tree.",
    ),
    create=extend_schema(
        summary="Create a team", description="A team, optionally under a parent team."
    ),
    retrieve=extend_schema(summary="Get a team", description="One team."),
    partial_update=extend_schema(
        summary="Change a team",
        description="Changes its name, parent, description, lead, time zone or working hours "
        "(the fields given).",
    ),
    destroy=extend_schema(
        summary="Delete a team", description="Deletes a team that has no sub-teams."
    ),
)
@extend_schema(tags=["teams"])
class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    model = Team
    serializer_class = TeamOut
    write_capability = Capability.MANAGE_TEAMS
    list_ordering = ("name", "id")

    def scoped_queryset(self, organization):
        return selectors.teams_of(organization).order_by("name")

    @staticmethod
    def _extras(org, data: dict, given) -> dict:
        """lead, zone and hours when the request names them (else left as they are)."""
        extras = {}
        if "lead" in given:
            lead = None
            if data.get("lead") is not None:
                lead = Membership.objects.for_org(org).filter(pk=data["lead"]).first()
                if lead is None:
                    raise ValidationFailed(
                        "That member does not exist.", fields={"lead": ["Choose a member."]}
                    )
            extras["lead"] = lead
        if "timezone" in given:
            extras["timezone_name"] = data.get("timezone", "")
        if "working_hours" in given:
            extras["working_hours"] = dict(data.get("working_hours") or {})
        return extras

    @extend_schema(request=TeamIn, responses={201: TeamOut})
    def create(self, request):
        payload = TeamIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        extras = self._extras(self.organization, d, request.data)
        with transaction.atomic():
            team = services.create_team(
                self.organization,
                by=self.membership,
                name=d["name"],
                parent=_team_or_error(self.organization, d.get("parent"), "parent"),
                description=d.get("description", ""),
            )
            if extras:
                team = services.update_team(
                    team,
                    by=self.membership,
                    name=team.name,
                    parent=team.parent,
                    description=team.description,
                    **extras,
                )
        return Response(TeamOut(team).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TeamIn, responses=TeamOut)
    def partial_update(self, request, pk=None):
        team = self.get_object()
        current = {"name": team.name, "parent": team.parent_id, "description": team.description}
        payload = TeamIn(data={**current, **request.data})
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        team = services.update_team(
            team,
            by=self.membership,
            name=d["name"],
            parent=_team_or_error(self.organization, d.get("parent"), "parent"),
            description=d.get("description", ""),
            **self._extras(self.organization, d, request.data),
        )
        return Response(TeamOut(team).data)

    def destroy(self, request, pk=None):
        services.delete_team(self.get_object(), by=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List members", description="The organization's members with their role and teams."
    ),
    retrieve=extend_schema(summary="Get a member", description="One member."),
    partial_update=extend_schema(
        summary="Change a member",
        description="Changes their role, teams or own working hours (the fields given).",
    ),
    deactivate=extend_schema(
        summary="Deactivate a member",
        description="The member loses access to the organization (the seat is freed).",
    ),
    reactivate=extend_schema(
        summary="Reactivate a member", description="Gives a deactivated member their access back."
    ),
)
@extend_schema(tags=["members"])
class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    model = Membership
    serializer_class = MemberOut
    write_capability = Capability.MANAGE_MEMBERS

    def scoped_queryset(self, organization):
        return selectors.members_of(organization)

    @extend_schema(request=MemberIn, responses=MemberOut)
    def partial_update(self, request, pk=None):
        member = self.get_object()
        payload = MemberIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        if "role" in d:
            services.change_role(member, by=self.membership, role=d["role"])
        if "working_hours" in d:
            services.set_working_hours(
                member, by=self.membership, working_hours=dict(d["working_hours"] or {})
            )
        if "teams" in d:
            teams = list(Team.objects.for_org(self.organization).filter(pk__in=d["teams"]))
            if len(teams) != len(set(d["teams"])):
                raise ValidationFailed(
                    "Some teams do not exist.", fields={"teams": ["Choose valid teams."]}
                )
            services.set_member_teams(member, by=self.membership, teams=teams)
        member.refresh_from_db()
        return Response(MemberOut(member).data)

    @extend_schema(request=None, responses=MemberOut)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        member = services.deactivate_member(self.get_object(), by=self.membership)
        return Response(MemberOut(member).data)

    @extend_schema(request=None, responses=MemberOut)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        member = services.reactivate_member(self.get_object(), by=self.membership)
        return Response(MemberOut(member).data)


@extend_schema_view(
    list=extend_schema(
        summary="List invitations", description="Invitations to join the organization."
    ),
    create=extend_schema(
        summary="Invite a member",
        description="E-mails an invitation to join with a role (and a team).",
    ),
    retrieve=extend_schema(summary="Get an invitation", description="One invitation."),
    destroy=extend_schema(
        summary="Revoke an invitation",
        description="The invitation link stops working; the answer is the revoked invitation.",
    ),
)
@extend_schema(tags=["members"])
class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    model = Invitation
    serializer_class = InvitationOut
    read_capability = Capability.MANAGE_MEMBERS
    write_capability = Capability.MANAGE_MEMBERS

    def scoped_queryset(self, organization):
        return selectors.invitations_of(organization)

    @extend_schema(request=InvitationIn, responses={201: InvitationOut})
    def create(self, request):
        payload = InvitationIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        issued = services.invite_member(
            self.organization,
            by=self.membership,
            email=d["email"],
            role=d["role"],
            team=_team_or_error(self.organization, d.get("team"), "team"),
        )
        return Response(InvitationOut(issued.invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvitationOut)
    def destroy(self, request, pk=None):
        invitation = services.revoke_invitation(self.get_object(), by=self.membership)
        return Response(InvitationOut(invitation).data)
