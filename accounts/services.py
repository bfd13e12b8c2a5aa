"""Every state change of accounts: one function each, verb first, audited in its transaction."""

from __future__ import annotations

import hashlib
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from socialops import prepared
from socialops.audit.services import record_event
from socialops.errors import ApplicationError, Conflict, NotAllowed, ValidationFailed

from . import hours, webhook_events
from .capabilities import Capability, Role, can, require
from .models import ApiToken, Invitation, Membership, Organization, Team, User

_TIMEZONES = zoneinfo.available_timezones()

TOKEN_PREFIX = "sop"  # noqa: S105 - a public prefix, not a secret


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- Organizations ---------------------------------------------------------------------------


@transaction.atomic
def create_organization(
    *,
    name: str,
    slug: str | None = None,
    owner: User,
    timezone_name: str = "UTC",
    language: str = "en",
) -> Organization:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Give the organization a name."), fields={"name": [_("This field is required.")]}
        )
    slug = slugify(slug or name)[:60]
    if not slug:
        raise ValidationFailed(
            _("The slug must contain letters or digits."),
            fields={"slug": [_("Enter a valid slug.")]},
        )
    if Organization.objects.filter(slug=slug).exists():
        raise ValidationFailed(
            _("An organization with the address “%(slug)s” already exists.") % {"slug": slug},
            fields={"slug": [_("This slug is taken.")]},
        )
    org = Organization.objects.create(
        name=name, slug=slug, timezone=timezone_name, default_language=language
    )
    Membership.objects.create(organization=org, user=owner, role=Role.OWNER)
    record_event(
        org, "organization.created", obj=org, actor=owner, changes={"name": name, "slug": slug}
    )
    return org


@transaction.atomic
def update_organization(
    org: Organization,
    *,
    by: Membership,
    name: str,
    timezone_name: str,
    language: str,
    sandbox_network: bool | None = None,
    report_allowed_domains: list[str] | None = None,
) -> Organization:
    """``sandbox_network``: offer the Sandbox network in production (None: leave it as it is).
    ``report_allowed_domains``: the e-mail domains scheduled reports may go to outside the
    organization (``[]``: members only; None: leave them as they are)."""
    require(by, Capability.MANAGE_ORGANIZATION)
    if report_allowed_domains is not None:
        report_allowed_domains = clean_email_domains(report_allowed_domains)
    if not (name or "").strip():
        raise ValidationFailed(
            _("Give the organization a name."), fields={"name": [_("This field is required.")]}
        )
    before = {
        "name": org.name,
        "timezone": org.timezone,
        "default_language": org.default_language,
        "sandbox_network": org.sandbox_network,
        "report_allowed_domains": list(org.report_allowed_domains or []),
    }
    org.name, org.timezone, org.default_language = name.strip(), timezone_name, language
    if sandbox_network is not None:
        org.sandbox_network = sandbox_network
    if report_allowed_domains is not None:
        org.report_allowed_domains = report_allowed_domains
    org.save(
        update_fields=[
            "name",
            "timezone",
            "default_language",
            "sandbox_network",
            "report_allowed_domains",
        ]
    )
    after = {
        "name": org.name,
        "timezone": org.timezone,
        "default_language": org.default_language,
        "sandbox_network": org.sandbox_network,
        "report_allowed_domains": list(org.report_allowed_domains or []),
    }
    record_event(org, "organization.updated", obj=org, changes=_diff(before, after))
    return org


#: a host name with at least one dot: labels of letters, digits and hyphens
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_REPORT_DOMAINS = 50


def clean_email_domains(domains: list[str]) -> list[str]:
    """The domains in lower case, without a leading "@", each once; a ``ValidationFailed`` on
    ``report_allowed_domains`` names the first one that is not a domain."""
    out: list[str] = []
    for raw in domains:
        domain = (raw or "").strip().lower().removeprefix("@")
        if not domain:
            continue
        if not _DOMAIN.match(domain):
            message = _("“%(domain)s” is not a domain name (for example example.com).") % {
                "domain": raw.strip()[:100]
            }
            raise ValidationFailed(message, fields={"report_allowed_domains": [message]})
        if domain not in out:
            out.append(domain)
    if len(out) > MAX_REPORT_DOMAINS:
        message = _("At most %(count)d domains.") % {"count": MAX_REPORT_DOMAINS}
        raise ValidationFailed(message, fields={"report_allowed_domains": [message]})
    return out


