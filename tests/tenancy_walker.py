"""What the URL walker needs to know to exercise every route (tests/test_every_url_is_tenant_safe.py).

The walker finds every named URL pattern by introspecting the resolver. For each keyword
argument a route takes, it needs a value naming *organization B's* object, so it can prove
that a member of organization A (or A's API token) gets a 404 for it. Teach it here:

- ``KWARGS``: kwarg name → function(world) giving B's value (used for every route with that kwarg).
- ``ROUTE_KWARGS``: url name → {kwarg: function(world)} where a kwarg name is ambiguous (DRF's ``pk``).
- ``NOT_TENANT_DATA``: url name → why its kwargs name no tenant data (secret keys of allauth…);
  the walker still calls it and checks it leaks nothing of B and never fails with a 500.
- ``WORLD_BUILDERS``: functions that add B's objects of a new app to ``world.b`` (and A's to ``world.a``).

A route whose kwargs are in none of these fails the suite until it is taught here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from accounts import services
from accounts.capabilities import Role
from accounts.models import Membership, Organization

from . import factories as f


@dataclass
class World:
    org_a: Organization
    org_b: Organization
    alice_m: Membership  # owner of A: the actor who tries to reach B
    bob_m: Membership  # owner of B
    a: dict[str, Any] = field(default_factory=dict)
    b: dict[str, Any] = field(default_factory=dict)
    #: strings that only B's data contains; none may appear in any response to A
    b_markers: list[str] = field(default_factory=list)


def _accounts(world: World) -> None:
    org_b, bob_m = world.org_b, world.bob_m
    team = f.make_team(org_b, "Bravo Secret Team", by=bob_m)
    carol = f.make_user("carol@bravo.test", name="Carol Bravo")
    carol_m = f.add_member(org_b, carol, Role.PUBLISHER)
    issued = services.invite_member(org_b, by=bob_m, email="dave@bravo.test", role=Role.VIEWER)
    token = services.create_api_token(bob_m, name="bravo-token")
    world.b.update(
        team=team,
        member=carol_m,
        invitation=issued.invitation,
        invitation_token=issued.token,
        api_token=token.token,
    )
    world.b_markers += [
        "Bravo Secret Team",
        "carol@bravo.test",
        "dave@bravo.test",
        "Bravo Beverages",
        "bravo-token",
    ]


def _channels(world: World) -> None:
    from channels_registry import services as channel_services

    from .channels.factories import authorize_sandbox, bulk_channels, connect_sandbox

    org_b, bob_m = world.org_b, world.bob_m
    (channel,) = connect_sandbox(org_b, bob_m, ["sbx-kopi"], team=world.b["team"])
    (secret,) = bulk_channels(org_b, 1, handle="bravo.secret.channel", name="Bravo Secret Channel")
    group = channel_services.create_channel_group(
        org_b, by=bob_m, name="Bravo Secret Group", channels=[channel, secret]
    )
    grant = channel_services.grant_channel_access(
        channel, by=bob_m, capability="publish", membership=world.b["member"]
    )
    attempt = authorize_sandbox(org_b, bob_m, ["sbx-promo"])
    world.b.update(
        channel=channel, channel_group=group, channel_grant=grant, connect_attempt=attempt
    )
    world.b_markers += ["Bravo Secret Group", "bravo.secret.channel", "Bravo Secret Channel"]


def _media(world: World) -> None:
    """B's media asset and one rendition. Rows only: A is refused before any file is read."""
    from publishing.models import MediaAsset, MediaRendition

    org_b = world.org_b
    asset = MediaAsset.objects.create(
        organization=org_b,
        kind="image",
        file=f"org/{org_b.pk}/media/bravo-secret.jpg",
        original_name="bravo-secret-photo.jpg",
        mime_type="image/jpeg",
        size_bytes=1234,
        width=1200,
        height=900,
        sha256="b" * 64,
        alt_text="Bravo secret alt text",
        uploaded_by=world.bob_m.user,
    )
    MediaRendition.objects.create(
        organization=org_b,
        asset=asset,
        preset="square",
        file=f"org/{org_b.pk}/renditions/{asset.pk}/square.jpg",
        width=900,
        height=900,
        size_bytes=100,
        focal_x=0.5,
        focal_y=0.5,
    )
    world.b.update(media_asset=asset)
    world.b_markers += ["bravo-secret-photo", "Bravo secret alt text"]


