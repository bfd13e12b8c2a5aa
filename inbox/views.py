"""The inbox pages: the list (refreshed by htmx every 15 s) and a conversation with its reply box.
Each view parses, gets its object through one accessor, calls one service and renders."""

from __future__ import annotations

import unicodedata
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.capabilities import Capability, can, require_page
from accounts.selectors import get_membership, members_of, team_tree
from channels_registry.selectors import network_marks, provider_names
from socialops.dates import local_datetime
from socialops.errors import ApplicationError

from . import selectors, services
from .forms import (
    ApproveReplyForm,
    InboxFilterForm,
    NoteForm,
    ReplyForm,
    RoutingRuleForm,
    SavedReplyForm,
    SlaTargetForm,
    TriageForm,
)
from .models import Conversation, Priority, Sentiment
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
    # the names for the assignee filter only: not each member's teams
    members = list(members_of(request.organization, include_inactive=False).prefetch_related(None))
    tags = selectors.tags_of_org(request.organization)
    form = InboxFilterForm(
        request.GET or None,
        channels=channels,
        networks=networks,
        members=members,
        tags=tags,
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
            tag_id=d["tag"],
            sort=d["sort"],
        )
    page = _page_number(request.GET.get("page"))
    # one row past the page says whether there is an older page (no COUNT over a large inbox)
    found = selectors.conversation_rows(
        member,
        filters,
        (page - 1) * PAGE_SIZE,
        PAGE_SIZE,
        channels=channels,
    )
    has_older, rows = found.more, found.rows
    _describe_rows(request, rows, channels=channels, network_names=names)
    return {
        "ranked_cut": found.ranked_cut,
        "form": form,
        "rows": rows,
        # the words every row repeats (inbox.templatetags.inbox_list), translated once
        "row_words": {"language": _("Language"), "until": _("until")},
        "query": _without_page(request.GET).urlencode(),
        "page": page,
        "older_query": _with_page(request.GET, page + 1) if has_older else "",
        "newer_query": _with_page(request.GET, page - 1) if page > 1 else "",
        "may_moderate": bool(channels),
        "built_in_views": saved_views.BUILT_IN,
        "saved_views": selectors.saved_views_for(member),
        "filters_query": saved_views.clean_query(request.GET.urlencode()),
        "tags": tags,
    }


#: the list shows this many characters of a conversation's snippet
EXCERPT = 140


def _excerpt(text: str) -> str:
    """``text|truncatechars:EXCERPT``, without the truncator's work for the many that fit."""
    text = unicodedata.normalize("NFC", text)  # (as the truncator returns it)
    return text if len(text) <= EXCERPT else Truncator(text).chars(EXCERPT)


def _describe_rows(request, rows, *, channels, network_names) -> None:
    """What each row of the list shows, written once per page: the labels, words and link
    patterns translated or reversed once, the times formatted here (the template then only
    places them: per row, its translations, ``{% url %}`` and date filters were most of the
    page's time on a large inbox)."""
    marks = network_marks()
    tagged = selectors.tags_by_conversation(rows)
    now = timezone.now()
    # the labels once per page (a model's get_FOO_display translates every choice on each call)
    labels = {
        "status": dict(Conversation.Status.choices),
        "kind": dict(Conversation.Kind.choices),
        "priority": dict(Priority.choices),
        "sentiment": dict(Sentiment.choices),
    }
    labels = {key: {k: str(v) for k, v in choices.items()} for key, choices in labels.items()}
    handles = {c.pk: c.display_handle or c.name for c in channels}
    # "/o/<slug>/inbox/0/" → the prefix and suffix around a conversation's id
    link = reverse("inbox_conversation", args=[request.organization.slug, 0])
    link_start, link_end = link[: link.rindex("/0/") + 1], link[link.rindex("/0/") + 2 :]
    words = {
        "unknown": _("Unknown"),
        "no_text": _("(no text)"),
        "pick": _("Select the conversation with %(name)s"),
        "due": _("Answer due"),
        "assigned": _("Assigned to %(name)s"),
        "unassigned": _("Unassigned"),
    }
    for row in rows:
        row.sla = services.sla_state(row, now)
        row.sla_text = services.sla_text(row, row.sla, now)
        row.sla_title = f"{words['due']} {local_datetime(row.sla_due_at)}" if row.sla else ""
        row.tag_list = tagged.get(row.pk, [])
        provider = row.channel.provider
        row.mark = marks.get(provider, "•")
        row.network_name = network_names.get(provider, provider)
        row.channel_label = handles.get(row.channel_id) or (
            row.channel.display_handle or row.channel.name
        )
        row.status_label = labels["status"].get(row.status, row.status)
        row.kind_label = labels["kind"].get(row.kind, row.kind)
        row.priority_label = labels["priority"].get(row.priority, row.priority)
        row.sentiment_label = labels["sentiment"].get(row.sentiment, row.sentiment)
        who = row.author_name or row.author_handle
        row.who = who or words["unknown"]
        row.pick_label = words["pick"] % {"name": who}
        row.link = f"{link_start}{row.pk}{link_end}"
        row.excerpt = _excerpt(row.snippet) or words["no_text"]
        row.at_iso = timezone.localtime(row.last_item_at).isoformat()
        row.at_text = local_datetime(row.last_item_at)
        row.snoozed_iso = row.snoozed_text = ""
        if row.status == Conversation.Status.SNOOZED and row.snoozed_until:
            row.snoozed_iso = timezone.localtime(row.snoozed_until).isoformat()
            row.snoozed_text = local_datetime(row.snoozed_until)
        row.assignee_text = (
            words["assigned"] % {"name": row.assignee.user.get_short_name()}
            if row.assignee
            else words["unassigned"]
        )


