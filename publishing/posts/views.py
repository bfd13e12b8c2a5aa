"""Pages of publishing (composer, posts, campaigns, CSV import): parse, check access, call services, render."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.capabilities import Capability, can, require_page
from socialops.dates import local_date
from socialops.errors import ApplicationError

from ..calendar.forms import CampaignEditForm
from ..calendar.views import best_times_for, compose_initial_at, viewer_zone
from ..media import selectors as media_selectors
from ..models import Post, PostMedia, PostVariant
from ..scheduler import services as scheduling
from . import bulk, presentation, selectors
from . import services as authoring
from .forms import ComposeForm, CsvImportForm, LocalizeForm, PostBulkForm, PostFilterForm

PAGE_SIZE = 25
#: how many posts one bulk action takes (a page is 25)
BULK_LIMIT = 100
LIBRARY_SIZE = 60


def _user_zone() -> str:
    return timezone.get_current_timezone_name()


# --- The composer --------------------------------------------------------------------------------


@dataclass
class Panel:
    """One variant panel of the composer: a channel, its network's rules and what the person typed."""

    channel: object
    network: str
    limit: int
    counting: str
    link_length: int | None
    first_comment: bool
    formats: list
    selected: bool = False
    text: str = ""
    overridden: bool = False
    format: str = "post"
    link: str = ""
    errors: list = field(default_factory=list)


def _panels(channels, *, selected_ids, texts, formats, errors, link_for) -> list[Panel]:
    out = []
    for channel in channels:
        caps = authoring.network_capabilities(channel.provider)
        if caps is None:
            continue
        fmts = [("post", _("Post"))]
        if caps.stories:
            fmts.append(("story", _("Story")))
        if caps.reels:
            fmts.append(("reel", _("Reel")))
        out.append(
            Panel(
                channel=channel,
                network=authoring.network_name(channel.provider),
                limit=authoring.text_limit_for(channel, caps),
                counting=caps.text_counting,
                link_length=caps.link_length,
                first_comment=caps.first_comment,
                formats=fmts,
                selected=channel.pk in selected_ids,
                text=texts.get(channel.pk, ""),
                overridden=channel.pk in texts,
                format=formats.get(channel.pk, "post"),
                link=link_for(channel),
                errors=errors.get(f"channel_{channel.pk}", []),
            )
        )
    return out


def _variant_input(request, channels) -> tuple[dict[int, str], dict[int, str]]:
    texts, formats = {}, {}
    for channel in channels:
        if request.POST.get(f"variant_override_{channel.pk}") == "1":
            texts[channel.pk] = request.POST.get(f"variant_text_{channel.pk}", "")
        fmt = request.POST.get(f"variant_format_{channel.pk}", "")
        if fmt:
            formats[channel.pk] = fmt
    return texts, formats


def _schedule_at(form) -> tuple[datetime | None, str]:
    d = form.cleaned_data
    zone_name = d.get("schedule_timezone") or _user_zone()
    if not d.get("schedule_date") or not d.get("schedule_time"):
        return None, zone_name
    return scheduling.local_to_utc(
        datetime.combine(d["schedule_date"], d["schedule_time"]), zone_name
    ), zone_name


def _both_zones(at: datetime | None, zone_name: str) -> dict | None:
    if at is None:
        return None
    # "local" is the naive wall clock in the post's zone: |date would convert an aware value to the viewer's zone.
    return {
        "utc": at,
        "zone": zone_name,
        "local": at.astimezone(zoneinfo.ZoneInfo(zone_name)).replace(tzinfo=None),
        "mine": timezone.localtime(at),
        "my_zone": _user_zone(),
    }


def _save_composition(request, form, post: Post | None) -> Post:
    """Parse the composer's form and hand it to its one service (which owns the transaction)."""
    d = form.cleaned_data
    channels = form.selected_channels()
    texts, formats = _variant_input(request, channels)
    assets = form.selected_assets()
    at, zone_name = _schedule_at(form)
    return authoring.save_composition(
        request.organization,
        post,
        by=request.membership,
        action=d.get("action") or "save",
        at=at,
        timezone_name=zone_name,
        text=d["text"],
        channels=channels,
        link_url=d["link_url"],
        first_comment=d["first_comment"],
        campaign=d["campaign"],
        team=d["team"],
        title=d["title"],
        media=assets,
        alt_texts=[request.POST.get(f"alt_{a.pk}", "")[:1000] for a in assets],
        variant_texts=texts,
        variant_formats=formats,
    )


