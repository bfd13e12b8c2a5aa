"""Approvals endpoints under /api/v1/ (the same services as the pages; decisions are audited "via api").

- ``GET/POST /api/v1/approval-workflows/``, ``GET/PUT/DELETE /api/v1/approval-workflows/{id}/`` (manage_workflows)
- ``GET /api/v1/approval-requests/`` (``?waiting=me`` for my queue, ``?post=<id>``), ``GET …/{id}/``
- ``POST /api/v1/approval-requests/`` ``{"post": 12, "requested_at": "2026-12-01T09:00", "timezone": "Asia/Jakarta"}``
- ``POST /api/v1/approval-requests/{id}/decide/`` ``{"decision": "approve|reject|request_changes", "comment": ""}``
- ``GET /api/v1/post-comments/?post=<id>``, ``POST /api/v1/post-comments/`` ``{"post": 12, "body": "@amy …"}``
"""

from __future__ import annotations

from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.capabilities import Capability
from accounts.models import Membership, Team
from publishing import selectors as post_selectors
from socialops.api import (
    ChoiceFilter,
    DateTimeFilter,
    IdFilter,
    OrgScopedViewSet,
    resolve_instant,
    since_filter,
)
from socialops.errors import ValidationFailed

from . import selectors, services
from .models import ApprovalRequest, PostComment, Workflow
from .serializers import (
    CommentIn,
    CommentOut,
    DecisionIn,
    RequestOut,
    SubmitIn,
    WorkflowIn,
    WorkflowOut,
)


def _post_or_error(membership, post_id, *, need=Capability.VIEW):
    try:
        return post_selectors.get_post_for_member(membership, post_id, need=need)
    except Http404:
        raise ValidationFailed(
            _("That post was not found."), fields={"post": [_("Choose a valid post.")]}
        ) from None


def _stage_specs(org, stages: list[dict]) -> list[services.StageSpec]:
    members = {m.pk: m for m in Membership.objects.for_org(org).select_related("user")}
    teams = {t.pk: t for t in Team.objects.for_org(org)}

    def member(pk, field):
        if pk is None:
            return None
        if pk not in members:
            raise ValidationFailed(
                _("That member was not found."), fields={field: [_("Choose a member.")]}
            )
        return members[pk]

    out = []
    for i, s in enumerate(stages, start=1):
        approvers = []
        for a in s.get("approvers", []):
            kind = a.get("kind")
            if kind == "person":
                approvers.append(
                    services.ApproverSpec(
                        "person", membership=member(a.get("membership"), f"stage_{i}")
                    )
                )
            elif kind == "team":
                if a.get("team") not in teams:
                    raise ValidationFailed(
                        _("That team was not found."), fields={f"stage_{i}": [_("Choose a team.")]}
                    )
                approvers.append(services.ApproverSpec("team", team=teams[a["team"]]))
            else:
                approvers.append(services.ApproverSpec(kind or "", role=a.get("role") or ""))
        out.append(
            services.StageSpec(
                name=s.get("name", ""),
                rule=s.get("rule", "any"),
                quorum=s.get("quorum", 1),
                sla_hours=s.get("sla_hours", 24),
                backup_approver=member(s.get("backup_approver"), f"stage_{i}_backup"),
                approvers=approvers,
            )
        )
    return out


def _workflow_out(workflow: Workflow, membership) -> dict:
    """A workflow as ``membership`` may read it: a channel condition on a channel they may not see is
    left out (and kept when they save: services.update_workflow)."""
    from channels_registry.selectors import visible_channels

    ids = workflow.channel_ids or []
    visible = (
        set(visible_channels(membership).filter(pk__in=ids).values_list("pk", flat=True))
        if ids
        else set()
    )
    return WorkflowOut(
        workflow,
        context={"stages": services.stage_specs_of(workflow), "visible_channel_ids": visible},
    ).data


