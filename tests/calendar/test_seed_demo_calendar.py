"""The demo organization gets a calendar worth looking at (and seeding twice adds nothing)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import Organization
from publishing.models import CadenceTarget, CalendarNote, Campaign, HolidayRegion, Post

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_the_calendar_once():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    org = Organization.objects.get(slug="demo")
    counts = (
        Post.objects.for_org(org).exclude(planned_at=None, scheduled_at=None).count(),
        CalendarNote.objects.for_org(org).count(),
        CadenceTarget.objects.for_org(org).count(),
    )
    assert counts[0] >= 20 and counts[1] == 2 and counts[2] >= 1
    assert Campaign.objects.for_org(org).filter(name__startswith="Year-end sale").exists()
    assert HolidayRegion.objects.for_org(org).filter(team=None, countries=["ID"]).exists()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert CalendarNote.objects.for_org(org).count() == 2
