"""Reads of publishing; every one names the organization first."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.capabilities import Capability, Role, can, role_grants

from ..models import Campaign, Post, PostMedia, PostVariant


def visible_variants(membership, qs: QuerySet[PostVariant] | None = None) -> QuerySet[PostVariant]:
    """The variants ``membership`` may see: those whose channel the member may see.

    Owners and admins see every channel; everyone else sees channels open to the organization
    and restricted channels they hold a grant on (in person or through a team that covers them)
    — the same rule as ``channels_registry.selectors.visible_channels`` and
    ``Channel.decide_capability``. ``qs`` narrows an existing queryset of the organization's
    variants (it is filtered, never widened).
    """
    from channels_registry.selectors import visible_channels

    if qs is None:
        qs = PostVariant.objects.for_org(membership.organization)
    if membership.role in (Role.OWNER, Role.ADMIN):
        return qs
    return qs.filter(channel_id__in=visible_channels(membership).order_by().values("pk"))


def _composable_team_ids(membership) -> set[int]:
    """The member's teams and all teams below them (head office composes for its regions)."""
    from accounts.selectors import subtree_of, team_parents

    mine = set(membership.teams.values_list("pk", flat=True))
    return subtree_of(team_parents(membership.organization), mine) if mine else set()


def visible_posts(membership, qs: QuerySet[Post] | None = None) -> QuerySet[Post]:
    """The posts ``membership`` may see.

    A post with variants is visible when the member may see at least one of its variants'
    channels (:func:`visible_variants`): a post that only goes to a restricted channel is
    invisible — a 404, not a 403 — to members without a grant on that channel.

    A post without variants (a draft whose channels are not chosen yet) has no channel to
    decide, so it is visible to owners and admins, to its author, and to members whose role
    may compose when the post has no team or its team is one of theirs or below one of theirs
    (head office sees its regions' drafts). Viewers, analysts and moderators do not see other
    people's channel-less drafts.

    Owners and admins see everything. ``qs`` narrows an existing queryset of the organization's
    posts (it is filtered, never widened); prefetches and ordering on it are kept.
    """
    if qs is None:
        qs = Post.objects.for_org(membership.organization)
    if membership.role in (Role.OWNER, Role.ADMIN):
        return qs
    org = membership.organization
    any_variant = PostVariant.objects.for_org(org).filter(post=OuterRef("pk"))
    seen_variant = visible_variants(
        membership, PostVariant.objects.for_org(org).filter(post=OuterRef("pk"))
    )
    return qs.filter(
        Exists(seen_variant) | (~Exists(any_variant) & _channel_less_visible(membership))
    )


def _channel_less_visible(membership) -> Q:
    """Which posts without variants ``membership`` sees (the rule of :func:`visible_posts`)."""
    without_channels = Q(author_id=membership.user_id)
    if role_grants(membership.role, Capability.COMPOSE):
        without_channels |= Q(team__isnull=True) | Q(team_id__in=_composable_team_ids(membership))
    return without_channels


def members_who_see(post: Post, memberships, *, enough: int | None = None) -> set[int]:
    """Ids of ``memberships`` that may see ``post`` (the rule of :func:`visible_posts`), without a
    query per member in the common case: owners and admins see every post, and a post with a
    variant on a channel open to the organization is seen by every member. Only a post whose
    channels are all restricted (or that has none yet) is checked member by member, stopping at
    ``enough`` when given (then the set may leave out later members, never include a wrong one)."""
    from channels_registry.models import Channel

    members = list(memberships)
    out = {m.pk for m in members if m.role in (Role.OWNER, Role.ADMIN)}
    rest = [m for m in members if m.pk not in out]
    if not rest:
        return out
    open_to_all = (
        PostVariant.objects.for_org(post.organization_id)
        .filter(post=post, channel__access=Channel.Access.ORGANIZATION)
        .exists()
    )
    if open_to_all:
        return out | {m.pk for m in rest}
    for m in rest:  # in order; ``enough``: stop once that many are found (suggestion lists)
        if enough is not None and len(out) >= enough:
            break
        if visible_posts(m).filter(pk=post.pk).exists():
            out.add(m.pk)
    return out


