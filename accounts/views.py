"""Pages of accounts: thin — parse, check access, call one service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from socialops.errors import ApplicationError

from . import selectors, services
from .capabilities import Capability, Role, matrix, require_page
from .forms import (
    ApiTokenForm,
    InvitationForm,
    InvitationSignupForm,
    MemberForm,
    OrganizationCreateForm,
    OrganizationSettingsForm,
    ProfileForm,
    TeamForm,
    TeamSettingsForm,
    WorkingHoursForm,
)
from .models import Invitation


@login_required
def home(request):
    orgs = list(selectors.organizations_of(request.user))
    last = request.session.get("last_org")
    for org in orgs:
        if org.slug == last:
            return redirect("org_home", org_slug=org.slug)
    # none used yet in this session: the one they joined first (their own, not one added later)
    first = selectors.first_joined_organization_slug(request.user)
    if first is not None:
        return redirect("org_home", org_slug=first)
    return redirect("org_list")


@login_required
@require_http_methods(["GET", "POST"])
def org_list(request):
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.create_organization(
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"] or None,
                owner=request.user,
                timezone_name=form.cleaned_data["timezone"],
                language=form.cleaned_data["language"],
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("Organization “%(name)s” created.") % {"name": org.name})
            return redirect("org_home", org_slug=org.slug)
    return render(
        request,
        "accounts/org_list.html",
        {"form": form, "orgs": selectors.organizations_of(request.user)},
    )


@require_http_methods(["GET", "POST"])
def org_settings(request, org_slug):
    org = request.organization
    require_page(request, Capability.MANAGE_ORGANIZATION)
    initial = {
        "name": org.name,
        "timezone": org.timezone,
        "language": org.default_language,
        "sandbox_network": org.sandbox_network,
        "report_allowed_domains": "\n".join(org.report_allowed_domains or []),
    }
    form = OrganizationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organization(
                org,
                by=request.membership,
                name=form.cleaned_data["name"],
                timezone_name=form.cleaned_data["timezone"],
                language=form.cleaned_data["language"],
                sandbox_network=form.cleaned_data["sandbox_network"],
                report_allowed_domains=form.cleaned_data["report_allowed_domains"],
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("org_settings", org_slug=org.slug)
    return render(request, "accounts/org_settings.html", {"form": form})


# --- Teams -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def team_list(request, org_slug):
    org = request.organization
    require_page(request, Capability.VIEW)
    form = TeamForm(request.POST or None, organization=org)
    if request.method == "POST":
        require_page(request, Capability.MANAGE_TEAMS)
        if form.is_valid():
            try:
                team = services.create_team(org, by=request.membership, **form.cleaned_data)
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                messages.success(request, _("Team “%(name)s” created.") % {"name": team.name})
                return redirect("team_list", org_slug=org.slug)
    return render(
        request, "accounts/team_list.html", {"form": form, "tree": selectors.team_tree(org)}
    )


@require_http_methods(["GET", "POST"])
def team_detail(request, org_slug, team_id):
    org = request.organization
    team = selectors.get_team(org, team_id)
    require_page(request, Capability.VIEW, team)
    initial = {
        "name": team.name,
        "parent": team.parent_id,
        "description": team.description,
        "lead": team.lead_id,
        "timezone": team.timezone,
        **TeamSettingsForm.initial_for(team.working_hours),
    }
    form = TeamSettingsForm(request.POST or None, organization=org, exclude=team, initial=initial)
    if request.method == "POST":
        require_page(request, Capability.MANAGE_TEAMS, team)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.update_team(
                    team,
                    by=request.membership,
                    name=d["name"],
                    parent=d["parent"],
                    description=d["description"],
                    lead=d["lead"],
                    timezone_name=d["timezone"],
                    working_hours=d["working_hours"],
                )
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                messages.success(request, _("Team saved."))
                return redirect("team_list", org_slug=org.slug)
    members = selectors.members_of(org).filter(teams=team)
    return render(
        request, "accounts/team_detail.html", {"form": form, "team": team, "members": members}
    )


@require_http_methods(["GET", "POST"])
def my_working_hours(request, org_slug):
    """A member's own working hours here, in their own zone (the inbox's round-robin reads them)."""
    org = request.organization
    require_page(request, Capability.VIEW)
    member = request.membership
    form = WorkingHoursForm(
        request.POST or None,
        initial=WorkingHoursForm.initial_for(member.working_hours),
        not_set_label=_("Not set: my team's hours"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_working_hours(
                member, by=member, working_hours=form.cleaned_data["working_hours"]
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("Your working hours were saved."))
            return redirect("my_working_hours", org_slug=org.slug)
    zone = request.user.timezone or org.timezone
    return render(request, "accounts/working_hours.html", {"form": form, "zone": zone})


@require_POST
def team_delete(request, org_slug, team_id):
    org = request.organization
    team = selectors.get_team(org, team_id)
    require_page(request, Capability.MANAGE_TEAMS, team)
    try:
        services.delete_team(team, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("team_detail", org_slug=org.slug, team_id=team.pk)
    messages.success(request, _("Team deleted."))
    return redirect("team_list", org_slug=org.slug)


# --- Members ---------------------------------------------------------------------------------


def member_list(request, org_slug):
    from django.core.paginator import Paginator

    org = request.organization
    require_page(request, Capability.VIEW)
    members = selectors.members_of(org)
    query = request.GET.get("q", "").strip()
    if query:
        members = members.filter(user__email__icontains=query) | members.filter(
            user__full_name__icontains=query
        )
    page = Paginator(members, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/member_list.html",
        {"members": page, "page": page, "q": query, "roles": Role},
    )


@require_http_methods(["GET", "POST"])
def member_detail(request, org_slug, member_id):
    org = request.organization
    member = selectors.get_membership(org, member_id)
    require_page(request, Capability.VIEW, member)
    initial = {"role": member.role, "teams": list(member.teams.all())}
    form = MemberForm(request.POST or None, organization=org, initial=initial)
    if request.method == "POST":
        require_page(request, Capability.MANAGE_MEMBERS, member)
        if form.is_valid():
            try:
                services.change_role(member, by=request.membership, role=form.cleaned_data["role"])
                services.set_member_teams(
                    member, by=request.membership, teams=list(form.cleaned_data["teams"])
                )
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                messages.success(request, _("Member saved."))
                return redirect("member_list", org_slug=org.slug)
    return render(request, "accounts/member_detail.html", {"form": form, "member": member})


@require_POST
def member_deactivate(request, org_slug, member_id):
    org = request.organization
    member = selectors.get_membership(org, member_id)
    require_page(request, Capability.MANAGE_MEMBERS, member)
    try:
        services.deactivate_member(member, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(person)s was deactivated and their API tokens revoked.") % {"person": member.user},
        )
    return redirect("member_detail", org_slug=org.slug, member_id=member.pk)


@require_POST
def member_reactivate(request, org_slug, member_id):
    org = request.organization
    member = selectors.get_membership(org, member_id)
    require_page(request, Capability.MANAGE_MEMBERS, member)
    try:
        services.reactivate_member(member, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(person)s is active again.") % {"person": member.user})
    return redirect("member_detail", org_slug=org.slug, member_id=member.pk)


# --- Invitations -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def invitation_list(request, org_slug):
    org = request.organization
    require_page(request, Capability.MANAGE_MEMBERS)
    form = InvitationForm(request.POST or None, organization=org)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.invite_member(org, by=request.membership, **form.cleaned_data)
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": issued.invitation.email}
            )
            return redirect("invitation_list", org_slug=org.slug)
    return render(
        request,
        "accounts/invitation_list.html",
        {"form": form, "invitations": selectors.invitations_of(org)},
    )


@require_POST
def invitation_revoke(request, org_slug, invitation_id):
    org = request.organization
    invitation = selectors.get_invitation(org, invitation_id)
    require_page(request, Capability.MANAGE_MEMBERS, invitation)
    try:
        services.revoke_invitation(invitation, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Invitation revoked."))
    return redirect("invitation_list", org_slug=org.slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """The link in the invitation e-mail. Works signed out (new account) and signed in (same address)."""
    invitation = services.find_invitation(token)
    if invitation is None:
        raise Http404("No such invitation.")
    user = request.user
    if user.is_authenticated and user.email.lower() != invitation.email.lower():
        # Another person's invitation: to them it does not exist.
        raise Http404("No such invitation.")
    context = {"invitation": invitation, "status": invitation.status, "token": token}
    if invitation.status != Invitation.Status.PENDING:
        return render(request, "accounts/invitation_accept.html", context, status=410)
    if user.is_authenticated:
        if request.method == "POST":
            try:
                membership = services.accept_invitation(token, user=user)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, _("Welcome to %(org)s.") % {"org": membership.organization.name}
                )
                return redirect("org_home", org_slug=membership.organization.slug)
        return render(request, "accounts/invitation_accept.html", context)
    from .models import User

    if User.objects.filter(email__iexact=invitation.email).exists():
        context["needs_login"] = True
        context["login_url"] = reverse("account_login") + "?next=" + request.path
        return render(request, "accounts/invitation_accept.html", context)
    form = InvitationSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = services.register_invited_user(
                token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password"],
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            login(request, new_user, backend="allauth.account.auth_backends.AuthenticationBackend")
            messages.success(
                request, _("Welcome to %(org)s.") % {"org": invitation.organization.name}
            )
            return redirect("org_home", org_slug=invitation.organization.slug)
    context["form"] = form
    return render(request, "accounts/invitation_accept.html", context)


# --- Personal settings -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    initial = {
        "full_name": user.full_name,
        "language": user.language or request.LANGUAGE_CODE,
        "timezone": user.timezone or "UTC",
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_preferences(
            user,
            full_name=form.cleaned_data["full_name"],
            language=form.cleaned_data["language"],
            timezone_name=form.cleaned_data["timezone"],
        )
        response = redirect("profile")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
        messages.success(request, _("Your preferences were saved."))
        return response
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def set_language(request):
    """Switch the interface language; saved on the profile when signed in, else in a cookie."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("Choose a valid language."))
        return response
    if request.user.is_authenticated:
        services.set_language(request.user, language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


@require_http_methods(["GET", "POST"])
def token_list(request, org_slug):
    require_page(request, Capability.VIEW)
    form = ApiTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.create_api_token(request.membership, **form.cleaned_data)
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            new_token = issued.raw
            form = ApiTokenForm()
    tokens = selectors.tokens_of(request.membership)
    return render(
        request,
        "accounts/token_list.html",
        {"form": form, "tokens": tokens, "new_token": new_token},
    )


@require_POST
def token_revoke(request, org_slug, token_id):
    token = selectors.get_token(request.membership, token_id)
    try:
        services.revoke_api_token(token, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Token revoked."))
    return redirect("token_list", org_slug=org_slug)


def roles(request, org_slug):
    require_page(request, Capability.VIEW)
    from .capabilities import Capability as Cap

    rows = [(Cap(cap).label, cap, grants) for cap, grants in matrix()]
    return render(request, "accounts/roles.html", {"rows": rows, "roles": Role.choices})
