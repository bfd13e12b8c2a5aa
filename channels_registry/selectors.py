"""Reads of channels_registry that views, the API and other apps use. Organization first."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.capabilities import Capability, Role, can
from accounts.selectors import team_subtree_ids

from . import crypto
from .models import (
    Channel,
    ChannelCredential,
    ChannelGrant,
    ChannelGroup,
    ConnectAttempt,
    covering_team_ids,
)
from .providers import REGISTRY, SANDBOX, get_provider, provider_class
from .providers.base import Credentials, Provider


@dataclass
class ChannelFilters:
    provider: str = ""
    team: object = None  # accounts.Team; its whole subtree matches
    status: str = ""
    group: ChannelGroup | None = None
    search: str = ""


def channels_of(organization, filters: ChannelFilters | None = None) -> QuerySet[Channel]:
    qs = Channel.objects.for_org(organization).select_related("team")
    f = filters or ChannelFilters()
    if f.provider:
        qs = qs.filter(provider=f.provider)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.team is not None:
        qs = qs.filter(team_id__in=team_subtree_ids(organization, f.team))
    if f.group is not None:
        qs = qs.filter(groups=f.group)
    if f.search:
        qs = qs.filter(Q(handle__icontains=f.search) | Q(name__icontains=f.search))
    return qs.order_by("provider", "handle", "pk")


def visible_channels(membership, filters: ChannelFilters | None = None) -> QuerySet[Channel]:
    """Channels the member may see: restricted ones only for owners, admins and grantees."""
    qs = channels_of(membership.organization, filters)
    if membership.role in (Role.OWNER, Role.ADMIN):
        return qs
    granted = (
        ChannelGrant.objects.for_org(membership.organization)
        .filter(Q(membership=membership) | Q(team_id__in=covering_team_ids(membership)))
        .values("channel_id")
    )
    return qs.filter(Q(access=Channel.Access.ORGANIZATION) | Q(pk__in=granted))


def get_channel_for_member(membership, channel_id, *, need: str = Capability.VIEW) -> Channel:
    """Another organization's channel and a missing one are the same 404; lacking ``need`` is a 403."""
    try:
        channel_id = int(channel_id)
    except (TypeError, ValueError):
        raise Http404("No such channel.") from None
    channel = (
        Channel.objects.for_org(membership.organization)
        .select_related("team")
        .filter(pk=channel_id)
        .first()
    )
    if channel is None or not can(membership, Capability.VIEW, channel):
        raise Http404("No such channel.")
    if not can(membership, need, channel):
        raise PermissionDenied
    return channel


def groups_of(organization, *, membership=None) -> QuerySet[ChannelGroup]:
    """The organization's groups with their channels; with ``membership``, ``group.channels.all()``
    holds only the channels that member may see (:func:`visible_channels`)."""
    channels = (
        Channel.objects.for_org(organization)
        if membership is None
        else visible_channels(membership)
    )
    return ChannelGroup.objects.for_org(organization).prefetch_related(
        Prefetch("channels", queryset=channels.order_by("provider", "handle", "pk"))
    )


def get_group(organization, group_id, *, membership=None) -> ChannelGroup:
    """One group (a 404 when missing); with ``membership``, its channels as that member sees them."""
    try:
        group_id = int(group_id)
    except (TypeError, ValueError):
        raise Http404("No such group.") from None
    group = groups_of(organization, membership=membership).filter(pk=group_id).first()
    if group is None:
        raise Http404("No such group.")
    return group


def grants_of(channel: Channel) -> QuerySet[ChannelGrant]:
    return (
        ChannelGrant.objects.for_org(channel.organization_id)
        .filter(channel=channel)
        .select_related("membership__user", "team")
    )


def grants_of_member(membership) -> QuerySet[ChannelGrant]:
    """Every grant held by one person (not through a team), with its channel, in one query."""
    return (
        ChannelGrant.objects.for_org(membership.organization_id)
        .filter(membership=membership)
        .select_related("channel")
        .order_by("channel__name", "channel_id", "capability")
    )