@extend_schema_view(
    list=extend_schema(
        summary="List approval workflows",
        description="The organization's approval workflows with their stages.",
    ),
    create=extend_schema(
        summary="Create an approval workflow",
        description="A workflow and its stages, each with its approvers.",
    ),
    retrieve=extend_schema(
        summary="Get an approval workflow", description="One workflow with its stages."
    ),
    update=extend_schema(
        summary="Replace an approval workflow",
        description="Replaces the workflow and its stages; requests already running keep the version they started with.",
    ),
    destroy=extend_schema(
        summary="Delete an approval workflow",
        description="Deletes the workflow; running requests keep their snapshot.",
    ),
)
@extend_schema(tags=["approvals"])
class WorkflowViewSet(OrgScopedViewSet):
    """Approval workflows as data. Editing one never changes requests already running (they keep a snapshot)."""

    model = Workflow
    serializer_class = WorkflowOut
    read_capability = Capability.MANAGE_WORKFLOWS
    write_capability = Capability.MANAGE_WORKFLOWS

    list_ordering = ("priority", "name", "id")

    def scoped_queryset(self, organization):
        return selectors.workflows_of(organization)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([_workflow_out(w, self.membership) for w in page])

    def retrieve(self, request, pk=None):
        return Response(_workflow_out(self.get_object(), self.membership))

    @extend_schema(request=WorkflowIn, responses={201: WorkflowOut})
    def create(self, request):
        payload = WorkflowIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = dict(payload.validated_data)
        stages = _stage_specs(self.organization, d.pop("stages"))
        workflow = services.create_workflow(
            self.organization, by=self.membership, name=d.pop("name"), stages=stages, **d
        )
        return Response(_workflow_out(workflow, self.membership), status=status.HTTP_201_CREATED)

    @extend_schema(request=WorkflowIn, responses=WorkflowOut)
    def update(self, request, pk=None):
        workflow = self.get_object()
        payload = WorkflowIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = dict(payload.validated_data)
        stages = _stage_specs(self.organization, d.pop("stages"))
        workflow = services.update_workflow(
            workflow, by=self.membership, name=d.pop("name"), stages=stages, **d
        )
        return Response(_workflow_out(workflow, self.membership))

    def destroy(self, request, pk=None):
        services.delete_workflow(self.get_object(), by=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List approval requests",
        description="Approval requests of the posts the token may see. `waiting=me` lists those waiting for the token's decision; `post` narrows to one post.",
    ),
    create=extend_schema(
        summary="Submit a post for approval",
        description="Starts the approval of a post by its workflow, with the time it should go out (`requested_at`).",
    ),
    retrieve=extend_schema(
        summary="Get an approval request",
        description="One request with its stage and the changes under review.",
    ),
    decide=extend_schema(
        summary="Decide an approval request",
        description="Approves, rejects or asks for changes (`decision`) at the request's current stage. Give `post_version` to be sure you decide on the version you read (a mismatch is `stale_version`).",
    ),
)
@extend_schema(tags=["approvals"])
class ApprovalRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Approval requests; submit a post, decide at its current stage."""

    model = ApprovalRequest
    serializer_class = RequestOut
    read_capability = Capability.VIEW
    write_capability = Capability.COMPOSE
    # deciding is allowed to anyone assigned (a contributor may be a named approver); the service checks the turn
    action_capabilities = {"decide": Capability.VIEW}
    list_ordering = ("-submitted_at", "-id")
    filters = (
        ChoiceFilter("waiting", ["me"], "me: only the requests waiting for the token's member."),
        IdFilter("post", "Only this post's requests.", lookup="post_id"),
        ChoiceFilter(
            "status", ApprovalRequest.Status, "Only requests in this status.", lookup="status"
        ),
        since_filter("created_since", "submitted_at", "submitted"),
        # No updated_at on a request: its changes are its submission, each stage start and the decision.
        DateTimeFilter(
            "updated_since",
            "Only requests submitted, moved to another stage or decided at or after this instant.",
            apply=lambda qs, at: qs.alias(
                changed_at=Greatest(
                    "submitted_at", "stage_started_at", Coalesce("decided_at", "submitted_at")
                )
            ).filter(changed_at__gte=at),
        ),
    )

    def scoped_queryset(self, organization):
        qs = selectors.requests_of(organization)
        membership = self.membership
        qs = qs.filter(post__in=post_selectors.visible_posts(membership))
        if self.query.get("waiting") == "me":
            qs = qs.filter(pk__in=selectors.waiting_for(membership).values("request_id"))
        return qs

    @extend_schema(request=SubmitIn, responses={201: RequestOut})
    def create(self, request):
        payload = SubmitIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        post = _post_or_error(self.membership, d["post"], need=Capability.COMPOSE)
        at = resolve_instant(d, at="requested_at")
        zone = d.get("timezone") or post_selectors.display_zone(post, self.membership)
        approval = services.submit_for_approval(
            post, by=self.membership, requested_at=at, requested_timezone=zone, via="api"
        )
        return Response(
            RequestOut(approval, context={"membership": self.membership}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=DecisionIn, responses=RequestOut)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        approval = self.get_object()
        payload = DecisionIn(data=request.data)
        payload.is_valid(raise_exception=True)
        approval = services.decide(
            approval,
            by=self.membership,
            decision=payload.validated_data["decision"],
            comment=payload.validated_data.get("comment", ""),
            via="api",
            expected_version=payload.validated_data.get("post_version"),
        )
        return Response(
            RequestOut(
                selectors.requests_of(self.organization).get(pk=approval.pk),
                context={"membership": self.membership},
            ).data
        )


@extend_schema_view(
    list=extend_schema(
        summary="List comments on posts",
        description="Internal comments on posts (never published). `post` narrows to one post.",
    ),
    create=extend_schema(
        summary="Comment on a post", description="Adds an internal comment to a post."
    ),
)
@extend_schema(tags=["approvals"])
class PostCommentViewSet(mixins.ListModelMixin, OrgScopedViewSet):
    """Internal comments on a post (never published). ``?post=<id>`` narrows to one post."""

    model = PostComment
    serializer_class = CommentOut
    read_capability = Capability.VIEW
    write_capability = Capability.VIEW

    list_ordering = ("created_at", "id")  # a conversation reads oldest first
    filters = (IdFilter("post", "Only this post's comments.", lookup="post_id"),)

    def scoped_queryset(self, organization):
        qs = (
            PostComment.objects.for_org(organization)
            .select_related("author")
            .order_by("created_at", "pk")
        )
        return qs.filter(post__in=post_selectors.visible_posts(self.membership))

    @extend_schema(request=CommentIn, responses={201: CommentOut})
    def create(self, request):
        payload = CommentIn(data=request.data)
        payload.is_valid(raise_exception=True)
        post = _post_or_error(self.membership, payload.validated_data["post"])
        comment = services.add_comment(
            post, by=self.membership, body=payload.validated_data["body"], via="api"
        )
        return Response(CommentOut(comment).data, status=status.HTTP_201_CREATED)
