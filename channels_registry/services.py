"""Every state change of channels_registry: one function each, verb first, audited in its transaction.

Network calls (token exchange, refresh, health checks) happen outside the transaction that
records their outcome, so a slow network never holds a database lock except where a race must
be prevented (refreshing a rotating refresh token: the credential row is locked).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, can, require
from accounts.notifications import NotificationKind, notify
from accounts.selectors import members_of
from socialops.audit.services import record_event
from socialops.errors import ApplicationError, Conflict, NotAllowed, ValidationFailed

from . import crypto, webhook_events
from .models import (
    Channel,
    ChannelCredential,
    ChannelGrant,
    ChannelGroup,
    ConnectAttempt,
    GrantCapability,
    WebhookDelivery,
)
from .providers import REGISTRY, get_provider
from .providers.base import Account, Credentials, Provider, WebhookRequest
from .providers.errors import AuthExpired, ProviderError, RateLimited
from .providers.sandbox import sandbox_allowed

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
#: how long a person has to pick accounts after the network's consent
CHOOSE_TTL = timedelta(minutes=30)
REFRESH_AHEAD = timedelta(hours=24)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _now() -> datetime:
    return timezone.now()


# --- Credentials (de)serialization ---------------------------------------------------------------

def credentials_to_dict(creds: Credentials) -> dict[str, Any]:
    return {
        "access_token": creds.access_token,
        "refresh_token": creds.refresh_token,
        "expires_at": creds.expires_at.isoformat() if creds.expires_at else None,
        "refresh_expires_at": creds.refresh_expires_at.isoformat() if creds.refresh_expires_at else None,
        "scopes": list(creds.scopes),
        "extra": creds.extra,
        "dpop_key": creds.dpop_key,
    }


def credentials_from_dict(data: dict[str, Any]) -> Credentials:
    def dt(value):
        return datetime.fromisoformat(value) if value else None

    return Credentials(access_token=data["access_token"], refresh_token=data.get("refresh_token"),
                       expires_at=dt(data.get("expires_at")), refresh_expires_at=dt(data.get("refresh_expires_at")),
                       scopes=tuple(data.get("scopes") or ()), extra=dict(data.get("extra") or {}),
                       dpop_key=data.get("dpop_key"))


def _account_to_dict(account: Account) -> dict[str, Any]:
    return {"external_id": str(account.external_id), "handle": account.handle, "name": account.name,
            "avatar_url": account.avatar_url, "url": account.url, "extra": account.extra,
            "credentials": credentials_to_dict(account.credentials)}


def _store_credentials(channel: Channel, creds: Credentials) -> None:
    blob = crypto.encrypt_json(credentials_to_dict(creds))
    ChannelCredential.objects.for_org(channel.organization_id).update_or_create(
        channel=channel, defaults={"organization_id": channel.organization_id, "blob": blob, "updated_at": _now()})
    channel.token_expires_at = creds.expires_at


def _provider(key: str) -> Provider:
    if key not in REGISTRY:
        raise ValidationFailed(_("Choose a network."), fields={"provider": [_("Unknown network.")]})
    try:
        return get_provider(key)
    except (ImportError, AttributeError):
        raise ValidationFailed(_("That network is not available yet."),
                               fields={"provider": [_("This network's connector is not installed.")]}) from None


def _network_error(provider: Provider, exc: Exception) -> ApplicationError:
    name = getattr(provider, "name", provider.key)
    if isinstance(exc, ProviderError):
        return ApplicationError(_("%(network)s said: %(message)s") % {"network": name, "message": exc.message},
                                code="network_error")
    return ApplicationError(_("%(network)s could not be reached or answered unexpectedly. Try again.") % {"network": name},
                            code="network_error")


def callback_uri(provider_key: str) -> str:
    return settings.SITE_URL + reverse("channel_connect_callback", args=[provider_key])


def atproto_client_id() -> str:
    """Our atproto OAuth client_id: the public URL of our client metadata document."""
    return settings.SITE_URL + reverse("bluesky_client_metadata")


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dict):
        return dict(value)
    raise ApplicationError(_("The network returned an app registration we cannot read."), code="network_error")


# --- Connecting ----------------------------------------------------------------------------------

@dataclass
class ConnectStart:
    attempt: ConnectAttempt
    authorization_url: str


def start_connect(org, *, by, provider_key: str, instance_url: str = "", handle: str = "",
                  channel: Channel | None = None) -> ConnectStart:
    """Begin an OAuth connection: a ConnectAttempt holding the hashed state, and the consent URL."""
    require(by, Capability.MANAGE_CHANNELS, channel)
    if provider_key == "sandbox" and not sandbox_allowed(org):
        raise ValidationFailed(_("The Sandbox network is turned off for this organization. An administrator can "
                                 "turn it on in Organization settings."))
    provider = _provider(provider_key)
    kind = provider.capabilities.auth_kind
    if kind == "app_password":
        raise ValidationFailed(_("This network connects with a handle and an app password."),
                               fields={"provider": [_("Use the app-password form.")]})
    from .selectors import provider_is_configured

    if not provider_is_configured(provider_key):
        raise ValidationFailed(
            _("%(network)s has not been set up on this SocialOps server yet. Ask whoever runs your SocialOps "
              "server to set it up.") % {"network": provider.name})
    redirect_uri = callback_uri(provider_key)
    context: dict[str, Any] = {}
    if getattr(provider, "needs_organization", False):
        context["organization_id"] = org.pk
    if kind == "instance_oauth2":
        instance_url = (instance_url or "").strip().rstrip("/")
        if not instance_url:
            raise ValidationFailed(_("Enter the address of your instance."),
                                   fields={"instance_url": [_("This field is required.")]})
        if "://" not in instance_url:
            instance_url = "https://" + instance_url
        try:
            registration = provider.register_app(instance_url, redirect_uri=redirect_uri)  # type: ignore[attr-defined]
        except ProviderError as exc:
            raise ValidationFailed(
                _("Could not register SocialOps with %(instance)s: %(message)s") % {"instance": instance_url,
                                                                                      "message": exc.message},
                fields={"instance_url": [_("Check the address; the instance must be reachable.")]},
            ) from None
        except (AttributeError, NotImplementedError):
            raise ValidationFailed(_("This network's connector cannot register apps yet.")) from None
        context.update(_as_dict(registration))
        context.setdefault("instance_url", instance_url)
    if kind == "atproto":
        handle = (handle or "").strip().lstrip("@")
        if not handle:
            raise ValidationFailed(_("Enter your handle."), fields={"handle": [_("This field is required.")]})
        context.update(handle=handle, client_id=atproto_client_id())
    verifier = None
    if kind in ("oauth2_pkce", "atproto"):
        verifier, _challenge = _pkce_pair()
        context["code_verifier"] = verifier
    state = secrets.token_urlsafe(32)
    try:
        # The provider may add secrets to ``context`` (atproto: its DPoP key); they are stored encrypted below.
        url = provider.authorization_url(redirect_uri=redirect_uri, state=state, code_verifier=verifier,
                                         extra=context)
    except ProviderError as exc:
        raise _network_error(provider, exc) from None
    now = _now()
    with transaction.atomic():
        attempt = ConnectAttempt.objects.create(
            organization=org, membership=by, provider=provider_key, state_hash=_hash(state),
            redirect_uri=redirect_uri, secret_context=crypto.encrypt_json(context), channel=channel,
            created_at=now, expires_at=now + STATE_TTL)
        record_event(org, "channel.connect_started", obj=attempt,
                     changes={"provider": provider_key, "channel": channel.pk if channel else None})
    return ConnectStart(attempt=attempt, authorization_url=url)


def find_attempt_by_state(state: str) -> ConnectAttempt | None:
    """The attempt a callback's ``state`` names, whichever organization it belongs to.

    Unscoped on purpose: a network's callback URL cannot carry our organization (it is registered
    once per app), so the random state is the only key. The caller must then check that the
    signed-in person is the attempt's member.
    """
    if not state or len(state) > 200:
        return None
    return (ConnectAttempt.objects.unscoped().select_related("membership__user", "organization", "channel")
            .filter(state_hash=_hash(state)).first())


def sandbox_consent_allowed(state: str) -> bool:
    """Whether the Sandbox network's own consent page may answer this ``state``: in production
    only for a pending sandbox attempt of an organization that opted in (see sandbox_allowed)."""
    if not getattr(settings, "PRODUCTION", False):
        return True
    attempt = find_attempt_by_state(state)
    return attempt is not None and attempt.provider == "sandbox" and sandbox_allowed(attempt.organization)


def _fail_attempt(attempt: ConnectAttempt, message: str) -> None:
    with transaction.atomic():
        ConnectAttempt.objects.for_org(attempt.organization_id).filter(pk=attempt.pk).update(
            status=ConnectAttempt.Status.FAILED, error=message[:1000], candidates_blob="", secret_context="")
        record_event(attempt.organization, "channel.connect_failed", obj=attempt,
                     changes={"provider": attempt.provider, "error": message[:300]})


def complete_connect(state: str, code: str, *, user, provider_key: str | None = None,
                     iss: str | None = None) -> ConnectAttempt:
    """The OAuth callback: check and claim ``state``, trade ``code`` for the accounts it covers.

    ``iss`` is the callback's issuer parameter (RFC 9207); a provider that requires it (atproto)
    refuses the code unless it names the authorization server the attempt was started with.
    """
    invalid = ApplicationError(
        _("This connection link is not valid or was already used. Start connecting the channel again."),
        code="invalid_state")
    attempt = find_attempt_by_state(state)
    if attempt is None or (provider_key and attempt.provider != provider_key):
        raise invalid
    if attempt.membership.user_id != getattr(user, "pk", None) or not attempt.membership.is_active:
        raise NotAllowed(_("This connection was started by someone else. Start your own from the Channels page."))
    now = _now()
    if attempt.expires_at <= now and attempt.status == ConnectAttempt.Status.STARTED:
        _fail_attempt(attempt, "expired")
        raise ApplicationError(_("This connection took more than 10 minutes and expired. Start again."),
                               code="expired_state")
    # Single use: only the first callback flips STARTED → AUTHORIZED (a replay updates nothing).
    claimed = ConnectAttempt.objects.for_org(attempt.organization_id).filter(
        pk=attempt.pk, status=ConnectAttempt.Status.STARTED, expires_at__gt=now,
    ).update(status=ConnectAttempt.Status.AUTHORIZED, authorized_at=now)
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
        accounts = provider.exchange_code(code=code, redirect_uri=attempt.redirect_uri,
                                          code_verifier=context.get("code_verifier"), extra=dict(context))
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
            _("The network did not return any page or profile you administer. Check that your account manages one "
              "and that you granted every permission."), code="no_accounts")
    public = [{"external_id": str(a.external_id), "handle": a.handle, "name": a.name, "avatar_url": a.avatar_url,
               "url": a.url} for a in accounts]
    with transaction.atomic():
        attempt.candidates = public
        attempt.candidates_blob = crypto.encrypt_json([_account_to_dict(a) for a in accounts])
        attempt.status = ConnectAttempt.Status.AUTHORIZED
        attempt.authorized_at = attempt.authorized_at or _now()
        attempt.save(update_fields=["candidates", "candidates_blob", "status", "authorized_at"])
        record_event(attempt.organization, "channel.connect_authorized", obj=attempt,
                     changes={"provider": attempt.provider, "accounts": [a["external_id"] for a in public]})
    return attempt


def _wait_in_words(seconds: float) -> dict[str, str]:
    """"in about 4 minutes" and "10:42" (the person's zone) for a network's "try again later"."""
    from django.utils.timesince import timeuntil

    from socialops.dates import local_time

    at = _now() + timedelta(seconds=max(seconds, 1))
    return {"wait": timeuntil(at + timedelta(seconds=59), _now(), depth=1),
            "time": local_time(at)}


#: what a network's identity errors mean for the handle field of the connect form
_HANDLE_ERRORS = {"HandleNotFound", "HandleMismatch", "InvalidHandle", "DidNotFound", "NoPds"}


def connect_with_app_password(org, *, by, provider_key: str, handle: str, app_password: str,
                              service_url: str = "") -> ConnectAttempt:
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
        result = login(handle, app_password, **({"service_url": service_url.strip()} if service_url.strip() else {}))
    except AuthExpired:
        raise ValidationFailed(_("The handle or app password is wrong."),
                               fields={"app_password": [_("Check the app password (not your main password).")]}) from None
    except RateLimited as exc:
        raise ApplicationError(
            _("%(network)s is not accepting more sign-ins for this account right now. Try again in %(wait)s "
              "(after %(time)s).") % {"network": name, **_wait_in_words(exc.retry_after or 60)},
            code="rate_limited") from None
    except ProviderError as exc:
        if exc.code == "InvalidServiceUrl":
            raise ValidationFailed(_("Enter the server's address, like https://pds.example.org."),
                                   fields={"service_url": [_("Enter an https address without a path.")]}) from None
        if exc.code in _HANDLE_ERRORS:
            raise ValidationFailed(
                _("%(network)s could not find the account %(handle)s.") % {"network": name, "handle": handle},
                fields={"handle": [_("Check the handle, or give the address of the server that hosts the "
                                     "account below.")]}) from None
        raise _network_error(provider, exc) from None
    except NotImplementedError:
        raise ValidationFailed(_("This network's connector cannot sign in with an app password yet.")) from None
    accounts = list(result) if isinstance(result, list | tuple) else [result]
    with transaction.atomic():
        attempt = ConnectAttempt.objects.create(
            organization=org, membership=by, provider=provider_key, state_hash=_hash(secrets.token_urlsafe(32)),
            status=ConnectAttempt.Status.AUTHORIZED, authorized_at=_now(), expires_at=_now() + STATE_TTL)
        record_event(org, "channel.connect_started", obj=attempt, changes={"provider": provider_key,
                                                                           "method": "app_password"})
    return _store_candidates(attempt, accounts)


def add_channels(attempt: ConnectAttempt, *, by, external_ids: list[str], team=None,
                 timezone_name: str = "UTC") -> list[Channel]:
    """Create (or reconnect) the chosen accounts as channels, with their credentials, atomically."""
    org = attempt.organization
    require(by, Capability.MANAGE_CHANNELS)
    if attempt.membership_id != by.pk:
        raise NotAllowed(_("This connection was started by someone else."))
    if attempt.status != ConnectAttempt.Status.AUTHORIZED or not attempt.candidates_blob:
        raise Conflict(_("These accounts were already added or the connection failed. Start again."))
    if (attempt.authorized_at or attempt.created_at) + CHOOSE_TTL <= _now():
        raise ApplicationError(_("This connection expired. Start again."), code="expired_state")
    if team is not None and team.organization_id != org.pk:
        raise ValidationFailed(_("Choose a valid team."), fields={"team": [_("Choose a valid team.")]})
    _check_timezone(timezone_name)
    wanted = [str(x) for x in external_ids if str(x)]
    if not wanted:
        raise ValidationFailed(_("Pick at least one account."), fields={"accounts": [_("Pick at least one account.")]})
    candidates = {c["external_id"]: c for c in crypto.decrypt_json(attempt.candidates_blob)}
    unknown = [x for x in wanted if x not in candidates]
    if unknown:
        raise ValidationFailed(_("Pick accounts from the list."), fields={"accounts": [_("Unknown account.")]})
    # Where account ids are unique per server only (Mastodon), the provider qualifies the external
    # id with the server ("<id>@<host>"): the same id on another server is another channel, and
    # the same account on the same server finds its channel again (a reconnect).
    created: list[Channel] = []
    with transaction.atomic():
        locked = ConnectAttempt.objects.for_org(org).filter(pk=attempt.pk, status=ConnectAttempt.Status.AUTHORIZED).update(
            status=ConnectAttempt.Status.COMPLETED, completed_at=_now(), candidates_blob="", secret_context="")
        if not locked:
            raise Conflict(_("These accounts were already added."))
        for ext in wanted:
            c = candidates[ext]
            creds = credentials_from_dict(c["credentials"])
            channel = Channel.objects.for_org(org).filter(provider=attempt.provider, external_id=ext).first()
            fields = {"handle": c["handle"][:255], "name": c["name"][:255], "avatar_url": c["avatar_url"] or "",
                      "url": c["url"] or ""}
            if channel is None:
                channel = Channel(organization=org, provider=attempt.provider, external_id=ext, team=team,
                                  timezone=timezone_name, connected_by=by.user, **fields)
                channel.token_expires_at = creds.expires_at
                channel.save()
                _store_credentials(channel, creds)
                record_event(org, "channel.connected", obj=channel,
                             changes={"provider": channel.provider, "handle": channel.handle,
                                      "team": team.pk if team else None, "timezone": timezone_name})
            else:
                before = {"status": channel.status, "team": channel.team_id, "timezone": channel.timezone}
                for k, v in fields.items():
                    setattr(channel, k, v)
                channel.status = Channel.Status.ACTIVE
                channel.last_error = ""
                channel.connected_by = by.user
                # the team and time zone picked on the chooser apply to a reconnected channel too
                channel.team, channel.timezone = team, timezone_name
                _store_credentials(channel, creds)
                channel.save()
                after = {"status": channel.status, "team": channel.team_id, "timezone": channel.timezone}
                record_event(org, "channel.reconnected", obj=channel,
                             changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
            created.append(channel)
        attempt.refresh_from_db()
        # Ask the network about each account's server at once (e.g. a Mastodon instance's own
        # character limit, kept in Channel.metadata); the periodic health check keeps it fresh.
        ids = [c.pk for c in created]
        transaction.on_commit(lambda: _enqueue_health_checks(ids))
    return created


def _enqueue_health_checks(channel_ids: list[int]) -> None:
    from . import tasks

    for channel_id in channel_ids:
        try:
            tasks.check_channel_health.delay(channel_id)
        except Exception:  # noqa: BLE001 - the periodic health check does it later
            log.warning("Could not enqueue the health check of channel %s.", channel_id, exc_info=True)


# --- Channel lifecycle ---------------------------------------------------------------------------

def _check_timezone(name: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(_("Choose a valid time zone."), fields={"timezone": [_("Choose a valid time zone.")]}) from None


def _set_status(channel: Channel, status: str, action: str, **extra_changes) -> Channel:
    before = channel.status
    channel.status = status
    channel.save(update_fields=["status", "token_expires_at", "last_error"])
    record_event(channel.organization, action, obj=channel, changes={"status": [before, status], **extra_changes})
    return channel


@transaction.atomic
def disconnect_channel(channel: Channel, *, by) -> Channel:
    """Stop using the channel: its credentials are wiped; the channel and its history stay."""
    require(by, Capability.MANAGE_CHANNELS, channel)
    if channel.status == Channel.Status.DISCONNECTED:
        raise Conflict(_("This channel is already disconnected."))
    ChannelCredential.objects.for_org(channel.organization_id).filter(channel=channel).delete()
    channel.token_expires_at = None
    return _set_status(channel, Channel.Status.DISCONNECTED, "channel.disconnected")


@transaction.atomic
def archive_channel(channel: Channel, *, by) -> Channel:
    """Hide the channel from pickers and sweeps; credentials are wiped, history kept."""
    require(by, Capability.MANAGE_CHANNELS, channel)
    if channel.status == Channel.Status.ARCHIVED:
        raise Conflict(_("This channel is already archived."))
    ChannelCredential.objects.for_org(channel.organization_id).filter(channel=channel).delete()
    channel.token_expires_at = None
    return _set_status(channel, Channel.Status.ARCHIVED, "channel.archived")


@transaction.atomic
def unarchive_channel(channel: Channel, *, by) -> Channel:
    """Back to the list as disconnected: reconnect it to use it again."""
    require(by, Capability.MANAGE_CHANNELS, channel)
    if channel.status != Channel.Status.ARCHIVED:
        raise Conflict(_("This channel is not archived."))
    return _set_status(channel, Channel.Status.DISCONNECTED, "channel.unarchived")


@transaction.atomic
def set_channel_team(channel: Channel, *, by, team) -> Channel:
    require(by, Capability.MANAGE_CHANNELS, channel)
    if team is not None and team.organization_id != channel.organization_id:
        raise ValidationFailed(_("Choose a valid team."), fields={"team": [_("Choose a valid team.")]})
    before = channel.team_id
    if before == (team.pk if team else None):
        return channel
    channel.team = team
    channel.save(update_fields=["team"])
    record_event(channel.organization, "channel.team_changed", obj=channel, changes={"team": [before, channel.team_id]})
    return channel


@transaction.atomic
def set_channel_timezone(channel: Channel, *, by, timezone_name: str) -> Channel:
    require(by, Capability.MANAGE_CHANNELS, channel)
    _check_timezone(timezone_name)
    if channel.timezone == timezone_name:
        return channel
    before = channel.timezone
    channel.timezone = timezone_name
    channel.save(update_fields=["timezone"])
    record_event(channel.organization, "channel.timezone_changed", obj=channel,
                 changes={"timezone": [before, timezone_name]})
    return channel


@transaction.atomic
def set_channel_access(channel: Channel, *, by, access: str) -> Channel:
    require(by, Capability.MANAGE_CHANNELS, channel)
    if access not in Channel.Access.values:
        raise ValidationFailed(_("Choose a valid access level."), fields={"access": [_("Choose a valid access level.")]})
    if channel.access == access:
        return channel
    before = channel.access
    channel.access = access
    channel.save(update_fields=["access"])
    record_event(channel.organization, "channel.access_changed", obj=channel, changes={"access": [before, access]})
    return channel


# --- Groups --------------------------------------------------------------------------------------

def _check_group(org, name: str, channels: list[Channel], exclude: ChannelGroup | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the group a name."), fields={"name": [_("This field is required.")]})
    qs = ChannelGroup.objects.for_org(org).filter(name__iexact=name)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if qs.exists():
        raise ValidationFailed(_("A group called “%(name)s” already exists.") % {"name": name},
                               fields={"name": [_("Group names must be unique.")]})
    if any(c.organization_id != org.pk for c in channels):
        raise ValidationFailed(_("Choose valid channels."), fields={"channels": [_("Choose valid channels.")]})
    return name


def _channels_hidden_from(by, channels) -> set[int]:
    """Ids of ``channels`` that ``by`` may not see (restricted ones without a grant)."""
    from .selectors import visible_channels

    ids = {c.pk for c in channels}
    if not ids:
        return set()
    return ids - set(visible_channels(by).filter(pk__in=ids).values_list("pk", flat=True))


def _refuse_hidden(by, channels) -> None:
    """A channel ``by`` may not see is refused like one that does not exist."""
    if _channels_hidden_from(by, channels):
        raise ValidationFailed(_("Choose valid channels."), fields={"channels": [_("Choose valid channels.")]})


@transaction.atomic
def create_channel_group(org, *, by, name: str, description: str = "", channels: list[Channel] = ()) -> ChannelGroup:
    require(by, Capability.MANAGE_CHANNELS)
    channels = list(channels)
    name = _check_group(org, name, channels)
    _refuse_hidden(by, channels)
    group = ChannelGroup.objects.create(organization=org, name=name, description=description or "")
    group.channels.set(channels)
    record_event(org, "channel_group.created", obj=group, changes={"name": name, "channels": sorted(c.pk for c in channels)})
    return group


@transaction.atomic
def update_channel_group(group: ChannelGroup, *, by, name: str, description: str = "",
                         channels: list[Channel] = ()) -> ChannelGroup:
    """Rename, describe and set the channels of ``group``. The group's channels that ``by`` may not see
    were never shown to them, so their absence from ``channels`` means nothing: they stay."""
    org = group.organization
    require(by, Capability.MANAGE_CHANNELS, group)
    channels = list(channels)
    name = _check_group(org, name, channels, exclude=group)
    _refuse_hidden(by, channels)
    current = list(group.channels.all())
    hidden = _channels_hidden_from(by, current)
    channels = list({c.pk: c for c in channels + [c for c in current if c.pk in hidden]}.values())
    before = {"name": group.name, "description": group.description, "channels": sorted(c.pk for c in current)}
    group.name, group.description = name, description or ""
    group.save(update_fields=["name", "description"])
    group.channels.set(channels)
    after = {"name": name, "description": group.description, "channels": sorted(c.pk for c in channels)}
    record_event(org, "channel_group.updated", obj=group,
                 changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return group


@transaction.atomic
def delete_channel_group(group: ChannelGroup, *, by) -> None:
    require(by, Capability.MANAGE_CHANNELS, group)
    record_event(group.organization, "channel_group.deleted", obj=group, changes={"name": group.name})
    group.channels.clear()
    ChannelGroup.objects.for_org(group.organization_id).filter(pk=group.pk).delete()


# --- Grants --------------------------------------------------------------------------------------

@transaction.atomic
def grant_channel_access(channel: Channel, *, by, capability: str, membership=None, team=None) -> ChannelGrant:
    require(by, Capability.MANAGE_CHANNELS, channel)
    if capability not in GrantCapability.values:
        raise ValidationFailed(_("Choose a valid capability."), fields={"capability": [_("Choose a valid capability.")]})
    if (membership is None) == (team is None):
        raise ValidationFailed(_("Grant access to one person or one team."),
                               fields={"membership": [_("Choose a person or a team, not both.")]})
    target = membership if membership is not None else team
    if target.organization_id != channel.organization_id:
        raise ValidationFailed(_("Choose someone in this organization."), fields={"membership": [_("Not found.")]})
    try:
        with transaction.atomic():
            grant = ChannelGrant.objects.create(organization_id=channel.organization_id, channel=channel,
                                                membership=membership, team=team, capability=capability,
                                                granted_by=by.user)
    except IntegrityError:
        raise Conflict(_("That access is already granted.")) from None
    record_event(channel.organization, "channel.access_granted", obj=channel,
                 changes={"capability": capability, "membership": membership.pk if membership else None,
                          "team": team.pk if team else None})
    return grant


@transaction.atomic
def revoke_channel_access(grant: ChannelGrant, *, by) -> None:
    channel = grant.channel
    require(by, Capability.MANAGE_CHANNELS, channel)
    record_event(channel.organization, "channel.access_revoked", obj=channel,
                 changes={"capability": grant.capability, "membership": grant.membership_id, "team": grant.team_id})
    ChannelGrant.objects.for_org(channel.organization_id).filter(pk=grant.pk).delete()


# --- Health, refresh, re-authorization -----------------------------------------------------------

def _send_needs_reauth_email(channel_id: int) -> None:
    """Tell whoever can reconnect the channel (bell and e-mail, each in their own language)."""
    channel = Channel.objects.unscoped().select_related("organization").get(pk=channel_id)
    org = channel.organization
    recipients = [m for m in members_of(org, include_inactive=False)
                  if m.user.is_active and can(m, Capability.MANAGE_CHANNELS, channel)]
    if not recipients:
        return
    with transaction.atomic():
        notify(org, recipients=recipients, kind=NotificationKind.CHANNEL_NEEDS_REAUTH,
               template="channel_needs_reauth",
               context={"channel": {"handle": channel.handle, "name": channel.name, "provider": channel.provider},
                        "reason": channel.last_error},
               url=reverse("channel_detail", args=[org.slug, channel.pk]))


@transaction.atomic
def mark_needs_reauth(channel: Channel, *, reason: str) -> Channel:
    """The network refuses the channel's authorization: flag it and tell whoever can reconnect it."""
    channel = Channel.objects.for_org(channel.organization_id).select_for_update().get(pk=channel.pk)
    if channel.status != Channel.Status.ACTIVE:
        return channel  # already flagged (or out of use): tell people once
    channel.last_error = (reason or "")[:1000]
    _set_status(channel, Channel.Status.NEEDS_REAUTH, "channel.needs_reauth", reason=channel.last_error[:300])
    webhook_events.channel_needs_reauth(channel)  # outgoing webhook, in this transaction
    channel_id = channel.pk
    transaction.on_commit(lambda: _send_needs_reauth_email(channel_id))
    return channel


def refresh_channel_credentials(channel: Channel, *, force: bool = False) -> Channel:
    """Refresh the token ahead of expiry. Safe to run twice: a fresh token is left alone."""
    org_id = channel.organization_id
    if channel.status != Channel.Status.ACTIVE:
        return channel
    provider = _provider(channel.provider)
    with transaction.atomic():
        # Lock the credential row: two refreshes racing would burn a rotating refresh token.
        row = ChannelCredential.objects.for_org(org_id).select_for_update().filter(channel=channel).first()
        if row is None:
            return channel
        creds = credentials_from_dict(crypto.decrypt_json(row.blob))
        if not force and creds.expires_at is not None and creds.expires_at > _now() + REFRESH_AHEAD:
            return channel
        failure: ProviderError | None = None
        try:
            new = provider.refresh(creds)
        except ProviderError as exc:
            failure = exc
        else:
            _store_credentials(channel, new)
            channel.last_error = ""
            channel.save(update_fields=["token_expires_at", "last_error"])
            record_event(channel.organization, "channel.credentials_refreshed", obj=channel,
                         changes={"expires_at": new.expires_at})
            return channel
    if isinstance(failure, AuthExpired):
        return mark_needs_reauth(channel, reason=failure.message)
    Channel.objects.for_org(org_id).filter(pk=channel.pk).update(last_error=failure.message[:1000])
    raise failure


def renew_channel_credentials(channel: Channel, *, stale: Credentials) -> Credentials:
    """Renew the channel's session because the network said its access token ran out mid-call.

    Called from inside a provider call (``Credentials.refresher``). The credential row is locked and
    read again: when another worker renewed it meanwhile, its credentials are returned instead of
    spending the refresh token a second time (atproto OAuth revokes the whole session when a used
    refresh token comes back). Only a refused refresh flags the channel for re-authorization.
    """
    org_id = channel.organization_id
    provider = _provider(channel.provider)
    failure: ProviderError
    with transaction.atomic():
        row = ChannelCredential.objects.for_org(org_id).select_for_update().filter(channel=channel).first()
        if row is None:
            raise AuthExpired("This channel has no stored credentials any more; reconnect it.")
        stored = credentials_from_dict(crypto.decrypt_json(row.blob))
        if stored.access_token != stale.access_token:
            return stored
        try:
            fresh = provider.refresh(stored)
        except ProviderError as exc:
            failure = exc
        else:
            _store_credentials(channel, fresh)
            Channel.objects.for_org(org_id).filter(pk=channel.pk).update(token_expires_at=fresh.expires_at,
                                                                         last_error="")
            record_event(channel.organization, "channel.credentials_refreshed", obj=channel,
                         changes={"expires_at": fresh.expires_at, "reason": "expired during a call"})
            return fresh
    if isinstance(failure, AuthExpired):
        mark_needs_reauth(channel, reason=failure.message)
    raise failure


def check_channel_health(channel: Channel) -> Channel:
    """Ask the network who the token acts as; AuthExpired flags the channel for re-authorization."""
    from .selectors import credentials_for

    if channel.status != Channel.Status.ACTIVE:
        return channel
    provider = _provider(channel.provider)
    try:
        credentials = credentials_for(channel)
    except (ApplicationError, crypto.CredentialsUnreadable):
        return mark_needs_reauth(channel, reason="The stored credentials are missing or cannot be decrypted.")
    try:
        account = provider.verify_credentials(credentials, channel.external_id)
    except AuthExpired as exc:
        return mark_needs_reauth(channel, reason=exc.message)
    except ProviderError as exc:
        Channel.objects.for_org(channel.organization_id).filter(pk=channel.pk).update(last_error=exc.message[:1000])
        channel.last_error = exc.message
        return channel
    changes = {}
    for field in ("handle", "name", "avatar_url", "url"):
        value = getattr(account, field, "") or ""
        if value and value != getattr(channel, field):
            changes[field] = [getattr(channel, field), value]
            setattr(channel, field, value)
    try:
        facts = provider.account_facts(credentials, channel.external_id)
    except ProviderError:
        facts = None  # keep what we knew; the next check asks again
    if facts is not None and {**channel.metadata, **facts} != channel.metadata:
        changes["metadata"] = [channel.metadata, {**channel.metadata, **facts}]
        channel.metadata = {**channel.metadata, **facts}
    channel.last_synced_at = _now()
    channel.last_error = ""
    with transaction.atomic():
        channel.save(update_fields=["handle", "name", "avatar_url", "url", "metadata", "last_synced_at",
                                    "last_error"])
        if changes:
            record_event(channel.organization, "channel.profile_updated", obj=channel, changes=changes)
    return channel


def reconnect_channel(channel: Channel, *, by) -> ConnectStart:
    """Start a new consent for a known channel (its external id is pre-selected on the chooser)."""
    require(by, Capability.MANAGE_CHANNELS, channel)
    if channel.status == Channel.Status.ARCHIVED:
        raise Conflict(_("Unarchive the channel before reconnecting it."))
    return start_connect(channel.organization, by=by, provider_key=channel.provider, channel=channel)


# --- Webhooks ------------------------------------------------------------------------------------

_KEPT_HEADERS = ("content-type", "user-agent", "x-hub-signature-256", "x-twitter-webhooks-signature",
                 "x-sandbox-signature", "x-sandbox-delivery", "x-li-signature")


def webhook_delivery_key(provider: Provider, request: WebhookRequest) -> str:
    """What makes a push the same push: the network's delivery id where it sends one, else the
    raw body (a signed body cannot change without its signature, so a replay is byte-identical)."""
    delivery_id = provider.webhook_delivery_id(request)
    if delivery_id:
        return "id:" + hashlib.sha256(delivery_id.encode()).hexdigest()  # bounded whatever was sent
    return "sha256:" + hashlib.sha256(request.body).hexdigest()


def webhook_accepted(provider_key: str) -> bool:
    """Whether ``/webhooks/<network>/`` is open at all. The Sandbox network's is closed in
    production unless some organization opted in to the Sandbox network."""
    if provider_key != "sandbox" or not getattr(settings, "PRODUCTION", False):
        return True
    from accounts.selectors import all_organizations

    return all_organizations().filter(sandbox_network=True).exists()


@transaction.atomic
def record_webhook_delivery(provider_key: str, request: WebhookRequest) -> tuple[WebhookDelivery, bool]:
    """Store a push whose signature was already verified; processing happens in a task.

    Returns ``(delivery, created)``. A replay (the same delivery key) stores nothing new and
    queues nothing: the row already stored is returned with ``created=False``. Two copies racing
    in are settled by the unique constraint (``webhook_delivery_once``).
    """
    headers = {k: v for k, v in request.headers.items() if k in _KEPT_HEADERS}
    key = webhook_delivery_key(_provider(provider_key), request)
    delivery, created = WebhookDelivery.objects.get_or_create(
        provider=provider_key, delivery_key=key,
        defaults={"headers": headers, "query": request.query, "body": request.body})
    if created:
        delivery_id = delivery.pk
        transaction.on_commit(lambda: _enqueue_webhook(delivery_id))
    return delivery, created


def _enqueue_webhook(delivery_id: int) -> None:
    from .tasks import process_webhook_delivery

    process_webhook_delivery.delay(delivery_id)


def process_webhook_delivery(delivery_id: int) -> WebhookDelivery | None:
    """Parse a stored push and keep the normalized events on the row (the inbox consumes them later).

    Channels are resolved with ``.unscoped()``: a push names a network account, not one of our
    organizations, and the same account may be connected by several organizations.
    """
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.status == WebhookDelivery.Status.PROCESSED:
        return delivery
    provider = _provider(delivery.provider)
    request = WebhookRequest(method="POST", headers=dict(delivery.headers), query=dict(delivery.query),
                             body=bytes(delivery.body))
    try:
        events = provider.parse_webhook(request)
    except ProviderError as exc:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED,
                                                              error=exc.message[:1000], processed_at=_now())
        delivery.refresh_from_db()
        return delivery
    ids = {e.account_external_id for e in events}
    channels: dict[str, list[tuple[int, int]]] = {}
    matching = Channel.objects.unscoped().filter(provider=delivery.provider, external_id__in=ids)
    if delivery.provider == "sandbox" and getattr(settings, "PRODUCTION", False):
        matching = matching.filter(organization__sandbox_network=True)  # see sandbox_allowed
    for pk, org_id, ext in matching.values_list("pk", "organization_id", "external_id"):
        channels.setdefault(ext, []).append((org_id, pk))
    out = []
    for e in events:
        item = dataclasses.asdict(e.item) if e.item else None
        out.append({"account_external_id": e.account_external_id, "kind": e.kind, "item": item,
                    "channels": [{"organization_id": o, "channel_id": c} for o, c in channels.get(e.account_external_id, [])]})
    delivery.events = json.loads(json.dumps(out, cls=DjangoJSONEncoder))
    delivery.status = WebhookDelivery.Status.PROCESSED
    delivery.processed_at = _now()
    delivery.save(update_fields=["events", "status", "processed_at"])
    return delivery


