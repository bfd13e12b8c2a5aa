"""Approval workflows (data, edited in the UI), requests that snapshot them, decisions, links, comments.

A request copies its workflow into ``snapshot`` when it is submitted: editing or deleting the
workflow later never changes a running request. A request is bound to one post version; each
stage's approvers are resolved into ``ApprovalAssignment`` rows when the stage starts (out-of-office
delegation applies there). Approval links store only the SHA-256 of their secret.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from socialops.tenancy_models import TenantModel

DEFAULT_LINK_TTL_HOURS = 72


class ApprovalPolicy(TenantModel):
    """The organization's rules for approval links (one row per organization; none = the defaults)."""

    require_login = models.BooleanField(
        _("approvers must sign in to use an approval link"),
        default=False,
        help_text=_(
            "When on, a link opens the sign-in page first and only the person it was sent to may use it."
        ),
    )
    reminder_hours = models.PositiveIntegerField(
        _("remind approvers this many hours before the SLA runs out"), default=4
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="approvalpolicy_one_per_org")
        ]
        indexes = [models.Index(fields=["organization"], name="approvalpolicy_org")]


class Workflow(TenantModel):
    class Resubmit(models.TextChoices):
        FIRST_STAGE = "first_stage", _("Back to the first stage")
        CURRENT_STAGE = "current_stage", _("Back to the stage it had reached")

    #: What a workflow's builder sets besides its name and stages, listed once: the services accept
    #: exactly these, the API reads and writes them, the builder's form fills and reads them.
    SETTINGS = (
        "description",
        "is_active",
        "priority",
        "team_ids",
        "channel_ids",
        "networks",
        "campaign_ids",
        "tags",
        "default_for_team_ids",
        "link_ttl_hours",
        "resubmit_to",
        "reapprove_on_reschedule",
    )

    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    #: lower first when several workflows' conditions match a post
    priority = models.PositiveIntegerField(_("priority"), default=100)
    # Conditions: each non-empty list must match; all empty = applies to every post (unless a team default).
    team_ids = models.JSONField(default=list, blank=True)
    channel_ids = models.JSONField(default=list, blank=True)
    networks = models.JSONField(default=list, blank=True)
    campaign_ids = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    #: teams for which this is the default workflow (used when no conditional workflow matches)
    default_for_team_ids = models.JSONField(default=list, blank=True)
    link_ttl_hours = models.PositiveIntegerField(
        _("approval links expire after (hours)"), default=DEFAULT_LINK_TTL_HOURS
    )
    resubmit_to = models.CharField(
        _("an edit after an approval goes"),
        max_length=20,
        choices=Resubmit.choices,
        default=Resubmit.FIRST_STAGE,
    )
    reapprove_on_reschedule = models.BooleanField(
        _("moving the time needs a new approval"), default=False
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="workflow_unique_name")
        ]
        indexes = [models.Index(fields=["organization", "is_active"], name="workflow_org_active")]

    def __str__(self) -> str:
        return self.name

    @property
    def has_conditions(self) -> bool:
        return bool(
            self.team_ids or self.channel_ids or self.networks or self.campaign_ids or self.tags
        )


class Stage(TenantModel):
    class Rule(models.TextChoices):
        ANY = "any", _("Any one approver")
        ALL = "all", _("All approvers")
        QUORUM = "quorum", _("A quorum of N approvers")

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("stage name"), max_length=120)
    rule = models.CharField(_("rule"), max_length=10, choices=Rule.choices, default=Rule.ANY)
    quorum = models.PositiveSmallIntegerField(_("quorum"), default=1)
    sla_hours = models.PositiveIntegerField(_("SLA (hours, 0 = none)"), default=24)
    backup_approver = models.ForeignKey(
        "accounts.Membership",
        verbose_name=_("backup approver"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["workflow", "position", "pk"]
        indexes = [models.Index(fields=["organization", "workflow"], name="stage_org_workflow")]


class StageApprover(TenantModel):
    class Kind(models.TextChoices):
        PERSON = "person", _("A person")
        TEAM = "team", _("Everyone in a team")
        ROLE = "role", _("Everyone with a role")

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="approvers")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    membership = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(max_length=20, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "stage"], name="stageapprover_org_stage")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="person", membership__isnull=False)
                    | Q(kind="team", team__isnull=False)
                    | Q(kind="role") & ~Q(role="")
                ),
                name="stageapprover_target",
            )
        ]


