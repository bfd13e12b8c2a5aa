"""The inbox: conversations (a DM thread, a post's comment thread, a mention, a review), the items
that arrive in them from the networks, and the replies sent from here.

Items are keyed by what the network calls them: ``(channel, external_id)`` is unique, so a push
and a poll of the same comment, or the same page fetched twice, land on one row (``ingest``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from socialops.tenancy_models import TenantModel


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Conversation(TenantModel):
    """One thread on one channel, worked as one unit: assigned, answered, closed."""

    class Kind(models.TextChoices):
        COMMENT_THREAD = "comment_thread", _("Comments")
        DM = "dm", _("Direct messages")
        MENTION = "mention", _("Mention")
        REVIEW = "review", _("Review")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        SNOOZED = "snoozed", _("Snoozed")
        CLOSED = "closed", _("Closed")
        SPAM = "spam", _("Spam")

    # Neither foreign key has an index of its own: every index of the table but two starts with
    # the organization, and ``conversation_unique_thread`` with the channel. Each index is written
    # again on every move of a conversation (``ingest`` moves them all a batch touches; the
    # "latest" fields are in the list's indexes, so no update is HOT).
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    channel = models.ForeignKey(
        "channels_registry.Channel", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    #: the network's thread: a post's external id for comments, a DM thread id, the item itself
    #: for a lone mention; unique per channel and kind
    external_thread_id = models.CharField(max_length=255)
    #: the post this comment thread is on, when it was published from here
    post_variant = models.ForeignKey(
        "publishing.PostVariant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # (a partial index below: the rows that name one)
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    assignee = models.ForeignKey(
        "accounts.Membership",
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # (a partial index below: the rows that name one)
    )
    assigned_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # (a partial index below: the rows that name one)
    )
    last_item_at = models.DateTimeField(default=timezone.now)
    #: the network's time of the customer's item the list shows (snippet, language, sentiment)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    #: the customer's first unanswered item's time, or the reopening's (the SLA clock runs from
    #: it) and when the answer is due, in the assigned team's business hours (``inbox.services.sla``); both empty
    #: when nothing awaits an answer
    sla_started_at = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    #: when the breach of the running due was told (once per breach)
    sla_breach_notified_at = models.DateTimeField(null=True, blank=True)
    #: of the latest inbound item
    language = models.CharField(_("language"), max_length=8, blank=True)
    sentiment = models.CharField(
        _("sentiment"), max_length=10, choices=Sentiment.choices, blank=True
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)
    #: the first outbound item (a reply sent from here, or one written by the network account)
    #: after the conversation's first inbound item, and how long after it that was; written by
    #: ``inbox.services.first_response`` only, never moved once set
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    #: when it was last closed (it may have been reopened since)
    closed_at = models.DateTimeField(null=True, blank=True)
    #: the latest item's text, shortened, and its author: what the list shows without a join
    snippet = models.CharField(max_length=280, blank=True)
    author_name = models.CharField(max_length=255, blank=True)
    author_handle = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "kind", "external_thread_id"], name="conversation_unique_thread"
            ),
        ]
        indexes = [
            # The inbox list: one organization, newest first, usually narrowed by status.
            models.Index(
                fields=["organization", "status", "-last_item_at"], name="conv_org_status_last"
            ),
            models.Index(fields=["organization", "-last_item_at"], name="conv_org_last"),
            # the default list (still to work), without walking the closed ones
            models.Index(
                fields=["organization", "-last_item_at", "-id"],
                name="conv_org_active_last",
                condition=models.Q(status__in=["new", "open", "pending", "snoozed"]),
            ),
            models.Index(fields=["organization", "channel", "-last_item_at"], name="conv_org_chan"),
            models.Index(
                fields=["organization", "assignee", "-last_item_at"], name="conv_org_assignee"
            ),
            # the figures (inbox.figures): first responses and closings of a date range. Partial,
            # as are the foreign keys' below (what a deletion of the row they name looks up):
            # every index is written again on each move of a conversation (``ingest``, once per
            # batch that touches it), these only for the rows that have a value.
            models.Index(
                fields=["organization", "first_response_at"],
                name="conv_org_first_resp",
                condition=models.Q(first_response_at__isnull=False),
            ),
            models.Index(
                fields=["organization", "closed_at"],
                name="conv_org_closed",
                condition=models.Q(closed_at__isnull=False),
            ),
            models.Index(
                fields=["post_variant"],
                name="conv_post_variant",
                condition=models.Q(post_variant__isnull=False),
            ),
            models.Index(
                fields=["assignee"],
                name="conv_assignee",
                condition=models.Q(assignee__isnull=False),
            ),
            models.Index(
                fields=["assigned_team"],
                name="conv_assigned_team",
                condition=models.Q(assigned_team__isnull=False),
            ),
            # the breach sweep looks across organizations for dues passed and not yet told
            models.Index(
                fields=["sla_due_at"],
                name="conv_sla_breach_due",
                condition=models.Q(sla_due_at__isnull=False, sla_breach_notified_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_thread_id}"


class Item(TenantModel):
    """One comment, reply, mention, DM or review as the network delivered it (ours included)."""

    class Kind(models.TextChoices):
        COMMENT = "comment", _("Comment")
        REPLY = "reply", _("Reply")
        MENTION = "mention", _("Mention")
        DM = "dm", _("Direct message")
        REVIEW = "review", _("Review")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    channel = models.ForeignKey(
        "channels_registry.Channel", on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="items")
    external_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.INBOUND
    )
    author_name = models.CharField(max_length=255, blank=True)
    author_handle = models.CharField(max_length=255, blank=True)
    author_external_id = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    #: when the network says it was written
    created_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    language = models.CharField(max_length=8, blank=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    score = models.FloatField(null=True, blank=True)
    parent_external_id = models.CharField(max_length=255, blank=True)
    post_external_id = models.CharField(max_length=255, blank=True)
    permalink = models.URLField(max_length=1000, blank=True)
    is_hidden = models.BooleanField(default=False)
    is_deleted = models.BooleanField(default=False)
    #: liked by the channel's account from here
    is_liked = models.BooleanField(default=False)
    #: the network's own fields, trimmed (``ingest`` keeps it under a few KB)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="item_unique_external"),
        ]
        indexes = [
            models.Index(
                fields=["organization", "conversation", "created_at"], name="item_org_conv_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id}"


class Reply(TenantModel):
    """An answer written here. Kept whatever happens: a failed one stays, with the network's
    words, as a draft to edit and send again."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        #: written by someone whose replies need approval (``ReplyApprovalRequirement``): waits
        #: for an approver, who sends it (possibly edited) or rejects it
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        #: refused by the approver (``decision_comment`` says why); the author may edit and resubmit
        REJECTED = "rejected", _("Rejected")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="replies")
    #: the item answered
    in_reply_to = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        "accounts.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("reply"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    error = models.TextField(blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    #: the approver who approved or rejected it, when it needed approval
    decided_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    #: the approver's words (why it was rejected, or a note with the approval)
    decision_comment = models.TextField(blank=True)
    #: the author's text when the approver changed it before sending (empty: not edited)
    original_text = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "conversation"], name="reply_org_conv"),
        ]


