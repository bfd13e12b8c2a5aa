"""Pages under the organization's settings: list, create, disable and enable service accounts; create,
rotate and revoke their tokens (a new secret is shown once, on the page that made it). Admins only."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from socialops.errors import ApplicationError

from .. import services as account_services
from ..capabilities import Capability, require_page
from . import selectors, services
from .forms import RotateTokenForm, ServiceAccountForm, ServiceAccountTokenForm


@require_http_methods(["GET", "POST"])
def service_account_list(request, org_slug):
    org = request.organization
    require_page(request, Capability.MANAGE_ORGANIZATION)
    form = ServiceAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.create_service_account(
                org, by=request.membership, **form.cleaned_data
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(
                request,
                _("Service account “%(name)s” created. Give it a token.") % {"name": account},
            )
            return redirect(
                "service_account_detail", org_slug=org.slug, service_account_id=account.pk
            )
    return render(
        request,
        "accounts/service_account_list.html",
        {"form": form, "service_accounts": selectors.service_accounts_of(org)},
    )


def _detail(request, account, *, token_form=None, new_token=None, status=200):
    context = {
        "account": account,
        "tokens": selectors.tokens_of_service_account(account),
        "token_form": token_form or ServiceAccountTokenForm(),
        "rotate_form": RotateTokenForm(),
        "new_token": new_token,
    }
    return render(request, "accounts/service_account_detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
def service_account_detail(request, org_slug, service_account_id):
    """The account and its tokens; POST creates a token and shows its secret once."""
    account = selectors.get_service_account(request.organization, service_account_id)
    require_page(request, Capability.MANAGE_ORGANIZATION, account)
    if request.method != "POST":
        return _detail(request, account)
    form = ServiceAccountTokenForm(request.POST)
    if form.is_valid():
        try:
            issued = services.create_service_account_token(
                account, by=request.membership, **form.cleaned_data
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            return _detail(request, account, new_token=issued.raw)
    return _detail(request, account, token_form=form)


def _switch(request, org_slug, service_account_id, *, service, done: str):
    account = selectors.get_service_account(request.organization, service_account_id)
    require_page(request, Capability.MANAGE_ORGANIZATION, account)
    try:
        service(account, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"name": account})
    return redirect("service_account_detail", org_slug=org_slug, service_account_id=account.pk)


@require_POST
def service_account_disable(request, org_slug, service_account_id):
    return _switch(
        request,
        org_slug,
        service_account_id,
        service=services.disable_service_account,
        done=_("“%(name)s” is disabled: its tokens no longer work."),
    )


@require_POST
def service_account_enable(request, org_slug, service_account_id):
    return _switch(
        request,
        org_slug,
        service_account_id,
        service=services.enable_service_account,
        done=_("“%(name)s” is active again."),
    )


@require_POST
def service_account_token_rotate(request, org_slug, service_account_id, token_id):
    account = selectors.get_service_account(request.organization, service_account_id)
    require_page(request, Capability.MANAGE_ORGANIZATION, account)
    token = selectors.get_service_account_token(account, token_id)
    form = RotateTokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how long the old token keeps working."))
        return redirect("service_account_detail", org_slug=org_slug, service_account_id=account.pk)
    try:
        issued = account_services.rotate_api_token(
            token, by=request.membership, old_token_expires_at=timezone.now() + form.overlap_delta()
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("service_account_detail", org_slug=org_slug, service_account_id=account.pk)
    return _detail(request, account, new_token=issued.raw)


@require_POST
def service_account_token_revoke(request, org_slug, service_account_id, token_id):
    account = selectors.get_service_account(request.organization, service_account_id)
    require_page(request, Capability.MANAGE_ORGANIZATION, account)
    token = selectors.get_service_account_token(account, token_id)
    try:
        account_services.revoke_api_token(token, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Token revoked."))
    return redirect("service_account_detail", org_slug=org_slug, service_account_id=account.pk)
