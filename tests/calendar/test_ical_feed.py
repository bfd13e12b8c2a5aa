"""The iCalendar feed of a share link parses with ``icalendar`` and holds only what the link may show."""

from __future__ import annotations

import pytest
from django.urls import reverse
from icalendar import Calendar

from publishing.calendar import services as calendar_services
from publishing.models import Post

from .conftest import P, V, in_days, make_post

pytestmark = pytest.mark.django_db


def _feed(client, token):
    response = client.get(reverse("calendar_shared_feed", kwargs={"share_token": token}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def test_the_feed_parses_and_holds_the_allowed_events(
    client, org_a, alice, alice_m, channels, campaign
):
    post = make_post(
        org_a,
        alice,
        channels[:1],
        status=P.SCHEDULED,
        variant_status=V.SCHEDULED,
        at=in_days(3),
        campaign=campaign,
        text="Feed launch",
    )
    make_post(org_a, alice, channels[:1], planned_at=in_days(3), text="Other campaign draft")
    calendar_services.create_note(
        org_a, by=alice_m, title="Stock take", starts_on=in_days(4).date()
    )
    _link, token = calendar_services.create_share_link(
        org_a, by=alice_m, name="Agency", filters={"campaign": campaign.pk}
    )
    ical = _feed(client, token)
    events = list(ical.walk("VEVENT"))
    summaries = [str(e["SUMMARY"]) for e in events]
    assert any("Feed launch" in s for s in summaries)
    assert not any("Other campaign draft" in s for s in summaries)
    assert "Stock take" in summaries
    assert campaign.name in summaries  # the band, as an all-day event
    launch = next(e for e in events if "Feed launch" in str(e["SUMMARY"]))
    assert launch.decoded("DTSTART") == in_days(3)
    assert str(launch["UID"]).startswith("v")
    assert Post.objects.for_org(org_a).get(pk=post.pk).scheduled_at == in_days(3)


def test_the_feed_of_a_revoked_link_is_gone(client, org_a, alice_m):
    link, token = calendar_services.create_share_link(org_a, by=alice_m, name="Agency", filters={})
    calendar_services.revoke_share_link(link, by=alice_m)
    response = client.get(reverse("calendar_shared_feed", kwargs={"share_token": token}))
    assert response.status_code == 410
    assert b"BEGIN:VCALENDAR" not in response.content
