"""The inbox pages: the list (refreshed by htmx every 15 s) and a conversation with its reply box.
Each view parses, gets its object through one accessor, calls one service and renders."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.capabilities import Capability, require_page
from accounts.selectors import get_membership, members_of, team_tree
from channels_registry.selectors import network_marks, provider_names
from socialops.errors import ApplicationError

from . import selectors, services
from .forms import InboxFilterForm, ReplyForm
from .models import Conversation
from .services import saved_views

PAGE_SIZE = 50


#: pages past this are refused as page 1 (a mistyped or forged number, not a reader)
MAX_PAGE = 10_000


def _page_number(raw: str | None) -> int:
    """``?page=``: a whole number from 1 to :data:`MAX_PAGE`; anything else is the first page."""
    if raw and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE:
        return int(raw)
    return 1


def _day_start(day, days=0):
    """The start of ``day`` (plus ``days``) in the member's time zone, or None."""
    if day is None:
        return None
    moment = datetime.combine(day + timedelta(days=days), time.min)
    return timezone.make_aware(moment, timezone.get_current_timezone())


def _without_page(params):
    params = params.copy()
    params.pop("page", None)
    return params


def _with_page(params, page: int) -> str:
    params = _without_page(params)
    if page > 1:
        params["page"] = str(page)
    return params.urlencode()


def _list_context(request) -> dict:
    member = request.membership
    channels = list(selectors.moderated_channels(member))
    names = provider_names()
    networks = sorted({(c.provider, names.get(c.provider, c.provider)) for c in channels})
    members = [m for m in members_of(request.organization, include_inactive=False)]
    form = InboxFilterForm(
        request.GET or None,
        channels=channels,
        networks=networks,
        members=members,
        teams=team_tree(request.organization),
    )
    filters = selectors.InboxFilters()
    if form.is_valid():
        d = form.cleaned_data
        filters = selectors.InboxFilters(
            status=d["status"],
            channel_id=d["channel"],
            provider=d["network"],
            assignee=d["assignee"],
            sentiment=d["sentiment"],
            language=d["language"],
            search=d["q"].strip(),
            team_id=d["team"],
            last_from=_day_start(d["last_from"]),
            last_before=_day_start(d["last_to"], days=1),
        )
    page = _page_number(request.GET.get("page"))
    start = (page - 1) * PAGE_SIZE
    # one row past the page says whether there is an older page (no COUNT over a large inbox)
    rows = list(selectors.conversations_for(member, filters)[start : start + PAGE_SIZE + 1])
    has_older, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    marks = network_marks()
    for row in rows:
        row.mark = marks.get(row.channel.provider, "•")
        row.network_name = names.get(row.channel.provider, row.channel.provider)
    return {
        "form": form,
        "rows": rows,
        "query": _without_page(request.GET).urlencode(),
        "page": page,
        "older_query": _with_page(request.GET, page + 1) if has_older else "",
        "newer_query": _with_page(request.GET, page - 1) if page > 1 else "",
        "may_moderate": bool(channels),
        "built_in_views": saved_views.BUILT_IN,
        "saved_views": selectors.saved_views_for(member),
        "filters_query": saved_views.clean_query(request.GET.urlencode()),
    }


def inbox(request, org_slug):
    require_page(request, Capability.VIEW)
    ctx = _list_context(request)
    if request.htmx:
        return render(request, "inbox/_list.html", ctx)
    return render(request, "inbox/inbox.html", ctx)


@require_POST
def save_view(request, org_slug):
    """Keep the list's current filters (posted as ``query``) under a name."""
    require_page(request, Capability.VIEW)
    query = saved_views.query_of_post(request.POST)
    try:
        view = saved_views.save_view(
            request.membership,
            name=request.POST.get("name", ""),
            query=query,
            shared=request.POST.get("shared") == "on",
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _go(request, _inbox_url(org_slug, query))
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return _go(request, _inbox_url(org_slug, view.query))


def _go(request, url):
    """A redirect, as htmx wants it when htmx posted."""
    if request.htmx:
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)