def _compose_page(request, post: Post | None):
    org, member = request.organization, request.membership
    channels = list(selectors.composable_channels(member))
    channels = [c for c in channels if selectors.can_post_to(member, c)]
    from channels_registry.selectors import groups_of

    groups = list(
        groups_of(org, membership=member)
    )  # each group's channels as this member sees them
    assets = list(media_selectors.media_library(org, limit=LIBRARY_SIZE))
    initial, selected_ids, texts, formats, chosen_media, alt_of = {}, set(), {}, {}, [], {}
    if post is not None:
        # Only the variants this member may see: one on a restricted channel they have no grant on is
        # neither shown nor touched (update_post keeps it).
        variants = list(selectors.variants_of(post, member))
        items = list(selectors.media_of(post))
        extra = [v.channel for v in variants if v.channel.pk not in {c.pk for c in channels}]
        channels += extra  # keep channels already on the post visible (e.g. now needing re-auth)
        assets += [m.asset for m in items if m.asset_id not in {a.pk for a in assets}]
        selected_ids = {v.channel_id for v in variants}
        texts = {v.channel_id: v.text for v in variants if v.text_overridden}
        formats = {v.channel_id: v.format for v in variants}
        chosen_media = [m.asset_id for m in items]
        alt_of = {m.asset_id: m.alt_text for m in items}
        slot = post.scheduled_at or post.planned_at  # a draft shows its calendar plan
        local = (
            timezone.localtime(slot, zoneinfo.ZoneInfo(post.schedule_timezone or _user_zone()))
            if slot
            else None
        )
        initial = {
            "title": post.title,
            "text": post.text,
            "link_url": post.link_url,
            "first_comment": post.first_comment,
            "campaign": post.campaign_id,
            "team": post.team_id,
            "channels": [str(i) for i in selected_ids],
            "media": [str(i) for i in chosen_media],
            "schedule_date": local.date() if local else None,
            "schedule_time": local.time() if local else None,
            "schedule_timezone": post.schedule_timezone or _user_zone(),
        }
    else:
        zone = channels[0].timezone if len(channels) == 1 else _user_zone()
        initial = {"schedule_timezone": zone, "team": None}
        initial.update(
            compose_initial_at(request.GET.get("at"), viewer_zone(request))
        )  # from the calendar
    form = ComposeForm(
        request.POST or None,
        initial=initial,
        organization=org,
        channels=channels,
        groups=groups,
        assets=assets,
    )
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        require_page(request, Capability.COMPOSE)
        if form.is_valid():
            selected_ids = {c.pk for c in form.selected_channels()}
            texts, formats = _variant_input(request, form.selected_channels())
            chosen_media = [a.pk for a in form.selected_assets()]
            alt_of = {a.pk: request.POST.get(f"alt_{a.pk}", "") for a in form.selected_assets()}
            try:
                saved = _save_composition(request, form, post)
            except ApplicationError as exc:
                errors = form.apply_error(exc)
            else:
                done = {"schedule": _("Post scheduled."), "publish": _("Post sent for publishing.")}
                messages.success(
                    request, done.get(form.cleaned_data.get("action") or "save", _("Draft saved."))
                )
                if form.cleaned_data.get("action") == "submit":
                    return _to_approval_submit(org, saved, form)
                return redirect("post_detail", org_slug=org.slug, post_id=saved.pk)
        else:
            selected_ids = {int(i) for i in request.POST.getlist("channels") if i.isdigit()}
    campaign = (
        form.cleaned_data.get("campaign")
        if form.is_bound and form.is_valid()
        else (post.campaign if post else None)
    )
    link = (
        form.cleaned_data.get("link_url")
        if form.is_bound and form.is_valid()
        else (post.link_url if post else "")
    )
    final = authoring.final_link(link or "", campaign)
    panels = _panels(
        channels,
        selected_ids=selected_ids,
        texts=texts,
        formats=formats,
        errors=errors,
        link_for=lambda c: final,
    )
    return render(
        request,
        "publishing/compose.html",
        {
            "form": form,
            "post": post,
            "panels": panels,
            "assets": assets,
            "chosen_media": set(chosen_media),
            "alt_of": alt_of,
            "final_link": final,
            "errors": errors,
            "group_channels": {g.pk: [c.pk for c in g.channels.all()] for g in groups},
            "groups": groups,
            "media_library_url": reverse("media_list", kwargs={"org_slug": org.slug}),
            "may_publish": can(member, Capability.PUBLISH),
            "best_times": best_times_for([p.channel for p in panels if p.selected]),
        },
    )


