"""Reads that other apps and the views use. Every tenant read names the organization first."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from .models import ApiToken, Invitation, Membership, Organization, Team, User


def all_organizations() -> QuerySet[Organization]:
    return Organization.objects.all()


def organizations_of(user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(
        pk__in=Membership.objects.unscoped()
        .filter(user=user, is_active=True)
        .values("organization_id")
    ).order_by("name")


def first_joined_organization_slug(user: User) -> str | None:
    """The slug of the organization ``user`` joined first among those they are active in."""
    return (
        Membership.objects.unscoped()
        .filter(user=user, is_active=True)
        .order_by("pk")
        .values_list("organization__slug", flat=True)
        .first()
    )


def membership_for(user: User, organization: Organization) -> Membership | None:
    if not user.is_authenticated:
        return None
    # Every page of an organization runs this. One row at most (unique on organization and
    # user): no sort, and the organization is the one in hand, not read again by a join.
    found = list(
        Membership.objects.for_org(organization)
        .select_related("user")
        .filter(user=user, is_active=True)
        .order_by()[:1]
    )
    if not found:
        return None
    found[0].organization = organization
    return found[0]


def members_of(
    organization: Organization, *, include_inactive: bool = True
) -> QuerySet[Membership]:
    qs = Membership.objects.for_org(organization).select_related("user").prefetch_related("teams")
    return qs if include_inactive else qs.filter(is_active=True)


def teams_of(organization: Organization) -> QuerySet[Team]:
    return Team.objects.for_org(organization).select_related("parent")


def team_tree(organization: Organization) -> list[tuple[Team, int]]:
    """Teams in depth-first order with their depth, from one query."""
    teams = list(Team.objects.for_org(organization).order_by("name"))
    children: dict[int | None, list[Team]] = {}
    for team in teams:
        children.setdefault(team.parent_id, []).append(team)
    out: list[tuple[Team, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for team in children.get(parent_id, []):
            out.append((team, depth))
            walk(team.pk, depth + 1)

    walk(None, 0)
    return out


def subtree_of(parent_of: dict[int, int | None], roots) -> set[int]:
    """``roots`` and every team below them, given the organization's ``{team id: parent id}`` map.

    The one walk of the team tree: pages, freezes, visibility and the calendar all use it (pass
    the map when a caller asks many times, e.g. ``TeamTree`` in the calendar).
    """
    children: dict[int | None, list[int]] = {}
    for pk, parent in parent_of.items():
        children.setdefault(parent, []).append(pk)
    out: set[int] = set()
    stack = [r for r in roots if r is not None]
    while stack:
        node = stack.pop()
        if node in out:
            continue
        out.add(node)
        stack.extend(children.get(node, ()))
    return out


def team_parents(organization: Organization) -> dict[int, int | None]:
    """``{team id: parent id}`` for the whole organization, in one query."""
    return dict(Team.objects.for_org(organization).order_by().values_list("pk", "parent_id"))


def team_subtree_ids(organization: Organization, team: Team) -> set[int]:
    return subtree_of(team_parents(organization), [team.pk])


def invitations_of(organization: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.for_org(organization).select_related("team", "invited_by")


def pending_invitations_of(organization: Organization) -> QuerySet[Invitation]:
    """Open and unexpired (the same rule as ``Invitation.status == PENDING``, in the database)."""
    return invitations_of(organization).filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def tokens_of(membership: Membership) -> QuerySet[ApiToken]:
    return ApiToken.objects.for_org(membership.organization_id).filter(membership=membership)


def sessions_of(user: User) -> list:
    """The person's signed-in sessions on every device (allauth.usersessions' index), live ones only."""
    from allauth.usersessions.models import UserSession

    return list(UserSession.objects.filter(user_id=user.pk).order_by("-last_seen_at"))


def notification_preferences_of(membership: Membership):
    from .models import NotificationPreference

    return NotificationPreference.objects.for_org(membership.organization_id).filter(
        user_id=membership.user_id
    )


# --- Per-object accessors: another organization's object and a missing one are the same 404.


def get_team(organization: Organization, team_id: int) -> Team:
    team = Team.objects.for_org(organization).filter(pk=team_id).first()
    if team is None:
        raise Http404("No such team.")
    return team


def get_membership(organization: Organization, membership_id: int) -> Membership:
    m = (
        Membership.objects.for_org(organization)
        .select_related("user")
        .filter(pk=membership_id)
        .first()
    )
    if m is None:
        raise Http404("No such member.")
    return m


def get_invitation(organization: Organization, invitation_id: int) -> Invitation:
    inv = Invitation.objects.for_org(organization).filter(pk=invitation_id).first()
    if inv is None:
        raise Http404("No such invitation.")
    return inv


def get_token(membership: Membership, token_id: int) -> ApiToken:
    token = tokens_of(membership).filter(pk=token_id).first()
    if token is None:
        raise Http404("No such token.")
    return token
