"""A post scheduled for 09:00 in Jakarta reads "09:00 WIB" to a viewer in another zone, plus their own time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from publishing.posts import services as authoring
from publishing.scheduler import services as scheduling

from ..channels.factories import connect_sandbox

pytestmark = pytest.mark.django_db


def test_the_post_page_shows_the_wall_clock_of_the_post_zone_and_of_the_viewer(
    client, alice, org_a, alice_m
):
    alice.timezone = "Europe/London"
    alice.save()
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    post = authoring.create_post(org_a, by=alice_m, text="Selamat pagi", channels=[channel])
    jakarta = ZoneInfo("Asia/Jakarta")
    day = (timezone.now() + timedelta(days=10)).astimezone(jakarta).date()
    local = datetime(day.year, day.month, day.day, 9, 0, tzinfo=jakarta)
    scheduling.schedule_post(post, by=alice_m, at=local, timezone_name="Asia/Jakarta")
    client.force_login(alice)
    page = client.get(f"/o/{org_a.slug}/posts/{post.pk}/").content.decode()
    london = local.astimezone(ZoneInfo("Europe/London"))
    assert f"Scheduled for {local:%a} {local.day} {local:%b %Y}, 09:00 WIB = " in page
    assert f"{london:%H:%M} {london.tzname()} in your time zone." in page