def get_grant(channel: Channel, grant_id) -> ChannelGrant:
    grant = grants_of(channel).filter(pk=grant_id).first()
    if grant is None:
        raise Http404("No such grant.")
    return grant


def get_attempt_for_member(membership, attempt_id) -> ConnectAttempt:
    """A connect attempt is private to the person who started it."""
    attempt = (
        ConnectAttempt.objects.for_org(membership.organization)
        .filter(pk=attempt_id, membership=membership)
        .first()
    )
    if attempt is None:
        raise Http404("No such connection attempt.")
    return attempt


def channels_for_accounts(
    organization, provider: str, external_ids: list[str]
) -> dict[str, Channel]:
    """The organization's channels (any status) for these network accounts, by external id: what a
    connection would reconnect rather than add."""
    qs = (
        Channel.objects.for_org(organization)
        .select_related("team")
        .filter(provider=provider, external_id__in=external_ids)
    )
    return {c.external_id: c for c in qs}


def provider_for(channel: Channel) -> Provider:
    return get_provider(channel.provider)


def live_post_url(
    channel: Channel, external_id: str, stored_url: str, *, org_slug: str = ""
) -> str:
    """The link to a published post on ``channel`` as it works today (``Provider.live_url``)."""
    if not external_id and not stored_url:
        return ""
    try:
        cls = provider_class(channel.provider)
    except (KeyError, ImportError, AttributeError):
        return stored_url
    return cls.live_url(channel, external_id, stored_url, org_slug=org_slug)


def credentials_for(channel: Channel) -> Credentials:
    """Decrypted credentials of ``channel``, for a provider call. Keep them in memory only."""
    from .services import credentials_from_dict

    row = ChannelCredential.objects.for_org(channel.organization_id).filter(channel=channel).first()
    if row is None:
        from socialops.errors import ApplicationError

        raise ApplicationError(
            "This channel has no credentials: reconnect it.", code="channel_disconnected"
        )
    credentials = credentials_from_dict(crypto.decrypt_json(row.blob))
    # A provider whose access token runs out mid-call renews it through the channel's stored, locked
    # refresh (services.renew_channel_credentials), so every caller gets the same renewal for free.
    credentials.refresher = partial(_renew, channel)
    return credentials


def _renew(channel: Channel, stale: Credentials) -> Credentials:
    from .services import renew_channel_credentials

    return renew_channel_credentials(channel, stale=stale)


def available_providers() -> list[tuple[str, type[Provider]]]:
    """Networks whose connector is installed, in registry order."""
    out = []
    for key in REGISTRY:
        try:
            out.append((key, provider_class(key)))
        except (ImportError, AttributeError):
            continue
    return out


def networks_for(organization) -> list[tuple[str, type[Provider]]]:
    """The networks ``organization`` may connect (the Sandbox only where it is allowed)."""
    from .providers.sandbox import sandbox_allowed

    allowed = sandbox_allowed(organization)
    return [(key, cls) for key, cls in available_providers() if key != SANDBOX or allowed]


def provider_is_configured(key: str) -> bool:
    """Networks whose OAuth app must be registered by the operator need its client id and secret."""
    cls = provider_class(key)
    needs = getattr(
        cls, "needs_app_credentials", cls.capabilities.auth_kind in ("oauth2", "oauth2_pkce")
    )
    if not needs:
        return True
    conf = getattr(settings, "SOCIALOPS_PROVIDERS", {}).get(key, {})
    if cls.capabilities.auth_kind == "oauth2_pkce":  # a public client (PKCE) may have no secret
        return bool(conf.get("client_id"))
    return bool(conf.get("client_id") and conf.get("client_secret"))


def provider_names() -> dict[str, str]:
    names = {key: str(getattr(cls, "name", key)) for key, cls in available_providers()}
    return {key: names.get(key, key.title()) for key in REGISTRY}


def network_roles_pages() -> dict[str, str | None]:
    """Where each network's roles given outside the product are removed by hand: its page ("" for
    the channel's own page), or None where the network has no such roles (``Capabilities``)."""
    return {
        key: (cls.capabilities.roles_page if cls.capabilities.network_roles else None)
        for key, cls in available_providers()
    }