class PollState(TenantModel):
    """Where polling a channel's inbox stands: the provider's cursor and when to ask next."""

    channel = models.OneToOneField(
        "channels_registry.Channel", on_delete=models.CASCADE, related_name="+"
    )
    cursor = models.CharField(max_length=500, blank=True)
    next_poll_at = models.DateTimeField(default=timezone.now)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    #: consecutive failures; the wait doubles with each
    failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "next_poll_at"], name="pollstate_org_next"),
            # the beat sweep looks across organizations for channels due
            models.Index(fields=["next_poll_at"], name="pollstate_next"),
        ]


class Tag(TenantModel):
    """An organization-wide label with a colour, put on conversations (``ConversationTag``)."""

    name = models.CharField(_("name"), max_length=50)
    #: ``#rrggbb``
    colour = models.CharField(_("colour"), max_length=7, default="#6b7280")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="tag_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ConversationTag(TenantModel):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="tag_links"
    )
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "tag"], name="conversation_tag_unique"),
        ]
        indexes = [models.Index(fields=["organization", "tag"], name="convtag_org_tag")]


class SavedReply(TenantModel):
    """A ready answer, inserted in the reply box from a picker. ``team`` empty = shared by the
    whole organization; ``language`` empty = any language. Its text may name ``{first_name}``
    (the customer's), ``{channel}`` and ``{agent}`` (the first name of who inserts it)."""

    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("text"), max_length=5000)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    created_by = models.ForeignKey(
        "accounts.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "title"], name="savedreply_org_title")]

    def __str__(self) -> str:
        return self.title


class SavedView(TenantModel):
    """A member's filters of the inbox list under a name: their own, or shared with the
    organization (everyone who works the inbox sees it in the menu; only its owner removes it)."""

    owner = models.ForeignKey(
        "accounts.Membership", verbose_name=_("owner"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=80)
    shared = models.BooleanField(_("shared with the organization"), default=False)
    #: the list's query string, filters only (``inbox.services.saved_views.clean_query``)
    query = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "owner", "name"], name="savedview_unique_name"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "owner"], name="savedview_org_owner"),
        ]

    def __str__(self) -> str:
        return self.name