def wholly_visible_posts(membership, qs: QuerySet[Post] | None = None) -> QuerySet[Post]:
    """The posts ``membership`` may see every channel of (:func:`visible_variants` for each variant).

    The rule for approvers: whoever approves a post approves every variant of it, so they must be
    able to see all its channels. Approval routing, the "Waiting for me" queue, approval links and
    decisions go through it. ``qs`` narrows an existing queryset of the organization's posts.
    """
    from channels_registry.selectors import visible_channels

    if qs is None:
        qs = Post.objects.for_org(membership.organization)
    if membership.role in (Role.OWNER, Role.ADMIN):
        return qs
    variants = PostVariant.objects.for_org(membership.organization).filter(post=OuterRef("pk"))
    unseen = variants.exclude(channel_id__in=visible_channels(membership).order_by().values("pk"))
    # no variant it cannot see, and at least one (else the channel-less rule of visible_posts)
    return qs.filter(~Exists(unseen) & (Exists(variants) | _channel_less_visible(membership)))


def members_who_see_all_of(post: Post, memberships) -> set[int]:
    """Ids of ``memberships`` that may see every channel of ``post`` (:func:`wholly_visible_posts`),
    without a query per member in the common case: owners and admins see every channel, and a post
    whose channels are all open to the organization is seen whole by everyone who sees it."""
    from channels_registry.models import Channel

    members = list(memberships)
    out = {m.pk for m in members if m.role in (Role.OWNER, Role.ADMIN)}
    rest = [m for m in members if m.pk not in out]
    if not rest:
        return out
    accesses = set(
        PostVariant.objects.for_org(post.organization_id)
        .filter(post=post)
        .values_list("channel__access", flat=True)
    )
    if accesses and Channel.Access.RESTRICTED not in accesses:
        return out | {m.pk for m in rest}
    return out | {m.pk for m in rest if wholly_visible_posts(m).filter(pk=post.pk).exists()}


def sees_all_of(membership, post: Post) -> bool:
    """May ``membership`` see every channel of ``post``? (:func:`wholly_visible_posts`)"""
    return membership is not None and membership.pk in members_who_see_all_of(post, [membership])


def visible_freezes(membership, qs):
    """Publishing freezes ``membership`` may know of: a freeze of one channel only when the member
    may see that channel (organization and team freezes name no channel)."""
    from channels_registry.selectors import visible_channels

    if membership.role in (Role.OWNER, Role.ADMIN):
        return qs
    return qs.filter(
        Q(channel__isnull=True)
        | Q(channel_id__in=visible_channels(membership).order_by().values("pk"))
    )


@dataclass
class PostFilters:
    status: str = ""
    channel_id: int | None = None
    campaign_id: int | None = None
    author_id: int | None = None
    team_id: int | None = None
    #: words in the post's internal title or its text (case-insensitive)
    search: str = ""


def posts_of(
    organization, filters: PostFilters | None = None, *, membership=None
) -> QuerySet[Post]:
    """Posts with their variants (and channels), campaign and author: a fixed number of queries.

    With ``membership`` (every page and API list passes it), only the posts and variants that
    member may see (:func:`visible_posts`, :func:`visible_variants`).
    """
    f = filters or PostFilters()
    qs = Post.objects.for_org(organization).select_related("campaign", "author", "team", "parent")
    if membership is not None:
        qs = visible_posts(membership, qs)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.channel_id:
        qs = qs.filter(
            pk__in=PostVariant.objects.for_org(organization)
            .filter(channel_id=f.channel_id)
            .values("post_id")
        )
    if f.campaign_id:
        qs = qs.filter(campaign_id=f.campaign_id)
    if f.author_id:
        qs = qs.filter(author_id=f.author_id)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.search.strip():
        qs = qs.filter(Q(title__icontains=f.search.strip()) | Q(text__icontains=f.search.strip()))
    variants = (
        PostVariant.objects.for_org(organization)
        .select_related("channel")
        .order_by("channel__provider", "pk")
    )
    if membership is not None:
        variants = visible_variants(membership, variants)
    return qs.prefetch_related(Prefetch("variants", queryset=variants)).order_by(
        "-created_at", "-pk"
    )