# --- Key rotation --------------------------------------------------------------------------------

def rotate_credential_keys() -> int:
    """Re-encrypt every stored secret with the first key. Run after putting a new key first.

    Unscoped on purpose: key rotation is system work over every organization's rows.
    """
    count = 0
    for row in ChannelCredential.objects.unscoped().only("pk", "blob").iterator():
        ChannelCredential.objects.unscoped().filter(pk=row.pk).update(blob=crypto.rotate(row.blob))
        count += 1
    for attempt in ConnectAttempt.objects.unscoped().exclude(candidates_blob="", secret_context="").iterator():
        update = {}
        if attempt.candidates_blob:
            update["candidates_blob"] = crypto.rotate(attempt.candidates_blob)
        if attempt.secret_context:
            update["secret_context"] = crypto.rotate(attempt.secret_context)
        ConnectAttempt.objects.unscoped().filter(pk=attempt.pk).update(**update)
        count += 1
    return count


# --- Demo ----------------------------------------------------------------------------------------

DEMO_CHANNELS = [
    ("sbx-kitchen", "nusantara.kitchen", "Nusantara Kitchen", "Head office", "Asia/Jakarta"),
    ("sbx-id", "nusantara.id", "Nusantara Indonesia", "Indonesia", "Asia/Jakarta"),
    ("sbx-kopi", "kopi.pagi", "Kopi Pagi Jakarta", "Jakarta", "Asia/Jakarta"),
    ("sbx-promo", "promo.harian", "Promo Harian Surabaya", "Surabaya", "Asia/Jakarta"),
    ("sbx-sg", "nusantara.sg", "Nusantara Singapore", "Singapore", "Asia/Singapore"),
]