def _posts(world: World) -> None:
    """B's campaign, a post with a variant on B's sandbox channel, and a regional child of it."""
    from publishing.models import PostVariant
    from publishing.posts import services as authoring

    org_b, bob_m = world.org_b, world.bob_m
    campaign = authoring.create_campaign(
        org_b, by=bob_m, name="Bravo Secret Campaign", utm_source="bravo-secret-utm"
    )
    post = authoring.create_post(
        org_b,
        by=bob_m,
        text="Bravo Secret Post text",
        channels=[world.b["channel"]],
        campaign=campaign,
        link_url="https://bravo.example/secret",
    )
    child = authoring.localize_post(
        post, by=bob_m, team=world.b["team"], channels=[world.b["channel"]]
    )
    world.b.update(
        campaign=campaign,
        post=post,
        variant=PostVariant.objects.for_org(org_b).get(post=post),
        child_post=child,
    )
    world.b_markers += ["Bravo Secret Post text", "Bravo Secret Campaign", "bravo-secret-utm"]


def _freezes(world: World) -> None:
    """B's publishing freeze (the scheduler's routes reuse B's post and variant)."""
    from publishing.scheduler import services as scheduling

    freeze = scheduling.create_freeze(
        world.org_b,
        by=world.bob_m,
        scope="channel",
        channel=world.b["channel"],
        reason="Bravo Secret Freeze",
    )
    world.b.update(freeze=freeze)
    world.b_markers += ["Bravo Secret Freeze"]


def _notifications(world: World) -> None:
    """B's owner has an unread notification in B (A's owner has one in A, so A's pages are not empty)."""
    from django.test import TestCase

    from accounts.notifications import NotificationKind, notify

    with TestCase.captureOnCommitCallbacks(execute=False):  # no e-mail needed
        (note,) = notify(
            world.org_b,
            recipients=[world.bob_m],
            kind=NotificationKind.COMMENT,
            template="generic",
            context={"title": "Bravo Secret Notification", "message": "Bravo secret notice body"},
            url="/o/bravo/",
        )
        notify(
            world.org_a,
            recipients=[world.alice_m],
            kind=NotificationKind.COMMENT,
            template="generic",
            context={"title": "Alpha notice", "message": "Alpha body"},
            url="/o/alpha/",
        )
    world.b.update(notification=note)
    world.b_markers += ["Bravo Secret Notification", "Bravo secret notice body"]


WORLD_BUILDERS: list[Callable[[World], None]] = [
    _accounts,
    _channels,
    _media,
    _posts,
    _freezes,
    _notifications,
]

KWARGS: dict[str, Callable[[World], Any]] = {
    "team_id": lambda w: w.b["team"].pk,
    "member_id": lambda w: w.b["member"].pk,
    "invitation_id": lambda w: w.b["invitation"].pk,
    "token_id": lambda w: w.b["api_token"].pk,
    # An invitation link of B's, opened by A's owner (a different address): must be a 404.
    "token": lambda w: w.b["invitation_token"],
    "channel_id": lambda w: w.b["channel"].pk,
    "group_id": lambda w: w.b["channel_group"].pk,
    "grant_id": lambda w: w.b["channel_grant"].pk,
    "attempt_id": lambda w: w.b["connect_attempt"].pk,
    "asset_id": lambda w: w.b["media_asset"].pk,
    # a preset name is not tenant data; the asset id beside it is B's
    "preset": lambda w: "square",
    "post_id": lambda w: w.b["post"].pk,
    "variant_id": lambda w: w.b["variant"].pk,
    "campaign_id": lambda w: w.b["campaign"].pk,
    "notification_id": lambda w: w.b["notification"].pk,
    # DRF's format-suffix twins (``/api/v1/teams/1.json``) are walked like the routes they double
    "format": lambda w: "json",
}

