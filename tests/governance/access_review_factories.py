"""An office for access reviews in organization A: two regional teams with leads, people with
grants in person (and through a team), channels on two networks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as accounts_services
from accounts.capabilities import Role
from channels_registry.models import Channel

from .. import factories as f
from .coverage_factories import channel, grant


class ReviewOffice:
    def __init__(self, org, owner_m):
        self.org, self.owner = org, owner_m
        self.hq = f.make_team(org, "Head office", by=owner_m)
        self.jakarta = f.make_team(org, "Jakarta", parent=self.hq, by=owner_m)
        self.bali = f.make_team(org, "Bali", by=owner_m)
        self.lead = f.add_member(org, f.make_user("lead@alpha.test", name="Lia Lead"), Role.MANAGER)
        self.ana = f.add_member(
            org, f.make_user("ana@alpha.test", name="Ana Agent"), Role.PUBLISHER
        )
        self.budi = f.add_member(
            org, f.make_user("budi@alpha.test", name="Budi Bali"), Role.CONTRIBUTOR
        )
        self.lead.teams.set([self.jakarta])
        self.ana.teams.set([self.jakarta])
        self.budi.teams.set([self.bali])
        accounts_services.update_team(
            self.jakarta, by=owner_m, name="Jakarta", parent=self.hq, lead=self.lead
        )
        self.kopi = channel(org, "kopi", name="Kopi Pagi")
        self.promo = channel(org, "promo", name="Promo Harian", access=Channel.Access.RESTRICTED)
        self.x = channel(org, "teh", provider="x", name="Teh Manis")
        grant(self.kopi, owner_m, "publish", membership=self.ana)
        grant(self.kopi, owner_m, "moderate", membership=self.ana)
        grant(self.promo, owner_m, "manage_channels", membership=self.ana)
        grant(self.x, owner_m, "publish", membership=self.budi)
        grant(self.promo, owner_m, "view_analytics", team=self.bali)

    @property
    def due(self):
        return (timezone.now() + timedelta(days=10)).date()


@pytest.fixture
def review_office(org_a, alice_m):
    return ReviewOffice(org_a, alice_m)
