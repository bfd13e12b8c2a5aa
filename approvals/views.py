"""Pages of approvals: the queue, review and decide, submit, comments, workflows, policy, out of office,
and the public approval-link page (phone-first). Parse, check access, call one service, render."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.capabilities import Capability, can, require_page
from accounts.selectors import members_of, teams_of
from publishing import selectors as post_selectors
from publishing import services as publishing
from socialops.errors import ApplicationError

from . import presentation, selectors, services
from .forms import (
    MAX_STAGES,
    CommentForm,
    DecisionForm,
    OutOfOfficeForm,
    PolicyForm,
    SubmitForm,
    WorkflowForm,
)
from .models import ApprovalRequest

PAGE_SIZE = 50


# --- What approvers see ------------------------------------------------------------------------------


def post_previews(post, membership) -> list[dict]:
    """The post as it will look on each network: the composer's preview partial, fed from the saved post.
    Only the channels ``membership`` may see (a restricted channel without a grant stays hidden)."""
    items = list(post_selectors.media_of(post))
    out = []
    for variant in post_selectors.variants_of(post, membership):
        preview = publishing.variant_preview(variant, post, items, with_errors=False)
        if preview is not None:
            out.append(preview)
    return out


def _schedule_of(post, request_obj: ApprovalRequest | None) -> dict | None:
    at, zone = post.scheduled_at, post.schedule_timezone
    if at is None and request_obj is not None and request_obj.requested_at is not None:
        at, zone = request_obj.requested_at, request_obj.requested_timezone
    if at is None:
        return None
    zone = zone or "UTC"
    try:
        local = at.astimezone(zoneinfo.ZoneInfo(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local, zone = at, "UTC"
    # naive wall-clock times: the date filter would otherwise shift aware ones into the viewer's zone
    return {
        "utc": at,
        "zone": zone,
        "local": local.replace(tzinfo=None),
        "mine": timezone.localtime(at).replace(tzinfo=None),
        "my_zone": timezone.get_current_timezone_name(),
    }


def _review_context(request_obj: ApprovalRequest, membership) -> dict:
    """What the request page and the link page show ``membership``: previews and the diff of the
    channels they may see only."""
    post = request_obj.post
    return {
        "approval": request_obj,
        "post": post,
        "previews": post_previews(post, membership),
        "diff": selectors.diff_for(request_obj, membership),
        "schedule": _schedule_of(post, request_obj),
        "decisions": list(selectors.decisions_of_post(post)),
        "comments": list(selectors.comments_of(post)),
        "stage_list": presentation.describe_snapshot(
            request_obj.organization_id, request_obj.stages
        ),
        "current_stage_number": request_obj.current_stage + 1
        if request_obj.status == ApprovalRequest.Status.PENDING
        else 0,
        "waiting_on": [
            a
            for a in selectors.assignments_of(request_obj)
            if a.status == "pending"
            and a.round == request_obj.round
            and a.stage_index == request_obj.current_stage
        ]
        if request_obj.status == ApprovalRequest.Status.PENDING
        else [],
        "stage": request_obj.stage,
        "stage_number": request_obj.current_stage + 1,
        "stage_count": len(request_obj.stages),
    }


# --- The queue -----------------------------------------------------------------------------------------


def waiting_for_me(request, org_slug):
    require_page(request, Capability.VIEW)
    rows = list(selectors.waiting_for(request.membership)[:PAGE_SIZE])
    return render(
        request,
        "approvals/waiting.html",
        {
            "rows": rows,
            "now": timezone.now(),
            "may_manage": can(request.membership, Capability.MANAGE_WORKFLOWS),
        },
    )


def waiting_count(request, org_slug):
    """The nav badge (loaded by htmx, so pages do not pay its query): a badge, or nothing when none wait."""
    count = selectors.waiting_count(request.membership)
    body = f'<span class="badge" data-waiting-count>{count}</span>' if count else ""
    return HttpResponse(body, content_type="text/html; charset=utf-8")


def _mentions_url(org_slug: str, post_id: int) -> str:
    return reverse(
        "approval_mention_suggestions", kwargs={"org_slug": org_slug, "post_id": post_id}
    )


def _request_page(request, org_slug, approval, *, form=None, error: str = "", status: int = 200):
    ctx = _review_context(approval, request.membership)
    mine = (
        selectors.pending_assignment_for(approval, request.membership)
        if approval.status == "pending"
        else None
    )
    mentions = _mentions_url(org_slug, approval.post_id)
    ctx.update(
        {
            "mine": mine,
            "form": form or DecisionForm(mentions_url=mentions),
            "error": error,
            "comment_form": CommentForm(mentions_url=mentions),
            "stale": approval.post.version != approval.post_version,
            "may_withdraw": approval.status == "pending"
            and (
                approval.submitted_by_id == request.user.pk
                or can(request.membership, Capability.PUBLISH, approval.post)
            ),
        }
    )
    return render(request, "approvals/request_detail.html", ctx, status=status)


@require_http_methods(["GET"])
def request_detail(request, org_slug, request_id):
    approval = selectors.get_request_for_member(request.membership, request_id)
    return _request_page(request, org_slug, approval)


@require_POST
def request_decide(request, org_slug, request_id):
    approval = selectors.get_request_for_member(request.membership, request_id)
    form = DecisionForm(request.POST, mentions_url=_mentions_url(org_slug, approval.post_id))
    if not form.is_valid():
        error = _("Choose approve, reject or request changes.")
    else:
        try:
            services.decide(
                approval,
                by=request.membership,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
                expected_version=form.cleaned_data["post_version"],
                via="web",
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, _("Your decision was recorded."))
            return redirect("approvals_waiting", org_slug=org_slug)
    # Said next to the buttons (the page opens there), with what was typed kept.
    approval.refresh_from_db()
    return _request_page(request, org_slug, approval, form=form, error=error, status=400)


@require_POST
def request_withdraw(request, org_slug, request_id):
    approval = selectors.get_request_for_member(request.membership, request_id)
    try:
        services.withdraw_request(approval, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Withdrawn: the post is a draft again."))
    return redirect("post_detail", org_slug=org_slug, post_id=approval.post_id)


# --- Submitting and comments -------------------------------------------------------------------------------


def _requested_at(form) -> tuple[datetime | None, str]:
    d = form.cleaned_data
    zone = d.get("requested_timezone") or timezone.get_current_timezone_name()
    if not d.get("requested_date") or not d.get("requested_time"):
        return None, zone
    return publishing.local_to_utc(
        datetime.combine(d["requested_date"], d["requested_time"]), zone
    ), zone


@require_http_methods(["GET", "POST"])
def submit(request, org_slug, post_id):
    post = post_selectors.get_post_for_member(request.membership, post_id, need=Capability.COMPOSE)
    variants = list(
        post_selectors.variants_of(post, request.membership)
    )  # the channels they may see
    zones = {v.channel.timezone for v in variants if v.channel.timezone}
    initial = {
        # like the composer: the channel's zone when there is one, else the person's own
        "requested_timezone": request.GET.get("tz")
        or post.schedule_timezone
        or (zones.pop() if len(zones) == 1 else "")
        or timezone.get_current_timezone_name(),
        "requested_date": request.GET.get("date") or None,
        "requested_time": request.GET.get("time") or None,
    }
    form = SubmitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        at, zone = _requested_at(form)
        try:
            services.submit_for_approval(
                post, by=request.membership, requested_at=at, requested_timezone=zone
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(
                request, _("Submitted for approval: the approvers have been e-mailed.")
            )
            return redirect("post_detail", org_slug=org_slug, post_id=post.pk)
    workflow = selectors.applicable_workflow(post)
    return render(
        request,
        "approvals/submit.html",
        {
            "form": form,
            "post": post,
            "workflow": workflow,
            "stage_list": presentation.describe_specs(services.stage_specs_of(workflow))
            if workflow
            else [],
            "variants": variants,
        },
    )


@require_POST
def comment_add(request, org_slug, post_id):
    post = post_selectors.get_post_for_member(request.membership, post_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.add_comment(post, by=request.membership, body=form.cleaned_data["body"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Comment added."))
    else:
        messages.error(request, _("Write a comment."))
    back = request.POST.get("next", "")
    if back == "request" and request.POST.get("request_id", "").isdigit():
        return redirect(
            "approval_request_detail", org_slug=org_slug, request_id=int(request.POST["request_id"])
        )
    return redirect(
        reverse("post_detail", kwargs={"org_slug": org_slug, "post_id": post.pk}) + "#comments"
    )


@require_http_methods(["GET"])
def mention_suggestions(request, org_slug, post_id):
    """People to @mention in a comment on this post (the comment box's suggestions)."""
    post = post_selectors.get_post_for_member(request.membership, post_id)
    results = services.mention_suggestions(
        request.organization, request.GET.get("q", ""), post=post
    )
    return JsonResponse({"results": results})


# --- Workflows and the policy ---------------------------------------------------------------------------------


def _workflow_form(request, data=None, initial=None):
    from channels_registry.selectors import provider_names

    org = request.organization
    members = [m for m in members_of(org, include_inactive=False)]
    channels = list(post_selectors.composable_channels(request.membership))
    return WorkflowForm(
        data,
        initial=initial,
        members=members,
        teams=list(teams_of(org)),
        channels=channels,
        campaigns=list(post_selectors.campaigns_of(org)),
        networks=provider_names(),
    )


def _applies_to(workflow, names: dict) -> list[str]:
    """What a workflow's conditions say, in words (every condition must match)."""

    def listed(kind, ids):
        return ", ".join(str(names[kind].get(i, "—")) for i in ids)

    parts = []
    if workflow.team_ids:
        parts.append(_("Teams: %(list)s") % {"list": listed("teams", workflow.team_ids)})
    if workflow.channel_ids:
        parts.append(_("Channels: %(list)s") % {"list": listed("channels", workflow.channel_ids)})
    if workflow.networks:
        parts.append(_("Networks: %(list)s") % {"list": listed("networks", workflow.networks)})
    if workflow.campaign_ids:
        parts.append(
            _("Campaigns: %(list)s") % {"list": listed("campaigns", workflow.campaign_ids)}
        )
    if workflow.tags:
        parts.append(_("Tags: %(list)s") % {"list": ", ".join(workflow.tags)})
    if workflow.default_for_team_ids:
        parts.append(
            _("Default for: %(list)s") % {"list": listed("teams", workflow.default_for_team_ids)}
        )
    if not parts:
        parts.append(_("Every post (organization-wide)"))
    return parts


def _channel_names(membership) -> dict:
    """Channel names for conditions: the member's visible channels by name, the others unnamed."""
    from collections import defaultdict

    from channels_registry.selectors import visible_channels

    names = defaultdict(lambda: _("a channel you cannot see"))
    names.update({c.pk: c.name or c.handle for c in visible_channels(membership)})
    return names


def _routing_warnings(request, form, workflow=None) -> list[str]:
    """The builder's flags (selectors.routing_warnings) for what is on the form, or else what is saved."""
    saved = set(workflow.channel_ids or []) if workflow is not None else set()
    if form.is_bound and form.is_valid():
        specs, fields = form.stage_specs(), form.workflow_fields()
        offered = {int(k) for k, _label in form.fields["channel_ids"].choices}
        # the saved conditions the form cannot show (channels this member may not see) stay
        channel_ids, networks = set(fields["channel_ids"]) | (saved - offered), fields["networks"]
    elif workflow is not None:
        specs, channel_ids, networks = services.stage_specs_of(workflow), saved, workflow.networks
    else:
        return []
    return selectors.routing_warnings(
        request.organization,
        specs,
        channel_ids=sorted(channel_ids),
        networks=networks,
        viewer=request.membership,
    )


def workflow_list(request, org_slug):
    from channels_registry.selectors import provider_names

    require_page(request, Capability.MANAGE_WORKFLOWS)
    org = request.organization
    workflows = list(selectors.workflows_with_stages(org))
    names = {
        "teams": {t.pk: t.name for t in teams_of(org)},
        "channels": _channel_names(request.membership),
        "networks": provider_names(),
        "campaigns": {c.pk: c.name for c in post_selectors.campaigns_of(org)},
    }
    rows = [
        {
            "workflow": w,
            "stages": presentation.describe_stage_rows(w.stages.all()),
            "applies": _applies_to(w, names),
        }
        for w in workflows
    ]
    return render(
        request,
        "approvals/workflow_list.html",
        {"rows": rows, "policy": selectors.policy_of(org)},
    )


@require_http_methods(["GET", "POST"])
def workflow_create(request, org_slug):
    require_page(request, Capability.MANAGE_WORKFLOWS)
    form = _workflow_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_workflow(
                request.organization,
                by=request.membership,
                name=form.cleaned_data["name"],
                stages=form.stage_specs(),
                **form.workflow_fields(),
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("Workflow created."))
            return redirect("workflow_list", org_slug=org_slug)
    return render(
        request,
        "approvals/workflow_form.html",
        {
            "form": form,
            "workflow": None,
            "max_stages": MAX_STAGES,
            "routing_warnings": _routing_warnings(request, form),
        },
    )


@require_http_methods(["GET", "POST"])
def workflow_edit(request, org_slug, workflow_id):
    require_page(request, Capability.MANAGE_WORKFLOWS)
    workflow = selectors.get_workflow(request.organization, workflow_id)
    initial = WorkflowForm.initial_for(workflow, services.stage_specs_of(workflow))
    form = _workflow_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_workflow(
                workflow,
                by=request.membership,
                name=form.cleaned_data["name"],
                stages=form.stage_specs(),
                **form.workflow_fields(),
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(
                request,
                _("Workflow saved. Requests already running keep the version they started with."),
            )
            return redirect("workflow_list", org_slug=org_slug)
    return render(
        request,
        "approvals/workflow_form.html",
        {
            "form": form,
            "workflow": workflow,
            "max_stages": MAX_STAGES,
            "routing_warnings": _routing_warnings(request, form, workflow),
        },
    )


@require_POST
def workflow_delete(request, org_slug, workflow_id):
    require_page(request, Capability.MANAGE_WORKFLOWS)
    workflow = selectors.get_workflow(request.organization, workflow_id)
    services.delete_workflow(workflow, by=request.membership)
    messages.success(
        request, _("Workflow deleted. Requests already running finish with their snapshot.")
    )
    return redirect("workflow_list", org_slug=org_slug)


@require_http_methods(["GET", "POST"])
def policy(request, org_slug):
    require_page(request, Capability.MANAGE_WORKFLOWS)
    current = selectors.policy_of(request.organization)
    form = PolicyForm(
        request.POST or None,
        initial={"require_login": current.require_login, "reminder_hours": current.reminder_hours},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_policy(request.organization, by=request.membership, **form.cleaned_data)
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("Approval link policy saved."))
            return redirect("workflow_list", org_slug=org_slug)
    return render(request, "approvals/policy.html", {"form": form})


# --- Out of office ------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def out_of_office(request, org_slug):
    require_page(request, Capability.VIEW)
    member = request.membership
    others = [
        m for m in members_of(request.organization, include_inactive=False) if m.pk != member.pk
    ]
    form = OutOfOfficeForm(request.POST or None, members=others)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.set_out_of_office(
                member,
                by=member,
                delegate=form.members.get(d["delegate"]),
                starts_at=d["starts_at"],
                ends_at=d["ends_at"],
                note=d["note"],
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(
                request, _("Out of office saved: approvals go to your delegate meanwhile.")
            )
            return redirect("out_of_office", org_slug=org_slug)
    return render(
        request,
        "approvals/out_of_office.html",
        {
            "form": form,
            "absences": list(selectors.out_of_office_of(member)),
            "covering": list(selectors.covering_for(member)),
            "now": timezone.now(),
            "zone": timezone.get_current_timezone_name(),
        },
    )


@require_POST
def out_of_office_end(request, org_slug, ooo_id):
    ooo = selectors.get_out_of_office_for_member(request.membership, ooo_id)
    services.end_out_of_office(ooo, by=request.membership)
    messages.success(request, _("You are back: new approvals come to you again."))
    return redirect("out_of_office", org_slug=org_slug)


# --- The public approval link (phone-first) --------------------------------------------------------------------


def _link_zone(link) -> zoneinfo.ZoneInfo:
    """The approver's zone (the organization's when they chose none): the page speaks in their time."""
    name = link.membership.user.timezone or link.organization.timezone or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _refusal_page(request, check: services.LinkCheck):
    ctx = {"reason": check.refusal, "signed_in": request.user.is_authenticated}
    if check.refusal in ("used", "expired") and check.link is not None:
        # When, not what: the person holding the link may not be the one it was for.
        with timezone.override(_link_zone(check.link)):
            when = check.link.used_at if check.refusal == "used" else check.link.expires_at
            # naive wall-clock time: the date filter would shift an aware one into the server's zone
            ctx["when"] = timezone.localtime(when).replace(tzinfo=None)
            ctx["zone"] = timezone.get_current_timezone_name()
    if check.refusal == "stale" and check.link is not None:
        # Said plainly, without showing the post: the person may not be who the link was for.
        ctx.update(
            {
                "link_version": check.link.post_version,
                "post_version": check.link.request.post.version,
            }
        )
    return render(
        request,
        "approvals/link_refused.html",
        ctx,
        status=services.REFUSALS.get(check.refusal, 400),
    )


def _no_referrer(view):
    """The token is in the URL: links followed from the page (previews are urlized) must not carry it to other sites (same-origin keeps the form's Origin for CSRF)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        return response

    return wrapped


@never_cache
@_no_referrer
@require_http_methods(["GET"])
def approval_link_mentions(request, link_token):
    """Suggestions for @mentions in the decision comment, for whoever holds a usable link (nothing is logged)."""
    check = services.check_link(link_token, user=request.user)
    if not check.ok:
        return JsonResponse({"results": []}, status=404 if check.refusal else 403)
    link = check.link
    results = services.mention_suggestions(
        link.organization, request.GET.get("q", ""), post=link.request.post
    )
    return JsonResponse({"results": results})


@never_cache
@_no_referrer
@require_http_methods(["GET", "POST"])
def approval_link(request, link_token):
    check = services.check_link(link_token, user=request.user)
    if check.needs_login:
        return redirect_to_login(request.get_full_path())
    if not check.ok:
        services.record_link_refusal(
            check, user=request.user, action="decide" if request.method == "POST" else "open"
        )
        return _refusal_page(request, check)
    link = check.link
    approval = link.request
    form = DecisionForm(
        request.POST or None,
        mentions_url=reverse("approval_link_mentions", kwargs={"link_token": link_token}),
    )
    error = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                services.decide_by_link(
                    link_token,
                    user=request.user,
                    decision=form.cleaned_data["decision"],
                    comment=form.cleaned_data["comment"],
                )
            except ApplicationError as exc:
                recheck = services.check_link(link_token, user=request.user)
                if not recheck.ok and recheck.refusal:
                    services.record_link_refusal(recheck, user=request.user, action="decide")
                    return _refusal_page(request, recheck)
                error = exc.message
            else:
                stage_index = approval.current_stage
                approval.refresh_from_db()
                approval.post.refresh_from_db()
                with timezone.override(_link_zone(link)):
                    return render(
                        request,
                        "approvals/link_done.html",
                        {
                            "decision": form.cleaned_data["decision"],
                            "approval": approval,
                            "post": approval.post,
                            "stage_index": stage_index,
                        },
                    )
        else:
            error = _("Choose approve, reject or request changes.")
    else:
        services.record_link_opened(check, user=request.user)
    with timezone.override(_link_zone(link)):
        ctx = _review_context(approval, link.membership)
        ctx.update(
            {
                "form": form,
                "error": error,
                "approver": link.membership.user,
                "link": link,
                "organization": link.organization,
            }
        )
        return render(request, "approvals/link_page.html", ctx, status=400 if error else 200)