ROUTE_KWARGS: dict[str, dict[str, Callable[[World], Any]]] = {
    "team-detail": {"pk": lambda w: w.b["team"].pk},
    "member-detail": {"pk": lambda w: w.b["member"].pk},
    "member-deactivate": {"pk": lambda w: w.b["member"].pk},
    "member-reactivate": {"pk": lambda w: w.b["member"].pk},
    "invitation-detail": {"pk": lambda w: w.b["invitation"].pk},
    "channel-detail": {"pk": lambda w: w.b["channel"].pk},
    "channel-archive": {"pk": lambda w: w.b["channel"].pk},
    "channel-unarchive": {"pk": lambda w: w.b["channel"].pk},
    "channel-disconnect": {"pk": lambda w: w.b["channel"].pk},
    "channel-group-detail": {"pk": lambda w: w.b["channel_group"].pk},
    "channel-grant-detail": {"pk": lambda w: w.b["channel_grant"].pk},
    "media-asset-detail": {"pk": lambda w: w.b["media_asset"].pk},
    "post-detail": {"pk": lambda w: w.b["post"].pk},
    "variant-detail": {"pk": lambda w: w.b["variant"].pk},
    "post-scheduling-schedule": {"pk": lambda w: w.b["post"].pk},
    "post-scheduling-publish-now": {"pk": lambda w: w.b["post"].pk},
    "post-scheduling-cancel": {"pk": lambda w: w.b["post"].pk},
    "post-scheduling-unschedule": {"pk": lambda w: w.b["post"].pk},
    "variant-scheduling-retry": {"pk": lambda w: w.b["variant"].pk},
    "publishing-freeze-detail": {"pk": lambda w: w.b["freeze"].pk},
    "publishing-freeze-lift": {"pk": lambda w: w.b["freeze"].pk},
    "notification-read": {"pk": lambda w: w.b["notification"].pk},
}

NOT_TENANT_DATA: dict[str, str] = {
    "account_reset_password_from_key": "allauth: a password-reset key for one user, no tenant data",
    "account_confirm_email": "allauth: an e-mail confirmation key, no tenant data",
    "account_login_code_confirm": "allauth: a one-time login code, no tenant data",
    "signed_media": "a signed, expiring media link: the signature names the file (tests/channels/test_signed_media_urls.py)",
    "channel_connect_callback": "names a network; the organization comes from the attempt the state names",
    "channel_webhook": "public: names a network; pushes are verified by signature, never tied to the caller",
}


# --- The editorial calendar (issue 5) ----------------------------------------------------------------


def _calendar(world: World) -> None:
    """B's calendar note, cadence target, holiday set and share link (B's campaign and post come from _posts)."""
    from publishing.calendar import services as calendar_services

    org_b, bob_m = world.org_b, world.bob_m
    note = calendar_services.create_note(
        org_b,
        by=bob_m,
        title="Bravo Secret Note",
        body="Bravo secret note body",
        starts_on=__import__("datetime").date(2026, 1, 5),
    )
    target = calendar_services.set_cadence_target(
        world.b["channel"], by=bob_m, min_per_week=2, max_per_week=4
    )
    region = calendar_services.set_holiday_countries(
        org_b, by=bob_m, team=world.b["team"], countries=["SG"]
    )
    link, token = calendar_services.create_share_link(
        org_b, by=bob_m, name="Bravo Secret Share", filters={}
    )
    world.b.update(
        note=note, cadence_target=target, holiday_region=region, share_link=link, share_token=token
    )
    world.b_markers += ["Bravo Secret Note", "Bravo secret note body", "Bravo Secret Share"]


WORLD_BUILDERS.append(_calendar)
KWARGS.update(
    {
        "note_id": lambda w: w.b["note"].pk,
        "target_id": lambda w: w.b["cadence_target"].pk,
        "link_id": lambda w: w.b["share_link"].pk,
    }
)
ROUTE_KWARGS.update(
    {
        "post-calendar-move": {"pk": lambda w: w.b["post"].pk},
        "campaign-detail": {"pk": lambda w: w.b["campaign"].pk},
        "campaign-archive": {"pk": lambda w: w.b["campaign"].pk},
        "campaign-restore": {"pk": lambda w: w.b["campaign"].pk},
        "calendar-note-detail": {"pk": lambda w: w.b["note"].pk},
        "cadence-target-detail": {"pk": lambda w: w.b["cadence_target"].pk},
        "holiday-region-detail": {"pk": lambda w: w.b["holiday_region"].pk},
        "calendar-share-link-detail": {"pk": lambda w: w.b["share_link"].pk},
        "calendar-share-link-revoke": {"pk": lambda w: w.b["share_link"].pk},
    }
)
_SHARED = (
    "public: a calendar share link is its own credential (signed, expiring, revocable); valid, expired, "
    "revoked, tampered and other-organization tokens are proven in tests/calendar/test_share_links.py"
)
NOT_TENANT_DATA.update(
    {
        "calendar_shared": _SHARED,
        "calendar_shared_events": _SHARED,
        "calendar_shared_feed": _SHARED,
    }
)


