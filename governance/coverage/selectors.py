"""Coverage gaps: where one absence (a holiday, a departure, an expired token) stops the work.

:func:`coverage_report` reads through the other apps' selectors only, in a fixed number of queries
whatever the number of channels, people, teams and workflows (tests/governance pins the count):

- channels fewer than two people can administer (``manage_channels`` on that channel, as
  ``accounts.capabilities.can`` answers it: roles, grants, team grants, restricted channels);
- approval stages of active workflows without a backup approver (or whose backup left);
- people who are the only administrator of many channels;
- channels whose token expires within a week, or that need to be reconnected;
- teams in which nobody may publish to the team's channels (to any channel, for a team without).

Archived channels are retired: they are in none of the lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from accounts import selectors as account_selectors
from accounts.capabilities import Capability
from approvals import selectors as approval_selectors
from channels_registry import selectors as channel_selectors
from channels_registry.models import Channel

#: a token that runs out within this long is listed (a refresh may still renew it; many cannot)
EXPIRY_WINDOW = timedelta(days=7)
#: "the only admin of many channels": this many or more
SOLE_ADMIN_MANY = 3
#: fewer administrators than this is a gap
MIN_ADMINS = 2


@dataclass
class ChannelGap:
    channel: object
    admins: list  # memberships, at most MIN_ADMINS - 1


@dataclass
class StageGap:
    workflow: object
    stage: object
    reason: str  # "none" (no backup) or "inactive" (the backup left)


@dataclass
class SoleAdmin:
    membership: object
    channels: list


@dataclass
class TokenGap:
    channel: object
    reason: str  # "needs_reauth" or "expires"
    expires_at: datetime | None = None


@dataclass
class TeamGap:
    team: object
    members: int
    channels: int


@dataclass
class CoverageReport:
    channels: list[ChannelGap] = field(default_factory=list)
    stages: list[StageGap] = field(default_factory=list)
    sole_admins: list[SoleAdmin] = field(default_factory=list)
    tokens: list[TokenGap] = field(default_factory=list)
    teams: list[TeamGap] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "channels": len(self.channels),
            "stages": len(self.stages),
            "sole_admins": len(self.sole_admins),
            "tokens": len(self.tokens),
            "teams": len(self.teams),
        }

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _live_channels(organization) -> list:
    archived = Channel.Status.ARCHIVED
    return [c for c in channel_selectors.channels_of(organization) if c.status != archived]


def coverage_report(
    organization, *, now: datetime | None = None, sole_admin_many: int = SOLE_ADMIN_MANY
) -> CoverageReport:
    now = now or timezone.now()
    report = CoverageReport()
    channels = _live_channels(organization)
    members = {
        m.pk: m
        for m in account_selectors.members_of(organization, include_inactive=False)
        if m.user.is_active
    }
    admins = channel_selectors.members_able_by_channel(
        organization, Capability.MANAGE_CHANNELS, channels
    )
    publishers = channel_selectors.members_able_by_channel(
        organization, Capability.PUBLISH, channels
    )

    sole: dict[int, list] = {}
    for channel in channels:
        able = admins.get(channel.pk, set())
        if len(able) < MIN_ADMINS:
            people = sorted((members[pk] for pk in able if pk in members), key=_person_key)
            report.channels.append(ChannelGap(channel, people))
        if len(able) == 1:
            sole.setdefault(next(iter(able)), []).append(channel)
    for pk, owned in sole.items():
        if len(owned) >= sole_admin_many and pk in members:
            report.sole_admins.append(SoleAdmin(members[pk], owned))
    report.sole_admins.sort(key=lambda s: (-len(s.channels), _person_key(s.membership)))

    for workflow in approval_selectors.workflows_with_stages(organization):
        if not workflow.is_active:
            continue
        for stage in workflow.stages.all():
            backup = stage.backup_approver
            if backup is None:
                report.stages.append(StageGap(workflow, stage, "none"))
            elif not (backup.is_active and backup.user.is_active):
                report.stages.append(StageGap(workflow, stage, "inactive"))

    soon = now + EXPIRY_WINDOW
    Status = Channel.Status
    for channel in channels:
        if channel.status == Status.NEEDS_REAUTH:
            report.tokens.append(TokenGap(channel, "needs_reauth", channel.token_expires_at))
        elif (
            channel.status == Status.ACTIVE
            and channel.token_expires_at is not None
            and channel.token_expires_at <= soon
        ):
            report.tokens.append(TokenGap(channel, "expires", channel.token_expires_at))
    report.tokens.sort(key=lambda t: (t.reason != "needs_reauth", t.expires_at or now))

    report.teams = _teams_without_publisher(organization, channels, members, publishers)
    return report


def _teams_without_publisher(organization, channels, members, publishers) -> list[TeamGap]:
    parents = account_selectors.team_parents(organization)
    in_team: dict[int, set[int]] = {}
    for m in members.values():
        for team in m.teams.all():
            in_team.setdefault(team.pk, set()).add(m.pk)
    gaps = []
    for team, _depth in account_selectors.team_tree(organization):
        subtree = account_selectors.subtree_of(parents, [team.pk])
        people: set[int] = set()
        for team_id in subtree:
            people |= in_team.get(team_id, set())
        own = [c for c in channels if c.team_id in subtree]
        able: set[int] = set()
        for channel in own or channels:
            able |= publishers.get(channel.pk, set())
        if not people & able:
            gaps.append(TeamGap(team, len(people), len(own)))
    return gaps


def _person_key(membership) -> tuple:
    user = membership.user
    return ((user.full_name or user.email).lower(), membership.pk)