def _diff(before: dict, after: dict) -> dict:
    return {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}


# --- Teams -----------------------------------------------------------------------------------


def _check_parent(org: Organization, team: Team | None, parent: Team | None) -> None:
    if parent is None:
        return
    if parent.organization_id != org.pk:
        raise ValidationFailed(
            _("That parent team does not exist."), fields={"parent": [_("Choose a valid team.")]}
        )
    if team is None:
        return
    # Walk up from the new parent: meeting the team itself means the move would make a cycle.
    parents = dict(Team.objects.for_org(org).values_list("pk", "parent_id"))
    node: int | None = parent.pk
    while node is not None:
        if node == team.pk:
            raise ValidationFailed(
                _("A team cannot be placed under itself or one of its own sub-teams."),
                fields={"parent": [_("This would make the team its own ancestor.")]},
            )
        node = parents.get(node)


def _check_name(org: Organization, name: str, exclude: Team | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Give the team a name."), fields={"name": [_("This field is required.")]}
        )
    qs = Team.objects.for_org(org).filter(name__iexact=name)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if qs.exists():
        raise ValidationFailed(
            _("A team called “%(name)s” already exists.") % {"name": name},
            fields={"name": [_("Team names must be unique in the organization.")]},
        )
    return name


@transaction.atomic
def create_team(
    org: Organization,
    *,
    by: Membership,
    name: str,
    parent: Team | None = None,
    description: str = "",
) -> Team:
    require(by, Capability.MANAGE_TEAMS)
    name = _check_name(org, name)
    _check_parent(org, None, parent)
    team = Team.objects.create(
        organization=org, name=name, parent=parent, description=description or ""
    )
    record_event(
        org,
        "team.created",
        obj=team,
        changes={"name": name, "parent": parent.pk if parent else None},
    )
    return team


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


#: an argument left as it is (``update_team(team, by=…, lead=UNCHANGED)``)
UNCHANGED: Any = _Unchanged()


def _check_lead(org: Organization, lead: Membership | None) -> None:
    if lead is not None and (lead.organization_id != org.pk or not lead.is_active):
        raise ValidationFailed(
            _("Choose an active member of this organization as the team lead."),
            fields={"lead": [_("Choose an active member of this organization.")]},
        )


def _check_timezone(name: str) -> str:
    name = (name or "").strip()
    if name and name not in _TIMEZONES:
        raise ValidationFailed(
            _("Choose a valid time zone."), fields={"timezone": [_("Choose a valid time zone.")]}
        )
    return name


def _checked_hours(data, field: str = "working_hours") -> dict:
    try:
        return hours.clean_schedule(data)
    except hours.ScheduleError as exc:
        raise ValidationFailed(
            exc.message,
            fields={field: [exc.message, *[m for ms in exc.fields.values() for m in ms]]},
        ) from None


@transaction.atomic
def update_team(
    team: Team,
    *,
    by: Membership,
    name: str,
    parent: Team | None,
    description: str = "",
    lead: Membership | None = UNCHANGED,
    timezone_name: str = UNCHANGED,
    working_hours: dict = UNCHANGED,
) -> Team:
    """Rename or move a team; set its lead, zone and working hours (left as they are when not given)."""
    org = by.organization
    require(by, Capability.MANAGE_TEAMS, team)
    name = _check_name(org, name, exclude=team)
    _check_parent(org, team, parent)
    fields = ["name", "parent", "description"]
    before = {
        "name": team.name,
        "parent": team.parent_id,
        "description": team.description,
        "lead": team.lead_id,
        "timezone": team.timezone,
        "working_hours": team.working_hours,
    }
    if lead is not UNCHANGED:
        _check_lead(org, lead)
        team.lead = lead
        fields.append("lead")
    if timezone_name is not UNCHANGED:
        team.timezone = _check_timezone(timezone_name)
        fields.append("timezone")
    if working_hours is not UNCHANGED:
        team.working_hours = _checked_hours(working_hours)
        fields.append("working_hours")
    team.name, team.parent, team.description = name, parent, description or ""
    team.save(update_fields=fields)
    after = {
        "name": team.name,
        "parent": team.parent_id,
        "description": team.description,
        "lead": team.lead_id,
        "timezone": team.timezone,
        "working_hours": team.working_hours,
    }
    record_event(org, "team.updated", obj=team, changes=_diff(before, after))
    return team


