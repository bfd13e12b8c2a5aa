"""Pages of channels_registry: thin — parse, check access, call one service, render."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.capabilities import Capability, can, require_page
from socialops.errors import ApplicationError, NotAllowed

from . import selectors, services
from .forms import (
    ChannelFilterForm,
    ChannelGroupForm,
    ChannelSettingsForm,
    ChooseAccountsForm,
    ConnectForm,
    GrantForm,
)
from .models import Channel, ConnectAttempt
from .providers import REGISTRY, SANDBOX, network_with_auth
from .providers.base import WebhookRequest
from .providers.sandbox import SANDBOX_ACCOUNTS, make_authorization_code

PAGE_SIZE = 50


def _filters(request) -> tuple[ChannelFilterForm, selectors.ChannelFilters]:
    form = ChannelFilterForm(request.GET or None, organization=request.organization)
    filters = selectors.ChannelFilters()
    if form.is_valid():
        d = form.cleaned_data
        filters = selectors.ChannelFilters(
            provider=d.get("network") or "",
            team=d.get("team"),
            status=d.get("status") or "",
            search=(d.get("q") or "").strip(),
        )
    return form, filters


# --- Inventory -----------------------------------------------------------------------------


def channel_list(request, org_slug):
    require_page(request, Capability.VIEW)
    form, filters = _filters(request)
    qs = selectors.visible_channels(request.membership, filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    names = selectors.provider_names()
    page.object_list = list(page.object_list)
    for channel in page.object_list:
        channel.network_name = names.get(channel.provider, channel.provider)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "channels_registry/channel_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_manage": can(request.membership, Capability.MANAGE_CHANNELS),
        },
    )


_CSV_COLUMNS = [
    "id",
    "network",
    "external_id",
    "handle",
    "name",
    "team",
    "status",
    "access",
    "timezone",
    "token_expires_at",
    "last_synced_at",
    "created_at",
    "url",
]


def _csv_cell(value) -> str:
    text = "" if value is None else str(value)
    # Handles and names come from the networks: keep spreadsheets from running them as formulas.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


def channel_export(request, org_slug):
    require_page(request, Capability.VIEW)
    _form, filters = _filters(request)
    services.record_channel_export(request.membership, filters=filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="channels-{request.organization.slug}-{stamp}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(_CSV_COLUMNS)
    for c in selectors.visible_channels(request.membership, filters).iterator(chunk_size=500):
        writer.writerow(
            [
                _csv_cell(v)
                for v in (
                    c.pk,
                    c.provider,
                    c.external_id,
                    c.handle,
                    c.name,
                    c.team.name if c.team else "",
                    c.status,
                    c.access,
                    c.timezone,
                    c.token_expires_at.isoformat() if c.token_expires_at else "",
                    c.last_synced_at.isoformat() if c.last_synced_at else "",
                    c.created_at.isoformat(),
                    c.url,
                )
            ]
        )
    return response


# --- Connecting ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def connect(request, org_slug):
    require_page(request, Capability.MANAGE_CHANNELS)
    org = request.organization
    providers = selectors.networks_for(org)
    kinds = {key: cls.capabilities.auth_kind for key, cls in providers}
    network = request.POST.get("network") or request.GET.get("network") or ""
    if network and network not in kinds:
        network = ""
    form = ConnectForm(request.POST or None, initial={"network": network})
    if request.method == "POST" and form.is_valid():
        key = form.cleaned_data["network"]
        # atproto networks offer both: "Sign in with Bluesky" (OAuth) and an app password.
        method = request.POST.get("method", "")
        use_password = kinds.get(key) == "app_password" or (
            kinds.get(key) == "atproto"
            and (
                method == "app_password"
                or (method != "oauth" and bool(form.cleaned_data["app_password"]))
            )
        )
        try:
            if use_password:
                attempt = services.connect_with_app_password(
                    org,
                    by=request.membership,
                    provider_key=key,
                    handle=form.cleaned_data["handle"],
                    app_password=form.cleaned_data["app_password"],
                    service_url=form.cleaned_data["service_url"],
                )
                return redirect("channel_connect_choose", org_slug=org.slug, attempt_id=attempt.pk)
            started = services.start_connect(
                org,
                by=request.membership,
                provider_key=key,
                instance_url=form.cleaned_data["instance_url"],
                handle=form.cleaned_data["handle"],
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            return HttpResponseRedirect(started.authorization_url)
    return render(
        request,
        "channels_registry/connect.html",
        {
            "form": form,
            "network": network,
            "kind": kinds.get(network, ""),
            "providers": [
                (key, cls.name, kinds[key], selectors.provider_is_configured(key))
                for key, cls in providers
            ],
            # only the people who run the server see which settings to change
            "server_admin": request.user.is_staff or request.user.is_superuser,
            "simulated_network": SANDBOX,
        },
    )


@login_required
def connect_callback(request, provider):
    """Where every network sends the person back. The org comes from the attempt, never the URL."""
    if provider not in REGISTRY:
        raise Http404("No such network.")
    state = request.GET.get("state", "")
    code = "" if request.GET.get("error") else request.GET.get("code", "")
    try:
        attempt = services.complete_connect(
            state, code, user=request.user, provider_key=provider, iss=request.GET.get("iss")
        )
    except NotAllowed as exc:
        return render(
            request, "channels_registry/connect_error.html", {"message": exc.message}, status=403
        )
    except ApplicationError as exc:
        return render(
            request, "channels_registry/connect_error.html", {"message": exc.message}, status=400
        )
    return redirect(
        "channel_connect_choose", org_slug=attempt.organization.slug, attempt_id=attempt.pk
    )


@require_http_methods(["GET", "POST"])
def connect_choose(request, org_slug, attempt_id):
    attempt = selectors.get_attempt_for_member(request.membership, attempt_id)
    require_page(request, Capability.MANAGE_CHANNELS)
    org = request.organization
    if attempt.status != ConnectAttempt.Status.AUTHORIZED:
        messages.error(
            request,
            _("This connection is finished or failed. Start again if a channel is missing."),
        )
        return redirect("channel_list", org_slug=org.slug)
    preselect = (
        [attempt.channel.external_id]
        if attempt.channel_id
        else ([attempt.candidates[0]["external_id"]] if len(attempt.candidates) == 1 else [])
    )
    connected = selectors.channels_for_accounts(
        org, attempt.provider, [c["external_id"] for c in attempt.candidates]
    )
    # Reconnecting one known channel starts from its own team and time zone (what the person sees is what is saved).
    known = (
        attempt.channel
        if attempt.channel_id
        else (connected.get(preselect[0]) if len(preselect) == 1 else None)
    )
    initial = {
        "accounts": preselect,
        "timezone": known.timezone if known else org.timezone,
        "team": known.team_id if known else None,
    }
    form = ChooseAccountsForm(
        request.POST or None,
        organization=org,
        candidates=attempt.candidates,
        initial=initial,
        connected=connected,
    )
    if request.method == "POST" and form.is_valid():
        try:
            channels = services.add_channels(
                attempt,
                by=request.membership,
                external_ids=form.cleaned_data["accounts"],
                team=form.cleaned_data["team"],
                timezone_name=form.cleaned_data["timezone"],
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d channel connected.", "%(count)d channels connected.", len(channels)
                )
                % {"count": len(channels)},
            )
            if len(channels) == 1:
                return redirect("channel_detail", org_slug=org.slug, channel_id=channels[0].pk)
            return redirect("channel_list", org_slug=org.slug)
    return render(
        request,
        "channels_registry/connect_choose.html",
        {
            "form": form,
            "attempt": attempt,
            "network": selectors.provider_names().get(attempt.provider, attempt.provider),
            "connected": connected,
        },
    )


# --- One channel ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def channel_detail(request, org_slug, channel_id):
    channel = selectors.get_channel_for_member(request.membership, channel_id)
    org = request.organization
    manage = can(request.membership, Capability.MANAGE_CHANNELS, channel)
    initial = {"team": channel.team_id, "timezone": channel.timezone, "access": channel.access}
    form = ChannelSettingsForm(request.POST or None, organization=org, initial=initial)
    if request.method == "POST":
        require_page(request, Capability.MANAGE_CHANNELS, channel)
        if form.is_valid():
            try:
                by = request.membership
                services.set_channel_team(channel, by=by, team=form.cleaned_data["team"])
                services.set_channel_timezone(
                    channel, by=by, timezone_name=form.cleaned_data["timezone"]
                )
                services.set_channel_access(channel, by=by, access=form.cleaned_data["access"])
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                messages.success(request, _("Channel saved."))
                return redirect("channel_detail", org_slug=org.slug, channel_id=channel.pk)
    return render(
        request,
        "channels_registry/channel_detail.html",
        {
            "channel": channel,
            "form": form,
            "manage": manage,
            "grant_form": GrantForm(organization=org),
            "grants": selectors.grants_of(channel),
            "groups": channel.groups.all(),
            "network": selectors.provider_names().get(channel.provider, channel.provider),
        },
    )


def _channel_action(request, channel_id, service, success: str):
    channel = selectors.get_channel_for_member(
        request.membership, channel_id, need=Capability.MANAGE_CHANNELS
    )
    try:
        service(channel, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("channel_detail", org_slug=request.organization.slug, channel_id=channel.pk)


@require_POST
def channel_disconnect(request, org_slug, channel_id):
    return _channel_action(
        request,
        channel_id,
        services.disconnect_channel,
        _("Channel disconnected. Its credentials were deleted; its history stays."),
    )


@require_POST
def channel_archive(request, org_slug, channel_id):
    return _channel_action(request, channel_id, services.archive_channel, _("Channel archived."))


@require_POST
def channel_unarchive(request, org_slug, channel_id):
    return _channel_action(
        request,
        channel_id,
        services.unarchive_channel,
        _("Channel restored. Reconnect it to use it again."),
    )


@require_POST
def channel_check(request, org_slug, channel_id):
    channel = selectors.get_channel_for_member(
        request.membership, channel_id, need=Capability.MANAGE_CHANNELS
    )
    try:
        channel = services.check_channel_health(channel)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if channel.status == Channel.Status.ACTIVE and not channel.last_error:
            messages.success(request, _("The network accepts this channel's authorization."))
        else:
            messages.error(request, channel.last_error or _("The channel needs attention."))
    return redirect("channel_detail", org_slug=request.organization.slug, channel_id=channel.pk)


@require_POST
def channel_reconnect(request, org_slug, channel_id):
    channel = selectors.get_channel_for_member(
        request.membership, channel_id, need=Capability.MANAGE_CHANNELS
    )
    kinds = {key: cls.capabilities.auth_kind for key, cls in selectors.available_providers()}
    if kinds.get(channel.provider) in ("app_password", "instance_oauth2", "atproto"):
        url = (
            reverse("channel_connect", args=[request.organization.slug])
            + "?"
            + urlencode({"network": channel.provider})
        )
        return redirect(url)
    try:
        started = services.reconnect_channel(channel, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("channel_detail", org_slug=request.organization.slug, channel_id=channel.pk)
    return HttpResponseRedirect(started.authorization_url)


@require_POST
def grant_create(request, org_slug, channel_id):
    channel = selectors.get_channel_for_member(
        request.membership, channel_id, need=Capability.MANAGE_CHANNELS
    )
    form = GrantForm(request.POST, organization=request.organization)
    if form.is_valid():
        try:
            services.grant_channel_access(
                channel,
                by=request.membership,
                capability=form.cleaned_data["capability"],
                membership=form.cleaned_data["membership"],
                team=form.cleaned_data["team"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Access granted."))
    else:
        messages.error(request, _("Choose a capability and a person or a team."))
    return redirect("channel_detail", org_slug=request.organization.slug, channel_id=channel.pk)


@require_POST
def grant_revoke(request, org_slug, channel_id, grant_id):
    channel = selectors.get_channel_for_member(
        request.membership, channel_id, need=Capability.MANAGE_CHANNELS
    )
    grant = selectors.get_grant(channel, grant_id)
    try:
        services.revoke_channel_access(grant, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Access revoked."))
    return redirect("channel_detail", org_slug=request.organization.slug, channel_id=channel.pk)


# --- Groups --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def group_list(request, org_slug):
    require_page(request, Capability.VIEW)
    org = request.organization
    form = ChannelGroupForm(request.POST or None, organization=org, membership=request.membership)
    if request.method == "POST":
        require_page(request, Capability.MANAGE_CHANNELS)
        if form.is_valid():
            try:
                group = services.create_channel_group(
                    org, by=request.membership, **form.cleaned_data
                )
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                messages.success(request, _("Group “%(name)s” created.") % {"name": group.name})
                return redirect("channel_group_list", org_slug=org.slug)
    return render(
        request,
        "channels_registry/group_list.html",
        {"form": form, "groups": selectors.groups_of(org, membership=request.membership)},
    )


@require_http_methods(["GET", "POST"])
def group_detail(request, org_slug, group_id):
    org = request.organization
    group = selectors.get_group(
        org, group_id, membership=request.membership
    )  # only the channels they may see
    require_page(request, Capability.VIEW, group)
    initial = {
        "name": group.name,
        "description": group.description,
        "channels": list(group.channels.all()),
    }
    form = ChannelGroupForm(
        request.POST or None, organization=org, membership=request.membership, initial=initial
    )
    if request.method == "POST":
        require_page(request, Capability.MANAGE_CHANNELS, group)
        if form.is_valid():
            try:
                services.update_channel_group(group, by=request.membership, **form.cleaned_data)
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                messages.success(request, _("Group saved."))
                return redirect("channel_group_list", org_slug=org.slug)
    return render(request, "channels_registry/group_detail.html", {"form": form, "group": group})


@require_POST
def group_delete(request, org_slug, group_id):
    org = request.organization
    group = selectors.get_group(org, group_id)
    require_page(request, Capability.MANAGE_CHANNELS, group)
    services.delete_channel_group(group, by=request.membership)
    messages.success(request, _("Group deleted."))
    return redirect("channel_group_list", org_slug=org.slug)


# --- The sandbox network's consent page ----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def sandbox_authorize(request):
    """Plays the network's consent screen for the sandbox: pick which fake accounts to grant."""
    redirect_uri = request.GET.get("redirect_uri", "")
    state = request.GET.get("state", "")
    if not services.sandbox_consent_allowed(
        state
    ):  # production: only for an organization that opted in
        raise Http404("No such network.")
    # Only our own callback: this page must not become an open redirect.
    if redirect_uri != services.callback_uri(SANDBOX) or not state:
        return render(
            request,
            "channels_registry/connect_error.html",
            {"message": _("This authorization request is not valid.")},
            status=400,
        )
    if request.method == "POST":
        if "deny" in request.POST:
            return HttpResponseRedirect(
                redirect_uri + "?" + urlencode({"error": "access_denied", "state": state})
            )
        known = {ext for ext, _h, _n in SANDBOX_ACCOUNTS}
        chosen = [a for a in request.POST.getlist("account") if a in known]
        if chosen:
            code = make_authorization_code(chosen, redirect_uri)
            return HttpResponseRedirect(
                redirect_uri + "?" + urlencode({"code": code, "state": state})
            )
        messages.error(request, _("Pick at least one account."))
    return render(
        request, "channels_registry/sandbox_authorize.html", {"accounts": SANDBOX_ACCOUNTS}
    )