#: the post list's orders: by send time (first publish on a channel the member sees, else the scheduled
#: time, else a draft's planned slot; posts without any time last), or by creation
POST_ORDERS = ("send_desc", "send_asc", "created")


def post_list(
    organization, filters: PostFilters | None = None, *, membership, order: str = "send_desc"
):
    """The posts page's rows: :func:`posts_of` (visible posts and variants) with ``send_at`` and each
    post's media items (for the thumbnail), in ``order`` (:data:`POST_ORDERS`). A fixed number of
    queries whatever the number of rows: the page, its variants, its media."""
    first_publish = visible_variants(
        membership,
        PostVariant.objects.for_org(organization).filter(
            post=OuterRef("pk"), status=PostVariant.Status.PUBLISHED, published_at__isnull=False
        ),
    )
    qs = posts_of(organization, filters, membership=membership).annotate(
        first_published_at=Subquery(
            first_publish.order_by("published_at").values("published_at")[:1]
        ),
        send_at=Coalesce("first_published_at", "scheduled_at", "planned_at"),
    )
    media = (
        PostMedia.objects.for_org(organization).select_related("asset").order_by("position", "pk")
    )
    qs = qs.prefetch_related(Prefetch("media_items", queryset=media))
    if order == "created":
        return qs.order_by("-created_at", "-pk")
    if order == "send_asc":
        return qs.order_by(F("send_at").asc(nulls_last=True), "created_at", "pk")
    return qs.order_by(F("send_at").desc(nulls_last=True), "-created_at", "-pk")


def posts_by_ids(membership, ids, *, limit: int = 100) -> list[Post]:
    """The posts among ``ids`` that the member may see (others are left out, as if missing), in the
    order given; at most ``limit``."""
    wanted = []
    for raw in list(ids)[:limit]:
        try:
            wanted.append(int(raw))
        except (TypeError, ValueError):
            continue
    qs = Post.objects.for_org(membership.organization).select_related("campaign", "author", "team")
    found = {p.pk: p for p in visible_posts(membership, qs).filter(pk__in=wanted)}
    return [found[i] for i in dict.fromkeys(wanted) if i in found]


def get_post_for_member(membership, post_id, *, need: str = Capability.VIEW) -> Post:
    """Another organization's post, a missing one and one the member may not see
    (:func:`visible_posts`) are the same 404; lacking ``need`` is a 403."""
    try:
        post_id = int(post_id)
    except (TypeError, ValueError):
        raise Http404("No such post.") from None
    qs = Post.objects.for_org(membership.organization).select_related(
        "campaign", "author", "team", "parent"
    )
    post = visible_posts(membership, qs).filter(pk=post_id).first()
    if post is None:
        raise Http404("No such post.")
    if not can(membership, need, post):
        raise PermissionDenied
    return post


def get_variant_for_member(
    membership, variant_id, *, post: Post | None = None, need: str = Capability.VIEW
) -> PostVariant:
    try:
        variant_id = int(variant_id)
    except (TypeError, ValueError):
        raise Http404("No such variant.") from None
    qs = (
        PostVariant.objects.for_org(membership.organization)
        .select_related("channel", "post")
        .filter(pk=variant_id)
    )
    if post is not None:
        qs = qs.filter(post=post)
    variant = qs.first()
    if variant is None or not can(membership, Capability.VIEW, variant.channel):
        raise Http404("No such variant.")
    if not can(membership, need, variant.post):
        raise PermissionDenied
    return variant


