"""The organization's outgoing webhooks (Settings → Webhooks): admins only (``manage_organization``).

Pages are thin: the kernel's webhook services do the work (socialops/webhooks/services.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socialops.errors import ApplicationError
from socialops.webhooks import selectors, services
from socialops.webhooks.events import EVENT_TYPES

from ..capabilities import Capability, require_page
from .forms import WebhookEndpointForm

LOG_PAGE = 50


def _endpoint(request, endpoint_id):
    """The endpoint named in the URL: another organization's is a 404, a non-admin gets a 403."""
    require_page(request, Capability.MANAGE_ORGANIZATION)
    return selectors.get_endpoint(request.organization, endpoint_id)


@require_http_methods(["GET", "POST"])
def webhook_endpoint_list(request, org_slug):
    org = request.organization
    require_page(request, Capability.MANAGE_ORGANIZATION)
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.create_endpoint(org, by=request.membership, **form.cleaned_data)
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            # The secret is shown once, on the page this redirect lands on.
            request.session["webhook_new_secret"] = [endpoint.pk, endpoint.secret]
            messages.success(request, _("Endpoint added."))
            return redirect("webhook_endpoint_detail", org_slug=org.slug, endpoint_id=endpoint.pk)
    return render(
        request,
        "accounts/webhooks/endpoint_list.html",
        {"form": form, "endpoints": selectors.endpoints_of(org)},
    )


def _new_secret(request, endpoint) -> str | None:
    shown = request.session.pop("webhook_new_secret", None)
    if shown and shown[0] == endpoint.pk:
        return shown[1]
    return None


@require_http_methods(["GET", "POST"])
def webhook_endpoint_detail(request, org_slug, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_endpoint(endpoint, by=request.membership, **form.cleaned_data)
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect("webhook_endpoint_detail", org_slug=org_slug, endpoint_id=endpoint.pk)
    page = Paginator(selectors.deliveries_of(endpoint), LOG_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/webhooks/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "form": form,
            "deliveries": page,
            "new_secret": _new_secret(request, endpoint),
            "event_labels": EVENT_TYPES,
        },
    )


@require_POST
def webhook_endpoint_rotate(request, org_slug, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    secret = services.rotate_secret(endpoint, by=request.membership)
    request.session["webhook_new_secret"] = [endpoint.pk, secret]
    messages.success(
        request, _("New secret made. The old one keeps signing beside it for 24 hours.")
    )
    return redirect("webhook_endpoint_detail", org_slug=org_slug, endpoint_id=endpoint.pk)


@require_POST
def webhook_endpoint_toggle(request, org_slug, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    try:
        if endpoint.is_enabled:
            services.disable_endpoint(endpoint, by=request.membership)
            messages.success(request, _("Endpoint disabled: nothing is sent to it."))
        else:
            services.enable_endpoint(endpoint, by=request.membership)
            messages.success(request, _("Endpoint enabled."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("webhook_endpoint_detail", org_slug=org_slug, endpoint_id=endpoint.pk)


@require_POST
def webhook_endpoint_delete(request, org_slug, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    services.delete_endpoint(endpoint, by=request.membership)
    messages.success(request, _("Endpoint deleted."))
    return redirect("webhook_endpoint_list", org_slug=org_slug)


@require_GET
def webhook_delivery_detail(request, org_slug, endpoint_id, delivery_id):
    endpoint = _endpoint(request, endpoint_id)
    row = selectors.get_delivery(endpoint, delivery_id)
    return render(
        request, "accounts/webhooks/delivery_detail.html", {"endpoint": endpoint, "delivery": row}
    )


@require_POST
def webhook_delivery_replay(request, org_slug, endpoint_id, delivery_id):
    endpoint = _endpoint(request, endpoint_id)
    row = selectors.get_delivery(endpoint, delivery_id)
    try:
        services.replay_delivery(row, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Delivery queued again."))
    return redirect("webhook_endpoint_detail", org_slug=org_slug, endpoint_id=endpoint.pk)
