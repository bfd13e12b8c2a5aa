"""Coverage, rule 5: teams in which nobody may publish to the team's channels."""

from __future__ import annotations

import pytest

from accounts.capabilities import Role
from channels_registry.models import Channel
from governance.coverage.selectors import coverage_report
from tests import factories as f

from .coverage_factories import channel, grant, person

pytestmark = pytest.mark.django_db


def _team_gaps(org):
    return {g.team.name for g in coverage_report(org).teams}


def test_a_team_of_contributors_is_listed_and_a_publisher_takes_it_off(org_a, alice_m):
    team = f.make_team(org_a, "Jakarta")
    channel(org_a, "kitchen", team=team)
    person(org_a, Role.CONTRIBUTOR, teams=[team])
    assert _team_gaps(org_a) == {"Jakarta"}
    person(org_a, Role.PUBLISHER, teams=[team])
    assert _team_gaps(org_a) == set()


def test_an_empty_team_is_listed(org_a, alice_m):
    f.make_team(org_a, "Nobody here")
    assert _team_gaps(org_a) == {"Nobody here"}


def test_a_publisher_who_cannot_reach_the_restricted_team_channel_does_not_count(org_a, alice_m):
    team = f.make_team(org_a, "Secret ops")
    secret = channel(org_a, "secret", team=team, access=Channel.Access.RESTRICTED)
    member = person(org_a, Role.PUBLISHER, teams=[team])
    assert _team_gaps(org_a) == {"Secret ops"}
    grant(secret, alice_m, "publish", membership=member)
    assert _team_gaps(org_a) == set()


def test_a_publisher_in_a_sub_team_covers_the_parent_team(org_a, alice_m):
    region = f.make_team(org_a, "Region")
    city = f.make_team(org_a, "City", parent=region)
    channel(org_a, "regional", team=region)
    person(org_a, Role.PUBLISHER, teams=[city])
    assert _team_gaps(org_a) == set()