def variants_of(post: Post, membership=None) -> QuerySet[PostVariant]:
    """``post``'s variants; with ``membership``, only those on channels the member may see."""
    qs = (
        PostVariant.objects.for_org(post.organization_id)
        .filter(post=post)
        .select_related("channel")
        .order_by("channel__provider", "pk")
    )
    return qs if membership is None else visible_variants(membership, qs)


def media_of(post: Post) -> QuerySet[PostMedia]:
    return PostMedia.objects.for_org(post.organization_id).filter(post=post).select_related("asset")


def localizations_of(post: Post, membership=None) -> QuerySet[Post]:
    """The regional children of a head-office post (each keeps its link to the parent); with
    ``membership``, only those the member may see."""
    qs = (
        Post.objects.for_org(post.organization_id)
        .filter(parent=post)
        .select_related("team")
        .order_by("pk")
    )
    return qs if membership is None else visible_posts(membership, qs)


def campaigns_of(organization) -> QuerySet[Campaign]:
    return (
        Campaign.objects.for_org(organization).select_related("team").order_by("-starts_on", "name")
    )


def get_campaign(organization, campaign_id) -> Campaign:
    try:
        campaign_id = int(campaign_id)
    except (TypeError, ValueError):
        raise Http404("No such campaign.") from None
    campaign = Campaign.objects.for_org(organization).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def composable_channels(membership) -> QuerySet:
    """Channels the member may write for: visible, connected (or needing re-auth), and not archived."""
    from channels_registry.models import Channel
    from channels_registry.selectors import visible_channels

    qs = visible_channels(membership).filter(
        status__in=[Channel.Status.ACTIVE, Channel.Status.NEEDS_REAUTH]
    )
    return qs


def can_post_to(membership, channel) -> bool:
    return can(membership, Capability.COMPOSE, channel) or can(
        membership, Capability.PUBLISH, channel
    )


def authors_of(organization):
    """People who wrote posts here (for the list's author filter)."""
    from accounts.selectors import members_of

    author_ids = Post.objects.for_org(organization).exclude(author=None).values("author_id")
    return members_of(organization).filter(user_id__in=author_ids).select_related("user")


# --- The start page (home/): what goes out today and this week, what failed -------------------------


@dataclass
class PlanRow:
    """One post on the start page's plan: the variants the member sees in the window, its state."""

    post: Post
    variants: list
    #: when it goes (or went) out: the earliest of those variants' publish or due time; a draft's planned slot
    at: object
    state: object  # publishing.posts.presentation.State
    #: a draft (or a post in review, or approved) that has a slot on the calendar but no schedule yet
    planned_only: bool = False


def send_plan(membership, *, start, end, limit: int = 60) -> tuple[list[PlanRow], bool]:
    """The posts going out (or gone out) between ``start`` and ``end`` on channels the member may
    see, with drafts planned in that window that are not scheduled yet, in time order; and whether
    ``limit`` variants cut the list short. Three queries whatever the number of rows."""
    from django.utils import timezone

    from . import presentation

    org = membership.organization
    V, P = PostVariant.Status, Post.Status
    variants = list(
        visible_variants(membership, PostVariant.objects.for_org(org))
        .annotate(when=Coalesce("published_at", "due_at"))
        .filter(when__gte=start, when__lt=end)
        .exclude(status__in=[V.DRAFT, V.CANCELLED])
        .select_related("post", "post__campaign", "channel")
        .order_by("when", "pk")[: limit + 1]
    )
    cut = len(variants) > limit
    rows: dict[int, PlanRow] = {}
    for v in variants[:limit]:
        row = rows.get(v.post_id)
        if row is None:
            rows[v.post_id] = row = PlanRow(post=v.post, variants=[], at=v.when, state=None)
        row.variants.append(v)
    planned = (
        visible_posts(
            membership,
            Post.objects.for_org(org).filter(
                status__in=[P.DRAFT, P.IN_REVIEW, P.APPROVED],
                planned_at__gte=start,
                planned_at__lt=end,
            ),
        )
        .select_related("campaign")
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=visible_variants(membership, PostVariant.objects.for_org(org))
                .select_related("channel")
                .order_by("pk"),
            )
        )
        .order_by("planned_at", "pk")[:limit]
    )
    for post in planned:
        if post.pk not in rows:
            rows[post.pk] = PlanRow(
                post=post,
                variants=list(post.variants.all()),
                at=post.planned_at,
                state=None,
                planned_only=True,
            )
    now = timezone.now()
    for row in rows.values():
        row.state = presentation.post_state(row.post, row.variants, now=now)
    return sorted(rows.values(), key=lambda r: (r.at, r.post.pk)), cut