# --- Approvals (issue 6) ------------------------------------------------------------------------------


def _approvals(world: World) -> None:
    """B's workflow, a request on B's post with an approval link for B's member, a comment and an absence."""
    from datetime import timedelta

    from django.utils import timezone

    from approvals import services as approval_services
    from approvals.models import ApprovalAssignment

    org_b, bob_m, carol_m = world.org_b, world.bob_m, world.b["member"]
    workflow = approval_services.create_workflow(
        org_b,
        by=bob_m,
        name="Bravo Secret Workflow",
        stages=[
            approval_services.StageSpec(
                name="Bravo Secret Stage",
                approvers=[approval_services.ApproverSpec("person", membership=carol_m)],
            )
        ],
    )
    request = approval_services.submit_for_approval(world.b["post"], by=bob_m)
    assignment = ApprovalAssignment.objects.for_org(org_b).get(request=request, membership=carol_m)
    token = approval_services.issue_link(assignment, ttl_hours=72)
    comment = approval_services.add_comment(world.b["post"], by=bob_m, body="Bravo secret comment")
    now = timezone.now()
    ooo = approval_services.set_out_of_office(
        bob_m,
        by=bob_m,
        delegate=carol_m,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
        note="Bravo secret absence",
    )
    world.b.update(
        workflow=workflow,
        approval_request=request,
        approval_link_token=token,
        post_comment=comment,
        out_of_office=ooo,
    )
    world.b_markers += [
        "Bravo Secret Workflow",
        "Bravo Secret Stage",
        "Bravo secret comment",
        "Bravo secret absence",
    ]


WORLD_BUILDERS.append(_approvals)
KWARGS.update(
    {
        "workflow_id": lambda w: w.b["workflow"].pk,
        "request_id": lambda w: w.b["approval_request"].pk,
        "ooo_id": lambda w: w.b["out_of_office"].pk,
        # B's approval link (bound to B's member), opened by A's owner: refused as "someone else's link", a 404
        "link_token": lambda w: w.b["approval_link_token"],
    }
)
ROUTE_KWARGS.update(
    {
        "approval-workflow-detail": {"pk": lambda w: w.b["workflow"].pk},
        "approval-request-detail": {"pk": lambda w: w.b["approval_request"].pk},
        "approval-request-decide": {"pk": lambda w: w.b["approval_request"].pk},
    }
)


# --- The sandbox network's post pages (issue 10) -----------------------------------------------------


def _sandbox_posts(world: World) -> None:
    """A post on B's sandbox channel (the "live post" a B variant links to), with a comment under it."""
    from channels_registry.models import SandboxInteraction, SandboxPost

    org_b, channel = world.org_b, world.b["channel"]
    post = SandboxPost.objects.create(
        organization=org_b,
        channel=channel,
        external_id="sbxp_bravosecret01",
        text="Bravo secret sandbox post",
    )
    SandboxInteraction.objects.create(
        organization=org_b,
        channel=channel,
        post=post,
        external_id="sbxc_bravo1",
        kind=SandboxInteraction.Kind.COMMENT,
        author_id="u_x",
        author_handle="x",
        text="Bravo secret sandbox comment",
    )
    world.b.update(sandbox_post=post)
    world.b_markers += ["Bravo secret sandbox post", "Bravo secret sandbox comment"]


WORLD_BUILDERS.append(_sandbox_posts)
# B's sandbox post id, on A's slug and on the organization-less legacy address: a 404 for A's owner
KWARGS["external_id"] = lambda w: w.b["sandbox_post"].external_id


# --- Service accounts (issue 13: 8) -------------------------------------------------------------------


def _service_accounts(world: World) -> None:
    """B's service account and its token (A's owner must get a 404 for both, by page and by API)."""
    from accounts.service_accounts import services as sa_services

    account = sa_services.create_service_account(
        world.org_b,
        by=world.bob_m,
        name="Bravo Secret Robot",
        description="Bravo secret robot description",
    )
    issued = sa_services.create_service_account_token(
        account, by=world.bob_m, name="bravo-robot-token", scopes=["posts:read"]
    )
    world.b.update(service_account=account, service_account_token=issued.token)
    world.b_markers += ["Bravo Secret Robot", "Bravo secret robot description", "bravo-robot-token"]


