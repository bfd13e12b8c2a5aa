"""Pages of the editorial calendar: the calendar, its JSON range endpoint, moving posts, campaigns,
notes, holidays, cadence targets, share links and the public shared calendar with its iCal feed.

FullCalendar (static/vendor/fullcalendar/, MIT) draws the calendar from ``calendar_events``; it
injects its own stylesheet, so the calendar pages allow one per-request style nonce (CSP).
"""

from __future__ import annotations

from csp.constants import NONCE
from csp.decorators import csp_update
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.capabilities import Capability, can, require_page
from socialops.dates import local_datetime
from socialops.errors import ApplicationError
from socialops.sharing import views as sharing_views

from ..posts import selectors
from . import selectors as cal
from . import services as calendar_services
from .forms import (
    CadenceForm,
    CalendarFilterForm,
    CampaignEditForm,
    HolidayForm,
    NoteForm,
    ShareLinkForm,
)

#: FullCalendar injects its stylesheet (allowed by a per-request nonce) with its icon font as a data: URL
_calendar_styles = csp_update({"style-src": [NONCE], "font-src": ["data:"]})


def viewer_zone(request) -> str:
    """The person's zone, else their organization's, else UTC."""
    user = getattr(request, "user", None)
    name = getattr(user, "timezone", "") if user is not None and user.is_authenticated else ""
    org = getattr(request, "organization", None)
    return name or (org.timezone if org is not None else "") or "UTC"


def _network_names() -> dict[str, str]:
    from channels_registry.selectors import provider_names

    return provider_names()


def _json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"ok": False, "error": {"message": message}}, status=status)


# --- The calendar ----------------------------------------------------------------------------------


@_calendar_styles
@require_GET
def calendar_page(request, org_slug):
    require_page(request, Capability.VIEW)
    org, member = request.organization, request.membership
    from accounts.selectors import team_tree

    tree = team_tree(org)
    channels = list(_visible_channels(member))
    data = request.GET.copy()
    if "team" not in data:
        default_team = cal.viewer_team_id(
            member, cal.TeamTree({t.pk: t.parent_id for t, _d in tree})
        )
        if default_team is not None and any(
            t.pk == default_team and t.parent_id is not None for t, _d in tree
        ):
            data["team"] = str(default_team)
    form = _filter_form(data, org, tree, channels)
    form.is_valid()
    return render(
        request,
        "publishing/calendar.html",
        {
            "form": form,
            "events_url": reverse("calendar_events", kwargs={"org_slug": org.slug}),
            "move_url": reverse("calendar_move", kwargs={"org_slug": org.slug, "post_id": 0}),
            "compose_url": reverse("compose", kwargs={"org_slug": org.slug}),
            "zone": viewer_zone(request),
            "language": (get_language() or "en").split("-")[0],
            "may_compose": can(member, Capability.COMPOSE),
            "may_publish": can(member, Capability.PUBLISH),
            "may_manage_teams": can(member, Capability.MANAGE_TEAMS),
        },
    )


def _filter_form(data, org, tree, channels) -> CalendarFilterForm:
    return CalendarFilterForm(
        data,
        team_tree=tree,
        channels=channels,
        campaigns=[c for c in selectors.campaigns_of(org) if c.archived_at is None],
        authors=list(selectors.authors_of(org)),
        network_names=_network_names(),
    )


def _filter_labels(request, filters: dict) -> list[tuple[str, str]]:
    """The chosen filters of a share link in words: [("Team", "Jakarta"), ("Status", "Draft")]."""
    if not filters:
        return []
    from accounts.selectors import team_tree

    member = request.membership
    form = _filter_form(
        None, request.organization, team_tree(request.organization), list(_visible_channels(member))
    )
    out = []
    for key, value in filters.items():
        field = form.fields.get(key)
        if field is None:
            continue
        names = {str(k): str(v) for k, v in field.choices}
        out.append((str(field.label), names.get(str(value), str(value)).lstrip("— ")))
    return out


def _visible_channels(member):
    from channels_registry.selectors import visible_channels

    return visible_channels(member).exclude(status="archived")


@require_GET
def calendar_events(request, org_slug):
    """The calendar's JSON for one visible range: ``?start=…&end=…`` (ISO) plus the filter bar's fields."""
    require_page(request, Capability.VIEW)
    rng = cal.parse_range(request.GET.get("start"), request.GET.get("end"), viewer_zone(request))
    if rng is None:
        return _json_error(_("Give a start and an end of at most 100 days."), 400)
    filters = cal.CalendarFilters.from_data(request.GET)
    payload = cal.calendar_payload(
        request.organization,
        membership=request.membership,
        rng=rng,
        filters=filters,
        holiday_team_id=cal._int(request.GET.get("holidays")),
        holidays_of_viewer=True,
        post_url=reverse("post_detail", kwargs={"org_slug": org_slug, "post_id": 0}),
    )
    return JsonResponse(payload)


