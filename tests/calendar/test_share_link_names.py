"""A share link's name is one line of text: refused with line breaks or control characters, and the
iCalendar feed stays valid whatever name an older row holds."""

from __future__ import annotations

import pytest
from django.urls import reverse
from icalendar import Calendar

from publishing.calendar import services as calendar_services
from socialops.errors import ValidationFailed
from socialops.sharing.models import ShareLink

from ..conftest import api_client_for

pytestmark = pytest.mark.django_db

BAD_NAMES = [
    "Agency\nX-INJECTED:1",
    "Agency\r\nBEGIN:VEVENT",
    "Agency\rX",
    "Tab\tbed",
    "V\x0bT",
    "Nul\x00",
    "Line\u2028separator",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_service_refuses_a_name_with_line_breaks_or_control_characters(org_a, alice_m, name):
    with pytest.raises(ValidationFailed) as refused:
        calendar_services.create_share_link(org_a, by=alice_m, name=name, filters={})
    assert "name" in refused.value.fields
    assert not ShareLink.objects.for_org(org_a).exists()


def test_the_api_answers_a_field_error_for_such_a_name(org_a, alice_m):
    r = api_client_for(alice_m).post(
        "/api/v1/calendar-share-links/", {"name": "Agency\nX-INJECTED:1"}, format="json"
    )
    assert r.status_code == 400 and "name" in r.json()["error"]["fields"]
    assert not ShareLink.objects.for_org(org_a).exists()


def test_the_share_page_shows_the_error_on_the_name(alice_client, org_a):
    url = reverse("calendar_share", kwargs={"org_slug": org_a.slug})
    r = alice_client.post(url, {"name": "Agency\r\nBEGIN:VEVENT", "expires_in_days": 7})
    assert r.status_code == 200
    assert "line breaks" in r.content.decode()
    assert not ShareLink.objects.for_org(org_a).exists()


def test_a_name_in_any_script_with_punctuation_and_emoji_is_fine(org_a, alice_m):
    link, _token = calendar_services.create_share_link(
        org_a, by=alice_m, name="Agensi — Ramadan: kampanye 🌙 (東京)", filters={}
    )
    assert link.name == "Agensi — Ramadan: kampanye 🌙 (東京)"


def test_the_feed_of_a_link_whose_name_holds_a_line_break_is_valid(client, org_a, alice_m):
    # A row written before names were checked (or by any other path) must not break the feed.
    link, token = calendar_services.create_share_link(org_a, by=alice_m, name="Agency", filters={})
    ShareLink.objects.for_org(org_a).filter(pk=link.pk).update(
        name="Agency\nX-INJECTED:1\r\nBEGIN:VEVENT\x0b"
    )
    response = client.get(reverse("calendar_shared_feed", kwargs={"share_token": token}))
    assert response.status_code == 200
    body = response.content.decode()
    assert "\nX-INJECTED" not in body and "\nBEGIN:VEVENT" not in body and "\x0b" not in body
    ical = Calendar.from_ical(response.content)
    assert "X-INJECTED" not in ical  # still one property, not an injected one
    assert str(ical["X-WR-CALNAME"]).startswith(f"{org_a.name} · Agency")