WORLD_BUILDERS.append(_service_accounts)
KWARGS["service_account_id"] = lambda w: w.b["service_account"].pk
_SA = {"pk": lambda w: w.b["service_account"].pk}
_SA_TOKEN = {**_SA, "token_id": lambda w: w.b["service_account_token"].pk}
ROUTE_KWARGS.update(
    {
        "service_account_token_rotate": {"token_id": _SA_TOKEN["token_id"]},
        "service_account_token_revoke": {"token_id": _SA_TOKEN["token_id"]},
        "service-account-detail": _SA,
        "service-account-tokens": _SA,
        "service-account-token-rotate": _SA_TOKEN,
        "service-account-token-revoke": _SA_TOKEN,
    }
)


# --- Outgoing webhooks (issue 13: 10) ---------------------------------------------------------------


def _webhooks(world: World) -> None:
    """B's webhook endpoint and one delivery in its log (rows only: nothing is sent)."""
    from socialops.webhooks.models import WebhookDelivery, WebhookEndpoint
    from socialops.webhooks.signing import new_secret

    org_b = world.org_b
    endpoint = WebhookEndpoint.objects.create(
        organization=org_b,
        url="https://bravo-secret-hooks.example/in",
        description="Bravo secret endpoint",
        events=["post.published"],
        secret=new_secret(),
    )
    row = WebhookDelivery.objects.create(
        organization=org_b,
        endpoint=endpoint,
        msg_id="msg_bravosecret",
        event_type="post.published",
        object_key="post:1",
        body='{"type":"post.published","data":{"text":"Bravo secret payload"}}',
    )
    world.b.update(webhook_endpoint=endpoint, webhook_delivery=row)
    world.b_markers += [
        "bravo-secret-hooks",
        "Bravo secret endpoint",
        "msg_bravosecret",
        "Bravo secret payload",
    ]


WORLD_BUILDERS.append(_webhooks)
KWARGS.update(
    {
        "endpoint_id": lambda w: w.b["webhook_endpoint"].pk,
        "delivery_id": lambda w: w.b["webhook_delivery"].pk,
    }
)
ROUTE_KWARGS.update(
    {
        name: {"pk": lambda w: w.b["webhook_endpoint"].pk}
        for name in (
            "webhook-endpoint-detail",
            "webhook-endpoint-rotate-secret",
            "webhook-endpoint-disable",
            "webhook-endpoint-enable",
            "webhook-endpoint-deliveries",
            "webhook-endpoint-replay",
        )
    }
)


# --- The inbox (issue 14) -------------------------------------------------------------------------


def _inbox(world: World) -> None:
    """A conversation on B's sandbox channel, taken in by ``ingest``, with B's failed reply."""
    from channels_registry.providers.base import InboxItem
    from inbox.models import Conversation, Item, Reply
    from inbox.services import ingest

    org_b, channel = world.org_b, world.b["channel"]
    ingest(
        channel,
        [
            InboxItem(
                external_id="sbxd_bravo_inbox",
                kind="dm",
                text="Bravo secret inbox message",
                author_id="u_bravo",
                author_name="Bravo Secret Customer",
                thread_id="dm_bravo",
            )
        ],
    )
    conversation = Conversation.objects.for_org(org_b).get(external_thread_id="dm_bravo")
    item = Item.objects.for_org(org_b).get(external_id="sbxd_bravo_inbox")
    reply = Reply.objects.create(
        organization=org_b,
        conversation=conversation,
        in_reply_to=item,
        author=world.bob_m,
        text="Bravo secret inbox reply",
        status=Reply.Status.FAILED,
    )
    world.b.update(conversation=conversation, inbox_item=item, inbox_reply=reply)
    world.b_markers += [
        "Bravo secret inbox message",
        "Bravo Secret Customer",
        "Bravo secret inbox reply",
    ]