@require_POST
def delete_view(request, org_slug, view_id):
    view = selectors.get_own_saved_view(request.membership, view_id)
    saved_views.delete_view(view)
    messages.success(request, _("View “%(name)s” removed.") % {"name": view.name})
    return redirect("inbox", org_slug=org_slug)


def _inbox_url(org_slug, query):
    url = reverse("inbox", args=[org_slug])
    return f"{url}?{query}" if query else url


def inbox_count(request, org_slug):
    """The nav badge (loaded by htmx): new conversations, or nothing."""
    count = selectors.new_conversation_count(request.membership)
    body = f'<span class="badge" data-inbox-count>{count}</span>' if count else ""
    return HttpResponse(body, content_type="text/html; charset=utf-8")


def _conversation_page(request, conversation, *, form=None, status=200):
    return render(
        request,
        "inbox/conversation.html",
        {
            "conversation": conversation,
            "items": selectors.items_of(conversation),
            "replies": selectors.replies_of(conversation),
            "form": form or ReplyForm(),
            "limit": services.reply_limit(conversation.channel),
            "mark": network_marks().get(conversation.channel.provider, "•"),
            "members": list(members_of(request.organization, include_inactive=False)),
            "capabilities": _moderation_caps(conversation.channel),
        },
        status=status,
    )


def _moderation_caps(channel) -> dict:
    from channels_registry.providers import provider_class

    caps = provider_class(channel.provider).capabilities
    return {"hide": caps.hide_comments, "delete": caps.delete_comments}


def conversation(request, org_slug, conversation_id):
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    return _conversation_page(request, conv)


def _back(org_slug, conv):
    return redirect("inbox_conversation", org_slug=org_slug, conversation_id=conv.pk)


@require_POST
def reply(request, org_slug, conversation_id):
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _conversation_page(request, conv, form=form, status=400)
    try:
        sent = services.send_reply(conv, by=request.membership, text=form.cleaned_data["text"])
    except ApplicationError as exc:
        form.add_error("text", exc.message)
        return _conversation_page(request, conv, form=form, status=400)
    if sent.status == sent.Status.SENT:
        messages.success(request, _("Reply sent."))
    else:
        messages.error(request, _("The reply was not sent: %(error)s") % {"error": sent.error})
    return _back(org_slug, conv)


@require_POST
def reply_resend(request, org_slug, conversation_id, reply_id):
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    failed = selectors.get_reply(conv, reply_id)
    text = request.POST.get("text", "")
    try:
        sent = services.send_reply(conv, by=request.membership, text=text, reply=failed)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(org_slug, conv)
    if sent.status == sent.Status.SENT:
        messages.success(request, _("Reply sent."))
    else:
        messages.error(request, _("The reply was not sent: %(error)s") % {"error": sent.error})
    return _back(org_slug, conv)


@require_POST
def assign(request, org_slug, conversation_id):
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    choice = request.POST.get("assignee", "")
    if choice == "me":
        assignee = request.membership
    elif choice.isdigit():
        assignee = get_membership(request.organization, int(choice))
    else:
        assignee = None
    try:
        services.assign_conversation(conv, by=request.membership, assignee=assignee)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _back(org_slug, conv)


@require_POST
def set_status(request, org_slug, conversation_id):
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    status = request.POST.get("status", "")
    try:
        services.set_conversation_status(conv, by=request.membership, status=status)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if status == Conversation.Status.CLOSED:
            messages.success(request, _("Conversation closed."))
            return redirect("inbox", org_slug=org_slug)
    return _back(org_slug, conv)


@require_POST
def moderate_item(request, org_slug, conversation_id, item_id):
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    item = selectors.get_item(conv, item_id)
    try:
        services.moderate_item(item, by=request.membership, action=request.POST.get("action", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _back(org_slug, conv)
