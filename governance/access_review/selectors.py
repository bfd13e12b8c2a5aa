"""Access reviews' reads: the access matrix, a campaign's scope (who reviews what) and the campaigns.

The matrix and the scope are built from the other apps' selectors in a fixed number of queries
whatever the number of people and channels (tests/governance pins the counts):
``channels_registry.selectors.effective_access`` answers, for each person and channel, every
capability with where it comes from (the role, a grant in person, a grant to a team).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts import selectors as accounts_selectors
from accounts.capabilities import Capability, Role, can
from accounts.models import Membership
from channels_registry import selectors as channels_selectors
from channels_registry.models import Channel, GrantCapability

from .models import ReviewCampaign, ReviewItem

#: people a page of the matrix shows
MATRIX_PAGE = 25
#: reviewers are reminded from this many days before the due date (and every day after it)
REMIND_DAYS = 3

SOURCES = {
    channels_selectors.FROM_ROLE: "role",
    channels_selectors.FROM_PERSON: "person",
    channels_selectors.FROM_TEAM: "team",
}


# --- The matrix ------------------------------------------------------------------------------------


@dataclass
class MatrixFilters:
    team: object = None  # accounts.Team: people in it or its sub-teams
    network: str = ""  # a provider key: that network's channels only
    role: str = ""  # people with this role only


@dataclass
class ChannelAccess:
    channel: Channel
    #: (capability, source) in GrantCapability order; source: role, person or team
    capabilities: list[tuple[str, str]]

    @property
    def granted(self) -> bool:
        return any(source != "role" for _c, source in self.capabilities)

    @property
    def labelled(self) -> list[tuple[str, str, str]]:
        """(capability, its name, source) for templates."""
        return [(c, str(GrantCapability(c).label), s) for c, s in self.capabilities]


@dataclass
class PersonAccess:
    membership: Membership
    channels: list[ChannelAccess] = field(default_factory=list)

    @property
    def everywhere(self) -> bool:
        """Owners and admins: every capability on every channel, by their role."""
        return self.membership.role in (Role.OWNER, Role.ADMIN)

    @property
    def granted(self) -> list[ChannelAccess]:
        """Channels on which some capability comes from a grant (in person or through a team)."""
        return [c for c in self.channels if c.granted]

    @property
    def by_role(self) -> list[ChannelAccess]:
        return [c for c in self.channels if not c.granted]

    @property
    def role_capabilities(self) -> list[str]:
        """The names of the capabilities the role alone gives on the channels under ``by_role``."""
        seen = {cap for c in self.by_role for cap, _s in c.capabilities}
        return [str(GrantCapability(c).label) for c in GrantCapability.values if c in seen]


def live_channels(organization, *, networks=()) -> QuerySet[Channel]:
    """The channels access is reviewed on: every one not archived (retired), of ``networks`` if given."""
    qs = channels_selectors.channels_of(organization).exclude(status=Channel.Status.ARCHIVED)
    return qs.filter(provider__in=list(networks)) if networks else qs


def matrix_people(organization, filters: MatrixFilters) -> QuerySet[Membership]:
    """Active people the matrix lists, by name (their teams prefetched)."""
    qs = accounts_selectors.members_of(organization, include_inactive=False).filter(
        user__is_active=True
    )
    if filters.role:
        qs = qs.filter(role=filters.role)
    if filters.team is not None:
        subtree = accounts_selectors.team_subtree_ids(organization, filters.team)
        qs = qs.filter(pk__in=Membership.objects.for_org(organization).filter(teams__in=subtree))
    return qs.order_by("user__full_name", "user__email", "pk")


def access_of(organization, people, channels) -> list[PersonAccess]:
    """Each of ``people`` (a list) with their access on each of ``channels`` (a list)."""
    access = channels_selectors.effective_access(organization, people, channels)
    order = list(GrantCapability.values)
    out = []
    for person in people:
        rows = access.get(person.pk, {})
        out.append(
            PersonAccess(
                person,
                [
                    ChannelAccess(
                        channel,
                        [
                            (cap, SOURCES[rows[channel.pk][cap]])
                            for cap in order
                            if cap in rows[channel.pk]
                        ],
                    )
                    for channel in channels
                    if channel.pk in rows
                ],
            )
        )
    return out


# --- A campaign's scope -------------------------------------------------------------------------


@dataclass
class ScopeItem:
    membership: Membership
    channel: Channel
    #: held in person
    capabilities: list[str]
    reviewer: Membership | None
    #: through a grant to one of their teams (or a team above it)
    team_capabilities: list[str] = field(default_factory=list)
    #: their own teams that bring ``team_capabilities``: ``[{"id", "name"}]``
    via_teams: list[dict] = field(default_factory=list)


@dataclass
class ReviewScope:
    items: list[ScopeItem] = field(default_factory=list)

    @property
    def without_reviewer(self) -> list[Membership]:
        seen: dict[int, Membership] = {}
        for item in self.items:
            if item.reviewer is None:
                seen.setdefault(item.membership.pk, item.membership)
        return list(seen.values())

    @property
    def reviewers(self) -> list[Membership]:
        seen: dict[int, Membership] = {}
        for item in self.items:
            if item.reviewer is not None:
                seen.setdefault(item.reviewer.pk, item.reviewer)
        return list(seen.values())


def review_scope(organization, *, team=None, networks=(), starter=None) -> ReviewScope:
    """Every person × channel on which an active person in scope holds grants in person or through
    a team (a grant to one of their teams or a team above it; owners and admins aside), with
    its reviewer: the lead of the person's team (their teams inside the scope first; a team
    without a usable lead hands over to its parent's), else an owner or admin (the campaign's
    starter first). Nobody reviews their own access. Seven queries whatever the size."""
    members = list(
        accounts_selectors.members_of(organization, include_inactive=False)
        .filter(user__is_active=True)
        .order_by("user__full_name", "user__email", "pk")
    )
    by_id = {m.pk: m for m in members}
    teams = {t.pk: t for t in accounts_selectors.teams_of(organization).order_by("name", "pk")}
    parents = {pk: t.parent_id for pk, t in teams.items()}
    subtree = accounts_selectors.subtree_of(parents, [team.pk]) if team is not None else set(teams)
    people = [m for m in members if team is None or any(t.pk in subtree for t in m.teams.all())]
    channels = {c.pk: c for c in live_channels(organization, networks=networks)}
    grants: dict[tuple[int, int], list[str]] = {}
    people_ids = {m.pk for m in people}
    for grant in channels_selectors.personal_grants_in(
        organization, channels=list(channels), members=list(people_ids)
    ).only("membership_id", "channel_id", "capability"):
        grants.setdefault((grant.membership_id, grant.channel_id), []).append(grant.capability)
    # Grants to teams: each person in scope (but owners and admins, who have everything by their
    # role) is covered by those of their own teams and of the teams above them.
    by_team: dict[int, dict[int, set[str]]] = {}
    for grant in channels_selectors.team_grants_in(organization, channels=list(channels)).only(
        "team_id", "channel_id", "capability"
    ):
        by_team.setdefault(grant.team_id, {}).setdefault(grant.channel_id, set()).add(
            grant.capability
        )
    through: dict[tuple[int, int], tuple[set[str], dict[int, str]]] = {}
    for m in people:
        if m.role in (Role.OWNER, Role.ADMIN) or not by_team:
            continue
        for own in m.teams.all():
            node, seen = own.pk, set()
            while node is not None and node not in seen:
                seen.add(node)
                for channel_id, caps in by_team.get(node, {}).items():
                    caps_of, via = through.setdefault((m.pk, channel_id), (set(), {}))
                    caps_of.update(caps)
                    via[own.pk] = own.name
                node = parents.get(node)
    for key in through:
        grants.setdefault(key, [])
    admins = [m for m in members if m.role in (Role.OWNER, Role.ADMIN)]
    if starter is not None and starter.pk in by_id and starter in admins:
        admins.remove(starter)
        admins.insert(0, starter)

    def reviewer_for(person: Membership) -> Membership | None:
        own = sorted(person.teams.all(), key=lambda t: (t.pk not in subtree, t.name, t.pk))
        for start in own:
            node = start.pk
            seen: set[int] = set()
            while node is not None and node not in seen:
                seen.add(node)
                lead_id = teams[node].lead_id if node in teams else None
                if lead_id is not None and lead_id != person.pk and lead_id in by_id:
                    return by_id[lead_id]
                node = parents.get(node)
        return next((a for a in admins if a.pk != person.pk), None)

    position = {m.pk: i for i, m in enumerate(people)}
    scope = ReviewScope()
    reviewers: dict[int, Membership | None] = {}
    for (membership_id, channel_id), caps in sorted(
        grants.items(),
        key=lambda kv: (
            position[kv[0][0]],
            channels[kv[0][1]].name.lower(),
            kv[0][1],
        ),
    ):
        person = by_id[membership_id]
        if membership_id not in reviewers:
            reviewers[membership_id] = reviewer_for(person)
        order = [c for c in GrantCapability.values if c in caps]
        team_caps, via = through.get((membership_id, channel_id), (set(), {}))
        scope.items.append(
            ScopeItem(
                person,
                channels[channel_id],
                order,
                reviewers[membership_id],
                team_capabilities=[c for c in GrantCapability.values if c in team_caps],
                via_teams=[
                    {"id": pk, "name": name}
                    for pk, name in sorted(via.items(), key=lambda kv: (kv[1], kv[0]))
                ],
            )
        )
    return scope


# --- Campaigns ----------------------------------------------------------------------------------


def campaigns_of(organization) -> QuerySet[ReviewCampaign]:
    return ReviewCampaign.objects.for_org(organization).annotate(
        item_count=Count("items"),
        pending_count=Count("items", filter=Q(items__decision=ReviewItem.Decision.PENDING)),
    )


def campaigns_for_member(membership) -> QuerySet[ReviewCampaign]:
    """All campaigns for whoever manages governance; otherwise those the member reviews items of."""
    qs = campaigns_of(membership.organization)
    if can(membership, Capability.MANAGE_GOVERNANCE):
        return qs
    mine = ReviewItem.objects.for_org(membership.organization).filter(reviewer=membership)
    return qs.filter(pk__in=mine.values("campaign_id"))


def get_campaign(organization, campaign_id) -> ReviewCampaign:
    """Another organization's campaign and a missing one are the same 404."""
    try:
        campaign_id = int(campaign_id)
    except (TypeError, ValueError):
        raise Http404("No such review.") from None
    campaign = campaigns_of(organization).select_related("team").filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such review.")
    return campaign