@transaction.atomic
def set_working_hours(membership: Membership, *, by: Membership, working_hours: dict) -> Membership:
    """A person's own working hours here (``{}``: they work their team's). Their own, or anyone's
    for a member who manages members."""
    org = by.organization
    if membership.organization_id != org.pk:
        raise NotAllowed(_("That member is not in this organization."))
    if membership.pk != by.pk:
        require(by, Capability.MANAGE_MEMBERS, membership)
    before = membership.working_hours
    membership.working_hours = _checked_hours(working_hours)
    membership.save(update_fields=["working_hours"])
    if before != membership.working_hours:
        record_event(
            org,
            "member.working_hours_changed",
            obj=membership,
            changes={"working_hours": [before, membership.working_hours]},
        )
    return membership


@transaction.atomic
def delete_team(team: Team, *, by: Membership) -> None:
    org = by.organization
    require(by, Capability.MANAGE_TEAMS, team)
    if Team.objects.for_org(org).filter(parent=team).exists():
        raise Conflict(_("Move or delete this team's sub-teams first."))
    record_event(org, "team.deleted", obj=team, changes={"name": team.name})
    Membership.teams.through.objects.filter(team=team).delete()
    team.delete()


# --- Members ---------------------------------------------------------------------------------


def _owners_left(org: Organization, excluding: Membership) -> int:
    return (
        Membership.objects.for_org(org)
        .filter(role=Role.OWNER, is_active=True)
        .exclude(pk=excluding.pk)
        .count()
    )


@transaction.atomic
def change_role(membership: Membership, *, by: Membership, role: str) -> Membership:
    org = by.organization
    require(by, Capability.MANAGE_MEMBERS, membership)
    if role not in Role.values:
        raise ValidationFailed(
            _("Choose a valid role."), fields={"role": [_("Choose a valid role.")]}
        )
    if Role.OWNER in (role, membership.role) and not can(by, Capability.MANAGE_OWNERS):
        raise NotAllowed(_("Only an owner can make or remove owners."))
    if membership.role == Role.OWNER and role != Role.OWNER and _owners_left(org, membership) == 0:
        raise Conflict(_("An organization needs at least one owner."))
    if membership.role == role:
        return membership
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    record_event(
        org,
        "member.role_changed",
        obj=membership,
        changes={"role": [before, role], "user": membership.user.email},
    )
    return membership


@transaction.atomic
def set_member_teams(membership: Membership, *, by: Membership, teams: list[Team]) -> Membership:
    org = by.organization
    require(by, Capability.MANAGE_MEMBERS, membership)
    if any(t.organization_id != org.pk for t in teams):
        raise ValidationFailed(
            _("Choose valid teams."), fields={"teams": [_("Choose valid teams.")]}
        )
    before = sorted(membership.teams.values_list("pk", flat=True))
    membership.teams.set(teams)
    after = sorted(t.pk for t in teams)
    if before != after:
        record_event(
            org, "member.teams_changed", obj=membership, changes={"teams": [before, after]}
        )
    return membership


@transaction.atomic
def remove_from_teams_on_review(
    membership: Membership, team_ids, *, review: int, actor=None
) -> list[str]:
    """An access review's "remove" of access that comes through a team: ``membership`` leaves the
    teams ``team_ids`` (those of them it is in); returns their names.

    The reviewer is a team lead who may not manage members: the authority is the review campaign
    an admin started (``review``, its id, is named in the audit entry), as for
    ``channels_registry.services.revoke_grants_on_review``. The caller
    (``governance.access_review.services``) checks that the person deciding is the item's reviewer
    and that the campaign is open; nothing else may call this. ``actor``: the reviewer (a user).
    """
    org = membership.organization
    teams = list(membership.teams.filter(pk__in=list(team_ids)).order_by("name", "pk"))
    if teams:
        before = sorted(membership.teams.values_list("pk", flat=True))
        membership.teams.remove(*teams)
        after = sorted(set(before) - {t.pk for t in teams})
        record_event(
            org,
            "member.teams_changed",
            obj=membership,
            changes={"teams": [before, after], "access_review": review},
            actor=actor,
        )
    return [t.name for t in teams]


