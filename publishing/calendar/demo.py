"""Demo data for the editorial calendar (called by ``manage.py seed_demo``; safe to run again).

Holiday countries per region, a campaign band, notes, cadence targets and a spread of posts over
the month (published ones in the past, scheduled and planned ones ahead), made through the same
services as the product where a service exists. Past, already-published posts are history and are
written as rows.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from accounts.capabilities import Role
from socialops.errors import ApplicationError

DEMO_MARK = "(demo)"


def seed_demo_calendar(org) -> None:
    from accounts.models import Membership
    from accounts.selectors import teams_of
    from channels_registry.selectors import channels_of

    from ..models import CalendarNote, Post, PostVariant
    from ..posts import services as authoring
    from ..scheduler import services as scheduling
    from . import services as calendar_services

    if CalendarNote.objects.for_org(org).filter(title__endswith=DEMO_MARK).exists():
        return  # already seeded
    owner = (
        Membership.objects.for_org(org)
        .filter(role=Role.OWNER, is_active=True)
        .select_related("user")
        .first()
    )
    if owner is None:
        return
    teams = {t.name: t for t in teams_of(org)}
    channels = [c for c in channels_of(org) if c.status == c.Status.ACTIVE]
    if not channels:
        return
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(org.timezone or "UTC")).date()
    calendar_services.set_holiday_countries(org, by=owner, team=None, countries=["ID"])
    if "Singapore" in teams:
        calendar_services.set_holiday_countries(
            org, by=owner, team=teams["Singapore"], countries=["SG"]
        )
    campaign = authoring.create_campaign(
        org,
        by=owner,
        name=f"Year-end sale {DEMO_MARK}",
        color="#c2410c",
        starts_on=today + timedelta(days=3),
        ends_on=today + timedelta(days=12),
        team=teams.get("Head office"),
        utm_source="social",
        utm_campaign="year-end-sale",
    )
    calendar_services.create_note(
        org,
        by=owner,
        title=f"Stock take: no promotions {DEMO_MARK}",
        starts_on=today + timedelta(days=15),
        ends_on=today + timedelta(days=16),
        body="The warehouse counts stock; do not schedule offers.",
    )
    calendar_services.create_note(
        org,
        by=owner,
        title=f"Jakarta store opening {DEMO_MARK}",
        starts_on=today + timedelta(days=6),
        team=teams.get("Jakarta"),
    )
    for channel in channels:
        calendar_services.set_cadence_target(channel, by=owner, min_per_week=3, max_per_week=5)

    zone = zoneinfo.ZoneInfo(org.timezone or "UTC")

    def at(day_offset: int, hour: int):
        local = datetime.combine(today + timedelta(days=day_offset), time(hour), tzinfo=zone)
        return local.astimezone(UTC)

    texts = [
        "Sambal of the week 🌶️",
        "Behind the scenes in our kitchen",
        "New menu: rendang bowl",
        "Weekend kopi special",
        "Meet our Surabaya team",
        "Customer story: Ibu Ani",
        "Recipe: nasi goreng",
        "Flash sale tonight",
        "Tips for a greener kitchen",
        "Thank you, 10k followers!",
    ]
    now = timezone.now()
    for i in range(24):
        channel = channels[i % len(channels)]
        text = f"{texts[i % len(texts)]} {DEMO_MARK}"
        offset = -10 + i  # from ten days ago to two weeks ahead
        when = at(offset, (9, 12, 16, 19)[i % 4])
        chosen = campaign if 3 <= offset <= 12 and i % 2 else None
        if when <= now:  # history: published (one failed) rows
            status = Post.Status.FAILED if i == 4 else Post.Status.PUBLISHED
            post = Post.objects.create(
                organization=org,
                author=owner.user,
                text=text,
                status=status,
                campaign=chosen,
                scheduled_at=when,
                schedule_timezone=channel.timezone,
            )
            PostVariant.objects.create(
                organization=org,
                post=post,
                channel=channel,
                due_at=when,
                status=PostVariant.Status.FAILED if i == 4 else PostVariant.Status.PUBLISHED,
                published_at=None if i == 4 else when + timedelta(seconds=5),
                failure_reason="The network rejected the image (demo)." if i == 4 else "",
            )
            continue
        post = authoring.create_post(org, by=owner, text=text, channels=[channel], campaign=chosen)
        if i % 3 == 0:
            calendar_services.plan_post(post, by=owner, at=when)  # a planned draft
            continue
        try:
            scheduling.schedule_post(
                post, by=owner, at=when, timezone_name=channel.timezone, source="calendar"
            )
        except ApplicationError:
            calendar_services.plan_post(
                post, by=owner, at=when
            )  # e.g. a workflow wants approval first