def get_campaign_for_member(membership, campaign_id) -> ReviewCampaign:
    """A campaign the member manages (governance) or reviews items of; any other is a 404."""
    try:
        campaign_id = int(campaign_id)
    except (TypeError, ValueError):
        raise Http404("No such review.") from None
    campaign = campaigns_for_member(membership).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("No such review.")
    return campaign


def items_of(campaign: ReviewCampaign) -> QuerySet[ReviewItem]:
    return (
        ReviewItem.objects.for_org(campaign.organization_id)
        .filter(campaign=campaign)
        .select_related("membership__user", "channel", "reviewer__user", "decided_by")
        .order_by("membership__user__full_name", "membership__user__email", "channel__name", "pk")
    )


def items_for_member(campaign: ReviewCampaign, membership) -> QuerySet[ReviewItem]:
    """What ``membership`` sees of a campaign's items: all of them with governance, else their own."""
    qs = items_of(campaign)
    if can(membership, Capability.MANAGE_GOVERNANCE):
        return qs
    return qs.filter(reviewer=membership)


def reviewer_progress(campaign: ReviewCampaign) -> list[dict]:
    """Per reviewer: how many items they have and how many still wait, most waiting first."""
    rows = (
        ReviewItem.objects.for_org(campaign.organization_id)
        .filter(campaign=campaign)
        .values("reviewer_id", "reviewer__user__full_name", "reviewer__user__email")
        .annotate(
            total=Count("pk"),
            pending=Count("pk", filter=Q(decision=ReviewItem.Decision.PENDING)),
        )
        .order_by("-pending", "reviewer__user__full_name", "reviewer_id")
    )
    return [
        {
            "reviewer_id": r["reviewer_id"],
            "name": r["reviewer__user__full_name"] or r["reviewer__user__email"] or "—",
            "total": r["total"],
            "pending": r["pending"],
        }
        for r in rows
    ]


