"""Input and output shapes of the approvals API (no logic)."""

from __future__ import annotations

from rest_framework import serializers

from socialops.api import IdField, InputSerializer, InstantField, TimeZoneField

from .models import ApprovalDecision, ApprovalRequest, PostComment, Stage, StageApprover, Workflow


class ApproverIn(InputSerializer):
    kind = serializers.ChoiceField(choices=StageApprover.Kind.choices)
    membership = IdField(required=False, allow_null=True)
    team = IdField(required=False, allow_null=True)
    role = serializers.CharField(required=False, allow_blank=True, max_length=20)


class StageIn(InputSerializer):
    name = serializers.CharField(max_length=120)
    rule = serializers.ChoiceField(choices=Stage.Rule.choices, default=Stage.Rule.ANY)
    quorum = serializers.IntegerField(min_value=1, max_value=50, default=1)
    sla_hours = serializers.IntegerField(min_value=0, max_value=1440, default=24)
    backup_approver = IdField(required=False, allow_null=True)
    approvers = ApproverIn(many=True)


class WorkflowIn(InputSerializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    is_active = serializers.BooleanField(default=True)
    priority = serializers.IntegerField(min_value=0, max_value=10000, default=100)
    team_ids = serializers.ListField(child=IdField(), required=False, default=list)
    channel_ids = serializers.ListField(child=IdField(), required=False, default=list)
    networks = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, default=list
    )
    campaign_ids = serializers.ListField(child=IdField(), required=False, default=list)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list
    )
    default_for_team_ids = serializers.ListField(child=IdField(), required=False, default=list)
    link_ttl_hours = serializers.IntegerField(min_value=1, max_value=720, default=72)
    resubmit_to = serializers.ChoiceField(
        choices=Workflow.Resubmit.choices, default=Workflow.Resubmit.FIRST_STAGE
    )
    reapprove_on_reschedule = serializers.BooleanField(default=False)
    stages = StageIn(many=True)


class WorkflowOut(serializers.ModelSerializer):
    """``channel_ids`` lists only the channels in ``context["visible_channel_ids"]`` (the caller's)."""

    stages = serializers.SerializerMethodField()
    channel_ids = serializers.SerializerMethodField()

    class Meta:
        model = Workflow
        fields = ["id", "name", *Workflow.SETTINGS, "stages", "created_at", "updated_at"]

    def get_channel_ids(self, obj) -> list[int]:
        visible = self.context.get("visible_channel_ids", set())
        return [i for i in obj.channel_ids or [] if i in visible]

    def get_stages(self, obj) -> list[dict]:
        return [
            {
                "name": s.name,
                "rule": s.rule,
                "quorum": s.quorum,
                "sla_hours": s.sla_hours,
                "backup_approver": s.backup_approver.pk if s.backup_approver else None,
                "approvers": [
                    {
                        "kind": a.kind,
                        "membership": a.membership.pk if a.membership else None,
                        "team": a.team.pk if a.team else None,
                        "role": a.role,
                    }
                    for a in s.approvers
                ],
            }
            for s in self.context.get("stages", [])
        ]


class SubmitIn(InputSerializer):
    """A post to send for approval, with the time it should go out."""

    post = IdField(help_text="The post to submit.")
    requested_at = InstantField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The time the author asks to publish at, ISO 8601. With an offset or Z it is that instant; "
        "without one it is wall-clock time in `timezone`, which is then required.",
    )
    timezone = TimeZoneField(
        required=False,
        allow_blank=True,
        help_text="IANA zone. Required when `requested_at` has no offset; otherwise only the zone the time "
        "is shown in (default: the post's zone, else its channel's, else yours, else the organization's).",
    )


class DecisionIn(InputSerializer):
    decision = serializers.ChoiceField(choices=ApprovalDecision.Kind.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    post_version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The post version you reviewed (the request's post_version); a mismatch is refused with stale_version.",
    )


class RequestOut(serializers.ModelSerializer):
    """``diff`` holds only the channels the caller may see (``context["membership"]``)."""

    submitted_by = serializers.EmailField(source="submitted_by.email", read_only=True, default=None)
    workflow_name = serializers.CharField(source="snapshot.name", read_only=True, default="")
    stage_count = serializers.SerializerMethodField()
    diff = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "post",
            "status",
            "workflow",
            "workflow_name",
            "post_version",
            "round",
            "current_stage",
            "stage_count",
            "submitted_by",
            "submitted_at",
            "requested_at",
            "requested_timezone",
            "decided_at",
            "outcome_comment",
            "diff",
        ]

    def get_stage_count(self, obj) -> int:
        return len(obj.stages)

    def get_diff(self, obj) -> list[dict]:
        from .selectors import diff_for

        membership = self.context.get("membership")
        if membership is None:
            view = self.context.get("view")
            membership = getattr(view, "membership", None)
        return diff_for(obj, membership) if membership is not None else []


class CommentIn(InputSerializer):
    post = IdField()
    body = serializers.CharField(max_length=5000)


class CommentOut(serializers.ModelSerializer):
    author = serializers.EmailField(source="author.email", read_only=True, default=None)

    class Meta:
        model = PostComment
        fields = ["id", "post", "author", "body", "mentions", "post_version", "created_at"]
