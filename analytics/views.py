"""Analytics pages. Short: parse, check, one selector, render."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from accounts.capabilities import Capability, require_page
from accounts.selectors import teams_of
from channels_registry.selectors import channels_with_capability, provider_names

from . import selectors
from .forms import DashboardFilterForm

#: the tiles' labels, in the page's order
TILE_LABELS = {
    "followers": _("Followers"),
    "impressions": _("Impressions"),
    "reach": _("Reach"),
    "engagements": _("Engagements"),
    "engagement_rate": _("Engagement rate"),
    "link_clicks": _("Link clicks"),
    "video_views": _("Video views"),
    "posts_published": _("Posts published"),
}


def dashboard(request, org_slug):
    """``/o/<slug>/analytics/?since=&until=&team=&network=&channel=``: the organization's figures
    for a range (default: the last 28 days) beside the period before it."""
    require_page(request, Capability.VIEW_ANALYTICS)
    member = request.membership
    channels = list(channels_with_capability(member, Capability.VIEW_ANALYTICS))
    names = provider_names()
    networks = sorted({(c.provider, names.get(c.provider, c.provider)) for c in channels})
    default = selectors.date_range(None, None)
    form = DashboardFilterForm(
        request.GET or None,
        initial={"since": default.since, "until": default.until},
        teams=teams_of(member.organization).order_by("name"),
        networks=networks,
        channels=channels,
    )
    status = 200
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        board = selectors.organization_dashboard(
            member,
            data["range"],
            team=data["team_obj"],
            network=data.get("network") or "",
            channel_id=data.get("channel"),
        )
    else:
        if form.is_bound:
            status = 400  # the figures of the default range, with the form's errors beside them
        board = selectors.organization_dashboard(member, default)
    return render(
        request,
        "analytics/dashboard.html",
        {"form": form, "board": board, "tiles": TILE_LABELS},
        status=status,
    )