@transaction.atomic
def seed_demo_channels(org, *, by) -> list[Channel]:
    """Sandbox channels in several teams for the demo organization (safe to run again)."""
    from accounts.selectors import teams_of

    from .providers.base import PublishRequest
    from .providers.sandbox import account_for

    require(by, Capability.MANAGE_CHANNELS)
    teams = {t.name: t for t in teams_of(org)}
    provider = get_provider("sandbox")
    out = []
    for ext, handle, name, team_name, tz in DEMO_CHANNELS:
        channel = Channel.objects.for_org(org).filter(provider="sandbox", external_id=ext).first()
        if channel is None:
            account = account_for(ext, org.pk, handle=handle, name=name)
            channel = Channel.objects.create(organization=org, provider="sandbox", external_id=ext, handle=handle,
                                             name=name, url=account.url, team=teams.get(team_name), timezone=tz,
                                             connected_by=by.user, token_expires_at=account.credentials.expires_at)
            _store_credentials(channel, account.credentials)
            record_event(org, "channel.connected", obj=channel, changes={"provider": "sandbox", "demo": True})
            provider.publish(account.credentials, ext, PublishRequest(
                text=f"Selamat datang di {name}! Welcome to {name}.", idempotency_key=f"demo-{ext}"))
        out.append(channel)
    return out
