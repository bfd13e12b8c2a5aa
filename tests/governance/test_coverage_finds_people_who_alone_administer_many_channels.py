"""Coverage, rule 3: people who are the only admin of many (three or more) channels."""

from __future__ import annotations

import pytest

from accounts.capabilities import Role
from channels_registry.models import Channel
from governance.coverage.selectors import coverage_report

from .coverage_factories import channel, grant, person

pytestmark = pytest.mark.django_db


def test_the_owner_of_a_one_admin_organization_is_listed_with_their_channels(org_a, alice_m):
    made = [channel(org_a, f"c{i}") for i in range(3)]
    (sole,) = coverage_report(org_a).sole_admins
    assert sole.membership == alice_m
    assert {c.pk for c in sole.channels} == {c.pk for c in made}


def test_two_channels_are_not_many(org_a, alice_m):
    channel(org_a, "c1")
    channel(org_a, "c2")
    assert coverage_report(org_a).sole_admins == []


def test_a_second_admin_on_the_channels_takes_the_person_off_the_list(org_a, alice_m):
    made = [channel(org_a, f"c{i}", access=Channel.Access.RESTRICTED) for i in range(3)]
    helper = person(org_a, Role.VIEWER)
    for c in made[:2]:
        grant(c, alice_m, "manage_channels", membership=helper)
    assert coverage_report(org_a).sole_admins == []  # alone on one channel only
    assert coverage_report(org_a, sole_admin_many=1).sole_admins[0].channels == [made[2]]