WORLD_BUILDERS.append(_inbox)
KWARGS.update(
    {
        "conversation_id": lambda w: w.b["conversation"].pk,
        "reply_id": lambda w: w.b["inbox_reply"].pk,
        "item_id": lambda w: w.b["inbox_item"].pk,
    }
)
# the inbox API: B's conversation, item and reply by their ids
ROUTE_KWARGS.update(
    {
        **{
            name: {"pk": lambda w: w.b["conversation"].pk}
            for name in (
                "conversation-detail",
                "conversation-assign",
                "conversation-close",
                "conversation-reopen",
                "conversation-set-status",
                "conversation-triage",
            )
        },
        **{
            name: {"pk": lambda w: w.b["inbox_item"].pk}
            for name in (
                "conversation-item-detail",
                "conversation-item-hide",
                "conversation-item-unhide",
                "conversation-item-delete-on-network",
                "conversation-item-like",
                "conversation-item-unlike",
            )
        },
        **{
            name: {"pk": lambda w: w.b["inbox_reply"].pk}
            for name in ("conversation-reply-detail", "conversation-reply-resend")
        },
    }
)


def _inbox_work(world: World) -> None:
    """B's saved reply and tag, the tag on B's conversation (issue 14, inboxwork)."""
    from inbox.models import ConversationTag, SavedReply, Tag

    org_b = world.org_b
    saved = SavedReply.objects.create(
        organization=org_b, title="Bravo secret saved title", text="Bravo secret saved text"
    )
    tag = Tag.objects.create(organization=org_b, name="Bravo secret tag")
    ConversationTag.objects.create(
        organization=org_b, conversation=world.b["conversation"], tag=tag
    )
    world.b.update(saved_reply=saved, inbox_tag=tag)
    world.b_markers += ["Bravo secret saved title", "Bravo secret saved text", "Bravo secret tag"]


WORLD_BUILDERS.append(_inbox_work)
KWARGS["saved_id"] = lambda w: w.b["saved_reply"].pk
KWARGS["tag_id"] = lambda w: w.b["inbox_tag"].pk
# the inbox's tags and saved replies API (issue 14, figures)
ROUTE_KWARGS.update(
    {
        "inbox-tag-detail": {"pk": lambda w: w.b["inbox_tag"].pk},
        "inbox-saved-reply-detail": {"pk": lambda w: w.b["saved_reply"].pk},
    }
)


def _inbox_saved_view(world) -> None:
    """Bravo's shared saved view of the inbox: Alpha never sees or removes it."""
    from inbox.services.saved_views import save_view

    world.b["saved_view"] = save_view(
        world.bob_m, name="Bravo secret saved view", query="q=secret", shared=True
    )
    world.b_markers.append("Bravo secret saved view")


WORLD_BUILDERS.append(_inbox_saved_view)
KWARGS["view_id"] = lambda w: w.b["saved_view"].pk


# --- The audit log page and API (issue 15, auditlog) ------------------------------------------------


def _audit_log(world) -> None:
    """B's newest audit entry (its log already names B's team, members and channels) and B's retention."""
    from socialops.audit.models import AuditEvent
    from socialops.audit.services import set_retention

    set_retention(world.org_b, years=9, actor=world.bob_m.user)
    world.b["audit_event"] = AuditEvent.objects.for_org(world.org_b).order_by("-seq").first()


WORLD_BUILDERS.append(_audit_log)
ROUTE_KWARGS["audit-event-detail"] = {"pk": lambda w: w.b["audit_event"].pk}


def _governance(world) -> None:
    """Bravo's coverage gaps and inventory flags (a near-duplicate channel, expiring soon):
    Alpha's coverage page, inventory, its CSV and the API never show them; Alpha cannot retire
    Bravo's channel (``channel_id`` / ``pk``: Bravo's channel, a 404)."""
    from datetime import timedelta

    from django.utils import timezone

    from channels_registry.models import Channel

    Channel.objects.create(
        organization=world.org_b,
        provider="sandbox",
        external_id="bravo-twin",
        handle="bravo.secret.twin",
        name="Bravo Secret Channel",
        token_expires_at=timezone.now() + timedelta(days=2),
    )
    world.b_markers.append("bravo.secret.twin")


WORLD_BUILDERS.append(_governance)
ROUTE_KWARGS["channel-inventory-retire"] = {"pk": lambda w: w.b["channel"].pk}
ROUTE_KWARGS["inbox-saved-view-detail"] = {"pk": lambda w: w.b["saved_view"].pk}