def sandbox_post(request, org_slug, external_id):
    """The sandbox network's page for one of its posts: what "See the live post" opens for a sandbox
    channel. Members of the organization who may see the channel only (a 404 for anyone else)."""
    post = selectors.get_sandbox_post_for_member(request.membership, external_id)
    return render(
        request,
        "channels_registry/sandbox_post.html",
        {
            "post": post,
            "channel": post.channel,
            "conversation": list(selectors.sandbox_conversation(post)),
        },
    )


@login_required
@require_http_methods(["GET"])
def sandbox_post_legacy(request, external_id):
    """``/sandbox/posts/<id>``: the address sandbox posts had before it named the organization.
    Sends a member of the post's organization to its page; anyone else gets a 404."""
    org = selectors.sandbox_post_organization(request.user, external_id)
    if org is None:
        raise Http404("No such sandbox post.")
    return redirect("sandbox_post", org_slug=org.slug, external_id=external_id)


# --- atproto OAuth client metadata ----------------------------------------------------------


@require_http_methods(["GET"])
def bluesky_client_metadata(request):
    """Our atproto OAuth client metadata; its URL is our client_id (atproto.com/specs/oauth)."""
    key = network_with_auth("atproto")
    network = services.get_provider(key)
    body = network.client_metadata(
        client_id=services.atproto_client_id(),  # type: ignore[attr-defined]
        redirect_uri=services.callback_uri(key),
    )
    response = JsonResponse(body)
    response["Cache-Control"] = "public, max-age=600"
    return response


# --- Webhooks ------------------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request, provider):
    """One endpoint per network. Nothing is stored before the signature is verified; a replayed
    push is answered 200 like the first and stored once."""
    if provider not in REGISTRY or not services.webhook_accepted(provider):
        raise Http404("No such network.")
    try:
        network = services.get_provider(provider)
    except (ImportError, AttributeError):
        raise Http404("No such network.") from None
    hook = WebhookRequest(
        method=request.method,
        headers={k.lower(): v for k, v in request.headers.items()},
        query={k: v for k, v in request.GET.items()},
        body=request.body,
    )
    if request.method == "GET":
        answer = network.webhook_handshake(hook)
        if answer is None:
            return HttpResponse(status=400)
        status, content_type, body = answer
        return HttpResponse(body, status=status, content_type=content_type)
    if not network.verify_webhook(hook):
        return HttpResponse(status=403)
    _delivery, created = services.record_webhook_delivery(provider, hook)
    return JsonResponse({"ok": True, "duplicate": not created})