def _to_approval_submit(org, post: Post, form):
    """ "Submit for approval" saved the draft; the approvals app confirms the workflow and the requested time."""
    from urllib.parse import urlencode

    d = form.cleaned_data
    query = {
        "date": d.get("schedule_date") or "",
        "time": (d.get("schedule_time") or "") and d["schedule_time"].strftime("%H:%M"),
        "tz": d.get("schedule_timezone") or "",
    }
    url = reverse("approval_submit", kwargs={"org_slug": org.slug, "post_id": post.pk})
    return redirect(url + "?" + urlencode({k: v for k, v in query.items() if v}))


@require_http_methods(["GET", "POST"])
def compose(request, org_slug):
    require_page(request, Capability.COMPOSE)
    return _compose_page(request, None)


@require_http_methods(["GET", "POST"])
def post_edit(request, org_slug, post_id):
    post = selectors.get_post_for_member(request.membership, post_id)
    require_page(request, Capability.COMPOSE, post)
    return _compose_page(request, post)


def _unsaved_composition(request):
    """What is in the composer now, as unsaved objects: (form, post, [(variant, caps)], media items).

    Only the member's composable channels can be chosen (another organization's channel id is not
    among the form's choices). An invalid form still gives what parsed (the counters keep counting
    while a link is half typed)."""
    org, member = request.organization, request.membership
    channels = [
        c for c in selectors.composable_channels(member) if selectors.can_post_to(member, c)
    ]
    from channels_registry.selectors import groups_of

    groups = list(groups_of(org, membership=member))
    form = ComposeForm(
        request.POST,
        organization=org,
        channels=channels,
        groups=groups,
        assets=list(media_selectors.media_library(org, limit=LIBRARY_SIZE)),
    )
    form.is_valid()
    d = form.cleaned_data
    post = Post(
        organization=org,
        text=d.get("text") or "",
        link_url=d.get("link_url") or "",
        first_comment=d.get("first_comment") or "",
        campaign=d.get("campaign"),
    )
    texts, formats = _variant_input(request, form.selected_channels())
    items = [
        PostMedia(organization=org, asset=a, alt_text=request.POST.get(f"alt_{a.pk}", ""))
        for a in form.selected_assets()
    ]
    variants = []
    for channel in form.selected_channels():
        caps = authoring.network_capabilities(channel.provider)
        if caps is None:
            continue
        variants.append(
            PostVariant(
                organization=org,
                channel=channel,
                text=texts.get(channel.pk, ""),
                text_overridden=channel.pk in texts,
                format=formats.get(channel.pk, "post"),
                first_comment=post.first_comment if caps.first_comment else "",
            )
        )
    return form, post, variants, items, channels


@require_POST
def compose_preview(request, org_slug):
    """The per-network previews for what is in the composer now (htmx partial; nothing is saved)."""
    require_page(request, Capability.COMPOSE)
    form, post, variants, items, channels = _unsaved_composition(request)
    previews, schedule = [], None
    if form.is_valid():
        previews = [authoring.variant_preview(variant, post, items) for variant in variants]
        at, zone_name = _schedule_at(form)
        schedule = _both_zones(at, zone_name)
    picked = {
        int(i) for i in request.POST.getlist("channels") if i.isdigit()
    }  # also when the form is invalid
    return render(
        request,
        "publishing/compose_preview.html",
        {
            "previews": previews,
            "form": form,
            "schedule": schedule,
            "best_times": best_times_for([c for c in channels if c.pk in picked]),
        },
    )


@require_POST
def compose_count(request, org_slug):
    """The composer's live counters: each chosen variant's length as its network counts it (the
    provider's own rule, the one validation uses) and its limit. JSON, asked while typing."""
    require_page(request, Capability.COMPOSE)
    _form, post, variants, _items, _channels = _unsaved_composition(request)
    return JsonResponse(
        {"variants": [authoring.variant_count(variant, post) for variant in variants]}
    )


# --- Posts ---------------------------------------------------------------------------------------