def network_marks() -> dict[str, str]:
    """Each installed network's short mark (``Capabilities.mark``), standing in for its logo."""
    return {key: cls.capabilities.mark for key, cls in available_providers()}


# --- The sandbox network's own pages ---------------------------------------------------------------


def get_sandbox_post_for_member(membership, external_id: str):
    """A sandbox post ("the network's page" for a published variant) of the member's organization,
    on a channel the member may see. Another organization's, a deleted one, one on a restricted
    channel the member has no grant on and a missing one are the same 404."""
    from .models import SandboxPost

    post = (
        SandboxPost.objects.for_org(membership.organization)
        .select_related("channel")
        .filter(external_id=str(external_id)[:64], deleted_at__isnull=True)
        .order_by("pk")
        .first()
    )
    if post is None or not can(membership, Capability.VIEW, post.channel):
        raise Http404("No such sandbox post.")
    return post


def sandbox_conversation(post, *, limit: int = 200):
    """The comments and replies under a sandbox post, oldest first (hidden ones included, marked)."""
    from .models import SandboxInteraction

    return (
        SandboxInteraction.objects.for_org(post.organization_id)
        .filter(
            post=post,
            deleted_at__isnull=True,
            kind__in=[SandboxInteraction.Kind.COMMENT, SandboxInteraction.Kind.REPLY],
        )
        .order_by("created_at", "pk")[:limit]
    )


def sandbox_post_organization(user, external_id: str):
    """The organization (among ``user``'s) whose sandbox post this is, or None: links published
    before the sandbox named the organization in its post URLs (``/sandbox/posts/<id>``)."""
    from accounts.selectors import organizations_of

    from .models import SandboxPost

    found = (
        SandboxPost.objects.filter(
            organization__in=organizations_of(user), external_id=str(external_id)[:64]
        )
        .select_related("organization")
        .order_by("pk")
        .first()
    )
    return found.organization if found else None


def restricted_channels(organization, *, with_archived: bool = True) -> QuerySet[Channel]:
    """The organization's restricted channels: only owners, admins and grantees see them."""
    qs = Channel.objects.for_org(organization).filter(access=Channel.Access.RESTRICTED)
    return qs if with_archived else qs.exclude(status=Channel.Status.ARCHIVED)


def channels_by_id_unscoped(channel_ids) -> dict[int, Channel]:
    """System work (webhook handlers, pollers): these channels by id, whatever their organization.
    The caller got the ids from a row that already names the organization (a delivery, a task)."""
    qs = Channel.objects.unscoped().select_related("organization").filter(pk__in=list(channel_ids))
    return {c.pk: c for c in qs}


def active_channel_ids_unscoped() -> list[int]:
    """A system sweep's view: every organization's active channels."""
    return list(
        Channel.objects.unscoped().filter(status=Channel.Status.ACTIVE).values_list("pk", flat=True)
    )


def channels_with_capability(membership, capability: str) -> QuerySet[Channel]:
    """The channels on which ``membership`` may use ``capability`` (``moderate``, ``publish`` …):
    the set ``can(membership, capability, channel)`` answers yes for, as one query. Owners and
    admins: every channel; a grant of the capability (or of channel admin) on a channel: that
    channel; the role's capability: every channel open to the organization."""
    from accounts.capabilities import role_grants

    qs = channels_of(membership.organization)
    ceiling = getattr(membership, "capability_ceiling", None)
    if not membership.is_active or (ceiling is not None and capability not in ceiling):
        return qs.none()
    if membership.role in (Role.OWNER, Role.ADMIN):
        return qs
    granted = (
        ChannelGrant.objects.for_org(membership.organization)
        .filter(Q(membership=membership) | Q(team_id__in=covering_team_ids(membership)))
        .filter(capability__in=[capability, Capability.MANAGE_CHANNELS])
        .values("channel_id")
    )
    if role_grants(membership.role, capability):
        return qs.filter(Q(access=Channel.Access.ORGANIZATION) | Q(pk__in=granted))
    return qs.filter(pk__in=granted)