def _inbox_collab(world) -> None:
    """Bravo's internal note (with a mention) and a reply-approval setting (issue 14: notes,
    presence, reply approval)."""
    from inbox.models import ConversationNote, ReplyApprovalRequirement

    org_b = world.org_b
    note = ConversationNote.objects.create(
        organization=org_b,
        conversation=world.b["conversation"],
        author=world.bob_m,
        text="Bravo secret internal note",
        mentions=[world.b["member"].pk],
    )
    ReplyApprovalRequirement.objects.create(organization=org_b, membership=world.b["member"])
    world.b["inbox_note"] = note
    world.b_markers.append("Bravo secret internal note")


WORLD_BUILDERS.append(_inbox_collab)
ROUTE_KWARGS.update(
    {
        "conversation-note-detail": {"pk": lambda w: w.b["inbox_note"].pk},
        "conversation-reply-approve": {"pk": lambda w: w.b["inbox_reply"].pk},
        "conversation-reply-reject": {"pk": lambda w: w.b["inbox_reply"].pk},
    }
)


def _inbox_routing(world) -> None:
    """Bravo's routing rule and SLA target (issue 14, routing): Alpha never sees or changes them."""
    from decimal import Decimal

    from inbox.models import RoutingRule, SlaTarget

    world.b["routing_rule"] = RoutingRule.objects.create(
        organization=world.org_b,
        name="Bravo secret routing rule",
        position=1,
        keywords=["bravosecretkeyword"],
        assign_team=world.b["team"],
    )
    world.b["sla_target"] = SlaTarget.objects.create(
        organization=world.org_b, team=world.b["team"], hours=Decimal(7)
    )
    world.b_markers += ["Bravo secret routing rule", "bravosecretkeyword"]


WORLD_BUILDERS.append(_inbox_routing)
KWARGS["rule_id"] = lambda w: w.b["routing_rule"].pk
ROUTE_KWARGS.update(
    {
        "inbox-routing-rule-detail": {"pk": lambda w: w.b["routing_rule"].pk},
        "inbox-sla-target-detail": {"pk": lambda w: w.b["sla_target"].pk},
    }
)


def _offboarding(world) -> None:
    """Bravo's offboarding report and its follow-up task (issue 15: 1): Alpha never reads or ticks them."""
    from governance.offboarding.models import FollowUpTask, OffboardingReport

    report = OffboardingReport.objects.create(
        organization=world.org_b,
        membership=world.b["member"],
        person_label="Bravo secret leaver <leaver@bravo.test>",
        run_by_label="bob@bravo.test",
        items=[{"kind": "teams", "section": "Teams", "label": "Bravo secret report item"}],
    )
    task = FollowUpTask.objects.create(
        organization=world.org_b, report=report, title="Bravo secret follow-up"
    )
    world.b.update(offboarding_report=report, offboarding_task=task)
    world.b_markers += ["Bravo secret leaver", "Bravo secret report item", "Bravo secret follow-up"]


WORLD_BUILDERS.append(_offboarding)
KWARGS["report_id"] = lambda w: w.b["offboarding_report"].pk
KWARGS["task_id"] = lambda w: w.b["offboarding_task"].pk
ROUTE_KWARGS.update(
    {
        "member-offboarding-detail": {"pk": lambda w: w.b["member"].pk},
        "member-offboarding-run": {"pk": lambda w: w.b["member"].pk},
        "offboarding-report-detail": {"pk": lambda w: w.b["offboarding_report"].pk},
    }
)


def _access_reviews(world) -> None:
    """Bravo's access review (issue 15: 2) over Carol's grant on Bravo's channel, reviewed by Bob:
    Alpha never lists, reads, decides, closes or exports it."""
    from datetime import timedelta

    from django.test import TestCase
    from django.utils import timezone

    from governance.access_review import services as review_services

    with TestCase.captureOnCommitCallbacks(execute=False):  # no e-mail needed
        campaign = review_services.start_review(
            world.org_b,
            by=world.bob_m,
            name="Bravo secret access review",
            due_on=(timezone.now() + timedelta(days=5)).date(),
        )
    world.b["access_review"] = campaign
    world.b_markers.append("Bravo secret access review")


WORLD_BUILDERS.append(_access_reviews)
KWARGS["campaign_id"] = lambda w: w.b["access_review"].pk
ROUTE_KWARGS.update(
    {
        name: {"pk": lambda w: w.b["access_review"].pk}
        for name in (
            "access-review-detail",
            "access-review-close",
            "access-review-items",
            "access-review-items-decide",
        )
    }
)


