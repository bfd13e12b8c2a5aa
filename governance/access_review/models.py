"""A review campaign and its items: one person's grants on one channel, their reviewer and the decision."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from socialops.tenancy_models import TenantModel


class ReviewCampaign(TenantModel):
    """An access review: a scope (a team and its sub-teams, some networks), a due date, a status.

    ``result`` is empty while the campaign is open; closing stores every item as it was decided
    (names, not ids that may later dangle) with the counts: the evidence, which never changes.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=200)
    #: the scope's team (its whole subtree); null: every team and people in none
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team_label = models.CharField(max_length=200, blank=True)
    #: provider keys in scope; empty: every network
    networks = models.JSONField(default=list, blank=True)
    due_on = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by_label = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_label = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="review_org_created"),
            # the reminder sweep: open campaigns by due date
            models.Index(
                fields=["organization", "due_on"],
                name="review_org_open_due",
                condition=Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class ReviewItem(TenantModel):
    """One person's access on one channel from grants (held in person, or through a team), for one
    reviewer to keep or remove."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("To review")
        KEEP = "keep", _("Keep")
        REMOVE = "remove", _("Remove")

    campaign = models.ForeignKey(ReviewCampaign, on_delete=models.CASCADE, related_name="items")
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="+"
    )
    channel = models.ForeignKey(
        "channels_registry.Channel", on_delete=models.CASCADE, related_name="+"
    )
    #: the capabilities granted in person when the campaign started
    capabilities = models.JSONField(default=list)
    reviewer = models.ForeignKey(
        "accounts.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    #: what a removal did: the capabilities revoked (empty: they were already gone)
    revoked = models.JSONField(default=list, blank=True)
    #: the capabilities on the channel that came through a team grant when the campaign started
    team_capabilities = models.JSONField(default=list, blank=True)
    #: the person's own teams that bring them (``[{"id", "name"}]``: a grant to the team or to a
    #: team above it); removing the item takes the person out of these teams
    via_teams = models.JSONField(default=list, blank=True)
    #: what a removal did to the teams: the names of the teams the person left
    left_teams = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["campaign", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "membership", "channel"], name="reviewitem_unique_pair"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "campaign"], name="reviewitem_org_campaign"),
            models.Index(
                fields=["organization", "reviewer", "decision"], name="reviewitem_org_reviewer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} on {self.channel_id}: {self.decision}"

    @property
    def capability_labels(self) -> list[str]:
        from channels_registry.models import GrantCapability

        names = dict(GrantCapability.choices)
        return [str(names.get(c, c)) for c in self.capabilities]

    @property
    def team_capability_labels(self) -> list[str]:
        from channels_registry.models import GrantCapability

        names = dict(GrantCapability.choices)
        return [str(names.get(c, c)) for c in self.team_capabilities]

    @property
    def via_team_names(self) -> list[str]:
        return [t["name"] for t in self.via_teams]