def members_able_by_channel(organization, capability: str, channels) -> dict[int, set[int]]:
    """``{channel id: {membership id, …}}``: who may use ``capability`` on each of ``channels``.

    The same answer as ``can(membership, capability, channel)`` for every active member and every
    channel (owners and admins always; a grant of the capability or of channel admin, personal or
    through a team covering the member; the role's capability on a channel open to the
    organization), in a fixed number of queries whatever the number of channels and people: the
    active members with their teams, the team tree and the organization's grants. ``capability``
    is one a grant can carry (``GrantCapability``). Service accounts are not members: not counted.
    """
    from accounts.capabilities import role_grants
    from accounts.selectors import members_of, team_parents

    from .models import GrantCapability

    if capability not in GrantCapability.values:
        raise ValueError(f"{capability!r} is not a capability a channel grant carries")
    channels = list(channels)
    members = list(members_of(organization, include_inactive=False).filter(user__is_active=True))
    parents = team_parents(organization)
    covered_by_team: dict[int, set[int]] = {}
    for m in members:
        covering: set[int] = set()
        for team in m.teams.all():  # prefetched by members_of
            node = team.pk
            while node is not None and node not in covering:  # a team grant covers its subtree
                covering.add(node)
                node = parents.get(node)
        for team_id in covering:
            covered_by_team.setdefault(team_id, set()).add(m.pk)
    active_ids = {m.pk for m in members}
    channel_ids = {c.pk for c in channels}
    granted: dict[int, set[int]] = {}
    # a channel-admin grant carries every other grantable capability (models.GRANT_IMPLIES)
    for channel_id, membership_id, team_id in (
        ChannelGrant.objects.for_org(organization)
        .filter(capability__in=[capability, Capability.MANAGE_CHANNELS])
        .order_by()
        .values_list("channel_id", "membership_id", "team_id")
    ):
        if channel_id in channel_ids:
            holders = {membership_id} if membership_id else covered_by_team.get(team_id, set())
            granted.setdefault(channel_id, set()).update(holders & active_ids)
    always = {m.pk for m in members if m.role in (Role.OWNER, Role.ADMIN)}
    by_role = {m.pk for m in members if role_grants(m.role, capability)}
    out: dict[int, set[int]] = {}
    for channel in channels:
        able = always | granted.get(channel.pk, set())
        if channel.access == Channel.Access.ORGANIZATION:
            able = able | by_role
        out[channel.pk] = able
    return out


def members_with_capability(channel: Channel, capability: str, memberships) -> set[int]:
    """The ids of ``memberships`` (their ``teams`` prefetched) who may use ``capability`` on
    ``channel``, as ``channels_with_capability`` decides, in one query whatever their number
    (the inbox's round-robin asks this of a team's members for each delivery)."""
    from accounts.capabilities import role_grants
    from accounts.selectors import team_parents

    grants = list(
        ChannelGrant.objects.for_org(channel.organization_id)
        .filter(channel=channel, capability__in=[capability, Capability.MANAGE_CHANNELS])
        .values_list("membership_id", "team_id")
    )
    by_member = {m for m, _t in grants if m is not None}
    by_team = {t for _m, t in grants if t is not None}
    parents = team_parents(channel.organization_id) if by_team else {}
    out: set[int] = set()
    for m in memberships:
        ceiling = getattr(m, "capability_ceiling", None)
        if not m.is_active or (ceiling is not None and capability not in ceiling):
            continue
        if m.role in (Role.OWNER, Role.ADMIN) or m.pk in by_member:
            out.add(m.pk)
        elif role_grants(m.role, capability) and channel.access == Channel.Access.ORGANIZATION:
            out.add(m.pk)
        elif by_team:
            for team in m.teams.all():
                node = team.pk
                while node is not None and node not in by_team:
                    node = parents.get(node)
                if node is not None:
                    out.add(m.pk)
                    break
    return out


#: where a member's capability on a channel comes from (:func:`effective_access`)
FROM_ROLE = "role"
FROM_PERSON = "person"
FROM_TEAM = "team"


