"""Access reviews under /api/v1/access-reviews/: list, start, read, close; a review's items, decide."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import selectors as accounts_selectors
from accounts.capabilities import Capability
from socialops.api import ChoiceFilter, OrgScopedViewSet

from . import selectors, services
from .models import ReviewCampaign, ReviewItem
from .serializers import (
    ReviewCampaignIn,
    ReviewCampaignOut,
    ReviewDecidedOut,
    ReviewDecideIn,
    ReviewItemOut,
)


@extend_schema_view(
    list=extend_schema(
        summary="List access reviews",
        description="Every review, newest first, for those who manage governance; for anyone else, "
        "the reviews they have items to decide in.",
    ),
    retrieve=extend_schema(
        summary="Get an access review",
        description="Its scope, due date, progress and, once closed, the kept result.",
    ),
)
@extend_schema(tags=["access reviews"])
class AccessReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    model = ReviewCampaign
    serializer_class = ReviewCampaignOut
    read_capability = Capability.VIEW
    write_capability = Capability.MANAGE_GOVERNANCE
    #: reviewers (team leads) decide their own items; the service checks whose they are
    action_capabilities = {"decide": Capability.VIEW}
    paginated_actions = ("list", "items")
    filters = (
        ChoiceFilter(
            "status", ReviewCampaign.Status, "Only open or only closed reviews.", lookup="status"
        ),
        ChoiceFilter(
            "decision",
            ReviewItem.Decision,
            "Only items with this decision (`pending`: still to review).",
            actions=("items",),
        ),
    )

    def scoped_queryset(self, organization):
        return selectors.campaigns_for_member(self.membership).select_related("organization")

    @extend_schema(
        summary="Start an access review",
        description="One item per person × channel they hold grants on in person, in the scope "
        "(a team's subtree, some networks), each for the lead of the person's team (else an owner "
        "or admin), who is notified. Refused (400, nothing created) when there is nothing to "
        "review or someone's access has nobody to review it.",
        request=ReviewCampaignIn,
        responses={201: ReviewCampaignOut},
        examples=[
            OpenApiExample(
                "Review the Jakarta team's access by the end of the month",
                value={"name": "Q4 review", "team": 3, "networks": [], "due_on": "2026-12-31"},
                request_only=True,
            )
        ],
    )
    def create(self, request):
        payload = ReviewCampaignIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        team = (
            accounts_selectors.get_team(self.organization, d["team"])
            if d.get("team") is not None
            else None
        )
        campaign = services.start_review(
            self.organization,
            by=self.membership,
            name=d["name"],
            team=team,
            networks=d["networks"],
            due_on=d["due_on"],
        )
        campaign = selectors.get_campaign(self.organization, campaign.pk)
        return Response(ReviewCampaignOut(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Close an access review",
        description="No decision changes after this; the result (every item as decided, pending "
        "ones as not reviewed) is stored as evidence. A closed review is a 409.",
        request=None,
        responses=ReviewCampaignOut,
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        campaign = self.get_object()
        services.close_review(campaign, by=self.membership)
        return Response(
            ReviewCampaignOut(selectors.get_campaign(self.organization, campaign.pk)).data
        )

    @extend_schema(
        summary="List an access review's items",
        description="Every item for those who manage governance; a reviewer's own items otherwise.",
        request=None,
        responses=ReviewItemOut(many=True),
    )
    @action(detail=True, methods=["get"], url_path="items", url_name="items")
    def items(self, request, pk=None):
        campaign = self.get_object()
        rows = selectors.items_for_member(campaign, self.membership).order_by()
        if "decision" in self.query:
            rows = rows.filter(decision=self.query["decision"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ReviewItemOut(page, many=True).data)

    @extend_schema(
        summary="Decide items of an access review",
        description="Keep or remove some of your items (you are their reviewer). `remove` revokes "
        "the person's grants on that channel at once. All or none: an id that is not one of your "
        "items in this review is a 400; a closed review is a 409. Answers the decided items "
        "under `items`.",
        request=ReviewDecideIn,
        responses=ReviewDecidedOut,
        examples=[
            OpenApiExample(
                "Remove two accesses",
                value={"items": [41, 42], "decision": "remove", "note": "Left the agency"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path="items/decide", url_name="items-decide")
    def decide(self, request, pk=None):
        campaign = self.get_object()
        payload = ReviewDecideIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        decided = services.decide_items(
            campaign,
            by=self.membership,
            item_ids=d["items"],
            decision=d["decision"],
            note=d["note"],
        )
        rows = selectors.items_of(campaign).filter(pk__in=[i.pk for i in decided])
        return Response(ReviewDecidedOut({"items": rows}).data)