class ConversationNote(TenantModel):
    """An internal note beside a conversation: seen by the people working the inbox, never sent to
    the network. ``@name`` / ``@e-mail`` mentions notify those members (``inbox.services.notes``)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        "accounts.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("note"))
    #: the ids of the members mentioned (and told), as resolved when it was written
    mentions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "conversation", "created_at"], name="note_org_conv_time"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:50]


class ReplyApprovalRequirement(TenantModel):
    """Whose replies go to an approver before they are sent: every member of ``team`` (a regulated
    team: "replies need approval by the lead") or one ``membership`` (a trainee). Exactly one of the
    two is set; no row: replies go out directly."""

    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    membership = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        "accounts.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(team__isnull=False, membership__isnull=True)
                    | models.Q(team__isnull=True, membership__isnull=False)
                ),
                name="replyapproval_team_or_member",
            ),
            models.UniqueConstraint(
                fields=["organization", "team"],
                condition=models.Q(team__isnull=False),
                name="replyapproval_unique_team",
            ),
            models.UniqueConstraint(
                fields=["organization", "membership"],
                condition=models.Q(membership__isnull=False),
                name="replyapproval_unique_member",
            ),
        ]


class RoutingRule(TenantModel):
    """Where a new conversation goes: the first active rule (by ``position``) whose every condition
    holds assigns it to a team (round-robin among its available members) and/or a person, and may
    set its priority and tags (``inbox.services.routing``). An empty condition holds always; a list
    holds when any of its values does. Ids are checked against the organization when saved."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    #: conditions
    channels = models.JSONField(_("channels"), default=list, blank=True)
    #: channels of these teams or any team below them
    teams = models.JSONField(_("teams"), default=list, blank=True)
    networks = models.JSONField(_("networks"), default=list, blank=True)
    #: any of these words or phrases, case-insensitive, as whole words
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    sentiments = models.JSONField(_("sentiments"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    kinds = models.JSONField(_("item kinds"), default=list, blank=True)
    #: actions
    assign_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("assign to team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assign_to = models.ForeignKey(
        "accounts.Membership",
        verbose_name=_("assign to person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    #: tag ids put on the conversation
    tags = models.JSONField(_("tags"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["organization", "position"], name="routingrule_org_pos")]

    def __str__(self) -> str:
        return self.name


class RoundRobinPointer(TenantModel):
    """Whom a team's round-robin gave a conversation to last. Locked (``select_for_update``) by
    the ingest that assigns, so two deliveries at once never hand out the same turn."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="+")
    last_membership_id = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "team"], name="rrpointer_org_team")]


class SlaTarget(TenantModel):
    """Hours (business hours of the team) to answer a customer. ``team`` empty = the organization's;
    ``priority`` empty = any priority. The most specific row wins (``inbox.services.sla``); without
    any row the target is ``DEFAULT_SLA_HOURS``."""

    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "team", "priority"],
                condition=models.Q(team__isnull=False),
                name="slatarget_unique_team",
            ),
            models.UniqueConstraint(
                fields=["organization", "priority"],
                condition=models.Q(team__isnull=True),
                name="slatarget_unique_org",
            ),
        ]
        indexes = [models.Index(fields=["organization", "team"], name="slatarget_org_team")]


DEFAULT_SLA_HOURS = 24


class OrgFactsVersion(models.Model):
    """How many times what routing and the SLA clock read about an organization has changed: its
    rules, teams, members and their teams, a person's active flag or zone, its own zone, channel
    grants, holiday regions, SLA targets, tags. Bumped by PostgreSQL triggers (migration 0010) in
    the transaction that makes the change; ``inbox.services.facts`` keeps those facts in a
    process between ingest batches while this row is unchanged.

    Not a ``TenantModel``: no foreign key, so the row a trigger writes while an organization's
    members are deleted with it never stands in the way of the organization's own deletion (a
    left-over row is a number, and its organization id is never given again)."""

    organization_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.version}"