@transaction.atomic
def deactivate_member(membership: Membership, *, by: Membership) -> Membership:
    org = by.organization
    require(by, Capability.MANAGE_MEMBERS, membership)
    if membership.pk == by.pk:
        raise Conflict(_("You cannot deactivate yourself."))
    if membership.role == Role.OWNER and not can(by, Capability.MANAGE_OWNERS):
        raise NotAllowed(_("Only an owner can deactivate an owner."))
    if not membership.is_active:
        raise Conflict(_("This member is already deactivated."))
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["is_active", "deactivated_at"])
    revoked = (
        ApiToken.objects.for_org(org)
        .filter(membership=membership, revoked_at__isnull=True)
        .update(revoked_at=timezone.now())
    )
    record_event(
        org,
        "member.deactivated",
        obj=membership,
        changes={"user": membership.user.email, "tokens_revoked": revoked},
    )
    webhook_events.member_offboarded(membership, tokens_revoked=revoked)
    return membership


@transaction.atomic
def reactivate_member(membership: Membership, *, by: Membership) -> Membership:
    org = by.organization
    require(by, Capability.MANAGE_MEMBERS, membership)
    if membership.is_active:
        raise Conflict(_("This member is already active."))
    membership.is_active = True
    membership.deactivated_at = None
    membership.save(update_fields=["is_active", "deactivated_at"])
    record_event(org, "member.reactivated", obj=membership, changes={"user": membership.user.email})
    return membership


# --- Invitations -----------------------------------------------------------------------------


@dataclass
class IssuedInvitation:
    invitation: Invitation
    token: str  # shown once (in the e-mail); only its hash is stored

    @property
    def url(self) -> str:
        return settings.SITE_URL + reverse("invitation_accept", args=[self.token])


def _zone_named(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _send_invitation_email(invitation_id: int, token: str, language: str) -> None:
    invitation = (
        Invitation.objects.unscoped()
        .select_related("organization", "invited_by")
        .get(pk=invitation_id)
    )
    url = settings.SITE_URL + reverse("invitation_accept", args=[token])
    # The expiry is shown on the organization's clock, with its zone ("… 14:17 WIB"): the invitee has
    # no zone of their own yet, and the inviter's (active in this request) means nothing to them.
    with (
        translation.override(language),
        timezone.override(_zone_named(invitation.organization.timezone)),
    ):
        context = {"invitation": invitation, "url": url, "organization": invitation.organization}
        subject = _("You are invited to %(org)s on SocialOps") % {
            "org": invitation.organization.name
        }
        body = render_to_string("accounts/email/invitation.txt", context)
        html = render_to_string("accounts/email/invitation.html", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email], html_message=html)


@transaction.atomic
def invite_member(
    org: Organization, *, by: Membership, email: str, role: str, team: Team | None = None
) -> IssuedInvitation:
    require(by, Capability.MANAGE_MEMBERS)
    email = User.objects.normalize_email((email or "").strip()).lower()
    if not email or "@" not in email:
        raise ValidationFailed(
            _("Enter a valid e-mail address."),
            fields={"email": [_("Enter a valid e-mail address.")]},
        )
    if role not in Role.values:
        raise ValidationFailed(
            _("Choose a valid role."), fields={"role": [_("Choose a valid role.")]}
        )
    if role == Role.OWNER and not can(by, Capability.MANAGE_OWNERS):
        raise NotAllowed(_("Only an owner can invite another owner."))
    if team is not None and team.organization_id != org.pk:
        raise ValidationFailed(
            _("Choose a valid team."), fields={"team": [_("Choose a valid team.")]}
        )
    if Membership.objects.for_org(org).filter(user__email__iexact=email).exists():
        raise Conflict(
            _("%(email)s is already a member of this organization.") % {"email": email},
            fields={"email": [_("Already a member.")]},
        )
    # An expired open invitation is closed so that a fresh one can take its place.
    Invitation.objects.for_org(org).filter(
        email=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__lte=timezone.now(),
    ).update(revoked_at=timezone.now())
    if (
        Invitation.objects.for_org(org)
        .filter(email=email, accepted_at__isnull=True, revoked_at__isnull=True)
        .exists()
    ):
        raise Conflict(
            _("%(email)s already has a pending invitation. Revoke it to send a new one.")
            % {"email": email},
            fields={"email": [_("Already invited.")]},
        )
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organization=org,
                email=email,
                role=role,
                team=team,
                token_hash=_hash(token),
                invited_by=by.user,
                expires_at=timezone.now() + settings.INVITATION_TTL,
            )
    except IntegrityError as exc:  # a concurrent invitation to the same address won the race
        raise Conflict(_("%(email)s already has a pending invitation.") % {"email": email}) from exc
    record_event(
        org,
        "invitation.created",
        obj=invitation,
        changes={"email": email, "role": role, "team": team.pk if team else None},
    )
    language = org.default_language
    transaction.on_commit(lambda: _send_invitation_email(invitation.pk, token, language))
    return IssuedInvitation(invitation, token)


