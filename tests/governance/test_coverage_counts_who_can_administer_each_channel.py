"""Coverage, rule 1: channels fewer than two people can administer, counted as can() answers."""

from __future__ import annotations

import pytest

from accounts.capabilities import Capability, Role, can
from channels_registry.models import Channel
from channels_registry.selectors import members_able_by_channel
from governance.coverage.selectors import coverage_report
from tests import factories as f

from .coverage_factories import channel, deactivate, grant, person

pytestmark = pytest.mark.django_db


def _gap_ids(org):
    return {g.channel.pk for g in coverage_report(org).channels}


def test_a_channel_only_the_owner_can_administer_is_a_gap(org_a, alice_m):
    kitchen = channel(org_a, "kitchen")
    (gap,) = coverage_report(org_a).channels
    assert gap.channel == kitchen
    assert [m.pk for m in gap.admins] == [alice_m.pk]


def test_a_second_admin_closes_the_gap(org_a, alice_m):
    kitchen = channel(org_a, "kitchen")
    person(org_a, Role.ADMIN)
    assert kitchen.pk not in _gap_ids(org_a)


def test_a_manager_administers_open_channels_but_not_restricted_ones(org_a, alice_m):
    open_channel = channel(org_a, "open")
    restricted = channel(org_a, "secret", access=Channel.Access.RESTRICTED)
    person(org_a, Role.MANAGER)
    gaps = _gap_ids(org_a)
    assert open_channel.pk not in gaps
    assert restricted.pk in gaps


def test_a_channel_admin_grant_counts_and_a_publish_grant_does_not(org_a, alice_m):
    restricted = channel(org_a, "secret", access=Channel.Access.RESTRICTED)
    viewer = person(org_a, Role.VIEWER)
    grant(restricted, alice_m, "publish", membership=viewer)
    assert restricted.pk in _gap_ids(org_a)
    grant(restricted, alice_m, "manage_channels", membership=viewer)
    assert restricted.pk not in _gap_ids(org_a)


def test_a_team_grant_covers_the_people_of_its_sub_teams(org_a, alice_m):
    region = f.make_team(org_a, "Region")
    city = f.make_team(org_a, "City", parent=region)
    restricted = channel(org_a, "secret", access=Channel.Access.RESTRICTED)
    person(org_a, Role.CONTRIBUTOR, teams=[city])
    grant(restricted, alice_m, "manage_channels", team=region)
    assert restricted.pk not in _gap_ids(org_a)


def test_people_who_left_are_not_counted(org_a, alice_m):
    kitchen = channel(org_a, "kitchen")
    other_admin = person(org_a, Role.ADMIN)
    assert kitchen.pk not in _gap_ids(org_a)
    deactivate(other_admin, alice_m)
    assert kitchen.pk in _gap_ids(org_a)


def test_archived_channels_are_not_gaps(org_a, alice_m):
    channel(org_a, "old", status=Channel.Status.ARCHIVED)
    assert coverage_report(org_a).channels == []


@pytest.mark.parametrize("capability", [Capability.MANAGE_CHANNELS, Capability.PUBLISH])
def test_the_bulk_answer_is_the_answer_of_can_for_every_person_and_channel(
    org_a, alice_m, capability
):
    """The one-pass computation must agree with accounts.capabilities.can, pair by pair."""
    hq = f.make_team(org_a, "HQ")
    local = f.make_team(org_a, "Local", parent=hq)
    other = f.make_team(org_a, "Other")
    people = [
        person(org_a, role, teams=teams)
        for role, teams in [
            (Role.ADMIN, []),
            (Role.MANAGER, [local]),
            (Role.PUBLISHER, [hq]),
            (Role.CONTRIBUTOR, [local]),
            (Role.VIEWER, [other]),
            (Role.MODERATOR, []),
        ]
    ]
    gone = person(org_a, Role.MANAGER)
    deactivate(gone, alice_m)
    channels = [
        channel(org_a, "open1"),
        channel(org_a, "open2", team=local),
        channel(org_a, "secret1", access=Channel.Access.RESTRICTED),
        channel(org_a, "secret2", access=Channel.Access.RESTRICTED, team=hq),
    ]
    grant(channels[2], alice_m, "manage_channels", membership=people[4])
    grant(channels[3], alice_m, "publish", team=hq)
    grant(channels[1], alice_m, "publish", membership=people[3])
    grant(channels[0], alice_m, "manage_channels", team=local)

    answer = members_able_by_channel(org_a, capability, channels)
    everyone = [alice_m, *people, gone]
    for ch in channels:
        fresh = Channel.objects.for_org(org_a).get(pk=ch.pk)  # no grant cache
        expected = {m.pk for m in everyone if can(f.membership(org_a, m.user), capability, fresh)}
        assert answer[ch.pk] == expected, ch.handle
