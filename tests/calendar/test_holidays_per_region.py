"""Public holidays per region, from the maintained ``holidays`` package, on the days they fall on."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.capabilities import Role
from publishing.calendar import services as calendar_services
from socialops.errors import NotAllowed, ValidationFailed

from .. import factories as f

pytestmark = pytest.mark.django_db

#: Indonesia's Independence Day and Singapore's National Day, both in August 2026
AUGUST = {"start": "2026-08-01", "end": "2026-09-01"}


def _holidays(client, org, **params):
    response = client.get(
        reverse("calendar_events", kwargs={"org_slug": org.slug}), {**AUGUST, **params}
    )
    assert response.status_code == 200
    return response.json()["holidays"]


def test_each_region_sees_its_own_countries(client, org_a, alice_m):
    hq = f.make_team(org_a, "HQ")
    indonesia = f.make_team(org_a, "Indonesia", parent=hq)
    singapore = f.make_team(org_a, "Singapore", parent=hq)
    calendar_services.set_holiday_countries(org_a, by=alice_m, team=indonesia, countries=["ID"])
    calendar_services.set_holiday_countries(org_a, by=alice_m, team=singapore, countries=["SG"])
    calendar_services.set_holiday_countries(org_a, by=alice_m, team=None, countries=["MY"])
    budi = f.make_user("budi@alpha.test")
    f.add_member(org_a, budi, Role.PUBLISHER).teams.add(indonesia)
    client.force_login(budi)
    days = {(h["date"], h["country"]) for h in _holidays(client, org_a)}
    assert ("2026-08-17", "ID") in days
    assert not any(c == "SG" for _d, c in days)
    # an explicit choice: Singapore's holidays
    days = {(h["date"], h["country"]) for h in _holidays(client, org_a, holidays=singapore.pk)}
    assert ("2026-08-10", "SG") in days and not any(c == "ID" for _d, c in days)
    # a member with no team sees the organization default
    client.force_login(alice_m.user)
    assert {h["country"] for h in _holidays(client, org_a)} == {"MY"}


def test_a_team_without_its_own_set_follows_its_parent(client, org_a, alice_m):
    indonesia = f.make_team(org_a, "Indonesia")
    jakarta = f.make_team(org_a, "Jakarta", parent=indonesia)
    calendar_services.set_holiday_countries(org_a, by=alice_m, team=indonesia, countries=["ID"])
    client.force_login(alice_m.user)
    days = {h["date"] for h in _holidays(client, org_a, holidays=jakarta.pk)}
    assert "2026-08-17" in days


def test_holidays_show_as_calendar_events(client, org_a, alice_m):
    calendar_services.set_holiday_countries(
        org_a, by=alice_m, team=None, countries=["ID", "MY", "AU", "US"]
    )
    client.force_login(alice_m.user)
    response = client.get(reverse("calendar_events", kwargs={"org_slug": org_a.slug}), AUGUST)
    events = [e for e in response.json()["events"] if e["extendedProps"]["kind"] == "holiday"]
    assert any(e["start"] == "2026-08-17" and e["title"].startswith("ID") for e in events)
    assert any(
        e["start"] == "2026-08-31" and e["title"].startswith("MY") for e in events
    )  # Merdeka Day


def test_setting_countries_checks_codes_and_permission(org_a, alice_m):
    with pytest.raises(ValidationFailed):
        calendar_services.set_holiday_countries(org_a, by=alice_m, team=None, countries=["XX"])
    viewer = f.add_member(org_a, f.make_user("v@alpha.test"), Role.VIEWER)
    with pytest.raises(NotAllowed):
        calendar_services.set_holiday_countries(org_a, by=viewer, team=None, countries=["ID"])
    assert (
        calendar_services.set_holiday_countries(org_a, by=alice_m, team=None, countries=[]) is None
    )


def test_the_holidays_page_saves_a_regions_countries(alice_client, org_a):
    team = f.make_team(org_a, "Indonesia")
    url = reverse("calendar_holidays", kwargs={"org_slug": org_a.slug})
    response = alice_client.post(url, {"team": team.pk, "countries": ["ID", "SG"]})
    assert response.status_code == 302
    page = alice_client.get(url).content.decode()
    assert "Indonesia" in page and "Singapore" in page