def post_list(request, org_slug):
    require_page(request, Capability.VIEW)
    org, member = request.organization, request.membership
    channels = list(selectors.composable_channels(member))
    campaigns = list(selectors.campaigns_of(org))
    authors = list(selectors.authors_of(org))
    form = PostFilterForm(
        request.GET or None, channels=channels, campaigns=campaigns, authors=authors
    )
    filters, order = selectors.PostFilters(), "send_desc"
    if form.is_valid():
        d = form.cleaned_data
        filters = selectors.PostFilters(
            status=d.get("status") or "",
            channel_id=d.get("channel"),
            campaign_id=d.get("campaign"),
            author_id=d.get("author"),
            search=d.get("q") or "",
        )
        order = d.get("order") or order
    page = Paginator(
        selectors.post_list(org, filters, membership=member, order=order), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    now = timezone.now()
    for post in page.object_list:
        variants = list(post.variants.all())
        post.state = presentation.post_state(post, variants, now=now)
        items = list(post.media_items.all())
        post.thumb = next(
            (m for m in items if m.asset.kind == "image"), items[0] if items else None
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "publishing/post_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "may_compose": can(member, Capability.COMPOSE),
            "network_names": _network_names(),
            "bulk_form": PostBulkForm(initial={"back": request.GET.urlencode()}),
            "filtered": any(v for k, v in request.GET.items() if k not in ("page", "order")),
            "narrowed": sum(
                1 for k in ("status", "channel", "campaign", "author") if request.GET.get(k)
            ),
        },
    )


@require_POST
def post_bulk(request, org_slug):
    """One action on the ticked posts, post by post (publishing/posts/bulk.py says why)."""
    require_page(request, Capability.VIEW)
    member = request.membership
    form = PostBulkForm(request.POST)
    back = reverse("post_list", kwargs={"org_slug": org_slug})
    query = QueryDict(
        request.POST.get("back", "")[:2000]
    ).urlencode()  # re-encoded: a query, never a URL
    back += f"?{query}" if query else ""
    ids = request.POST.getlist("post")
    if not ids:
        messages.error(request, _("Tick at least one post first."))
        return redirect(back)
    if not form.is_valid() or not form.cleaned_data.get("action"):
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        messages.error(
            request, errors[0] if errors else _("Choose what to do with the selected posts.")
        )
        return redirect(back)
    posts = selectors.posts_by_ids(member, ids, limit=BULK_LIMIT)
    action, day = form.cleaned_data["action"], form.cleaned_data.get("to")
    if action == "cancel":
        outcome = bulk.bulk_cancel(posts, by=member)
        done = ngettext(
            "%(count)d post cancelled.", "%(count)d posts cancelled.", len(outcome.done)
        )
    elif action == "move":
        outcome = bulk.bulk_move(posts, by=member, to=day, viewer_zone=_user_zone())
        done = ngettext(
            "%(count)d post moved to %(day)s.",
            "%(count)d posts moved to %(day)s.",
            len(outcome.done),
        )
    else:
        outcome = bulk.bulk_delete_drafts(posts, by=member)
        done = ngettext("%(count)d post deleted.", "%(count)d posts deleted.", len(outcome.done))
    if outcome.done:
        messages.success(request, done % {"count": len(outcome.done), "day": local_date(day)})
    for post, reason in outcome.refused:
        messages.error(
            request, _("Not changed: “%(post)s”. %(reason)s") % {"post": post, "reason": reason}
        )
    gone = len(dict.fromkeys(ids)) - len(posts)
    if gone > 0:
        messages.warning(
            request,
            ngettext(
                "%(count)d selected post no longer exists.",
                "%(count)d selected posts no longer exist.",
                gone,
            )
            % {"count": gone},
        )
    return redirect(back)


def _network_names() -> dict[str, str]:
    from channels_registry.selectors import provider_names

    return provider_names()


def _progress(request, post: Post) -> dict:
    """The changing part of a post's page (publishing/post_progress.html): its state, when, each variant."""
    member = request.membership
    now = timezone.now()
    variants = list(selectors.variants_of(post, member))
    names = _network_names()
    for v in variants:
        v.network_name = names.get(v.channel.provider, v.channel.provider)
        v.final_link = authoring.variant_link(v, post)
        v.state = presentation.variant_state(v, now=now)
    state = presentation.post_state(post, variants, now=now)
    # A post going out right now (just published "now": still "scheduled" in the row) is not edited under it.
    editable = state.status != Post.Status.PUBLISHING and post.status not in (
        Post.Status.PUBLISHING,
        Post.Status.PUBLISHED,
        Post.Status.PARTIALLY_PUBLISHED,
        Post.Status.CANCELLED,
    )
    return {
        "post": post,
        "variants": variants,
        "state": state,
        "editable": editable,
        "when": presentation.post_when(post, variants, state),
        "polling": any(presentation.is_in_flight(v, now=now) for v in variants),
        "may_publish": can(member, Capability.PUBLISH, post),
        "problems": authoring.validate_post(post) if editable else {},
    }


