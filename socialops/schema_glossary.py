"""What each field of the public API means, for the OpenAPI schema (issue 13: 4).

A field's own ``help_text`` (on its serializer) always wins; this glossary describes the fields
that have none, so that every property of every schema component has a description
(tests/test_api_schema_is_documented.py). It is one table rather than ``help_text`` spread over
a hundred serializer fields because most names mean the same thing everywhere (``id``,
``created_at``, ``team``, the pagination envelope), and because model ``help_text`` would need
migrations.

Keys are ``"<Shape>.<field>"`` for a meaning proper to one shape, else ``"<field>"``. A shape is
the component's name without drf-spectacular's ``Patched`` prefix and ``Request`` suffix
(``PatchedPostInRequest`` → ``PostIn``).
"""

from __future__ import annotations

FIELDS: dict[str, str] = {
    # --- The same everywhere ---------------------------------------------------------------------
    "id": "The object's id, unique within its kind.",
    "created_at": "When it was created.",
    "updated_at": "When it was last changed.",
    "count": "How many objects the whole list has.",
    "next": "The URL of the next page; null on the last page.",
    "previous": "The URL of the previous page; null on the first page.",
    "results": "This page's objects.",
    "error": "The error: its code, message, per-field messages and the request id.",
    "team": "The team's id; null: no team (the whole organization).",
    "channel": "The channel's id.",
    "post": "The post's id.",
    "campaign": "The campaign's id; null: no campaign.",
    "membership": "The member's id (see /members/).",
    "parent": "The parent team's id; null: a top-level team.",
    "timezone": "An IANA time zone (`Asia/Jakarta`).",
    "description": "A free text describing it, for people.",
    "name": "Its name, shown in the app.",
    "title": "Its title, shown in the app.",
    "status": "Its current state.",
    "network": "The network of the channel (`x`, `bluesky`, `mastodon`, `linkedin`, `facebook`, "
    "`instagram`, `sandbox`).",
    "created_by": "The e-mail address of the person who created it; null if they are gone.",
    "expires_at": "When it stops working; null: never.",
    "revoked_at": "When it was revoked; null: not revoked.",
    "last_used_at": "When it was last used; null: never.",
    "disabled_at": "When it was disabled; null: it is active.",
    "is_active": "Whether it is in use.",
    "starts_on": "The first day.",
    "ends_on": "The last day (inclusive).",
    "color": "A colour, `#rrggbb`.",
    "utm_source": "The `utm_source` added to the campaign's links.",
    "utm_medium": "The `utm_medium` added to the campaign's links.",
    "utm_campaign": "The `utm_campaign` added to the campaign's links.",
    "body": "The text.",
    "role": "The member's role, which decides what they may do.",
    "email": "An e-mail address.",
    "alt_text": "The image's description for people who cannot see it (screen readers).",
    "focal_x": "The focal point's horizontal position, 0 (left) to 1 (right); crops keep it in view.",
    "focal_y": "The focal point's vertical position, 0 (top) to 1 (bottom); crops keep it in view.",
    "width": "Width in pixels.",
    "height": "Height in pixels.",
    "size_bytes": "Size in bytes.",
    "scopes": "What the token may do: `<family>:read`, `<family>:write` or `admin`.",
    "prefix": "The first characters of the token, to recognise it (the secret is never shown again).",
    "is_usable": "Whether the token works now (not revoked, not expired).",
    "text": "The text to publish.",
    "first_comment": "A comment posted under the post right after it is published (where the "
    "network allows it).",
    "link_url": "A link published with the post (a link preview where the network makes one).",
    "tags": "Free labels.",
    "url": "A link to it.",
    "last_error": "The last error, for people; empty when there is none.",
    "external_id": "Its id on the network.",
    "kind": "What kind it is.",
    # --- Posts and variants ------------------------------------------------------------------------
    "PostIn.channels": "The ids of the channels to publish on: one variant each.",
    "PostIn.media": "The ids of media assets (from /media/) to attach, in order.",
    "PostIn.alt_texts": "Alt texts for `media`, in the same order.",
    "PostIn.variant_texts": "A text of its own per channel: channel id (as a string) → text. "
    "Other channels publish the post's `text`. Every key must be one of `channels`.",
    "PostIn.variant_formats": "A format per channel: channel id (as a string) → `post`, `story` "
    "or `reel` (where the network has them).",
    "PostIn.campaign": "The campaign's id; null: none.",
    "PostIn.team": "The owning team's id; null: none.",
    "PostOut.author": "The e-mail address of the post's author.",
    "PostOut.version": "Goes up with every content edit; approvals and publishing attempts bind to "
    "a version.",
    "PostOut.scheduled_at": "When the post is scheduled; null when it is not.",
    "PostOut.schedule_timezone": "The IANA zone the time was chosen in.",
    "PostOut.variants": "The post on each channel (those the token may see).",
    "PostOut.media": "The attached media, in order.",
    "PostOut.team": "The owning team's id; null: none.",
    "PostOut.parent": "The head office's post that this regional post localizes; null: none.",
    "PostMediaOut.asset": "The media asset's id.",
    "PostMediaOut.position": "Its place among the post's media (0 first).",
    "PostMediaOut.alt_text": "The alt text for this use of the asset.",
    "VariantOut.text": "The variant's own text when `text_overridden`; empty: it follows the "
    "post's.",
    "VariantOut.text_overridden": "Whether the variant has a text of its own.",
    "VariantOut.effective_text": "The text that will be published on this channel.",
    "VariantOut.first_comment": "The first comment for this channel.",
    "VariantOut.format": "How it is published: `post`, `story` or `reel`.",
    "VariantOut.content_version": "The post version this variant was last prepared for.",
    "due_at": "When the variant is due to be published; null when not scheduled.",
    "published_at": "When the network accepted it; null: not published.",
    "external_url": "The published post on the network; empty until published.",
    "failure_reason": "Why publishing failed, for people; empty when it did not.",
    "attempts_count": "How many times publishing was attempted.",
    "is_late": "Published after a publishing freeze was lifted with `mark_late`.",
    "VariantIn.text": "A text of its own for this channel.",
    "VariantIn.reset_text": "True: follow the post's text again (`text` is ignored).",
    "VariantIn.format": "How to publish it: `post`, `story` or `reel`.",
    "ScheduledPostOut.version": "Goes up with every content edit; approvals and publishing "
    "attempts bind to a version.",
    "ScheduledPostOut.scheduled_at": "When the post is scheduled; null when it is not.",
    "ScheduledPostOut.schedule_timezone": "The IANA zone the time was chosen in.",
    "ScheduledPostOut.scheduled_local": "The scheduled time in `schedule_timezone`, with its offset.",
    "ScheduledPostOut.variants": "The post on each channel (those the token may see).",
    "variants": "The post on each channel (those the token may see).",
    "ScheduleIn.at": "When to publish, ISO 8601; without an offset it is wall-clock time in "
    "`timezone`.",
    "MoveIn.at": "The new time, ISO 8601; without an offset it is wall-clock time in the token "
    "owner's zone.",
    "MoveIn.variant": "Move only this variant (one channel); omitted: the whole post.",
    "MovedOut.scheduled_at": "When the post is scheduled (a scheduled post), else null.",
    "MovedOut.planned_at": "When a draft is planned on the calendar, else null.",
    "MovedOut.schedule_timezone": "The IANA zone the time was chosen in.",
    "BulkPostIn.media": "The ids of media assets (from /media/) to attach, in order.",
    "BulkPostIn.alt_texts": "Alt texts for `media`, in the same order.",
    "BulkPostIn.variant_texts": "A text of its own per channel: channel id (as a string) → text.",
    # --- Scheduling: freezes -----------------------------------------------------------------------
    "scope": "What is frozen: `organization`, `team` (and its sub-teams) or `channel`.",
    "reason": "Why, for the people whose posts are held.",
    "on_lift": "What happens to held posts when it is lifted: `publish`, `mark_late` (published, "
    "marked late) or `cancel`.",
    "FreezeIn.team": "The frozen team's id (scope `team`).",
    "FreezeIn.channel": "The frozen channel's id (scope `channel`).",
    "FreezeOut.team": "The frozen team's id (scope `team`).",
    "FreezeOut.channel": "The frozen channel's id (scope `channel`).",
    "lifted_at": "When it was lifted; null: still in force.",
    "lifted_by": "The e-mail address of who lifted it.",
    # --- Media -----------------------------------------------------------------------------------
    "MediaAssetOut.kind": "`image` or `video`.",
    "original_name": "The uploaded file's name.",
    "mime_type": "The file's media type (`image/png`).",
    "duration_seconds": "A video's length in seconds; null for images.",
    "sha256": "The file's SHA-256, hex.",
    "file_url": "The original file (for signed-in members of the organization).",
    "renditions": "Sizes made for the networks.",
    "preset": "Which size this is.",
    "MediaRenditionOut.url": "The rendition's file (for signed-in members of the organization).",
    "MediaUploadIn.file": "The image or video.",
    # --- Calendar --------------------------------------------------------------------------------
    "min_per_week": "Fewest posts a week; 0: no lower bound.",
    "max_per_week": "Most posts a week.",
    "countries": "ISO 3166-1 alpha-2 codes of the countries whose public holidays are shown.",
    "HolidayRegionIO.team": "The team's id; null: the organization's default.",
    "filters": "The calendar filters the link shows (team, channel, network, campaign, status, "
    "author).",
    "ShareLinkFiltersIn.author": "Only posts by this member (id).",
    "ShareLinkFiltersIn.status": "Only posts with this calendar status.",
    "ShareLinkFiltersIn.network": "Only this network's posts.",
    "expires_in_days": "Days until the link stops working (1–366).",
    "token": "The link's secret, shown only now.",
    "ShareLinkCreated.url": "The read-only calendar page.",
    "feed_url": "The iCalendar feed (subscribe to it in a calendar app).",
    "ShareLinkOut.timezone": "The IANA zone the shared calendar is shown in.",
    "archived_at": "When it was archived; null: in use.",
    "NoteIO.team": "The team that sees the note; null: everyone.",
    "CampaignIO.team": "The campaign's team; null: the whole organization.",
    # --- Approvals -------------------------------------------------------------------------------
    "priority": "Lower first when several workflows match a post.",
    "team_ids": "Condition: posts of these teams (empty: any).",
    "channel_ids": "Condition: posts on these channels (empty: any).",
    "networks": "Condition: posts on these networks (empty: any).",
    "campaign_ids": "Condition: posts of these campaigns (empty: any).",
    "WorkflowIn.tags": "Condition: posts with one of these tags (empty: any).",
    "WorkflowOut.tags": "Condition: posts with one of these tags (empty: any).",
    "default_for_team_ids": "Teams for which this is the default workflow (when no conditional "
    "workflow matches).",
    "link_ttl_hours": "Hours after which an approval link sent by e-mail expires.",
    "resubmit_to": "Where an edit after an approval sends the post: `first_stage` or "
    "`current_stage`.",
    "reapprove_on_reschedule": "Whether moving the time needs a new approval.",
    "stages": "The stages, in order.",
    "approvers": "Who may decide at this stage.",
    "rule": "How many approvers must approve: `any`, `all` or `quorum`.",
    "quorum": "The number of approvals needed (rule `quorum`).",
    "sla_hours": "Hours to decide before the backup approver is added; 0: no deadline.",
    "backup_approver": "The member (id) added as an approver when the stage's SLA runs out; "
    "null: none.",
    "StageIn.name": "The stage's name.",
    "ApproverIn.kind": "`person` (a member), `team` (everyone in it) or `role` (everyone with it).",
    "ApproverIn.membership": "The member's id (kind `person`).",
    "ApproverIn.team": "The team's id (kind `team`).",
    "ApproverIn.role": "The role (kind `role`).",
    "RequestOut.status": "Where the request is: `pending`, `approved`, `rejected`, "
    "`changes_requested` or `cancelled`.",
    "workflow": "The workflow's id.",
    "workflow_name": "The workflow's name when the request started.",
    "post_version": "The post's version under review.",
    "round": "The review round; an edit of the post starts a new one.",
    "current_stage": "The position of the stage deciding now.",
    "stage_count": "How many stages the workflow has.",
    "submitted_by": "The e-mail address of who submitted the post.",
    "submitted_at": "When the post was submitted.",
    "requested_at": "When the post should be published once approved; null: no time asked.",
    "requested_timezone": "The IANA zone `requested_at` was chosen in.",
    "decided_at": "When the request was decided; null: still open.",
    "outcome_comment": "The deciding comment.",
    "diff": "What changed in the version under review, entry by entry; each names its "
    "channel (null: the post's own fields); channels the token may not see are left out.",
    "decision": "`approve`, `reject` or `request_changes`.",
    "comment": "A comment for the author.",
    "CommentIn.body": "The comment; `@name` (the e-mail's local part, or the whole e-mail) "
    "mentions a member.",
    "CommentOut.body": "The comment.",
    "CommentOut.author": "The e-mail address of the comment's author.",
    "CommentOut.post_version": "The post's version when the comment was written.",
    "mentions": "The members the comment mentions.",
    # --- Channels --------------------------------------------------------------------------------
    "handle": "The account's handle on the network.",
    "ChannelOut.name": "The account's display name.",
    "ChannelOut.status": "Whether it can publish: `active`; `needs_reauth` (connect it again), "
    "`disconnected` or `archived` cannot.",
    "ChannelOut.team": "The channel's team; null: the whole organization.",
    "ChannelOut.timezone": "The zone the channel's times are shown in.",
    "ChannelOut.url": "The account's page on the network.",
    "avatar_url": "The account's picture.",
    "access": "`organization` (everyone, by role) or `restricted` (owners, admins and people "
    "granted access).",
    "token_expires_at": "When the network's authorization expires; null: unknown or never.",
    "last_synced_at": "When the account was last read from the network.",
    "ChannelIn.team": "The channel's team; null: the whole organization.",
    "ChannelIn.timezone": "The zone the channel's times are shown in.",
    "ChannelGroupIn.channels": "The ids of the group's channels.",
    "ChannelGroupOut.channels": "The ids of the group's channels (those the token may see).",
    "capability": "What the grant allows on the channel: `publish`, `moderate`, `view_analytics` "
    "or `manage_channels`.",
    "ChannelGrantIn.membership": "The member given access (or give `team`).",
    "ChannelGrantIn.team": "The team given access (or give `membership`).",
    "ChannelGrantOut.membership": "The member given access; null: a team.",
    "ChannelGrantOut.team": "The team given access; null: a member.",
    # --- Accounts --------------------------------------------------------------------------------
    "slug": "The organization's short name in page URLs.",
    "default_language": "The language of e-mails and messages when a person has chosen none.",
    "OrganizationOut.timezone": "The organization's IANA zone, for people who have not chosen one.",
    "OrganizationIn.timezone": "The organization's IANA zone.",
    "full_name": "The member's name.",
    "teams": "The ids of the member's teams.",
    "capabilities": "What the member may do, from their role.",
    "joined_at": "When they joined.",
    "deactivated_at": "When they were deactivated; null: active.",
    "MemberOut.is_active": "Whether the member may use the organization.",
    "InvitationIn.team": "A team to add the new member to; null: none.",
    "InvitationOut.team": "The team the new member joins; null: none.",
    "InvitationOut.status": "`pending`, `accepted`, `revoked` or `expired`.",
    "accepted_at": "When it was accepted; null: not yet.",
    "ServiceAccountOut.is_active": "False: disabled, its tokens do not work.",
    "ServiceAccountPatchIn.is_active": "False disables the account (its tokens stop working); "
    "true enables it again.",
    "TokenIn.name": "A name to recognise the token by (`prod`).",
    "TokenOut.name": "The token's name.",
    "TokenCreated.name": "The token's name.",
    # --- Notifications ---------------------------------------------------------------------------
    "NotificationOut.kind": "What happened.",
    "NotificationOut.title": "The notification, in the reader's language.",
    "NotificationOut.body": "More detail, in the reader's language.",
    "NotificationOut.url": "The page it is about.",
    "actor": "The name of who caused it; null: the system.",
    "read_at": "When it was read; null: unread.",
    "unread": "Whether it is unread.",
    "marked": "How many notifications were marked read.",
    # --- Webhooks --------------------------------------------------------------------------------
    "events": "The event types the endpoint receives (`post.scheduled`, `post.published`, …).",
    "WebhookEndpointIn.url": "Where to send events: an https URL on a public address.",
    "WebhookEndpointPatch.url": "Where to send events: an https URL on a public address.",
    "WebhookEndpointOut.url": "Where events are sent.",
    "WebhookEndpointCreated.url": "Where events are sent.",
    "consecutive_failures": "Failed deliveries in a row (repeated failure disables the endpoint).",
    "failing_since": "When deliveries started failing; null: they succeed.",
    "last_success_at": "When a delivery last succeeded.",
    "previous_secret_until": "Until when the previous secret also signs (after a rotation).",
    "msg_id": "The message's `webhook-id` (the same on retries and replays).",
    "event_type": "The event's type (`post.published`, …).",
    "WebhookDeliveryOut.status": "`pending` (waiting or retrying), `succeeded` or `failed` (given up).",
    "attempts": "How many times it was sent.",
    "next_attempt_at": "When it is sent again; null: no retry planned.",
    "last_attempt_at": "When it was last sent.",
    "delivered_at": "When the endpoint accepted it (2xx); null: not yet.",
    "response_status": "The endpoint's last HTTP status; null: no answer.",
    "response_body": "The beginning of the endpoint's last answer.",
    "duration_ms": "How long the last attempt took, in milliseconds.",
    "replay_of": "The delivery this one replays; null: an original.",
}