def failed_variants(membership, *, limit: int = 8) -> tuple[list[PostVariant], int]:
    """The variants that failed on channels the member may see, latest first, and how many there are."""
    qs = visible_variants(
        membership,
        PostVariant.objects.for_org(membership.organization).filter(
            status=PostVariant.Status.FAILED
        ),
    )
    rows = list(qs.select_related("post", "channel").order_by("-updated_at", "-pk")[:limit])
    return rows, qs.count() if rows else 0


def display_zone(post: Post, membership) -> str:
    """The zone a post's time is shown in when the caller gave an instant but no zone: the one the
    composer would offer. The post's own zone, else its channels' zone when they share one (a single
    channel: that channel's), else the person's, else the organization's, else UTC."""
    if post.schedule_timezone:
        return post.schedule_timezone
    zones = set(
        PostVariant.objects.for_org(post.organization_id)
        .filter(post=post)
        .values_list("channel__timezone", flat=True)
    )
    if len(zones) == 1 and (zone := zones.pop()):
        return zone
    return membership.user.timezone or membership.organization.timezone or "UTC"


def published_variant_ids(channel, external_ids) -> dict[str, int]:
    """The variants published on ``channel`` under these network ids: {external id: variant id}
    (the inbox shows a comment thread with the post it is on)."""
    rows = (
        PostVariant.objects.for_org(channel.organization_id)
        .filter(channel=channel, external_id__in=list(external_ids))
        .exclude(external_id="")
        .values_list("external_id", "pk")
    )
    return dict(rows)


@dataclass(frozen=True)
class ChannelActivity:
    """What a channel has published: its latest post and how many since a day."""

    last_published_at: object  # datetime | None
    published_since: int


def channel_activity(organization, *, since) -> dict[int, ChannelActivity]:
    """``{channel id: ChannelActivity}`` for every channel of ``organization`` that has published:
    the latest publish and the number of variants published at or after ``since``. One query
    (a channel that never published is absent)."""
    from django.db.models import Count, Max

    rows = (
        PostVariant.objects.for_org(organization)
        .filter(status=PostVariant.Status.PUBLISHED, published_at__isnull=False)
        .order_by()
        .values("channel_id")
        .annotate(last=Max("published_at"), recent=Count("pk", filter=Q(published_at__gte=since)))
    )
    return {r["channel_id"]: ChannelActivity(r["last"], r["recent"]) for r in rows}


def published_variants_on(channel, *, since) -> list[tuple[int, str, object]]:
    """``(variant id, external id, published_at)`` of the variants published on ``channel`` at or
    after ``since`` that the network named (analytics fetches their figures), oldest first."""
    return list(
        PostVariant.objects.for_org(channel.organization_id)
        .filter(
            channel=channel,
            status=PostVariant.Status.PUBLISHED,
            published_at__gte=since,
        )
        .exclude(external_id="")
        .order_by("published_at", "pk")
        .values_list("pk", "external_id", "published_at")
    )


