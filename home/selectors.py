"""What the start page shows, composed from each app's selectors (the page's one context builder).

Page order: what needs me (failed posts with Retry, approvals waiting for me and for others,
channels to reconnect), then what goes out today and in the coming days, then the admins' panel.
Everything is what the member may see: posts and variants through ``publishing.selectors``
(restricted channels stay hidden), channels through ``channels_registry.selectors``.

The query count does not grow with the number of posts, requests or channels (pinned in
tests/home/test_start_page.py): each list is a fixed number of queries, cut at a limit, with a
count and a link to the full page.

**Extension point.** :data:`ATTENTION` lists the "needs me" builders in page order; a builder
returns the sections it has something for (none: no box on the page). :data:`TILES` lists the KPI
tile builders, shown above the plan when there are any. When the inbox lands, add a builder for the
items assigned to me (``inbox.selectors``) to :data:`ATTENTION`; when analytics lands, add its KPI
tiles (``analytics.selectors``) to :data:`TILES`. Each gets a template under ``templates/home/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import selectors as accounts_selectors
from accounts.capabilities import Capability, can
from approvals import selectors as approvals_selectors
from channels_registry import selectors as channels_selectors
from publishing import selectors as publishing_selectors
from socialops.audit import selectors as audit_selectors

TODAY_LIMIT = 40
WEEK_LIMIT = 80
LIST_LIMIT = 6
WEEK_DAYS = 7  # today and the six days after it


@dataclass
class Section:
    """One "needs me" box: its anchor, title, template (``templates/home/``), rows and total count."""

    key: str
    title: str
    template: str
    items: list
    count: int
    more_url: str = ""
    more_label: str = ""


@dataclass
class Tile:
    """A KPI tile (analytics, when it lands): a label, a figure, an optional change and link."""

    label: str
    value: str
    change: str = ""
    url: str = ""


@dataclass
class AdminPanel:
    member_count: int
    team_tree: list
    pending_invitations: int
    recent_events: list


@dataclass
class StartPage:
    today: date
    today_rows: list
    today_cut: bool
    week_days: list  # [(date, [PlanRow, ...]), ...] for the days after today
    week_first: date
    week_last: date
    week_count: int
    week_cut: bool
    attention: list[Section] = field(default_factory=list)
    tiles: list[Tile] = field(default_factory=list)
    admin: AdminPanel | None = None


# --- "Needs me" ----------------------------------------------------------------------------------


def _failed(membership) -> list[Section]:
    rows, count = publishing_selectors.failed_variants(membership, limit=LIST_LIMIT)
    if not rows:
        return []
    slug = membership.organization.slug
    return [
        Section(
            "failed",
            _("Failed"),
            "home/_failed.html",
            rows,
            count,
            reverse("post_list", args=[slug]) + "?status=failed",
            _("All failed posts"),
        )
    ]


def _approvals(membership) -> list[Section]:
    overview = approvals_selectors.approvals_overview(membership, limit=LIST_LIMIT)
    slug = membership.organization.slug
    out = []
    if overview.mine:
        out.append(
            Section(
                "waiting-for-me",
                _("Waiting for my approval"),
                "home/_waiting_for_me.html",
                overview.mine,
                overview.mine_count,
                reverse("approvals_waiting", args=[slug]),
                _("Waiting for me"),
            )
        )
    if overview.others:
        out.append(
            Section(
                "waiting-for-others",
                _("Waiting for others' approval"),
                "home/_waiting_for_others.html",
                overview.others,
                overview.others_count,
                reverse("post_list", args=[slug]) + "?status=in_review",
                _("All posts in review"),
            )
        )
    return out


def _reauth(membership) -> list[Section]:
    qs = channels_selectors.visible_channels(
        membership, channels_selectors.ChannelFilters(status="needs_reauth")
    )
    channels = list(qs[:LIST_LIMIT])
    if not channels:
        return []
    slug = membership.organization.slug
    return [
        Section(
            "reconnect",
            _("Channels to reconnect"),
            "home/_reconnect.html",
            channels,
            qs.count(),
            reverse("channel_list", args=[slug]) + "?status=needs_reauth",
            _("All channels needing re-authorization"),
        )
    ]


#: The "needs me" boxes, in page order. The inbox's "assigned to me" goes here when it lands.
ATTENTION: list[Callable[..., list[Section]]] = [_failed, _approvals, _reauth]

#: KPI tile builders ``(membership, now) -> list[Tile]``: analytics' tiles go here when it lands.
TILES: list[Callable[..., list[Tile]]] = []


# --- The plan ----------------------------------------------------------------------------------


def _midnight(day: date, zone) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _admin_panel(membership) -> AdminPanel | None:
    if not can(membership, Capability.MANAGE_MEMBERS):
        return None
    org = membership.organization
    sees_audit = can(membership, Capability.MANAGE_GOVERNANCE)
    events = audit_selectors.recent_events(org, limit=8) if sees_audit else []
    return AdminPanel(
        member_count=accounts_selectors.members_of(org, include_inactive=False).count(),
        team_tree=accounts_selectors.team_tree(org),
        pending_invitations=accounts_selectors.pending_invitations_of(org).count(),
        recent_events=events,
    )


def start_page(membership, *, now: datetime) -> StartPage:
    """The start page for ``membership`` at ``now``; days are the viewer's (the active time zone)."""
    zone = timezone.get_current_timezone()
    today = timezone.localtime(now, zone).date()
    tomorrow, end = today + timedelta(days=1), today + timedelta(days=WEEK_DAYS)
    today_rows, today_cut = publishing_selectors.send_plan(
        membership, start=_midnight(today, zone), end=_midnight(tomorrow, zone), limit=TODAY_LIMIT
    )
    week_rows, week_cut = publishing_selectors.send_plan(
        membership, start=_midnight(tomorrow, zone), end=_midnight(end, zone), limit=WEEK_LIMIT
    )
    days: dict[date, list] = {}
    for row in week_rows:
        days.setdefault(timezone.localtime(row.at, zone).date(), []).append(row)
    return StartPage(
        today=today,
        today_rows=today_rows,
        today_cut=today_cut,
        week_days=sorted(days.items()),
        week_first=tomorrow,
        week_last=end - timedelta(days=1),
        week_count=len(week_rows),
        week_cut=week_cut,
        attention=[section for build in ATTENTION for section in build(membership)],
        tiles=[tile for build in TILES for tile in build(membership, now)],
        admin=_admin_panel(membership),
    )
