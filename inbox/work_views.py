"""More inbox pages: the figures (per day, for a person, a team or the organization) and renaming or
deleting a tag. Each view parses, gets its object through one accessor, calls one service or
selector and renders."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.capabilities import Capability, require_page
from socialops.errors import ApplicationError

from . import figures, selectors, services


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()) if raw else None
    except ValueError:
        return None


def _id(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**63 else None


def _bar(value, top) -> int:
    """A bar's width in percent of the largest value shown (at least a sliver when not zero)."""
    if not value or not top:
        return 0
    return max(2, round(100 * value / top))


def figures_page(request, org_slug):
    """``?scope=me|org|team-<id>|member-<id>``, ``?days=7|30`` or ``?since=&until=`` (dates)."""
    require_page(request, Capability.VIEW)
    member = request.membership
    scope_key = request.GET.get("scope", "")
    team_id = member_id = None
    if scope_key.startswith("team-"):
        team_id = _id(scope_key.removeprefix("team-"))
    elif scope_key.startswith("member-"):
        member_id = _id(scope_key.removeprefix("member-"))
    elif scope_key == "me":
        member_id = member.pk
    days = 30 if request.GET.get("days") == "30" else 7
    since, until = _date(request.GET.get("since")), _date(request.GET.get("until"))
    zone = figures.viewer_zone(member)
    try:
        out = figures.figures_for(
            member,
            team_id=team_id,
            member=str(member_id) if member_id else None,
            since=since,
            until=until,
            days=days,
            zone=zone,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        out = figures.figures_for(member, days=days, zone=zone)
        status = 400
    else:
        status = 200
    top_inbound = max((d.inbound for d in out.days), default=0)
    top_wait = max((d.median_seconds or 0 for d in out.days), default=0)
    rows = [
        {
            "day": d,
            "inbound_bar": _bar(d.inbound, top_inbound),
            "median_bar": _bar(d.median_seconds, top_wait),
            "median": figures.duration_text(d.median_seconds),
            "p90": figures.duration_text(d.p90_seconds),
        }
        for d in out.days
    ]
    current = {"member": f"member-{out.scope.member_id}", "team": f"team-{out.scope.team_id}"}.get(
        out.scope.kind, "org"
    )
    if out.scope.kind == "member" and out.scope.member_id == member.pk:
        current = "me"
    choices = []
    for scope in figures.figure_scopes(member):
        if scope.kind == "member":
            choices.append(("me", _("Me")))
        elif scope.kind == "team":
            choices.append((f"team-{scope.team_id}", scope.name))
        else:
            choices.append(("org", _("The whole organization")))
    return render(
        request,
        "inbox/figures.html",
        {
            "figures": out,
            "rows": rows,
            "total_median": figures.duration_text(out.total.median_seconds),
            "total_p90": figures.duration_text(out.total.p90_seconds),
            "scope_choices": choices,
            "current_scope": current,
            "days": days,
            "zone": str(zone),
        },
        status=status,
    )


@require_POST
def tag_edit(request, org_slug, tag_id):
    require_page(request, Capability.MODERATE)
    tag = selectors.get_tag(request.organization, tag_id)
    try:
        services.update_tag(
            tag,
            by=request.membership,
            name=request.POST.get("name", ""),
            colour=request.POST.get("colour", tag.colour),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Tag saved."))
    return redirect("inbox_tags", org_slug=org_slug)


@require_POST
def tag_delete(request, org_slug, tag_id):
    require_page(request, Capability.MODERATE)
    tag = selectors.get_tag(request.organization, tag_id)
    try:
        services.delete_tag(tag, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Tag “%(name)s” deleted.") % {"name": tag.name})
    return redirect("inbox_tags", org_slug=org_slug)