def published_variants_between(
    organization, *, channel_ids, since, until, campaign_id: int | None = None
) -> QuerySet[PostVariant]:
    """The variants published on ``channel_ids`` from ``since`` to ``until`` (UTC days, both
    included), optionally only those of one campaign's posts, with their post, campaign and
    channel (analytics lists their figures and sorts them). The caller chooses the channels."""
    from datetime import UTC, datetime, time, timedelta

    qs = (
        PostVariant.objects.for_org(organization)
        .filter(
            channel_id__in=channel_ids,
            status=PostVariant.Status.PUBLISHED,
            published_at__gte=datetime.combine(since, time.min, tzinfo=UTC),
            published_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC),
        )
        .select_related("post", "post__campaign", "channel", "channel__team")
    )
    if campaign_id is not None:
        qs = qs.filter(post__campaign_id=campaign_id)
    return qs


def published_variants_of(post: Post, *, channel_ids) -> QuerySet[PostVariant]:
    """``post``'s published variants on ``channel_ids``, with their channels, in publishing order."""
    return (
        PostVariant.objects.for_org(post.organization_id)
        .filter(post=post, channel_id__in=channel_ids, status=PostVariant.Status.PUBLISHED)
        .select_related("channel")
        .order_by("published_at", "pk")
    )


def published_per_day(channel, *, since, until) -> dict:
    """``{day (UTC): number of variants published on channel that day}`` from ``since`` to ``until``
    (dates, both included); a day without one is absent. One query."""
    from datetime import UTC, datetime, time, timedelta

    from django.db.models import Count
    from django.db.models.functions import TruncDate

    rows = (
        PostVariant.objects.for_org(channel.organization_id)
        .filter(
            channel=channel,
            status=PostVariant.Status.PUBLISHED,
            published_at__gte=datetime.combine(since, time.min, tzinfo=UTC),
            published_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC),
        )
        .annotate(day=TruncDate("published_at", tzinfo=UTC))
        .order_by()
        .values("day")
        .annotate(n=Count("pk"))
    )
    return {r["day"]: r["n"] for r in rows}


def scheduled_on_channel(channel) -> QuerySet[PostVariant]:
    """The variants waiting to go out on ``channel`` (scheduled, or held by a freeze), soonest first."""
    return (
        PostVariant.objects.for_org(channel.organization_id)
        .filter(channel=channel, status__in=[PostVariant.Status.SCHEDULED, PostVariant.Status.HELD])
        .select_related("post")
        .order_by("due_at", "pk")
    )


#: the posts a leaving author still owns work on (offboarding hands them over)
OPEN_POST_STATUSES = (
    Post.Status.DRAFT,
    Post.Status.IN_REVIEW,
    Post.Status.APPROVED,
    Post.Status.SCHEDULED,
)


def open_posts_authored_by(organization, user) -> QuerySet[Post]:
    """Drafts, posts in review or approved, and scheduled posts ``user`` is the author of."""
    return (
        Post.objects.for_org(organization)
        .filter(author=user, status__in=OPEN_POST_STATUSES)
        .order_by("scheduled_at", "pk")
    )


__all__ = [
    "ChannelActivity",
    "channel_activity",
    "scheduled_on_channel",
    "OPEN_POST_STATUSES",
    "open_posts_authored_by",
    "PostFilters",
    "published_variant_ids",
    "published_variants_on",
    "published_per_day",
    "published_variants_between",
    "published_variants_of",
    "display_zone",
    "authors_of",
    "campaigns_of",
    "can_post_to",
    "composable_channels",
    "get_campaign",
    "get_post_for_member",
    "get_variant_for_member",
    "localizations_of",
    "media_of",
    "members_who_see",
    "POST_ORDERS",
    "PlanRow",
    "failed_variants",
    "members_who_see_all_of",
    "post_list",
    "posts_by_ids",
    "posts_of",
    "sees_all_of",
    "send_plan",
    "variants_of",
    "visible_freezes",
    "visible_posts",
    "visible_variants",
    "wholly_visible_posts",
]