@transaction.atomic
def revoke_invitation(invitation: Invitation, *, by: Membership) -> Invitation:
    require(by, Capability.MANAGE_MEMBERS, invitation)
    if invitation.status != Invitation.Status.PENDING:
        raise Conflict(_("Only a pending invitation can be revoked."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record_event(
        by.organization, "invitation.revoked", obj=invitation, changes={"email": invitation.email}
    )
    return invitation


def find_invitation(token: str) -> Invitation | None:
    """The invitation a raw token names, whatever its state (the view explains the state)."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.unscoped()
        .select_related("organization", "team")
        .filter(token_hash=_hash(token))
        .first()
    )


@transaction.atomic
def accept_invitation(token: str, *, user: User) -> Membership:
    invitation = (
        Invitation.objects.unscoped()
        .select_for_update()
        .select_related("organization")
        .filter(token_hash=_hash(token))
        .first()
    )
    if invitation is None:
        raise ApplicationError(_("This invitation link is not valid."), code="invalid_invitation")
    if invitation.email.lower() != user.email.lower():
        raise ApplicationError(
            _("This invitation was sent to another e-mail address."), code="wrong_recipient"
        )
    status = invitation.status
    if status == Invitation.Status.EXPIRED:
        raise ApplicationError(
            _("This invitation has expired. Ask an admin to send a new one."), code="expired"
        )
    if status == Invitation.Status.REVOKED:
        raise ApplicationError(_("This invitation was revoked."), code="revoked")
    if status == Invitation.Status.ACCEPTED:
        raise ApplicationError(_("This invitation has already been used."), code="used")
    org = invitation.organization
    existing = Membership.objects.for_org(org).filter(user=user).first()
    if existing is not None and existing.is_active:
        raise Conflict(_("You are already a member of this organization."))
    if existing is not None:
        existing.is_active, existing.deactivated_at, existing.role = True, None, invitation.role
        existing.save(update_fields=["is_active", "deactivated_at", "role"])
        membership = existing
    else:
        membership = Membership.objects.create(organization=org, user=user, role=invitation.role)
    if invitation.team_id:
        membership.teams.add(invitation.team_id)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    record_event(
        org,
        "invitation.accepted",
        obj=invitation,
        actor=user,
        changes={"email": user.email, "role": invitation.role},
    )
    return membership


@transaction.atomic
def register_invited_user(token: str, *, full_name: str, password: str) -> User:
    """Create the account an invitation names (the invitee proved the address by opening the mail)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    invitation = find_invitation(token)
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        raise ApplicationError(_("This invitation link is not valid any more."))
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise Conflict(_("An account for this address already exists: sign in to accept."))
    user = User(
        email=invitation.email,
        full_name=(full_name or "").strip(),
        language=invitation.organization.default_language,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(
            _("Choose a stronger password."), fields={"password": list(exc.messages)}
        ) from exc
    user.set_password(password)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    accept_invitation(token, user=user)
    return user


# --- Personal settings and API tokens --------------------------------------------------------


def update_preferences(user: User, *, full_name: str, language: str, timezone_name: str) -> User:
    user.full_name = (full_name or "").strip()
    user.language = language
    user.timezone = timezone_name
    user.save(update_fields=["full_name", "language", "timezone"])
    return user


def set_language(user: User, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed(_("Choose a valid language."))
    if user.is_authenticated and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


@dataclass
class IssuedToken:
    token: ApiToken
    raw: str  # shown once


#: how long a rotated token stays valid beside its successor unless the caller chooses
DEFAULT_ROTATION_OVERLAP = timedelta(hours=24)
#: the longest overlap a rotation may choose
MAX_ROTATION_OVERLAP = timedelta(days=30)
#: how far in the past a chosen end of the overlap may lie and still mean "now" (clocks differ a little)
ROTATION_CLOCK_SLACK = timedelta(minutes=1)


def clean_scopes(scopes, *, required: bool) -> list[str]:
    """The scopes as stored: known names only, each once, in the vocabulary's order."""
    from socialops.scopes import all_scopes

    known = all_scopes()
    given = list(scopes or [])
    unknown = [s for s in given if s not in known]
    if unknown:
        message = _("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(map(str, unknown))}
        raise ValidationFailed(message, fields={"scopes": [message]})
    if required and not given:
        message = _("Choose at least one scope.")
        raise ValidationFailed(message, fields={"scopes": [message]})
    return [s for s in known if s in given]


def check_expiry(expires_at, field: str = "expires_at") -> None:
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(
            _("The expiry must be in the future."), fields={field: [_("Must be in the future.")]}
        )


def issue_token(
    organization_id: int,
    *,
    name: str,
    scopes: list[str],
    expires_at,
    created_by: User | None,
    membership: Membership | None = None,
    service_account=None,
) -> IssuedToken:
    """The one place a token's secret is made: ``sop_<prefix>_<secret>``, only its SHA-256 stored."""
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        organization_id=organization_id,
        membership=membership,
        service_account=service_account,
        name=name,
        prefix=prefix,
        key_hash=_hash(raw),
        scopes=scopes,
        expires_at=expires_at,
        created_by=created_by,
    )
    return IssuedToken(token, raw)


def clean_token_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Give the token a name."), fields={"name": [_("This field is required.")]}
        )
    return name


@transaction.atomic
def create_api_token(
    membership: Membership, *, name: str, expires_at=None, scopes=()
) -> IssuedToken:
    """A personal token. Without ``scopes`` it may call what its person may; with them, only those."""
    if not membership.is_active:
        raise NotAllowed(_("Only active members can create API tokens."))
    name = clean_token_name(name)
    check_expiry(expires_at)
    scopes = clean_scopes(scopes, required=False)
    issued = issue_token(
        membership.organization_id,
        membership=membership,
        name=name,
        scopes=scopes,
        expires_at=expires_at,
        created_by=membership.user,
    )
    record_event(
        membership.organization,
        "api_token.created",
        obj=issued.token,
        actor=membership.user,
        changes={"name": name, "scopes": scopes},
    )
    return issued


def _require_token_manager(token: ApiToken, by: Membership, *, others_need: str | None) -> None:
    """A service account's tokens are managed by who may manage the organization; a person's by its person
    (and, for ``others_need``, by who holds that capability)."""
    if token.service_account_id is not None:
        require(
            by,
            Capability.MANAGE_ORGANIZATION,
            token,
            message=_("Only an organization admin can manage a service account's tokens."),
        )
    elif token.membership_id != by.pk and not (others_need and can(by, others_need, token)):
        raise NotAllowed(_("You can only manage your own tokens."))


@transaction.atomic
def rotate_api_token(token: ApiToken, *, by: Membership, old_token_expires_at=None) -> IssuedToken:
    """A new secret for ``token``: a successor with the same holder, name, scopes and expiry.

    The old token keeps working until ``old_token_expires_at`` (default: 24 hours from now; now = at
    once; at most 30 days), so a deployment can switch over without an outage.
    """
    _require_token_manager(token, by, others_need=None)
    token = ApiToken.objects.for_org(token.organization_id).select_for_update().get(pk=token.pk)
    if not token.is_usable:
        raise Conflict(_("This token is revoked or expired: create a new one instead."))
    if token.replaced_by_id is not None:
        raise Conflict(_("This token was already rotated: rotate its successor instead."))
    if token.service_account_id is not None and not token.service_account.is_active:
        raise Conflict(_("This service account is disabled."))
    now = timezone.now()
    until = now + DEFAULT_ROTATION_OVERLAP if old_token_expires_at is None else old_token_expires_at
    # A time a moment ago (the caller's "now", computed before this transaction) means now.
    if until < now - ROTATION_CLOCK_SLACK or until > now + MAX_ROTATION_OVERLAP:
        message = _("Choose a time between now and 30 days from now.")
        raise ValidationFailed(message, fields={"old_token_expires_at": [message]})
    until = max(until, now)
    if token.expires_at is not None:
        until = min(until, token.expires_at)
    issued = issue_token(
        token.organization_id,
        membership=token.membership,
        service_account=token.service_account,
        name=token.name,
        scopes=token.scopes,
        expires_at=token.expires_at,
        created_by=by.user,
    )
    token.expires_at = until
    token.replaced_by = issued.token
    token.save(update_fields=["expires_at", "replaced_by"])
    record_event(
        token.organization,
        "api_token.rotated",
        obj=token,
        changes={
            "name": token.name,
            "successor": issued.token.prefix,
            "old_token_expires_at": until,
        },
    )
    return issued


@transaction.atomic
def revoke_api_token(token: ApiToken, *, by: Membership) -> ApiToken:
    _require_token_manager(token, by, others_need=Capability.MANAGE_MEMBERS)
    if token.revoked_at is not None:
        raise Conflict(_("This token is already revoked."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(by.organization, "api_token.revoked", obj=token, changes={"name": token.name})
    return token


#: ``last_used_at`` is written at most once per this many seconds per token (a read path must stay cheap)
LAST_USED_PRECISION = 60


def _token_by_prefix(prefix: str) -> ApiToken | None:
    """The token whose prefix is ``prefix``, with its organization, its membership and that
    member's account, or its service account and that account's user: one read.

    Every API request runs it. On PostgreSQL the read is written out from the models once per
    process and prepared once per database session (``socialops.prepared``): the ORM's compiling
    of a six-table ``select_related`` and the server's planning of it cost 2 to 4 ms a request,
    ten times the lookup by the unique prefix. Elsewhere the ORM. Unscoped: the token names its
    organization."""
    from django.db import connections, router

    using = router.db_for_read(ApiToken)
    connection = connections[using]
    if connection.vendor != "postgresql":
        found = list(
            ApiToken.objects.unscoped()
            .select_related("organization", "membership__user", "service_account__user")
            .filter(prefix=prefix)
            .order_by()[:1]
        )
        return found[0] if found else None
    read = _TOKEN_READS.get(using)
    if read is None:
        read = _TOKEN_READS[using] = _TokenRead(connection)
    with connection.cursor() as cursor:
        prepared.execute(cursor, read.sql, [prefix], prefix="api_token")
        row = cursor.fetchone()
    return read.token(row, connection) if row is not None else None


class _TokenRead:
    """``_token_by_prefix``'s statement, and the instances its row makes (as ``select_related``
    would: each relation cached on its holder, an empty one as None)."""

    def __init__(self, connection):
        from .models import ServiceAccount

        quote = connection.ops.quote_name
        self.parts = [
            prepared.Selected(ApiToken, "t", connection),
            prepared.Selected(Organization, "o", connection),
            prepared.Selected(Membership, "m", connection),
            prepared.Selected(User, "mu", connection),
            prepared.Selected(ServiceAccount, "sa", connection),
            prepared.Selected(User, "su", connection),
        ]

        def join(model, alias, holder, holder_alias, field):
            """``model`` under ``alias``, the row ``holder``'s ``field`` names."""
            on = f"{alias}.{quote(model._meta.pk.column)} = {column(holder, holder_alias, field)}"
            return f"{quote(model._meta.db_table)} AS {alias} ON {on}"

        def column(model, alias, name):
            return f"{alias}.{quote(model._meta.get_field(name).column)}"

        # Only the models' own table and column names are formatted in; the prefix is a parameter.
        self.sql = (
            f"SELECT {', '.join(c for part in self.parts for c in part.columns)} "  # noqa: S608
            f"FROM {quote(ApiToken._meta.db_table)} AS t "
            f"JOIN {join(Organization, 'o', ApiToken, 't', 'organization')} "
            f"LEFT JOIN {join(Membership, 'm', ApiToken, 't', 'membership')} "
            f"LEFT JOIN {join(User, 'mu', Membership, 'm', 'user')} "
            f"LEFT JOIN {join(ServiceAccount, 'sa', ApiToken, 't', 'service_account')} "
            f"LEFT JOIN {join(User, 'su', ServiceAccount, 'sa', 'user')} "
            f"WHERE {column(ApiToken, 't', 'prefix')} = %s"
        )

    def token(self, row, connection) -> ApiToken:
        made = []
        start = 0
        for part in self.parts:
            made.append(part.instance(row, start, connection))
            start += part.width
        token, organization, membership, member_user, service_account, service_user = made
        relation = ApiToken._meta.get_field
        relation("organization").set_cached_value(token, organization)
        relation("membership").set_cached_value(token, membership)
        relation("service_account").set_cached_value(token, service_account)
        if membership is not None:
            Membership._meta.get_field("user").set_cached_value(membership, member_user)
        if service_account is not None:
            service_account._meta.get_field("user").set_cached_value(service_account, service_user)
        return token


#: the database alias -> its ``_TokenRead`` (written once per process)
_TOKEN_READS: dict[str, _TokenRead] = {}


def authenticate_token(raw: str) -> ApiToken | None:
    """The usable token ``raw`` names, or None. Constant-time comparison of the hash.

    A person's token dies with their membership (or account); a service account's lives until it is
    revoked, expires or its service account is disabled.
    """
    parts = (raw or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = _token_by_prefix(parts[1])
    if token is None or not secrets.compare_digest(token.key_hash, _hash(raw)):
        return None
    if not token.is_usable:
        return None
    if token.service_account_id is not None:
        if not token.service_account.is_active:
            return None
    else:
        if not token.membership.is_active or not token.membership.user.is_active:
            return None
        if token.membership.organization_id == token.organization_id:
            token.membership.organization = token.organization  # the same row, not read again
    now = timezone.now()
    if (
        token.last_used_at is None
        or (now - token.last_used_at).total_seconds() > LAST_USED_PRECISION
    ):
        ApiToken.objects.unscoped().filter(pk=token.pk).update(last_used_at=now)
    return token


# --- Secrets at rest -------------------------------------------------------------------------------


def rotate_secret_keys() -> int:
    """Re-encrypt accounts' secrets with the first key of the ring (and seal any still in clear):
    TOTP secrets and recovery-code seeds, unsent notification e-mail bodies. Part of
    ``manage.py rotate_channel_keys``.

    Unscoped on purpose: key rotation is system work over every person's and organization's rows.
    """
    from allauth.mfa.models import Authenticator

    from .adapters import seal_mfa_secrets
    from .models import NotificationEmail

    count = seal_mfa_secrets(Authenticator, rotate=True)
    unsent = (
        NotificationEmail.objects.unscoped()
        .filter(sent_at__isnull=True)
        .exclude(body="", html_body="")
    )
    for row in unsent.only("pk", "body", "html_body").iterator():
        # Read in clear, written back sealed with the first key; a row sent meanwhile (its bodies
        # emptied) is left alone by the condition on sent_at.
        count += (
            NotificationEmail.objects.unscoped()
            .filter(pk=row.pk, sent_at__isnull=True)
            .update(body=row.body, html_body=row.html_body)
        )
    return count


# --- Offboarding's pieces (governance calls them) ----------------------------------------------------


def end_sessions_of(user: User) -> int:
    """Sign ``user`` out on every device, at once: each indexed session is deleted from the session
    store (the next request with its cookie is anonymous). Returns how many were ended.

    Not tied to the caller's transaction on purpose: a session store may be a cache.
    """
    from importlib import import_module

    from allauth.usersessions.models import UserSession

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    ended = 0
    for row in UserSession.objects.filter(user_id=user.pk):
        store.delete(row.session_key)
        row.delete()
        ended += 1
    return ended


@transaction.atomic
def clear_notification_subscriptions(membership: Membership, *, by: Membership) -> dict:
    """Stop every notification to ``membership`` in its organization: its per-kind choices are
    removed and e-mails still waiting in the outbox are given up. Returns the counts."""
    from .models import NotificationEmail, NotificationPreference

    require(by, Capability.MANAGE_MEMBERS, membership)
    org_id = membership.organization_id
    preferences, _n = (
        NotificationPreference.objects.for_org(org_id).filter(user_id=membership.user_id).delete()
    )
    emails = (
        NotificationEmail.objects.for_org(org_id)
        .filter(recipient_id=membership.user_id, sent_at__isnull=True)
        .exclude(next_attempt_at__isnull=True)
        .update(next_attempt_at=None, last_error="offboarded")
    )
    record_event(
        by.organization,
        "member.notifications_stopped",
        obj=membership,
        changes={"preferences_removed": preferences, "emails_cancelled": emails},
    )
    return {"preferences": preferences, "emails": emails}