def _custom_dashboards(world) -> None:
    """Bravo's custom dashboard with a widget (issue 16: 3): Alpha never reads, changes, arranges,
    duplicates or deletes it, nor its widget, through a page or the API."""
    from analytics.dashboards import services as dashboard_services

    board = dashboard_services.create_dashboard(world.bob_m, name="Bravo secret dashboard")
    widget = dashboard_services.add_widget(
        board, by=world.bob_m, kind="kpi", metric="reach", title="Bravo secret widget"
    )
    link, _token = dashboard_services.create_share_link(
        board, by=world.bob_m, name="Bravo secret dashboard link"
    )
    world.b["dashboard"], world.b["dashboard_widget"] = board, widget
    world.b["dashboard_share_link"] = link
    world.b_markers += [
        "Bravo secret dashboard",
        "Bravo secret widget",
        "Bravo secret dashboard link",
    ]


WORLD_BUILDERS.append(_custom_dashboards)
KWARGS["dashboard_id"] = lambda w: w.b["dashboard"].pk
KWARGS["widget_id"] = lambda w: w.b["dashboard_widget"].pk
ROUTE_KWARGS.update(
    {
        **{
            name: {"pk": lambda w: w.b["dashboard"].pk}
            for name in (
                "analytics-dashboard-detail",
                "analytics-dashboard-duplicate",
                "analytics-dashboard-arrange",
                "analytics-dashboard-data",
            )
        },
        "analytics-widget-detail": {"pk": lambda w: w.b["dashboard_widget"].pk},
        **{
            name: {"pk": lambda w: w.b["dashboard_share_link"].pk}
            for name in (
                "analytics-dashboard-share-link-detail",
                "analytics-dashboard-share-link-revoke",
            )
        },
        "analytics_dashboard_share_revoke": {"link_id": lambda w: w.b["dashboard_share_link"].pk},
    }
)
NOT_TENANT_DATA["dashboard_shared"] = (
    "public: a dashboard share link is its own credential (signed, revocable, optionally "
    "expiring); valid, expired, revoked, tampered, another kind's and other-organization tokens are "
    "proven in tests/analytics/test_dashboard_share_links.py"
)


def _report_schedules(world) -> None:
    """Bravo's scheduled report and one sent run with its files (issue 16: 4): Alpha never lists,
    reads, changes, sends, deletes or downloads them."""
    from datetime import date, time

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from analytics.reports import services as report_services
    from analytics.reports.models import ReportRun

    schedule = report_services.create_schedule(
        world.bob_m,
        report_services.ScheduleInput(
            name="Bravo secret weekly report",
            send_time=time(8, 0),
            timezone="Asia/Jakarta",
            member_ids=[world.bob_m.pk],
        ),
    )
    run = ReportRun.objects.create(
        organization=world.org_b,
        schedule=schedule,
        scheduled_for=schedule.next_run_at,
        period_start=date(2026, 1, 5),
        period_end=date(2026, 1, 11),
        status=ReportRun.Status.SENT,
        pdf_path=default_storage.save(
            f"reports/org-{world.org_b.pk}/walker.pdf", ContentFile(b"%PDF Bravo secret pdf")
        ),
        csv_path=default_storage.save(
            f"reports/org-{world.org_b.pk}/walker.csv", ContentFile(b"Bravo secret csv")
        ),
    )
    world.b.update(report_schedule=schedule, report_run=run)
    world.b_markers += ["Bravo secret weekly report", "Bravo secret pdf", "Bravo secret csv"]


WORLD_BUILDERS.append(_report_schedules)
KWARGS["schedule_id"] = lambda w: w.b["report_schedule"].pk
KWARGS["run_id"] = lambda w: w.b["report_run"].pk
ROUTE_KWARGS.update(
    {
        "report-schedule-detail": {"pk": lambda w: w.b["report_schedule"].pk},
        "report-schedule-send-now": {"pk": lambda w: w.b["report_schedule"].pk},
        "report-run-detail": {"pk": lambda w: w.b["report_run"].pk},
        "report-run-pdf": {"pk": lambda w: w.b["report_run"].pk},
        "report-run-csv": {"pk": lambda w: w.b["report_run"].pk},
    }
)