def post_detail(request, org_slug, post_id):
    post = selectors.get_post_for_member(request.membership, post_id)
    member = request.membership
    return render(
        request,
        "publishing/post_detail.html",
        {
            **_progress(request, post),
            "media": list(selectors.media_of(post)),
            "localizations": list(selectors.localizations_of(post, member)),
            "may_compose": can(member, Capability.COMPOSE, post),
        },
    )


@require_GET
def post_progress(request, org_slug, post_id):
    """The post page's state, when and variants, alone (htmx polls it while a publish is in flight)."""
    post = selectors.get_post_for_member(request.membership, post_id)
    return render(
        request, "publishing/post_progress.html", {**_progress(request, post), "oob": True}
    )


@require_POST
def post_delete(request, org_slug, post_id):
    post = selectors.get_post_for_member(request.membership, post_id, need=Capability.COMPOSE)
    try:
        authoring.delete_post(post, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("post_detail", org_slug=org_slug, post_id=post.pk)
    messages.success(request, _("Draft deleted."))
    return redirect("post_list", org_slug=org_slug)


@require_POST
def variant_retry(request, org_slug, post_id, variant_id):
    post = selectors.get_post_for_member(request.membership, post_id)
    variant = selectors.get_variant_for_member(
        request.membership, variant_id, post=post, need=Capability.PUBLISH
    )
    try:
        scheduling.retry_variant(variant, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Retrying %(channel)s.") % {"channel": variant.channel})
    return redirect("post_detail", org_slug=org_slug, post_id=post.pk)


@require_http_methods(["GET", "POST"])
def post_localize(request, org_slug, post_id):
    parent = selectors.get_post_for_member(request.membership, post_id)
    require_page(request, Capability.COMPOSE, parent)
    member = request.membership
    channels = [
        c for c in selectors.composable_channels(member) if selectors.can_post_to(member, c)
    ]
    form = LocalizeForm(request.POST or None, organization=request.organization, channels=channels)
    if request.method == "POST" and form.is_valid():
        try:
            child = authoring.localize_post(
                parent, by=member, team=form.cleaned_data["team"], channels=form.selected_channels()
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(
                request, _("Regional version created; edit its text, time and channels.")
            )
            return redirect("post_edit", org_slug=org_slug, post_id=child.pk)
    return render(request, "publishing/post_localize.html", {"form": form, "post": parent})


# --- Campaigns -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def campaign_list(request, org_slug):
    require_page(request, Capability.VIEW)
    org = request.organization
    may_manage = can(request.membership, Capability.PUBLISH)
    form = CampaignEditForm(request.POST or None, organization=org)
    if request.method == "POST":
        require_page(request, Capability.PUBLISH)
        if form.is_valid():
            try:
                authoring.create_campaign(org, by=request.membership, **form.cleaned_data)
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                messages.success(request, _("Campaign created."))
                return redirect("campaign_list", org_slug=org.slug)
    return render(
        request,
        "publishing/post_campaigns.html",
        {"form": form, "campaigns": list(selectors.campaigns_of(org)), "may_manage": may_manage},
    )


# --- CSV bulk schedule -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def post_import(request, org_slug):
    require_page(request, Capability.PUBLISH)
    from .csv_import import EXPECTED_COLUMNS, import_posts_csv

    form = CsvImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = import_posts_csv(
            request.organization,
            by=request.membership,
            data=form.cleaned_data["file"].read(),
            default_timezone=_user_zone(),
        )
        if report.ok:
            messages.success(
                request,
                _("%(count)d posts imported and scheduled.") % {"count": len(report.post_ids)},
            )
            return redirect("post_list", org_slug=org_slug)
    return render(
        request,
        "publishing/import.html",
        {"form": form, "report": report, "columns": EXPECTED_COLUMNS},
        status=400 if report is not None and not report.ok else 200,
    )
