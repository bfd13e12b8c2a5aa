"""Connecting channels: OAuth attempts, app passwords, choosing accounts, reconnecting."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, require
from socialops.audit.services import record_event
from socialops.errors import ApplicationError, Conflict, NotAllowed, ValidationFailed

from .. import crypto
from ..models import (
    Channel,
    ConnectAttempt,
)
from ..providers import SANDBOX
from ..providers.base import Account
from ..providers.errors import AuthExpired, ProviderError, RateLimited
from ..providers.sandbox import sandbox_allowed
from .channels import _check_timezone
from .credentials import (
    _account_to_dict,
    _as_dict,
    _hash,
    _network_error,
    _now,
    _pkce_pair,
    _provider,
    _store_credentials,
    atproto_client_id,
    callback_uri,
    credentials_from_dict,
)

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
#: how long a person has to pick accounts after the network's consent
CHOOSE_TTL = timedelta(minutes=30)


# --- Connecting ----------------------------------------------------------------------------------


@dataclass
class ConnectStart:
    attempt: ConnectAttempt
    authorization_url: str


def start_connect(
    org,
    *,
    by,
    provider_key: str,
    instance_url: str = "",
    handle: str = "",
    channel: Channel | None = None,
) -> ConnectStart:
    """Begin an OAuth connection: a ConnectAttempt holding the hashed state, and the consent URL."""
    require(by, Capability.MANAGE_CHANNELS, channel)
    if provider_key == SANDBOX and not sandbox_allowed(org):
        raise ValidationFailed(
            _(
                "The Sandbox network is turned off for this organization. An administrator can "
                "turn it on in Organization settings."
            )
        )
    provider = _provider(provider_key)
    kind = provider.capabilities.auth_kind
    if kind == "app_password":
        raise ValidationFailed(
            _("This network connects with a handle and an app password."),
            fields={"provider": [_("Use the app-password form.")]},
        )
    from ..selectors import provider_is_configured

    if not provider_is_configured(provider_key):
        raise ValidationFailed(
            _(
                "%(network)s has not been set up on this SocialOps server yet. Ask whoever runs your SocialOps "
                "server to set it up."
            )
            % {"network": provider.name}
        )
    redirect_uri = callback_uri(provider_key)
    context: dict[str, Any] = {}
    if getattr(provider, "needs_organization", False):
        context["organization_id"] = org.pk
    if kind == "instance_oauth2":
        instance_url = (instance_url or "").strip().rstrip("/")
        if not instance_url:
            raise ValidationFailed(
                _("Enter the address of your instance."),
                fields={"instance_url": [_("This field is required.")]},
            )
        if "://" not in instance_url:
            instance_url = "https://" + instance_url
        try:
            registration = provider.register_app(instance_url, redirect_uri=redirect_uri)  # type: ignore[attr-defined]
        except ProviderError as exc:
            raise ValidationFailed(
                _("Could not register SocialOps with %(instance)s: %(message)s")
                % {"instance": instance_url, "message": exc.message},
                fields={"instance_url": [_("Check the address; the instance must be reachable.")]},
            ) from None
        except (AttributeError, NotImplementedError):
            raise ValidationFailed(
                _("This network's connector cannot register apps yet.")
            ) from None
        context.update(_as_dict(registration))
        context.setdefault("instance_url", instance_url)
    if kind == "atproto":
        handle = (handle or "").strip().lstrip("@")
        if not handle:
            raise ValidationFailed(
                _("Enter your handle."), fields={"handle": [_("This field is required.")]}
            )
        context.update(handle=handle, client_id=atproto_client_id())
    verifier = None
    if kind in ("oauth2_pkce", "atproto"):
        verifier, _challenge = _pkce_pair()
        context["code_verifier"] = verifier
    state = secrets.token_urlsafe(32)
    try:
        # The provider may add secrets to ``context`` (atproto: its DPoP key); they are stored encrypted below.
        url = provider.authorization_url(
            redirect_uri=redirect_uri, state=state, code_verifier=verifier, extra=context
        )
    except ProviderError as exc:
        raise _network_error(provider, exc) from None
    now = _now()
    with transaction.atomic():
        attempt = ConnectAttempt.objects.create(
            organization=org,
            membership=by,
            provider=provider_key,
            state_hash=_hash(state),
            redirect_uri=redirect_uri,
            secret_context=crypto.encrypt_json(context),
            channel=channel,
            created_at=now,
            expires_at=now + STATE_TTL,
        )
        record_event(
            org,
            "channel.connect_started",
            obj=attempt,
            changes={"provider": provider_key, "channel": channel.pk if channel else None},
        )
    return ConnectStart(attempt=attempt, authorization_url=url)


def find_attempt_by_state(state: str) -> ConnectAttempt | None:
    """The attempt a callback's ``state`` names, whichever organization it belongs to.

    Unscoped on purpose: a network's callback URL cannot carry our organization (it is registered
    once per app), so the random state is the only key. The caller must then check that the
    signed-in person is the attempt's member.
    """
    if not state or len(state) > 200:
        return None
    return (
        ConnectAttempt.objects.unscoped()
        .select_related("membership__user", "organization", "channel")
        .filter(state_hash=_hash(state))
        .first()
    )


def sandbox_consent_allowed(state: str) -> bool:
    """Whether the Sandbox network's own consent page may answer this ``state``: in production
    only for a pending sandbox attempt of an organization that opted in (see sandbox_allowed)."""
    if not getattr(settings, "PRODUCTION", False):
        return True
    attempt = find_attempt_by_state(state)
    return (
        attempt is not None
        and attempt.provider == SANDBOX
        and sandbox_allowed(attempt.organization)
    )


def _fail_attempt(attempt: ConnectAttempt, message: str) -> None:
    with transaction.atomic():
        ConnectAttempt.objects.for_org(attempt.organization_id).filter(pk=attempt.pk).update(
            status=ConnectAttempt.Status.FAILED,
            error=message[:1000],
            candidates_blob="",
            secret_context="",
        )
        record_event(
            attempt.organization,
            "channel.connect_failed",
            obj=attempt,
            changes={"provider": attempt.provider, "error": message[:300]},
        )


def complete_connect(
    state: str, code: str, *, user, provider_key: str | None = None, iss: str | None = None
) -> ConnectAttempt:
    """The OAuth callback: check and claim ``state``, trade ``code`` for the accounts it covers.

    ``iss`` is the callback's issuer parameter (RFC 9207); a provider that requires it (atproto)
    refuses the code unless it names the authorization server the attempt was started with.
    """
    invalid = ApplicationError(
        _(
            "This connection link is not valid or was already used. Start connecting the channel again."
        ),
        code="invalid_state",
    )
    attempt = find_attempt_by_state(state)
    if attempt is None or (provider_key and attempt.provider != provider_key):
        raise invalid
    if attempt.membership.user_id != getattr(user, "pk", None) or not attempt.membership.is_active:
        raise NotAllowed(
            _("This connection was started by someone else. Start your own from the Channels page.")
        )
    now = _now()
    if attempt.expires_at <= now and attempt.status == ConnectAttempt.Status.STARTED:
        _fail_attempt(attempt, "expired")
        raise ApplicationError(
            _("This connection took more than 10 minutes and expired. Start again."),
            code="expired_state",
        )
    # Single use: only the first callback flips STARTED → AUTHORIZED (a replay updates nothing).
    claimed = (
        ConnectAttempt.objects.for_org(attempt.organization_id)
        .filter(
            pk=attempt.pk,
            status=ConnectAttempt.Status.STARTED,
            expires_at__gt=now,
        )
        .update(status=ConnectAttempt.Status.AUTHORIZED, authorized_at=now)
    )
    if not claimed:
        raise invalid
    if not code:
        _fail_attempt(attempt, "no code")
        raise ApplicationError(_("The network did not authorize the connection."), code="no_code")
    provider = _provider(attempt.provider)
    context = crypto.decrypt_json(attempt.secret_context) if attempt.secret_context else {}
    if iss is not None:
        context["callback_iss"] = iss
    try:
        accounts = provider.exchange_code(
            code=code,
            redirect_uri=attempt.redirect_uri,
            code_verifier=context.get("code_verifier"),
            extra=dict(context),
        )
    except Exception as exc:  # noqa: BLE001 - any failure leaves nothing half-connected
        if not isinstance(exc, ProviderError):
            log.exception("exchange_code failed for %s", attempt.provider)
        error = _network_error(provider, exc)
        _fail_attempt(attempt, error.message)
        raise error from None
    return _store_candidates(attempt, accounts)


def _store_candidates(attempt: ConnectAttempt, accounts: list[Account]) -> ConnectAttempt:
    if not accounts:
        _fail_attempt(attempt, "no accounts")
        raise ApplicationError(
            _(
                "The network did not return any page or profile you administer. Check that your account manages one "
                "and that you granted every permission."
            ),
            code="no_accounts",
        )
    public = [
        {
            "external_id": str(a.external_id),
            "handle": a.handle,
            "name": a.name,
            "avatar_url": a.avatar_url,
            "url": a.url,
        }
        for a in accounts
    ]
    with transaction.atomic():
        attempt.candidates = public
        attempt.candidates_blob = crypto.encrypt_json([_account_to_dict(a) for a in accounts])
        attempt.status = ConnectAttempt.Status.AUTHORIZED
        attempt.authorized_at = attempt.authorized_at or _now()
        attempt.save(update_fields=["candidates", "candidates_blob", "status", "authorized_at"])
        record_event(
            attempt.organization,
            "channel.connect_authorized",
            obj=attempt,
            changes={"provider": attempt.provider, "accounts": [a["external_id"] for a in public]},
        )
    return attempt


def _wait_in_words(seconds: float) -> dict[str, str]:
    """ "in about 4 minutes" and "10:42" (the person's zone) for a network's "try again later"."""
    from django.utils.timesince import timeuntil

    from socialops.dates import local_time

    at = _now() + timedelta(seconds=max(seconds, 1))
    return {"wait": timeuntil(at + timedelta(seconds=59), _now(), depth=1), "time": local_time(at)}


#: what a network's identity errors mean for the handle field of the connect form
_HANDLE_ERRORS = {"HandleNotFound", "HandleMismatch", "InvalidHandle", "DidNotFound", "NoPds"}


def connect_with_app_password(
    org, *, by, provider_key: str, handle: str, app_password: str, service_url: str = ""
) -> ConnectAttempt:
    """Bluesky-style connection: handle + app password give a session; then pick as usual.

    ``service_url`` is the account's server (a self-hosted PDS) when the person named it; else the
    connector finds it from the handle.
    """
    require(by, Capability.MANAGE_CHANNELS)
    provider = _provider(provider_key)
    handle = (handle or "").strip().lstrip("@")
    if not handle or not app_password:
        fields = {}
        if not handle:
            fields["handle"] = [_("This field is required.")]
        if not app_password:
            fields["app_password"] = [_("This field is required.")]
        raise ValidationFailed(_("Enter the handle and an app password."), fields=fields)
    login = getattr(provider, "login_with_app_password", None)
    if login is None:
        raise ValidationFailed(_("This network does not connect with an app password."))
    name = getattr(provider, "name", provider_key)
    try:
        result = login(
            handle,
            app_password,
            **({"service_url": service_url.strip()} if service_url.strip() else {}),
        )
    except AuthExpired:
        raise ValidationFailed(
            _("The handle or app password is wrong."),
            fields={"app_password": [_("Check the app password (not your main password).")]},
        ) from None
    except RateLimited as exc:
        raise ApplicationError(
            _(
                "%(network)s is not accepting more sign-ins for this account right now. Try again in %(wait)s "
                "(after %(time)s)."
            )
            % {"network": name, **_wait_in_words(exc.retry_after or 60)},
            code="rate_limited",
        ) from None
    except ProviderError as exc:
        if exc.code == "InvalidServiceUrl":
            raise ValidationFailed(
                _("Enter the server's address, like https://pds.example.org."),
                fields={"service_url": [_("Enter an https address without a path.")]},
            ) from None
        if exc.code in _HANDLE_ERRORS:
            raise ValidationFailed(
                _("%(network)s could not find the account %(handle)s.")
                % {"network": name, "handle": handle},
                fields={
                    "handle": [
                        _(
                            "Check the handle, or give the address of the server that hosts the "
                            "account below."
                        )
                    ]
                },
            ) from None
        raise _network_error(provider, exc) from None
    except NotImplementedError:
        raise ValidationFailed(
            _("This network's connector cannot sign in with an app password yet.")
        ) from None
    accounts = list(result) if isinstance(result, list | tuple) else [result]
    with transaction.atomic():
        attempt = ConnectAttempt.objects.create(
            organization=org,
            membership=by,
            provider=provider_key,
            state_hash=_hash(secrets.token_urlsafe(32)),
            status=ConnectAttempt.Status.AUTHORIZED,
            authorized_at=_now(),
            expires_at=_now() + STATE_TTL,
        )
        record_event(
            org,
            "channel.connect_started",
            obj=attempt,
            changes={"provider": provider_key, "method": "app_password"},
        )
    return _store_candidates(attempt, accounts)


def add_channels(
    attempt: ConnectAttempt, *, by, external_ids: list[str], team=None, timezone_name: str = "UTC"
) -> list[Channel]:
    """Create (or reconnect) the chosen accounts as channels, with their credentials, atomically."""
    org = attempt.organization
    require(by, Capability.MANAGE_CHANNELS)
    if attempt.membership_id != by.pk:
        raise NotAllowed(_("This connection was started by someone else."))
    if attempt.status != ConnectAttempt.Status.AUTHORIZED or not attempt.candidates_blob:
        raise Conflict(
            _("These accounts were already added or the connection failed. Start again.")
        )
    if (attempt.authorized_at or attempt.created_at) + CHOOSE_TTL <= _now():
        raise ApplicationError(_("This connection expired. Start again."), code="expired_state")
    if team is not None and team.organization_id != org.pk:
        raise ValidationFailed(
            _("Choose a valid team."), fields={"team": [_("Choose a valid team.")]}
        )
    _check_timezone(timezone_name)
    wanted = [str(x) for x in external_ids if str(x)]
    if not wanted:
        raise ValidationFailed(
            _("Pick at least one account."), fields={"accounts": [_("Pick at least one account.")]}
        )
    candidates = {c["external_id"]: c for c in crypto.decrypt_json(attempt.candidates_blob)}
    unknown = [x for x in wanted if x not in candidates]
    if unknown:
        raise ValidationFailed(
            _("Pick accounts from the list."), fields={"accounts": [_("Unknown account.")]}
        )
    # Where account ids are unique per server only (Mastodon), the provider qualifies the external
    # id with the server ("<id>@<host>"): the same id on another server is another channel, and
    # the same account on the same server finds its channel again (a reconnect).
    created: list[Channel] = []
    with transaction.atomic():
        locked = (
            ConnectAttempt.objects.for_org(org)
            .filter(pk=attempt.pk, status=ConnectAttempt.Status.AUTHORIZED)
            .update(
                status=ConnectAttempt.Status.COMPLETED,
                completed_at=_now(),
                candidates_blob="",
                secret_context="",
            )
        )
        if not locked:
            raise Conflict(_("These accounts were already added."))
        for ext in wanted:
            c = candidates[ext]
            creds = credentials_from_dict(c["credentials"])
            channel = (
                Channel.objects.for_org(org)
                .filter(provider=attempt.provider, external_id=ext)
                .first()
            )
            fields = {
                "handle": c["handle"][:255],
                "name": c["name"][:255],
                "avatar_url": c["avatar_url"] or "",
                "url": c["url"] or "",
            }
            if channel is None:
                channel = Channel(
                    organization=org,
                    provider=attempt.provider,
                    external_id=ext,
                    team=team,
                    timezone=timezone_name,
                    connected_by=by.user,
                    **fields,
                )
                channel.token_expires_at = creds.expires_at
                channel.save()
                _store_credentials(channel, creds)
                record_event(
                    org,
                    "channel.connected",
                    obj=channel,
                    changes={
                        "provider": channel.provider,
                        "handle": channel.handle,
                        "team": team.pk if team else None,
                        "timezone": timezone_name,
                    },
                )
            else:
                before = {
                    "status": channel.status,
                    "team": channel.team_id,
                    "timezone": channel.timezone,
                }
                for k, v in fields.items():
                    setattr(channel, k, v)
                channel.status = Channel.Status.ACTIVE
                channel.last_error = ""
                channel.connected_by = by.user
                # the team and time zone picked on the chooser apply to a reconnected channel too
                channel.team, channel.timezone = team, timezone_name
                _store_credentials(channel, creds)
                channel.save()
                after = {
                    "status": channel.status,
                    "team": channel.team_id,
                    "timezone": channel.timezone,
                }
                record_event(
                    org,
                    "channel.reconnected",
                    obj=channel,
                    changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
                )
            created.append(channel)
        attempt.refresh_from_db()
        # Ask the network about each account's server at once (e.g. a Mastodon instance's own
        # character limit, kept in Channel.metadata); the periodic health check keeps it fresh.
        ids = [c.pk for c in created]
        transaction.on_commit(lambda: _enqueue_health_checks(ids))
    return created


def _enqueue_health_checks(channel_ids: list[int]) -> None:
    from .. import tasks

    for channel_id in channel_ids:
        try:
            tasks.check_channel_health.delay(channel_id)
        except Exception:  # noqa: BLE001 - the periodic health check does it later
            log.warning(
                "Could not enqueue the health check of channel %s.", channel_id, exc_info=True
            )


def reconnect_channel(channel: Channel, *, by) -> ConnectStart:
    """Start a new consent for a known channel (its external id is pre-selected on the chooser)."""
    require(by, Capability.MANAGE_CHANNELS, channel)
    if channel.status == Channel.Status.ARCHIVED:
        raise Conflict(_("Unarchive the channel before reconnecting it."))
    return start_connect(
        channel.organization, by=by, provider_key=channel.provider, channel=channel
    )