def effective_access(organization, members, channels) -> dict[int, dict[int, dict[str, str]]]:
    """``{membership id: {channel id: {capability: source}}}`` for every grantable capability.

    The same answer as ``can(membership, capability, channel)`` for each of ``members`` (their
    ``teams`` prefetched, as ``members_of`` gives them) and ``channels`` (``GrantCapability``
    values only), with where it comes from: ``role`` (owners and admins everywhere; the role's
    capability on a channel open to the organization), ``person`` (a grant held in person, or the
    capabilities a channel-admin grant carries) or ``team`` (a grant to a team covering them).
    Two queries whatever the number of people and channels (the team tree and the grants);
    channels and capabilities a member has no access to are left out.
    """
    from accounts.capabilities import role_grants
    from accounts.selectors import team_parents

    from .models import GRANT_IMPLIES, GrantCapability

    capabilities = list(GrantCapability.values)
    members = list(members)
    channels = list(channels)
    channel_ids = {c.pk for c in channels}
    parents = team_parents(organization)
    covering_of: dict[int, set[int]] = {}
    for m in members:
        covering: set[int] = set()
        for team in m.teams.all():
            node = team.pk
            while node is not None and node not in covering:
                covering.add(node)
                node = parents.get(node)
        covering_of[m.pk] = covering
    personal: dict[tuple[int, int], set[str]] = {}
    by_team: dict[tuple[int, int], set[str]] = {}
    for channel_id, membership_id, team_id, capability in (
        ChannelGrant.objects.for_org(organization)
        .order_by()
        .values_list("channel_id", "membership_id", "team_id", "capability")
    ):
        if channel_id not in channel_ids:
            continue
        if membership_id is not None:
            personal.setdefault((membership_id, channel_id), set()).add(capability)
        else:
            by_team.setdefault((team_id, channel_id), set()).add(capability)
    team_channels: dict[int, list[tuple[int, set[str]]]] = {}
    for (team_id, channel_id), caps in by_team.items():
        team_channels.setdefault(team_id, []).append((channel_id, caps))

    def widened(caps: set[str]) -> set[str]:
        return caps | set(GRANT_IMPLIES) if Capability.MANAGE_CHANNELS in caps else caps

    out: dict[int, dict[int, dict[str, str]]] = {}
    for m in members:
        rows: dict[int, dict[str, str]] = {}
        if not m.is_active:
            out[m.pk] = rows
            continue
        everywhere = m.role in (Role.OWNER, Role.ADMIN)
        by_role = [c for c in capabilities if role_grants(m.role, c)]
        from_team: dict[int, set[str]] = {}
        for team_id in covering_of[m.pk]:
            for channel_id, caps in team_channels.get(team_id, ()):
                from_team.setdefault(channel_id, set()).update(caps)
        for channel in channels:
            caps: dict[str, str] = {}
            if everywhere:
                caps = dict.fromkeys(capabilities, FROM_ROLE)
            else:
                mine = widened(personal.get((m.pk, channel.pk), set()))
                teams = widened(from_team.get(channel.pk, set()))
                for c in capabilities:
                    if c in mine:
                        caps[c] = FROM_PERSON
                    elif c in teams:
                        caps[c] = FROM_TEAM
                    elif channel.access == Channel.Access.ORGANIZATION and c in by_role:
                        caps[c] = FROM_ROLE
            if caps:
                rows[channel.pk] = caps
        out[m.pk] = rows
    return out


def team_grants_in(organization, *, channels) -> QuerySet[ChannelGrant]:
    """The grants to teams on ``channels`` (a queryset or id list): an access review shows the people
    they cover, each with the team that brings it."""
    return (
        ChannelGrant.objects.for_org(organization)
        .filter(team__isnull=False, channel__in=channels)
        .order_by("team_id", "channel_id", "capability", "pk")
    )


def personal_grants_in(organization, *, channels, members) -> QuerySet[ChannelGrant]:
    """The grants ``members`` hold in person on ``channels`` (querysets or id lists), oldest first:
    what an access review puts in front of a reviewer."""
    return (
        ChannelGrant.objects.for_org(organization)
        .filter(membership__in=members, channel__in=channels)
        .order_by("membership_id", "channel_id", "capability", "pk")
    )