@require_POST
def calendar_move(request, org_slug, post_id):
    """Move a post dropped on the calendar: ``at`` (ISO; without an offset, the viewer's wall-clock time)."""
    member = request.membership
    post = selectors.get_post_for_member(member, post_id)
    variant = None
    if request.POST.get("variant"):
        variant = selectors.get_variant_for_member(member, request.POST["variant"], post=post)
    zone = viewer_zone(request)
    at = cal.parse_instant(request.POST.get("at"), cal.zone_of(zone))
    if at is None:
        return _json_error(_("Enter a valid date and time."), 400)
    was = post.status
    try:
        post = calendar_services.move_post(
            post, by=member, at=at, timezone_name=zone, variant=variant
        )
    except ApplicationError as exc:
        return _json_error(exc.message, exc.http_status)
    slot = post.scheduled_at if post.status == post.Status.SCHEDULED else post.planned_at
    when = timezone.localtime(slot, cal.zone_of(zone))
    message = _("Moved to %(when)s.") % {"when": local_datetime(when)}
    if was != post.status and post.status == post.Status.IN_REVIEW:
        message += " " + _("It needs approval again before it goes out.")
    elif was != post.status and post.status != post.Status.SCHEDULED:
        message += " " + _("It is no longer scheduled: schedule it again from the post page.")
    return JsonResponse({"ok": True, "status": post.status, "message": message})


def _best_rows(channel, *, labels: bool = False) -> list[dict]:
    from ..hooks import best_time_slots

    rows = []
    for s in best_time_slots(channel, days=7):
        row = {
            "at": s.at.isoformat(),
            "date": s.at.date().isoformat(),
            "time": s.at.strftime("%H:%M"),
            "timezone": channel.timezone,
            "source": s.source,
            "posts": getattr(s, "posts", 0),
        }
        if labels:
            row["label"] = local_datetime(s.at, channel.timezone)
        rows.append(row)
    return rows


def best_times_for(channels, *, shown: int = 6) -> list[dict]:
    """The composer's suggestions under "When": the next ``shown`` best times of each channel, and
    where they come from (the channel's own engagement or the network's general pattern)."""
    out = []
    for channel in channels:
        rows = _best_rows(channel, labels=True)[:shown]
        source = rows[0]["source"] if rows else ""
        posts = rows[0]["posts"] if rows else 0
        out.append(
            {
                "channel": channel,
                "slots": rows,
                "from_engagement": source == "engagement",
                "note": cal.best_time_note(source, posts) if rows else "",
            }
        )
    return out


@require_GET
def calendar_best_times(request, org_slug):
    """Suggested slots for one channel (analytics' best time): JSON, or a partial for htmx."""
    from channels_registry.selectors import get_channel_for_member

    require_page(request, Capability.VIEW)
    channel = get_channel_for_member(request.membership, request.GET.get("channel"))
    if request.headers.get("HX-Request"):
        (best,) = best_times_for([channel])
        return render(request, "publishing/calendar_best_times.html", best)
    rows = _best_rows(channel)
    return JsonResponse({"channel": channel.pk, "timezone": channel.timezone, "slots": rows})


# --- Campaigns (the list itself is views.campaign_list) --------------------------------------------


@require_http_methods(["GET", "POST"])
def campaign_edit(request, org_slug, campaign_id):
    require_page(request, Capability.PUBLISH)
    org = request.organization
    campaign = selectors.get_campaign(org, campaign_id)
    initial = {
        k: getattr(campaign, k)
        for k in (
            "name",
            "color",
            "starts_on",
            "ends_on",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "description",
        )
    }
    initial["team"] = campaign.team_id
    form = CampaignEditForm(request.POST or None, initial=initial, organization=org)
    if request.method == "POST" and form.is_valid():
        try:
            calendar_services.update_campaign(campaign, by=request.membership, **form.cleaned_data)
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("campaign_list", org_slug=org.slug)
    return render(request, "publishing/campaign_edit.html", {"form": form, "campaign": campaign})


@require_POST
def campaign_archive(request, org_slug, campaign_id):
    require_page(request, Capability.PUBLISH)
    campaign = selectors.get_campaign(request.organization, campaign_id)
    if request.POST.get("restore"):
        calendar_services.restore_campaign(campaign, by=request.membership)
        messages.success(request, _("Campaign restored."))
    else:
        calendar_services.archive_campaign(campaign, by=request.membership)
        messages.success(request, _("Campaign archived: it no longer shows on the calendar."))
    return redirect("campaign_list", org_slug=org_slug)


