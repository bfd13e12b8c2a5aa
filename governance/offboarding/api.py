"""Offboarding under /api/v1/: the preview of a member's offboarding, the run, the stored reports."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.capabilities import Capability
from accounts.models import Membership
from socialops.api import OrgScopedViewSet

from . import selectors, services
from .models import FollowUpTask, OffboardingReport
from .serializers import PreviewOut, ReportOut, RunIn


@extend_schema_view(
    retrieve=extend_schema(
        summary="Preview an offboarding",
        description="Everything that changes if this member is offboarded now, each item with "
        "where it goes by default, and the refusal if they cannot be (yourself, the last owner).",
        responses=PreviewOut,
    ),
)
@extend_schema(tags=["offboarding"])
class MemberOffboardingViewSet(OrgScopedViewSet):
    model = Membership
    read_capability = Capability.MANAGE_GOVERNANCE
    write_capability = Capability.MANAGE_GOVERNANCE
    serializer_class = PreviewOut

    def scoped_queryset(self, organization):
        return selectors.members_to_offboard(organization).select_related("organization")

    def retrieve(self, request, pk=None):
        member = self.get_object()
        plan = selectors.plan_offboarding(member, by=self.membership)
        return Response(PreviewOut(plan).data)

    @extend_schema(
        summary="Offboard a member",
        description="Runs the offboarding in one transaction: every grant, team, stage, waiting "
        "approval, conversation, post, share link, token, session and notification subscription, "
        "as the preview shows with `choices` applied. Answers the stored report. A refused run "
        "(409) or a target who cannot take an item (400) changes nothing.",
        request=RunIn,
        responses={201: ReportOut},
        examples=[
            OpenApiExample(
                "Hand the conversations and one approval to someone",
                value={"choices": {"conversations": 7, "assignment:12": 9}},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        member = self.get_object()
        payload = RunIn(data=request.data)
        payload.is_valid(raise_exception=True)
        report = services.offboard_member(
            member,
            by=self.membership,
            choices=payload.validated_data.get("choices") or {},
            via=OffboardingReport.Via.API,
        )
        return Response(ReportOut(report).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="List offboarding reports", description="Every offboarding run, newest first."
    ),
    retrieve=extend_schema(
        summary="Get an offboarding report",
        description="One run: every item with its outcome and the follow-up tasks.",
    ),
)
@extend_schema(tags=["offboarding"])
class OffboardingReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    model = OffboardingReport
    serializer_class = ReportOut
    read_capability = Capability.MANAGE_GOVERNANCE
    write_capability = Capability.MANAGE_GOVERNANCE
    list_ordering = ("-created_at", "-id")

    def scoped_queryset(self, organization):
        tasks = FollowUpTask.objects.for_org(organization)
        return selectors.reports_of(organization).prefetch_related(
            Prefetch("tasks", queryset=tasks)
        )