class ApprovalRequest(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        CANCELLED = "cancelled", _("Withdrawn")

    post = models.ForeignKey("publishing.Post", on_delete=models.CASCADE, related_name="+")
    workflow = models.ForeignKey(
        Workflow, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: the workflow as it was when the request was submitted (stages, approvers, rules, SLA, link TTL)
    snapshot = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    #: the post version the current round is about (an edit bumps it and starts a new round)
    post_version = models.PositiveIntegerField()
    round = models.PositiveIntegerField(default=1)
    current_stage = models.PositiveSmallIntegerField(default=0)
    stage_started_at = models.DateTimeField(default=dj_timezone.now)
    #: the post's content when it was last approved at some stage (what a later edit is compared with)
    approved_content = models.JSONField(default=dict, blank=True)
    approved_version = models.PositiveIntegerField(null=True, blank=True)
    #: what changed since the last approval, shown to approvers of the new version
    diff = models.JSONField(default=list, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(default=dj_timezone.now)
    #: the schedule the author asked for (UTC) and the zone they meant
    requested_at = models.DateTimeField(null=True, blank=True)
    requested_timezone = models.CharField(max_length=64, blank=True)
    #: the time the post was first scheduled at after approval (moving it may need re-approval)
    approved_schedule_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "post"], name="approvalrequest_org_post"),
            models.Index(fields=["organization", "status"], name="approvalrequest_org_status"),
        ]
        constraints = [
            # at most one running request per post
            models.UniqueConstraint(
                fields=["post"], condition=Q(status="pending"), name="approvalrequest_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"Approval #{self.pk}"

    @property
    def stages(self) -> list[dict]:
        return list(self.snapshot.get("stages", []))

    @property
    def stage(self) -> dict | None:
        stages = self.stages
        return stages[self.current_stage] if 0 <= self.current_stage < len(stages) else None


class ApprovalAssignment(TenantModel):
    """One person's turn to decide at one stage, in one round (a new version starts a new round)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        SUPERSEDED = "superseded", _("No longer needed")

    request = models.ForeignKey(
        ApprovalRequest, on_delete=models.CASCADE, related_name="assignments"
    )
    stage_index = models.PositiveSmallIntegerField()
    round = models.PositiveIntegerField()
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="+"
    )
    #: delegation: the approver this person stands in for (out of office)
    on_behalf_of = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: the backup approver, added when the stage's SLA ran out
    is_escalation = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_overdue(self) -> bool:
        return (
            self.status == self.Status.PENDING
            and self.due_at is not None
            and self.due_at <= dj_timezone.now()
        )

    class Meta:
        ordering = ["request", "stage_index", "pk"]
        indexes = [
            models.Index(
                fields=["organization", "membership", "status"], name="assignment_org_member_status"
            ),
            models.Index(fields=["organization", "request"], name="assignment_org_request"),
            # the SLA sweep: only pending rows with a due time
            models.Index(fields=["due_at"], name="assignment_sweep", condition=Q(status="pending")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "round", "stage_index", "membership"],
                name="assignment_unique_person",
            ),
        ]


class ApprovalDecision(TenantModel):
    class Kind(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        REQUEST_CHANGES = "request_changes", _("Asked for changes")

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="decisions")
    assignment = models.ForeignKey(
        ApprovalAssignment, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage_index = models.PositiveSmallIntegerField()
    stage_name = models.CharField(max_length=120, blank=True)
    post_version = models.PositiveIntegerField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    comment = models.TextField(blank=True)
    via = models.CharField(max_length=10, default="web")
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["organization", "request"], name="decision_org_request")]


class ApprovalLink(TenantModel):
    """A single-use, expiring link for one assignment (one approver, one post version). Only a hash is kept."""

    assignment = models.ForeignKey(
        ApprovalAssignment, on_delete=models.CASCADE, related_name="links"
    )
    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="+"
    )
    post_version = models.PositiveIntegerField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "assignment"], name="approvallink_org_assignment")
        ]


class PostComment(TenantModel):
    """An internal comment beside a post (never published), with the members it mentions."""

    post = models.ForeignKey("publishing.Post", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("comment"))
    #: membership ids mentioned with @handle or @email
    mentions = models.JSONField(default=list, blank=True)
    post_version = models.PositiveIntegerField(default=1)
    via = models.CharField(max_length=10, default="web")
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["organization", "post", "created_at"], name="postcomment_org_post")
        ]


class OutOfOffice(TenantModel):
    """While away (between the two times), new approval requests go to the delegate."""

    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="+"
    )
    delegate = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [
            models.Index(
                fields=["organization", "membership", "ends_at"], name="ooo_org_member_ends"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="ooo_ends_after"
            )
        ]