# --- Notes -----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def note_list(request, org_slug):
    require_page(request, Capability.VIEW)
    org = request.organization
    form = NoteForm(
        request.POST or None, organization=org, initial={"starts_on": request.GET.get("on")}
    )
    if request.method == "POST":
        require_page(request, Capability.COMPOSE)
        if form.is_valid():
            try:
                calendar_services.create_note(org, by=request.membership, **form.cleaned_data)
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                messages.success(request, _("Note added to the calendar."))
                return redirect("calendar_notes", org_slug=org.slug)
    return render(
        request,
        "publishing/calendar_notes.html",
        {
            "form": form,
            "notes": list(cal.notes_of(org)[:200]),
            "may_compose": can(request.membership, Capability.COMPOSE),
        },
    )


@require_http_methods(["GET", "POST"])
def note_edit(request, org_slug, note_id):
    require_page(request, Capability.COMPOSE)
    org = request.organization
    note = cal.get_note(org, note_id)
    form = NoteForm(
        request.POST or None,
        organization=org,
        initial={
            "title": note.title,
            "body": note.body,
            "starts_on": note.starts_on,
            "ends_on": note.ends_on,
            "team": note.team_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            calendar_services.update_note(note, by=request.membership, **form.cleaned_data)
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("Note saved."))
            return redirect("calendar_notes", org_slug=org.slug)
    return render(request, "publishing/calendar_note_edit.html", {"form": form, "note": note})


@require_POST
def note_delete(request, org_slug, note_id):
    require_page(request, Capability.COMPOSE)
    note = cal.get_note(request.organization, note_id)
    calendar_services.delete_note(note, by=request.membership)
    messages.success(request, _("Note deleted."))
    return redirect("calendar_notes", org_slug=org_slug)


# --- Holidays --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def holiday_settings(request, org_slug):
    require_page(request, Capability.VIEW)
    org = request.organization
    form = HolidayForm(request.POST or None, organization=org)
    if request.method == "POST":
        require_page(request, Capability.MANAGE_TEAMS)
        if form.is_valid():
            try:
                calendar_services.set_holiday_countries(
                    org,
                    by=request.membership,
                    team=form.cleaned_data["team"],
                    countries=form.cleaned_data["countries"],
                )
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                messages.success(request, _("Holiday countries saved."))
                return redirect("calendar_holidays", org_slug=org.slug)
    names = dict(cal.HOLIDAY_COUNTRIES)
    regions = [
        (r, [str(names.get(c, c)) for c in r.countries]) for r in cal.holiday_regions_of(org)
    ]
    return render(
        request,
        "publishing/calendar_holidays.html",
        {
            "form": form,
            "regions": regions,
            "may_manage": can(request.membership, Capability.MANAGE_TEAMS),
        },
    )


# --- Cadence ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def cadence_list(request, org_slug):
    require_page(request, Capability.VIEW)
    org, member = request.organization, request.membership
    names = _network_names()
    channels = list(_visible_channels(member))
    form = CadenceForm(request.POST or None, channels=channels, network_names=names)
    if request.method == "POST":
        require_page(request, Capability.PUBLISH)
        if form.is_valid():
            d = form.cleaned_data
            channel = form.channel_map.get(d["channel"])
            try:
                if channel is None:
                    raise Http404
                calendar_services.set_cadence_target(
                    channel,
                    by=member,
                    min_per_week=d["min_per_week"],
                    max_per_week=d["max_per_week"],
                )
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                messages.success(request, _("Cadence target saved."))
                return redirect("calendar_cadence", org_slug=org.slug)
    visible = {c.pk for c in channels}
    targets = [t for t in cal.cadence_targets_of(org) if t.channel_id in visible]
    for t in targets:
        t.network_name = names.get(t.channel.provider, t.channel.provider)
    return render(
        request,
        "publishing/calendar_cadence.html",
        {"form": form, "targets": targets, "may_manage": can(member, Capability.PUBLISH)},
    )


@require_POST
def cadence_delete(request, org_slug, target_id):
    require_page(request, Capability.PUBLISH)
    target = cal.get_cadence_target(request.organization, target_id)
    from channels_registry.selectors import get_channel_for_member

    get_channel_for_member(
        request.membership, target.channel_id
    )  # a hidden channel's target is a 404
    calendar_services.delete_cadence_target(target, by=request.membership)
    messages.success(request, _("Cadence target removed."))
    return redirect("calendar_cadence", org_slug=org_slug)


# --- Share links -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def share_list(request, org_slug):
    require_page(request, Capability.PUBLISH)
    org, member = request.organization, request.membership
    filters = cal.CalendarFilters.from_data(
        request.POST if request.method == "POST" else request.GET
    )
    form = ShareLinkForm(request.POST or None)
    new_url = new_feed = None
    if request.method == "POST" and form.is_valid():
        try:
            link, token = calendar_services.create_share_link(
                org,
                by=member,
                name=form.cleaned_data["name"],
                filters=filters.as_data(),
                timezone_name=viewer_zone(request),
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            new_url = request.build_absolute_uri(
                reverse("calendar_shared", kwargs={"share_token": token})
            )
            new_feed = request.build_absolute_uri(
                reverse("calendar_shared_feed", kwargs={"share_token": token})
            )
            messages.success(request, _("Share link created. Copy it now: it is shown only once."))
            form = ShareLinkForm()
    return render(
        request,
        "publishing/calendar_share.html",
        {
            "form": form,
            "links": list(cal.share_links_of(org)[:100]),
            "filters": filters.as_data(),
            "filter_labels": _filter_labels(request, filters.as_data()),
            "new_url": new_url,
            "new_feed": new_feed,
            "now": timezone.now(),
        },
    )


@require_POST
def share_revoke(request, org_slug, link_id):
    require_page(request, Capability.PUBLISH)
    link = cal.get_share_link(request.organization, link_id)
    calendar_services.revoke_share_link(link, by=request.membership)
    messages.success(request, _("Share link revoked: it no longer opens the calendar."))
    return redirect("calendar_share", org_slug=org_slug)


# --- The public, read-only shared calendar -----------------------------------------------------------


def _shared_link(request, share_token):
    """(link, creator membership, None) or (None, None, error response) — 404 unknown/tampered, 410 gone.

    The kernel's share links (``socialops.sharing``) answer; a link whose creator lost access is
    refused by the calendar kind's check as revoked.
    """
    link, reason = sharing_views.open_link(share_token, kind=cal.SHARE_KIND)
    if link is None:
        return None, None, sharing_views.gone_response(request, reason, kind=cal.SHARE_KIND)
    return link, cal.shared_link_creator(link), None


@_calendar_styles
@require_GET
def shared_calendar(request, share_token):
    link, _creator, error = _shared_link(request, share_token)
    if error is not None:
        return error
    response = render(
        request,
        "publishing/calendar_shared.html",
        {
            "link": link,
            "org_name": link.organization.name,
            "events_url": reverse("calendar_shared_events", kwargs={"share_token": share_token}),
            "feed_url": request.build_absolute_uri(
                reverse("calendar_shared_feed", kwargs={"share_token": share_token})
            ),
            "zone": link.timezone,
            "language": (get_language() or "en").split("-")[0],
        },
    )
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    response["X-Robots-Tag"] = "noindex"
    return response


def _shared_payload(link, creator, rng):
    filters = cal.CalendarFilters.from_data(link.filters)
    payload = cal.calendar_payload(
        link.organization,
        membership=creator,
        rng=rng,
        filters=filters,
        holiday_team_id=filters.team_id,
        editable=False,
        post_url="",
        cadence=False,  # the team's cadence warnings are internal: not for the link's outsiders
    )
    for event in payload["events"]:
        event.get("extendedProps", {}).pop("author", None)
    return payload


@require_GET
def shared_events(request, share_token):
    link, creator, error = _shared_link(request, share_token)
    if error is not None:
        return _json_error(_("This link is no longer valid."), error.status_code)
    rng = cal.parse_range(request.GET.get("start"), request.GET.get("end"), link.timezone)
    if rng is None:
        return _json_error(_("Give a start and an end of at most 100 days."), 400)
    return JsonResponse(_shared_payload(link, creator, rng))


@require_GET
def shared_feed(request, share_token):
    from .feed import feed_for_link

    link, creator, error = _shared_link(request, share_token)
    if error is not None:
        return HttpResponse(
            _("This calendar link is no longer valid."),
            status=error.status_code,
            content_type="text/plain; charset=utf-8",
        )
    body = feed_for_link(link, creator)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    return response


def compose_initial_at(raw: str | None, zone_name: str) -> dict:
    """The composer's date, time and zone for ``?at=<ISO>`` (a slot clicked on the calendar); {} when unreadable."""
    zone = cal.zone_of(zone_name)
    at = cal.parse_instant(raw, zone)
    if at is None:
        return {}
    local = at.astimezone(zone)
    return {
        "schedule_date": local.date(),
        "schedule_time": local.time().replace(second=0, microsecond=0),
        "schedule_timezone": zone.key,
    }
