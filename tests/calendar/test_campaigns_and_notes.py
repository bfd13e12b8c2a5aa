"""Campaigns (create, edit, archive, shown as bands) and calendar notes (organization or team)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import Role
from publishing.models import CalendarNote, Campaign

from .. import factories as f
from .conftest import month_range

pytestmark = pytest.mark.django_db


def _events(client, org, at, **params):
    return client.get(
        reverse("calendar_events", kwargs={"org_slug": org.slug}), {**month_range(at), **params}
    ).json()


def test_create_edit_and_archive_a_campaign_shown_as_a_band(alice_client, org_a):
    team = f.make_team(org_a, "Indonesia")
    today = timezone.now().date()
    url = reverse("campaign_list", kwargs={"org_slug": org_a.slug})
    response = alice_client.post(
        url,
        {
            "name": "Lebaran",
            "color": "#118844",
            "starts_on": today,
            "ends_on": today + timedelta(days=3),
            "team": team.pk,
            "utm_medium": "social",
        },
    )
    assert response.status_code == 302
    campaign = Campaign.objects.for_org(org_a).get(name="Lebaran")
    assert campaign.color == "#118844" and campaign.team == team
    now = timezone.now()
    bands = [
        e
        for e in _events(alice_client, org_a, now)["events"]
        if e["extendedProps"]["kind"] == "campaign"
    ]
    assert bands == [
        {
            "id": f"c{campaign.pk}",
            "title": "Lebaran",
            "start": today.isoformat(),
            "end": (today + timedelta(days=4)).isoformat(),
            "allDay": True,
            "editable": False,
            "classNames": ["cal-campaign"],
            "extendedProps": {"kind": "campaign", "campaign": campaign.pk, "color": "#118844"},
        }
    ]
    edit = reverse("campaign_edit", kwargs={"org_slug": org_a.slug, "campaign_id": campaign.pk})
    assert alice_client.get(edit).status_code == 200
    response = alice_client.post(
        edit,
        {
            "name": "Lebaran 2026",
            "color": "#000000",
            "starts_on": today,
            "ends_on": today - timedelta(days=1),
        },
    )
    assert response.status_code == 200 and "Pick a later date" in response.content.decode()
    response = alice_client.post(
        edit, {"name": "Lebaran 2026", "color": "#222222", "starts_on": today}
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Lebaran 2026" and campaign.ends_on is None and campaign.team is None
    archive = reverse(
        "campaign_archive", kwargs={"org_slug": org_a.slug, "campaign_id": campaign.pk}
    )
    assert alice_client.post(archive).status_code == 302
    campaign.refresh_from_db()
    assert campaign.archived_at is not None
    assert not [
        e
        for e in _events(alice_client, org_a, now)["events"]
        if e["extendedProps"]["kind"] == "campaign"
    ]
    alice_client.post(archive, {"restore": "1"})
    campaign.refresh_from_db()
    assert campaign.archived_at is None


def test_a_viewer_cannot_change_campaigns(client, org_a, alice_m):
    from publishing.posts import services as authoring

    campaign = authoring.create_campaign(org_a, by=alice_m, name="Promo")
    viewer = f.make_user("viewer@alpha.test")
    f.add_member(org_a, viewer, Role.VIEWER)
    client.force_login(viewer)
    edit = reverse("campaign_edit", kwargs={"org_slug": org_a.slug, "campaign_id": campaign.pk})
    assert client.post(edit, {"name": "Hacked", "color": "#000000"}).status_code == 403
    archive = reverse(
        "campaign_archive", kwargs={"org_slug": org_a.slug, "campaign_id": campaign.pk}
    )
    assert client.post(archive).status_code == 403
    assert Campaign.objects.for_org(org_a).get().name == "Promo"


def test_notes_are_added_edited_deleted_and_shown(alice_client, org_a):
    day = timezone.now().date() + timedelta(days=2)
    url = reverse("calendar_notes", kwargs={"org_slug": org_a.slug})
    assert (
        alice_client.post(
            url, {"title": "Stock take", "starts_on": day, "body": "No promos"}
        ).status_code
        == 302
    )
    note = CalendarNote.objects.for_org(org_a).get()
    assert note.ends_on == day
    notes = [
        e
        for e in _events(alice_client, org_a, timezone.now())["events"]
        if e["extendedProps"]["kind"] == "note"
    ]
    assert notes[0]["title"] == "Stock take" and notes[0]["extendedProps"]["body"] == "No promos"
    edit = reverse("calendar_note_edit", kwargs={"org_slug": org_a.slug, "note_id": note.pk})
    response = alice_client.post(
        edit, {"title": "Stock take", "starts_on": day, "ends_on": day - timedelta(days=1)}
    )
    assert response.status_code == 200  # refused: ends before it starts
    assert (
        alice_client.post(
            edit, {"title": "Inventory", "starts_on": day, "ends_on": day + timedelta(days=1)}
        ).status_code
        == 302
    )
    note.refresh_from_db()
    assert note.title == "Inventory"
    delete = reverse("calendar_note_delete", kwargs={"org_slug": org_a.slug, "note_id": note.pk})
    assert alice_client.post(delete).status_code == 302
    assert not CalendarNote.objects.for_org(org_a).exists()


def test_a_team_note_shows_for_its_region_and_head_office_only(alice_client, org_a, alice_m):
    from publishing.calendar import services as calendar_services

    hq = f.make_team(org_a, "HQ")
    indonesia = f.make_team(org_a, "Indonesia", parent=hq)
    singapore = f.make_team(org_a, "Singapore", parent=hq)
    day = timezone.now().date() + timedelta(days=1)
    calendar_services.create_note(
        org_a, by=alice_m, title="Jakarta office closed", starts_on=day, team=indonesia
    )
    calendar_services.create_note(org_a, by=alice_m, title="All hands", starts_on=day)

    def titles(**params):
        return {
            e["title"]
            for e in _events(alice_client, org_a, timezone.now(), **params)["events"]
            if e["extendedProps"]["kind"] == "note"
        }

    assert titles(team=indonesia.pk) == {"Jakarta office closed", "All hands"}
    assert titles(team=singapore.pk) == {"All hands"}
    assert titles(team=hq.pk) == {"Jakarta office closed", "All hands"}


def test_an_archived_campaign_leaves_the_composers_picker(alice_client, org_a, alice_m):
    from publishing.calendar import services as calendar_services
    from publishing.posts import services as authoring

    kept = authoring.create_campaign(org_a, by=alice_m, name="Kept")
    gone = authoring.create_campaign(org_a, by=alice_m, name="Gone")
    calendar_services.archive_campaign(gone, by=alice_m)
    body = alice_client.get(reverse("compose", kwargs={"org_slug": org_a.slug})).content.decode()
    assert f'<option value="{kept.pk}">Kept</option>' in body
    assert ">Gone</option>" not in body
