"""Demo data for the editorial calendar (called by ``manage.py seed_demo``; safe to run again).

Holiday countries per region, a campaign band, notes, cadence targets and a spread of posts over
the month (published ones in the past, scheduled and planned ones ahead), made through the same
services as the product where a service exists. Past, already-published posts are history and are
written as rows.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from accounts.capabilities import Role
from socialops.errors import ApplicationError

DEMO_MARK = "(demo)"


_DEMO_TEXTS = [
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
#: how many demo posts, spread one a day from ten days ago on
_DEMO_POSTS = 24


def _demo_owner(org):
    from accounts.models import Membership

    return (
        Membership.objects.for_org(org)
        .filter(role=Role.OWNER, is_active=True)
        .select_related("user")
        .first()
    )


def _seed_plan(org, *, owner, teams: dict, channels: list, today: date):
    """Holidays per region, the campaign (returned), notes and a cadence target on every channel."""
    from ..posts import services as authoring
    from . import services as calendar_services

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
    return campaign


def _seed_history(
    org, *, owner, channel, text: str, when: datetime, campaign, failed: bool
) -> None:
    """A post already out (or one that failed): history, written as rows."""
    from ..models import Post, PostVariant

    post = Post.objects.create(
        organization=org,
        author=owner.user,
        text=text,
        status=Post.Status.FAILED if failed else Post.Status.PUBLISHED,
        campaign=campaign,
        scheduled_at=when,
        schedule_timezone=channel.timezone,
    )
    PostVariant.objects.create(
        organization=org,
        post=post,
        channel=channel,
        due_at=when,
        status=PostVariant.Status.FAILED if failed else PostVariant.Status.PUBLISHED,
        published_at=None if failed else when + timedelta(seconds=5),
        failure_reason="The network rejected the image (demo)." if failed else "",
    )


def _seed_upcoming(
    org, *, owner, channel, text: str, when: datetime, campaign, planned: bool
) -> None:
    """A post ahead: a planned draft, or scheduled (planned when a workflow wants approval first)."""
    from ..posts import services as authoring
    from ..scheduler import services as scheduling
    from . import services as calendar_services

    post = authoring.create_post(org, by=owner, text=text, channels=[channel], campaign=campaign)
    if planned:
        calendar_services.plan_post(post, by=owner, at=when)
        return
    try:
        scheduling.schedule_post(
            post, by=owner, at=when, timezone_name=channel.timezone, source="calendar"
        )
    except ApplicationError:
        calendar_services.plan_post(post, by=owner, at=when)


def seed_demo_calendar(org) -> None:
    from accounts.selectors import teams_of
    from channels_registry.selectors import channels_of

    from ..models import CalendarNote

    if CalendarNote.objects.for_org(org).filter(title__endswith=DEMO_MARK).exists():
        return  # already seeded
    owner = _demo_owner(org)
    if owner is None:
        return
    channels = [c for c in channels_of(org) if c.status == c.Status.ACTIVE]
    if not channels:
        return
    zone = zoneinfo.ZoneInfo(org.timezone or "UTC")
    today = timezone.now().astimezone(zone).date()
    campaign = _seed_plan(
        org, owner=owner, teams={t.name: t for t in teams_of(org)}, channels=channels, today=today
    )
    now = timezone.now()
    for i in range(_DEMO_POSTS):
        channel = channels[i % len(channels)]
        text = f"{_DEMO_TEXTS[i % len(_DEMO_TEXTS)]} {DEMO_MARK}"
        offset = -10 + i  # from ten days ago to two weeks ahead
        local = datetime.combine(
            today + timedelta(days=offset), time((9, 12, 16, 19)[i % 4]), tzinfo=zone
        )
        when = local.astimezone(UTC)
        chosen = campaign if 3 <= offset <= 12 and i % 2 else None
        if when <= now:  # history: published (one failed) rows
            _seed_history(
                org,
                owner=owner,
                channel=channel,
                text=text,
                when=when,
                campaign=chosen,
                failed=i == 4,
            )
        else:
            _seed_upcoming(
                org,
                owner=owner,
                channel=channel,
                text=text,
                when=when,
                campaign=chosen,
                planned=i % 3 == 0,
            )