def inbox(request, org_slug):
    require_page(request, Capability.VIEW)
    ctx = _list_context(request)
    if request.htmx:
        return render(request, "inbox/_list.html", ctx)
    ctx["may_set_reply_approval"] = can(request.membership, Capability.MANAGE_TEAMS)
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


@require_POST
def rename_view(request, org_slug, view_id):
    """A new name for one of the member's own views; back to the list as it was (``query``)."""
    view = selectors.get_own_saved_view(request.membership, view_id)
    back = _inbox_url(org_slug, saved_views.clean_query(request.POST.get("query", "")))
    try:
        view = saved_views.rename_view(
            view, by=request.membership, name=request.POST.get("name", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("View renamed to “%(name)s”.") % {"name": view.name})
    return redirect(back)


def _inbox_url(org_slug, query):
    url = reverse("inbox", args=[org_slug])
    return f"{url}?{query}" if query else url


def inbox_count(request, org_slug):
    """The nav badge (loaded by htmx): new conversations, or nothing."""
    count = selectors.new_conversation_count(request.membership)
    body = f'<span class="badge" data-inbox-count>{count}</span>' if count else ""
    return HttpResponse(body, content_type="text/html; charset=utf-8")


def _mentions_url(request, conversation) -> str:
    return reverse("inbox_mentions", args=[request.organization.slug, conversation.pk])


def _seen_initial(conversation) -> dict:
    seen = services.seen_marker(conversation)
    return {"last_seen_item": seen.item, "last_seen_reply": seen.reply}


def _conversation_page(
    request, conversation, *, form=None, note_form=None, collision=None, status=200
):
    member = request.membership
    replies = selectors.replies_of(conversation)
    for r in replies:
        r.may_decide = services.may_approve_reply(member, r)
    return render(
        request,
        "inbox/conversation.html",
        {
            "conversation": conversation,
            "timeline": selectors.timeline_of(conversation),
            "replies": replies,
            "form": form or ReplyForm(initial=_seen_initial(conversation)),
            "note_form": note_form or NoteForm(mentions_url=_mentions_url(request, conversation)),
            "collision": collision,
            "needs_approval": services.needs_approval(member, conversation),
            "presence_every": services.presence.HEARTBEAT_EVERY,
            "sla": services.sla_state(conversation),
            "sla_text": services.sla_text(conversation, services.sla_state(conversation)),
            "limit": services.reply_limit(conversation.channel),
            "mark": network_marks().get(conversation.channel.provider, "•"),
            "members": list(members_of(request.organization, include_inactive=False)),
            "capabilities": _moderation_caps(conversation.channel),
            "triage_form": TriageForm(
                initial={
                    "priority": conversation.priority,
                    "team": conversation.assigned_team_id or TriageForm.NO_TEAM,
                },
                teams=team_tree(request.organization),
            ),
            "tags": selectors.tags_of_org(request.organization),
            "conversation_tags": selectors.tags_by_conversation([conversation])[conversation.pk],
            "saved_replies": [
                (
                    saved,
                    services.render_saved_reply(
                        saved, conversation=conversation, by=request.membership
                    ),
                )
                for saved in selectors.saved_replies_for(request.membership, conversation)
            ],
            "next_pk": request.GET.get("next", ""),
        },
        status=status,
    )


def _moderation_caps(channel) -> dict:
    from channels_registry.providers import provider_class

    caps = provider_class(channel.provider).capabilities
    return {"hide": caps.hide_comments, "delete": caps.delete_comments, "like": caps.like_comments}


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
    d = form.cleaned_data
    seen = None
    if d["last_seen_item"] is not None or d["last_seen_reply"] is not None:
        seen = services.Seen(item=d["last_seen_item"] or 0, reply=d["last_seen_reply"] or 0)
    try:
        sent = services.send_reply(
            conv, by=request.membership, text=d["text"], seen=seen, force=d["force"]
        )
    except services.ReplyCollision as exc:
        # the warning shows the other answer; "Send anyway" posts the text again with force
        again = ReplyForm(initial={"text": d["text"], **_seen_initial(conv)})
        return _conversation_page(request, conv, form=again, collision=exc, status=400)
    except ApplicationError as exc:
        form.add_error("text", exc.message)
        return _conversation_page(request, conv, form=form, status=400)
    services.presence.leave(conv, by=request.membership)
    if sent.status == sent.Status.AWAITING_APPROVAL:
        messages.success(request, _("Reply sent for approval."))
    elif sent.status == sent.Status.SENT:
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
    if sent.status == sent.Status.AWAITING_APPROVAL:
        messages.success(request, _("Reply sent for approval."))
    elif sent.status == sent.Status.SENT:
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
def triage(request, org_slug, conversation_id):
    """Set the conversation's priority and team by hand (its SLA due follows)."""
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    teams = team_tree(request.organization)
    form = TriageForm(request.POST, teams=teams)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return _go(request, _conversation_url(org_slug, conv))
    try:
        services.set_conversation_triage(
            conv, by=request.membership, **form.triage({t.pk: t for t, _d in teams})
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Priority and team saved."))
    return _go(request, _conversation_url(org_slug, conv))


def _conversation_url(org_slug, conv) -> str:
    return reverse("inbox_conversation", args=[org_slug, conv.pk])


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
            # "e" (close and next): the next conversation of the list, if the page named one
            following = request.POST.get("next", "")
            if following.isdigit():
                return redirect(
                    "inbox_conversation", org_slug=org_slug, conversation_id=int(following)
                )
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


# --- tags, snooze, bulk, saved replies ---------------------------------------------------------


@require_POST
def conversation_tag(request, org_slug, conversation_id):
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    tag = selectors.get_tag(request.organization, request.POST.get("tag", ""))
    try:
        services.tag_conversation(
            conv, by=request.membership, tag=tag, on=request.POST.get("action") != "remove"
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _back(org_slug, conv)


def _parse_local_datetime(raw: str):
    from datetime import datetime

    from django.utils import timezone

    try:
        value = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@require_POST
def snooze(request, org_slug, conversation_id):
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    until = _parse_local_datetime(request.POST.get("until", ""))
    if until is None:
        messages.error(request, _("Pick a date and time to snooze until."))
        return _back(org_slug, conv)
    try:
        services.snooze_conversation(conv, by=request.membership, until=until)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(org_slug, conv)
    messages.success(request, _("Conversation snoozed."))
    return redirect("inbox", org_slug=org_slug)


@require_POST
def bulk(request, org_slug):
    """One action over the ticked conversations; a summary says how many were done / refused."""
    require_page(request, Capability.VIEW)
    action = request.POST.get("action", "")
    tag = None
    if action == "tag":
        tag = selectors.get_tag(request.organization, request.POST.get("tag", ""))
    ids = request.POST.getlist("conversation")
    if not ids:
        messages.error(request, _("Tick at least one conversation first."))
    else:
        try:
            result = services.bulk_action(request.membership, ids, action=action, tag=tag)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            text = _("%(done)d done, %(refused)d refused.") % {
                "done": len(result.done),
                "refused": len(result.refused),
            }
            (messages.success if not result.refused else messages.warning)(request, text)
    back = request.POST.get("query", "")
    url = reverse("inbox", args=[org_slug])
    return redirect(f"{url}?{back}" if back else url)


def tags_page(request, org_slug):
    require_page(request, Capability.MODERATE)
    if request.method == "POST":
        try:
            services.create_tag(
                request.membership,
                name=request.POST.get("name", ""),
                colour=request.POST.get("colour", "#6b7280"),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Tag created."))
        return redirect("inbox_tags", org_slug=org_slug)
    return render(request, "inbox/tags.html", {"tags": selectors.tags_of_org(request.organization)})


def _saved_form(request, data=None, initial=None):
    from accounts.selectors import teams_of

    return SavedReplyForm(data, initial=initial, teams=teams_of(request.organization))


def _save_from_form(request, form, saved=None):
    from accounts.selectors import get_team

    if not form.is_valid():
        return False
    d = form.cleaned_data
    team = get_team(request.organization, d["team"]) if d["team"] else None
    try:
        services.save_saved_reply(
            request.membership,
            title=d["title"],
            text=d["text"],
            team=team,
            language=d["language"],
            saved=saved,
        )
    except ApplicationError as exc:
        for name, errors in (exc.fields or {"text": [exc.message]}).items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
        return False
    return True


def saved_replies(request, org_slug):
    require_page(request, Capability.MODERATE)
    form = _saved_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and _save_from_form(request, form):
        messages.success(request, _("Saved reply saved."))
        return redirect("inbox_saved_replies", org_slug=org_slug)
    rows = selectors.saved_replies_of_org(request.organization)
    for row in rows:
        row.may_manage = services.may_manage_saved_reply(request.membership, row.team)
    return render(
        request,
        "inbox/saved_replies.html",
        {"rows": rows, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def saved_reply_edit(request, org_slug, saved_id):
    require_page(request, Capability.MODERATE)
    saved = selectors.get_saved_reply(request.organization, saved_id)
    initial = {
        "title": saved.title,
        "text": saved.text,
        "team": saved.team_id,
        "language": saved.language,
    }
    form = _saved_form(request, request.POST if request.method == "POST" else None, initial)
    if request.method == "POST" and _save_from_form(request, form, saved):
        messages.success(request, _("Saved reply saved."))
        return redirect("inbox_saved_replies", org_slug=org_slug)
    return render(
        request,
        "inbox/saved_reply_edit.html",
        {"saved": saved, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def saved_reply_delete(request, org_slug, saved_id):
    require_page(request, Capability.MODERATE)
    saved = selectors.get_saved_reply(request.organization, saved_id)
    try:
        services.delete_saved_reply(request.membership, saved)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved reply deleted."))
    return redirect("inbox_saved_replies", org_slug=org_slug)


# --- notes, presence, reply approval ------------------------------------------------------------


@require_POST
def add_note(request, org_slug, conversation_id):
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    form = NoteForm(request.POST, mentions_url=_mentions_url(request, conv))
    if not form.is_valid():
        return _conversation_page(request, conv, note_form=form, status=400)
    try:
        note = services.add_note(conv, by=request.membership, text=form.cleaned_data["text"])
    except ApplicationError as exc:
        form.add_error("text", exc.message)
        return _conversation_page(request, conv, note_form=form, status=400)
    messages.success(request, _("Note added."))
    return redirect(reverse("inbox_conversation", args=[org_slug, conv.pk]) + f"#note-{note.pk}")


@require_GET
def mention_suggestions(request, org_slug, conversation_id):
    """People to @mention in a note (the note box's suggestions): those who may work it."""
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    return JsonResponse(
        {"results": services.note_mention_suggestions(conv, request.GET.get("q", ""))}
    )


@require_POST
def presence(request, org_slug, conversation_id):
    """The page's heartbeat (htmx, every few seconds; ``typing=1`` while the reply box changes):
    answers who else is here, as a fragment."""
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    services.presence.heartbeat(
        conv, by=request.membership, typing=request.POST.get("typing") == "1"
    )
    return render(
        request,
        "inbox/_presence.html",
        {"others": services.presence.others_on(conv, by=request.membership)},
    )


# --- Routing rules and SLA targets (managers of teams) -------------------------------------------


def _rule_form(request, data=None, initial=None):
    from channels_registry.selectors import networks_for, visible_channels

    org = request.organization
    return RoutingRuleForm(
        data,
        initial=initial,
        channels=visible_channels(request.membership),
        teams=team_tree(org),
        networks=[(key, cls.name) for key, cls in networks_for(org)],
        members=members_of(org, include_inactive=False).order_by("user__full_name", "user__email"),
        tags=selectors.tags_of_org(org),
    )


def _rule_rows(request, rules):
    """What the list shows of each rule: a channel the member may not see is not named."""
    from channels_registry.selectors import visible_channels

    names = {c.pk: c.display_handle or c.name for c in visible_channels(request.membership)}
    teams = {t.pk: t.name for t, _d in team_tree(request.organization)}
    for rule in rules:
        rule.channel_names = [names.get(c, _("a channel you cannot see")) for c in rule.channels]
        rule.team_names = [teams.get(t, "?") for t in rule.teams]
    return rules


def routing_rules(request, org_slug):
    require_page(request, Capability.MANAGE_TEAMS)
    form = _rule_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_routing_rule(
                request.organization, by=request.membership, data=form.rule_data()
            )
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Routing rule saved."))
            return redirect("inbox_routing_rules", org_slug=org_slug)
    return render(
        request,
        "inbox/routing_rules.html",
        {
            "rules": _rule_rows(request, selectors.routing_rules_of(request.organization)),
            "form": form,
            "targets": services.sla_targets_of(request.organization),
            "sla_form": SlaTargetForm(teams=team_tree(request.organization)),
        },
        status=400 if request.method == "POST" else 200,
    )


def _apply_error(form, exc: ApplicationError) -> None:
    placed = False
    for field, errors in exc.fields.items():
        if field in form.fields:
            for error in errors:
                form.add_error(field, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def routing_rule_edit(request, org_slug, rule_id):
    require_page(request, Capability.MANAGE_TEAMS)
    rule = selectors.get_routing_rule(request.organization, rule_id)
    form = _rule_form(
        request,
        request.POST if request.method == "POST" else None,
        RoutingRuleForm.initial_for(rule),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_routing_rule(rule, by=request.membership, data=form.rule_data())
        except ApplicationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Routing rule saved."))
            return redirect("inbox_routing_rules", org_slug=org_slug)
    return render(
        request,
        "inbox/routing_rule_edit.html",
        {"rule": rule, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def approve_reply(request, org_slug, conversation_id, reply_id):
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    waiting = selectors.get_reply(conv, reply_id)
    form = ApproveReplyForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return _back(org_slug, conv)
    try:
        sent = services.approve_reply(
            waiting,
            by=request.membership,
            text=form.cleaned_data["text"],
            comment=form.cleaned_data["comment"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(org_slug, conv)
    if sent.status == sent.Status.SENT:
        messages.success(request, _("Reply approved and sent."))
    else:
        messages.error(request, _("Approved, but not sent: %(error)s") % {"error": sent.error})
    return _back(org_slug, conv)


@require_POST
def reject_reply(request, org_slug, conversation_id, reply_id):
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    waiting = selectors.get_reply(conv, reply_id)
    try:
        services.reject_reply(
            waiting, by=request.membership, comment=request.POST.get("comment", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Reply rejected; its author is told."))
    return _back(org_slug, conv)


def reply_approval_settings(request, org_slug):
    """Which teams and members send their replies for approval first."""
    require_page(request, Capability.MANAGE_TEAMS)
    org = request.organization
    if request.method == "POST":
        team_ids = [int(v) for v in request.POST.getlist("team") if v.isdigit()]
        member_ids = [int(v) for v in request.POST.getlist("member") if v.isdigit()]
        services.set_reply_approval(
            org, by=request.membership, team_ids=team_ids, membership_ids=member_ids
        )
        messages.success(request, _("Reply approval saved."))
        return redirect("inbox_reply_approval", org_slug=org_slug)
    teams, members = selectors.reply_approval_settings(org)
    return render(
        request,
        "inbox/reply_approval.html",
        {
            "teams": team_tree(org),
            "members": members_of(org, include_inactive=False).order_by("user__email"),
            "chosen_teams": teams,
            "chosen_members": members,
        },
    )


@require_POST
def routing_rule_delete(request, org_slug, rule_id):
    require_page(request, Capability.MANAGE_TEAMS)
    rule = selectors.get_routing_rule(request.organization, rule_id)
    services.delete_routing_rule(rule, by=request.membership)
    messages.success(request, _("Routing rule deleted."))
    return redirect("inbox_routing_rules", org_slug=org_slug)


@require_POST
def routing_rule_move(request, org_slug, rule_id):
    """``direction=up|down`` moves the rule one place; ``position=N`` puts it at N (1 = first)."""
    require_page(request, Capability.MANAGE_TEAMS)
    rule = selectors.get_routing_rule(request.organization, rule_id)
    rules = [r.pk for r in selectors.routing_rules_of(request.organization)]
    place = rules.index(rule.pk) + 1
    direction = request.POST.get("direction")
    position = {"up": place - 1, "down": place + 1}.get(direction, request.POST.get("position"))
    try:
        services.move_routing_rule(rule, by=request.membership, position=position or 1)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("inbox_routing_rules", org_slug=org_slug)


@require_POST
def sla_target(request, org_slug):
    """Set (or, with no hours, remove) the SLA target of a team (or the organization) and priority."""
    require_page(request, Capability.MANAGE_TEAMS)
    org = request.organization
    form = SlaTargetForm(request.POST, teams=team_tree(org))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("inbox_routing_rules", org_slug=org_slug)
    d = form.cleaned_data
    team = None
    if d["team"] is not None:
        from accounts.selectors import get_team

        team = get_team(org, d["team"])
    try:
        services.set_sla_target(
            org, by=request.membership, team=team, priority=d["priority"], hours_=d["hours"]
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("SLA target saved."))
    return redirect("inbox_routing_rules", org_slug=org_slug)
