"""Offboarding oneself, the last owner, an owner by a non-owner, or someone already offboarded is
refused with a reason, and nothing changes."""

from __future__ import annotations

import pytest

from accounts.capabilities import Role
from governance.offboarding import selectors, services
from socialops.errors import Conflict, NotAllowed

from .. import factories as f
from .conftest import reload

pytestmark = pytest.mark.django_db


def test_offboarding_yourself_is_refused(office, alice_m):
    admin = office.bea
    assert "yourself" in selectors.refusal_for(admin, by=admin)
    with pytest.raises(Conflict, match="yourself"):
        services.offboard_member(admin, by=admin)
    assert reload(admin).is_active


def test_the_last_owner_cannot_be_offboarded(office, alice_m):
    with pytest.raises(Conflict, match="last owner"):
        services.offboard_member(alice_m, by=office.bea)
    assert reload(alice_m).is_active


def test_an_owner_is_offboarded_only_by_an_owner(office, alice_m):
    second = f.add_member(office.org, f.make_user("olga@alpha.test"), Role.OWNER)
    with pytest.raises(Conflict, match="Only an owner"):
        services.offboard_member(second, by=office.bea)
    services.offboard_member(second, by=alice_m)
    assert not reload(second).is_active


def test_someone_already_offboarded_is_refused(office, alice_m):
    services.offboard_member(office.lena, by=alice_m)
    with pytest.raises(Conflict, match="already been offboarded"):
        services.offboard_member(reload(office.lena), by=alice_m)


def test_only_governance_managers_may_offboard(office, client):
    with pytest.raises(NotAllowed):
        services.offboard_member(office.lena, by=office.max)
    client.force_login(office.max.user)
    url = f"/o/alpha/governance/offboarding/members/{office.lena.pk}/"
    assert client.get(url).status_code == 403
    assert client.post(url + "run/").status_code == 403
    assert reload(office.lena).is_active


def test_the_refusal_is_shown_on_the_preview_without_the_confirm_button(office, client, alice):
    client.force_login(office.bea.user)
    page = client.get(f"/o/alpha/governance/offboarding/members/{alice.memberships.get().pk}/")
    html = page.content.decode()
    assert "is the last owner" in html and 'id="offboarding-confirm"' not in html