#: query and path parameters without a ``description`` of their own: ``"<resource> <name>"`` (the
#: path's first segment after ``/api/v1/``) for a meaning proper to one resource, else ``"<name>"``
PARAMETERS: dict[str, str] = {
    "post": "Only those of this post (id).",
    "author": "Only posts by this member (id).",
    "campaign": "Only posts of this campaign (id).",
    "channel": "Only posts with a variant on this channel (id).",
    "posts status": "Only posts with this status.",
    "channels status": "Only channels with this status.",
    "channels network": "Only this network's channels (`x`, `mastodon`, …).",
    "channels team": "Only channels of this team and its sub-teams (id).",
    "channels group": "Only channels in this channel group (id).",
    "channels q": "Only channels whose handle or name contains this text.",
    "media q": "Only media whose file name or alt text contains this text.",
    "media kind": "Only `image` or only `video`.",
    "token_id": "The token's id.",
    "delivery_id": "The delivery's id (from the endpoint's delivery log).",
}


def describe_parameter(path: str, name: str) -> str | None:
    """The glossary's description of the parameter ``name`` of ``path``, if it has one."""
    resource = path.removeprefix("/api/v1/").split("/", 1)[0]
    return PARAMETERS.get(f"{resource} {name}") or PARAMETERS.get(name)


def describe(component: str, field: str) -> str | None:
    """The glossary's description of ``component``'s ``field``, if it has one."""
    shape = component.removeprefix("Patched").removesuffix("Request")
    return FIELDS.get(f"{shape}.{field}") or FIELDS.get(field)
