"""Every state change of service accounts: one function each, audited in its transaction.

Managing service accounts takes ``manage_organization`` (owners and admins). A service account's
token never carries more than the person (or admin token) that issues it may do itself.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from socialops.audit.services import record_event
from socialops.errors import Conflict, NotAllowed, ValidationFailed

from .. import services as account_services
from ..capabilities import (
    SCOPE_CAPABILITIES,
    Capability,
    Role,
    can,
    capabilities_of_scopes,
    require,
)
from ..models import ApiToken, Membership, Organization, ServiceAccount, Team, User

#: a service account's own account row has an address here: ``.invalid`` never receives mail
SERVICE_ACCOUNT_DOMAIN = "service-accounts.invalid"


class ServiceAccountActor:
    """What a service account's API request acts as wherever the services expect a Membership.

    It is not a membership (no row, no seat, no teams): it carries the organization, the service
    account's own user (the author of what it writes, the actor in the audit log) and a capability
    ceiling, the union of its token's scopes (``accounts.capabilities.SCOPE_CAPABILITIES``), which
    ``accounts.capabilities.can`` applies on top of the admin role.
    """

    role = Role.ADMIN
    pk = id = None

    def __init__(self, token: ApiToken):
        account = token.service_account
        self.service_account = account
        self.organization = token.organization
        self.organization_id = token.organization_id
        self.user = account.user
        self.user_id = account.user_id
        self.is_active = account.is_active
        self.capability_ceiling = capabilities_of_scopes(token.scopes)

    @property
    def teams(self):
        return Team.objects.none()

    def __str__(self) -> str:
        return f"{self.service_account} (service account)"


def _clean_name(
    organization: Organization, name: str, *, exclude: ServiceAccount | None = None
) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Give the service account a name."), fields={"name": [_("This field is required.")]}
        )
    if len(name) > 100:
        raise ValidationFailed(
            _("Keep the name under 100 characters."), fields={"name": [_("Too long.")]}
        )
    taken = ServiceAccount.objects.for_org(organization).filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        message = _("A service account called “%(name)s” already exists.") % {"name": name}
        raise ValidationFailed(message, fields={"name": [message]})
    return name


def _clean_description(description: str | None) -> str:
    description = (description or "").strip()
    if len(description) > 300:
        raise ValidationFailed(
            _("Keep the description under 300 characters."),
            fields={"description": [_("Too long.")]},
        )
    return description


@transaction.atomic
def create_service_account(
    organization: Organization, *, by: Membership, name: str, description: str = ""
) -> ServiceAccount:
    require(
        by,
        Capability.MANAGE_ORGANIZATION,
        message=_("Only an organization admin can create service accounts."),
    )
    name = _clean_name(organization, name)
    description = _clean_description(description)
    email = (
        f"{slugify(name)[:40] or 'service-account'}-{secrets.token_hex(4)}@{SERVICE_ACCOUNT_DOMAIN}"
    )
    # No usable password and an undeliverable address: nobody can sign in as it.
    user = User.objects.create_user(email, password=None, full_name=name[:150])
    try:
        with transaction.atomic():
            account = ServiceAccount.objects.create(
                organization=organization,
                name=name,
                description=description,
                user=user,
                created_by=by.user,
            )
    except IntegrityError as exc:  # a concurrent creation took the name
        message = _("A service account called “%(name)s” already exists.") % {"name": name}
        raise ValidationFailed(message, fields={"name": [message]}) from exc
    record_event(
        organization,
        "service_account.created",
        obj=account,
        changes={"name": name, "description": description},
    )
    return account


@transaction.atomic
def update_service_account(
    account: ServiceAccount,
    *,
    by: Membership,
    name: str | None = None,
    description: str | None = None,
) -> ServiceAccount:
    require(by, Capability.MANAGE_ORGANIZATION, account)
    before = {"name": account.name, "description": account.description}
    if name is not None:
        account.name = _clean_name(account.organization, name, exclude=account)
        account.user.full_name = account.name[:150]
        account.user.save(update_fields=["full_name"])
    if description is not None:
        account.description = _clean_description(description)
    account.save(update_fields=["name", "description"])
    after = {"name": account.name, "description": account.description}
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        record_event(account.organization, "service_account.updated", obj=account, changes=changes)
    return account


@transaction.atomic
def disable_service_account(account: ServiceAccount, *, by: Membership) -> ServiceAccount:
    """Its tokens stop working at once (authentication checks the account); enabling brings them back."""
    require(by, Capability.MANAGE_ORGANIZATION, account)
    if not account.is_active:
        raise Conflict(_("This service account is already disabled."))
    if getattr(by, "service_account", None) is not None and by.service_account.pk == account.pk:
        raise Conflict(_("A service account cannot disable itself."))
    account.is_active, account.disabled_at = False, timezone.now()
    account.save(update_fields=["is_active", "disabled_at"])
    record_event(
        account.organization,
        "service_account.disabled",
        obj=account,
        changes={"name": account.name},
    )
    return account


@transaction.atomic
def enable_service_account(account: ServiceAccount, *, by: Membership) -> ServiceAccount:
    require(by, Capability.MANAGE_ORGANIZATION, account)
    if account.is_active:
        raise Conflict(_("This service account is already active."))
    account.is_active, account.disabled_at = True, None
    account.save(update_fields=["is_active", "disabled_at"])
    record_event(
        account.organization, "service_account.enabled", obj=account, changes={"name": account.name}
    )
    return account


@transaction.atomic
def create_service_account_token(
    account: ServiceAccount, *, by: Membership, name: str, scopes, expires_at=None
) -> account_services.IssuedToken:
    """A token for ``account`` with ``scopes`` (at least one), each within what ``by`` may do."""
    require(
        by,
        Capability.MANAGE_ORGANIZATION,
        account,
        message=_("Only an organization admin can create a service account's tokens."),
    )
    if not account.is_active:
        raise Conflict(_("This service account is disabled: enable it first."))
    name = account_services.clean_token_name(name)
    account_services.check_expiry(expires_at)
    scopes = account_services.clean_scopes(scopes, required=True)
    for scope in scopes:
        if not all(can(by, capability) for capability in SCOPE_CAPABILITIES[scope]):
            message = _(
                "You cannot give a token the “%(scope)s” scope: it allows more than you may do."
            ) % {"scope": scope}
            raise NotAllowed(message, fields={"scopes": [message]})
    issued = account_services.issue_token(
        account.organization_id,
        service_account=account,
        name=name,
        scopes=scopes,
        expires_at=expires_at,
        created_by=by.user,
    )
    record_event(
        account.organization,
        "api_token.created",
        obj=issued.token,
        changes={"name": name, "scopes": scopes, "service_account": account.name},
    )
    return issued