def today_in(organization) -> date:
    """Today on the organization's clock (due dates are its days)."""
    try:
        zone = zoneinfo.ZoneInfo(organization.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return timezone.now().astimezone(zone).date()


def campaigns_to_remind_unscoped(*, on: date) -> QuerySet[ReviewCampaign]:
    """System sweep: every organization's open campaigns due within ``REMIND_DAYS`` of ``on`` (or
    overdue) that still have pending items. The caller checks each against its organization's day."""
    from datetime import timedelta

    return (
        ReviewCampaign.objects.unscoped()
        .select_related("organization")
        .filter(
            status=ReviewCampaign.Status.OPEN,
            due_on__lte=on + timedelta(days=REMIND_DAYS + 1),
            items__decision=ReviewItem.Decision.PENDING,
        )
        .distinct()
        .order_by("pk")
    )


def pending_by_reviewer(campaign: ReviewCampaign) -> dict[int, int]:
    """``{reviewer membership id: pending items}`` for one campaign."""
    return dict(
        ReviewItem.objects.for_org(campaign.organization_id)
        .filter(campaign=campaign, decision=ReviewItem.Decision.PENDING, reviewer__isnull=False)
        .values("reviewer_id")
        .annotate(n=Count("pk"))
        .values_list("reviewer_id", "n")
    )


def person_label(user) -> str:
    """ "Name <e-mail>" (or the e-mail alone), as evidence names people: names, not ids."""
    if user is None:
        return ""
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{name} <{user.email}>" if name else user.email


def evidence_row(item: ReviewItem) -> dict:
    """One item as the evidence keeps it (``items_of`` rows: their people and channel loaded)."""
    return {
        "item": item.pk,
        "person": person_label(item.membership.user),
        "channel": item.channel.name or item.channel.handle,
        "handle": item.channel.handle,
        "network": item.channel.provider,
        "capabilities": list(item.capabilities),
        "reviewer": person_label(item.reviewer.user) if item.reviewer else "",
        "decision": item.decision,
        "decided_by": person_label(item.decided_by),
        "decided_at": item.decided_at.isoformat() if item.decided_at else "",
        "note": item.note,
        "revoked": list(item.revoked),
        "team_capabilities": list(item.team_capabilities),
        "via_teams": [t["name"] for t in item.via_teams],
        "left_teams": list(item.left_teams),
    }


def evidence_of(campaign: ReviewCampaign) -> list[dict]:
    """A closed campaign's stored result; an open one's items as they stand now."""
    if not campaign.is_open:
        return list(campaign.result.get("items", []))
    return [evidence_row(item) for item in items_of(campaign)]


# --- Handing a departing reviewer's items over -------------------------------------------------


@dataclass
class Handover:
    item: ReviewItem
    #: the new reviewer (None: nobody else can review it)
    to: Membership | None


def reviewer_handover(organization, leaving_ids, *, runner=None) -> list[Handover]:
    """Where the pending items of open campaigns reviewed by ``leaving_ids`` go, item by item.

    The next lead up the reviewed person's team tree (a lead who is not leaving and is not the
    person), else the admin who started the campaign, else ``runner`` (the admin offboarding them),
    else another owner or admin; nobody reviews their own access. Four queries whatever the size.
    """
    leaving_ids = set(leaving_ids)
    if not leaving_ids:
        return []
    items = list(
        ReviewItem.objects.for_org(organization)
        .filter(
            campaign__status=ReviewCampaign.Status.OPEN,
            decision=ReviewItem.Decision.PENDING,
            reviewer_id__in=leaving_ids,
        )
        .select_related("campaign", "membership__user", "channel", "reviewer__user")
        .prefetch_related("membership__teams")
        .order_by("campaign_id", "pk")
    )
    if not items:
        return []
    members = {
        m.pk: m
        for m in accounts_selectors.members_of(organization, include_inactive=False).filter(
            user__is_active=True
        )
        if m.pk not in leaving_ids
    }
    by_user = {m.user_id: m for m in members.values()}
    teams = {t.pk: t for t in accounts_selectors.teams_of(organization)}
    parents = {pk: t.parent_id for pk, t in teams.items()}
    admins = sorted(
        (m for m in members.values() if m.role in (Role.OWNER, Role.ADMIN)),
        key=lambda m: (m.role != Role.OWNER, m.pk),
    )

    def lead_above(person: Membership) -> Membership | None:
        for start in sorted(person.teams.all(), key=lambda t: (t.name, t.pk)):
            node, seen = start.pk, set()
            while node is not None and node not in seen:
                seen.add(node)
                lead_id = teams[node].lead_id if node in teams else None
                if lead_id in members and lead_id != person.pk:
                    return members[lead_id]
                node = parents.get(node)
        return None

    def target(item: ReviewItem) -> Membership | None:
        person = item.membership
        candidates = [
            lead_above(person),
            by_user.get(item.campaign.started_by_id),
            members.get(getattr(runner, "pk", None)),
            *admins,
        ]
        return next((c for c in candidates if c is not None and c.pk != person.pk), None)

    return [Handover(item, target(item)) for item in items]


def departed_reviewer_ids(campaign: ReviewCampaign) -> set[int]:
    """Reviewers of ``campaign``'s pending items who are no longer active members."""
    return set(
        ReviewItem.objects.for_org(campaign.organization_id)
        .filter(campaign=campaign, decision=ReviewItem.Decision.PENDING)
        .filter(Q(reviewer__is_active=False) | Q(reviewer__user__is_active=False))
        .values_list("reviewer_id", flat=True)
        .distinct()
    )


def campaigns_with_departed_reviewers_unscoped() -> QuerySet[ReviewCampaign]:
    """System sweep: open campaigns with pending items whose reviewer has left (deactivated
    outside offboarding, e.g. on the members page or by the identity provider)."""
    return (
        ReviewCampaign.objects.unscoped()
        .filter(
            Q(items__decision=ReviewItem.Decision.PENDING)
            & (Q(items__reviewer__is_active=False) | Q(items__reviewer__user__is_active=False)),
            status=ReviewCampaign.Status.OPEN,
        )
        .distinct()
        .order_by("pk")
    )
