"""The one notification service: in-app (the bell) and e-mail, each person choosing per kind.

Every app tells people things through ``notify()``::

    from accounts.notifications import NotificationKind, notify

    notify(org, recipients=[post.author], kind=NotificationKind.PUBLISH_FAILED,
           template="publish_failed",
           context={"post": str(post), "reason": reason,
                    "channel": {"handle": ch.handle, "name": ch.name, "provider": ch.provider}},
           url=reverse("post_detail", args=[org.slug, post.pk]))

The templates ``templates/notifications/<template>_subject.txt`` (one line: the in-app title and
the e-mail subject), ``<template>_body.txt`` (the in-app body and the plain-text e-mail) and
optionally ``<template>_body.html`` (an HTML alternative) see ``context`` plus ``recipient``,
``organization``, ``url`` (absolute) and ``in_app``. The e-mail is rendered once, when it is
sent, in the recipient's language (their own, else the organization's) and time zone, with
``email_context`` too (``in_app`` False). The in-app notification stores only the template and
``context`` (plain data) and is rendered whenever it is read (``render_for_reader``), in the
reader's language and zone of that moment, with ``in_app`` True: leave links, and anything only
``email_context`` holds, in ``{% if not in_app %}``. The .txt templates are plain text (not
HTML-escaped); the .html one is escaped as usual.

E-mails leave through an outbox: ``notify()`` writes each rendered e-mail as a
``NotificationEmail`` row in the caller's transaction (so an e-mail exists iff the action
committed; a rolled-back action tells nobody) and, on commit, enqueues one task
(``accounts.tasks.send_notification_emails``) with the new rows' ids. No SMTP call happens in
the request. A worker claims each row with a conditional UPDATE, sends the batch over one
connection and marks each row sent; a failure is retried with backoff (the wait is the row's
``next_attempt_at``, never a countdown) and given up after ``EMAIL_MAX_ATTEMPTS``. A beat sweep
every minute sends whatever is due and unsent (a lost message, a broker down at commit, a killed
worker), so the broker is never needed for correctness, only for promptness.

Attachments: ``notify(..., attachments=[Attachment(path, filename, content_type)])`` (and
``email_addresses``) name files already in the default storage; each e-mail row keeps the list and
the files are read and attached when the row is sent (a missing file fails the attempt, which is
retried like any other failure). Whoever stored the files owns them. ``email_addresses()`` sends
to addresses that are no member (a scheduled report's outside recipients): e-mail only, in the
organization's language and zone, no preference and no in-app row.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme

from socialops.crypto import SecretUnreadable

from .models import (
    Membership,
    Notification,
    NotificationEmail,
    NotificationKind,
    NotificationPreference,
    NotificationSent,
    Organization,
    User,
)

__all__ = [
    "Attachment",
    "NotificationKind",
    "absolute_url",
    "email_addresses",
    "notify",
    "preferences_for",
    "render_for_reader",
    "safe_local_url",
    "send_emails",
    "sweep_emails",
    "set_preferences",
    "unread_count",
    "mark_read",
    "mark_all_read",
]

log = logging.getLogger(__name__)

TITLE_MAX = 300
URL_MAX = 500


# --- URLs ------------------------------------------------------------------------------------------


def safe_local_url(url: str) -> str:
    """A path on this site ("/o/alpha/posts/1/"), or "" when ``url`` points anywhere else.

    Absolute links to ``SITE_URL`` are reduced to their path; every other scheme, host or
    protocol-relative ``//evil`` link is dropped. Used for storing and for following a link.
    """
    url = (url or "").strip()
    if not url:
        return ""
    site = settings.SITE_URL.rstrip("/")
    if url.startswith(site + "/"):
        url = url[len(site) :]
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        return ""
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=set(), require_https=False):
        return ""
    return url[:URL_MAX]


def absolute_url(url: str) -> str:
    url = (url or "").strip()
    if url.startswith("/") and not url.startswith("//"):
        return settings.SITE_URL.rstrip("/") + url
    return url


# --- Preferences -----------------------------------------------------------------------------------


def _defaults(kind: str) -> tuple[bool, bool]:
    return NotificationPreference.default_for(kind)


def preferences_for(organization: Organization, user: User) -> dict[str, tuple[bool, bool]]:
    """Every kind → (in_app, email) for this person in this organization (saved choice or default)."""
    saved = {
        p.kind: (p.in_app, p.email)
        for p in NotificationPreference.objects.for_org(organization).filter(user=user)
    }
    return {kind: saved.get(kind, _defaults(kind)) for kind in NotificationKind.values}


@transaction.atomic
def set_preferences(
    organization: Organization, user: User, choices: dict[str, tuple[bool, bool]]
) -> None:
    """Save (in_app, email) per kind for one person; unknown kinds are ignored."""
    for kind, (in_app, email) in choices.items():
        if kind not in NotificationKind.values:
            continue
        NotificationPreference.objects.update_or_create(
            organization=organization,
            user=user,
            kind=kind,
            defaults={"in_app": bool(in_app), "email": bool(email)},
        )


# --- Reads and marks -------------------------------------------------------------------------------


def notifications_for(organization: Organization, user: User):
    return Notification.objects.for_org(organization).filter(recipient=user)


def unread_count(organization: Organization, user: User) -> int:
    return notifications_for(organization, user).filter(read_at__isnull=True).count()


def mark_read(notification: Notification) -> Notification:
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.for_org(notification.organization_id).filter(
            pk=notification.pk, read_at__isnull=True
        ).update(read_at=now)
        notification.read_at = now
    return notification


def mark_all_read(organization: Organization, user: User) -> int:
    return (
        notifications_for(organization, user)
        .filter(read_at__isnull=True)
        .update(read_at=timezone.now())
    )


# --- What is stored, and how it is shown ----------------------------------------------------------
#
# A notification keeps its template and its parameters, not a sentence: it is rendered whenever it
# is read, in the reader's language and zone of that moment (a person who switches to Indonesian
# reads yesterday's notifications in Indonesian). The parameters are plain JSON; times are tagged
# so that they come back as datetimes and ``|date`` shows them in the reader's zone.

_DATETIME = "__datetime__"
_DATE = "__date__"


def _plain(value: Any, path: str = "context") -> Any:
    """``value`` as JSON for ``Notification.params``, or a TypeError naming what is not plain data."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise TypeError(f"{path}: a naive datetime cannot be shown in the reader's zone")
        return {_DATETIME: value.astimezone(UTC).isoformat()}
    if isinstance(value, date):
        return {_DATE: value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            if not isinstance(key, str) or key in (_DATETIME, _DATE):
                raise TypeError(f"{path}: key {key!r} is not a plain name")
            out[key] = _plain(v, f"{path}[{key!r}]")
        return out
    raise TypeError(
        f"{path} is a {type(value).__name__}: a notification keeps plain data (names, ids, times) "
        "that it renders again when read; pass what the template shows, or use email_context"
    )


def _revived(value: Any) -> Any:
    if isinstance(value, list):
        return [_revived(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1 and _DATETIME in value:
            return datetime.fromisoformat(value[_DATETIME])
        if len(value) == 1 and _DATE in value:
            return date.fromisoformat(value[_DATE])
        return {k: _revived(v) for k, v in value.items()}
    return value


def _shown(n: Notification, organization: Organization, user: User) -> tuple[str, str]:
    """(title, body) of one notification in the active language and zone; never raises."""
    if not n.template:  # stored before notifications were rendered when read: as it was written
        return n.legacy_title or str(n.get_kind_display()), n.legacy_body
    base = f"notifications/{n.template}"
    try:
        context = {
            **_revived(n.params or {}),
            "recipient": user,
            "organization": organization,
            "url": absolute_url(n.url),
            "in_app": True,  # never the e-mail's links: the notification itself is the link
        }
        title = _one_line(_text(f"{base}_subject.txt", context))
        body = _text(f"{base}_body.txt", context).strip()
    except Exception:  # noqa: BLE001 - one unreadable row (a template gone, odd params) must not break the page
        log.warning("could not render notification %s (%s)", n.pk, n.template, exc_info=True)
        return n.legacy_title or str(n.get_kind_display()), n.legacy_body
    return title or n.legacy_title or str(n.get_kind_display()), body


def render_for_reader(
    notifications: Iterable[Notification], *, organization: Organization, user: User
) -> list[Notification]:
    """The rows with ``title`` and ``body`` set, rendered for ``user`` now: in their language (their
    saved one, else the request's) and their zone (their own, else the organization's). No query:
    everything a template shows is in the row (``select_related("actor")`` for the actor's name)."""
    rows = list(notifications)
    language = user.language or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(_zone_for(user, organization)):
        for n in rows:
            n.title, n.body = _shown(n, organization, user)
    return rows


# --- Sending ---------------------------------------------------------------------------------------


def _active_recipients(
    organization: Organization, recipients: Iterable[Any], actor, *, include_actor: bool = False
) -> list[User]:
    user_ids: list[int] = []
    for r in recipients or ():
        if r is None:
            continue
        if isinstance(r, Membership):
            if r.organization_id != organization.pk:
                continue
            uid = r.user_id
        else:
            uid = getattr(r, "pk", None)
        if uid is not None and uid not in user_ids:
            user_ids.append(uid)
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    if actor_id in user_ids and not include_actor:
        user_ids.remove(actor_id)
    if not user_ids:
        return []
    members = (
        Membership.objects.for_org(organization)
        .filter(user_id__in=user_ids, is_active=True, user__is_active=True)
        .select_related("user")
    )
    by_id = {m.user_id: m.user for m in members}
    return [by_id[uid] for uid in user_ids if uid in by_id]


def _language_for(user: User, organization: Organization) -> str:
    return user.language or organization.default_language or settings.LANGUAGE_CODE


@dataclass
class _Rendered:
    subject: str
    body: str
    html: str | None


def _text(name: str, context: dict) -> str:
    """A plain-text template (subject, body): rendered without HTML escaping — it is not HTML.
    The bell escapes it when it shows it; the e-mail's text part is plain text."""
    return get_template(name).template.render(Context(context, autoescape=False))


def _zone_for(user: User, organization: Organization) -> zoneinfo.ZoneInfo:
    for name in (user.timezone, organization.timezone):
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


def _one_line(subject: str) -> str:
    return " ".join(subject.split())[:TITLE_MAX]  # one line, whatever the template's whitespace


def _render_email(template: str, context: dict, language: str, zone) -> _Rendered:
    """The e-mail, in ``language`` with times in ``zone`` (the recipient's), ``in_app`` False; the
    notification's body between the one greeting and sign-off of every e-mail (templates/emails/)."""
    base = f"notifications/{template}"
    context = {**context, "in_app": False}
    with translation.override(language), timezone.override(zone):
        subject = _text(f"{base}_subject.txt", context)
        body = _text(f"{base}_body.txt", context)
        try:
            html = render_to_string(f"{base}_body.html", context)
        except TemplateDoesNotExist:
            html = None
        frame = {"user_to_greet": context.get("recipient")}
        body = _text("emails/notification.txt", {**frame, "body": body.strip()})
        if html is not None:
            html = render_to_string("emails/notification.html", {**frame, "body": html})
    return _Rendered(_one_line(subject), body.strip(), html)


def _claim_dedupe(organization: Organization, user: User, kind: str, dedupe_key: str) -> bool:
    """True when this (recipient, kind, key) has not been notified before (and now is)."""
    try:
        # A savepoint: losing the race must not poison the caller's transaction.
        with transaction.atomic():
            NotificationSent.objects.create(
                organization=organization, recipient=user, kind=kind, dedupe_key=dedupe_key[:200]
            )
    except IntegrityError:
        return False
    return True


def _enqueue_emails(ids: list[int]) -> None:
    """On commit: one task for the action's e-mails. A broker that cannot be reached is logged and
    left to the sweep (the rows are committed); it never fails the user's action."""
    from . import tasks

    try:
        tasks.send_notification_emails.delay(ids)
    except Exception:  # noqa: BLE001 - the beat sweep sends the rows within a minute or so
        log.warning(
            "could not enqueue %d notification e-mail(s) %s; the sweep will send them",
            len(ids),
            ids,
            exc_info=True,
        )


@dataclass(frozen=True)
class Attachment:
    """A file in the default storage to attach to an e-mail (``path`` is its storage name)."""

    path: str
    filename: str
    content_type: str = "application/octet-stream"

    def as_json(self) -> dict:
        return {"path": self.path, "filename": self.filename, "content_type": self.content_type}


def _attachments_json(attachments: Iterable[Attachment]) -> list[dict]:
    out = []
    for a in attachments or ():
        if not isinstance(a, Attachment) or not a.path or not a.filename:
            raise TypeError("attachments are Attachment(path, filename, content_type) rows")
        out.append(a.as_json())
    return out


def notify(
    organization: Organization,
    *,
    recipients: Iterable[Any],
    kind: str,
    template: str,
    context: dict | None = None,
    email_context: dict | None = None,
    url: str = "",
    actor=None,
    include_actor: bool = False,
    dedupe_key: str = "",
    email_required: bool = False,
    attachments: Iterable[Attachment] = (),
) -> list[Notification]:
    """Tell ``recipients`` (Users or Memberships) about something, in-app and/or by e-mail.

    Only active members of ``organization`` are told. The ``actor`` is not told about their own
    action ("Amy commented" is news to everyone but Amy) unless ``include_actor``: a message that
    asks the person for something ("your decision is needed") reaches them even when their own
    action caused it (a backup who approves stage 1 and approves stage 2 too). Each person's
    preference for ``kind`` decides in-app and e-mail; ``email_required`` forces the e-mail (e.g.
    a link someone must act on). With ``dedupe_key`` a second call for the same (recipient, kind,
    key) does nothing. Returns the in-app rows created.

    ``context`` is kept with the in-app notification and rendered again whenever it is read, so it
    must be plain data (str, int, float, bool, None, aware datetimes, dates, lists and dicts of
    these: names, ids, times), never a model object (a ``TypeError`` says so).
    ``email_context`` is for the e-mail alone and never stored with the notification: one-tap
    approval links and other secrets, long texts the bell does not show. ``attachments`` go with
    every e-mail (not with the in-app row).
    """
    files = _attachments_json(attachments)
    kind = str(kind)
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    params = _plain(context or {})
    get_template(
        f"notifications/{template}_subject.txt"
    )  # a misspelt template fails the caller now
    users = _active_recipients(organization, recipients, actor, include_actor=include_actor)
    if not users:
        return []
    saved = {
        (p.user_id): (p.in_app, p.email)
        for p in NotificationPreference.objects.for_org(organization).filter(
            user_id__in=[u.pk for u in users], kind=kind
        )
    }
    local_url = safe_local_url(url)
    link = absolute_url(url)
    created: list[Notification] = []
    emails: list[NotificationEmail] = []
    actor_obj = actor if getattr(actor, "pk", None) else None
    for user in users:
        in_app, email = saved.get(user.pk, _defaults(kind))
        email = (email or email_required) and bool(user.email)
        if not (in_app or email):
            continue
        if dedupe_key and not _claim_dedupe(organization, user, kind, dedupe_key):
            continue
        if in_app:
            created.append(
                Notification.objects.create(
                    organization=organization,
                    recipient=user,
                    kind=kind,
                    template=template,
                    params=params,
                    url=local_url,
                    actor=actor_obj,
                    dedupe_key=dedupe_key[:200],
                )
            )
        if email:
            ctx = {
                **(context or {}),
                **(email_context or {}),
                "recipient": user,
                "organization": organization,
                "url": link,
            }
            text = _render_email(
                template, ctx, _language_for(user, organization), _zone_for(user, organization)
            )
            emails.append(
                NotificationEmail(
                    organization=organization,
                    recipient=user,
                    kind=kind,
                    to_address=user.email,
                    subject=text.subject,
                    body=text.body,
                    html_body=text.html or "",
                    attachments=files,
                )
            )
    if emails:
        # In the caller's transaction: the rows commit (or roll back) with the action.
        ids = [row.pk for row in NotificationEmail.objects.bulk_create(emails)]
        transaction.on_commit(lambda: _enqueue_emails(ids))
    return created


def email_addresses(
    organization: Organization,
    *,
    addresses: Iterable[str],
    kind: str,
    template: str,
    context: dict | None = None,
    url: str = "",
    attachments: Iterable[Attachment] = (),
) -> list[int]:
    """E-mail people who are not members (no user, no preference, no bell): each address gets
    one outbox row (``recipient`` NULL), rendered in the organization's language and zone with
    ``recipient`` None in the templates. The caller decides who may be written to (an allowed
    domain). In the caller's transaction, like :func:`notify`; returns the rows' ids."""
    kind = str(kind)
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    files = _attachments_json(attachments)
    language = organization.default_language or settings.LANGUAGE_CODE
    try:
        zone = zoneinfo.ZoneInfo(organization.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    ctx = {**(context or {}), "recipient": None, "organization": organization}
    ctx["url"] = absolute_url(url)
    text = _render_email(template, ctx, language, zone)  # the same for every outside address
    rows = [
        NotificationEmail(
            organization=organization,
            recipient=None,
            kind=kind,
            to_address=address,
            subject=text.subject,
            body=text.body,
            html_body=text.html or "",
            attachments=files,
        )
        for address in dict.fromkeys(a.strip().lower() for a in addresses if a and a.strip())
    ]
    if not rows:
        return []
    ids = [row.pk for row in NotificationEmail.objects.bulk_create(rows)]
    transaction.on_commit(lambda: _enqueue_emails(ids))
    return ids


# --- The outbox: sending ---------------------------------------------------------------------------
#
# Delivery is at least once, not exactly once: SMTP has no idempotency key, so a worker killed
# (or stalled past its lease) between the server accepting a message and the row being marked
# sent gets that row re-claimed and sent again once the lease lapses. The lease is long enough
# that this only happens to a worker that died or hung (the connection's time-out is far below
# it); a duplicate e-mail is preferred to a lost one. Every claim counts as an attempt, so even
# a row that keeps killing its worker stops after EMAIL_MAX_ATTEMPTS.

#: tries per e-mail; after the last failure the row is given up (logged, kept with last_error)
EMAIL_MAX_ATTEMPTS = 5
#: the wait after the 1st, 2nd, 3rd and 4th failure
EMAIL_BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
#: a claimed row not marked sent (or failed) within this may be claimed again
EMAIL_LEASE = timedelta(minutes=10)
#: rows one sweep sends at most (the next sweep takes the rest)
EMAIL_SWEEP_LIMIT = 500
#: seconds an SMTP operation may block when EMAIL_TIMEOUT is not set (far below the lease)
EMAIL_SOCKET_TIMEOUT = 60


def _claim_email(pk: int) -> NotificationEmail | None:
    """Take one due, unsent row for this worker (a conditional UPDATE: two workers never both
    win), or None when it is sent, not due, leased to another worker, or given up."""
    now = timezone.now()
    taken = (
        NotificationEmail.objects.unscoped()
        .filter(
            pk=pk,
            sent_at__isnull=True,
            next_attempt_at__lte=now,
            attempts__lt=EMAIL_MAX_ATTEMPTS,
        )
        .update(next_attempt_at=now + EMAIL_LEASE, attempts=F("attempts") + 1)
    )
    if not taken:
        return None
    return NotificationEmail.objects.unscoped().get(pk=pk)


def _message(row: NotificationEmail, connection) -> EmailMultiAlternatives:
    msg = EmailMultiAlternatives(
        row.subject,
        row.body,
        settings.DEFAULT_FROM_EMAIL,
        [row.to_address],
        connection=connection,
    )
    if row.html_body:
        msg.attach_alternative(row.html_body, "text/html")
    for a in row.attachments or ():
        # read at each attempt: a file that is gone fails the attempt (retried, then given up)
        with default_storage.open(a["path"], "rb") as fh:
            msg.attach(a["filename"], fh.read(), a.get("content_type") or None)
    return msg


def _mark_sent(row: NotificationEmail) -> None:
    # The bodies go once sent: they may hold one-tap secrets (approval links) that must not sit in
    # the database or its backups until the retention purge. Subject, recipient and time remain.
    NotificationEmail.objects.unscoped().filter(pk=row.pk, sent_at__isnull=True).update(
        sent_at=timezone.now(), next_attempt_at=None, last_error="", body="", html_body=""
    )


def _mark_failed(row: NotificationEmail, exc: BaseException) -> None:
    error = f"{type(exc).__name__}: {exc}"[:1000]
    if row.attempts >= EMAIL_MAX_ATTEMPTS:
        retry_at = None
        log.error(
            "gave up on notification e-mail %s (organization %s) after %d attempts: %s",
            row.pk,
            row.organization_id,
            row.attempts,
            error,
        )
    else:
        wait = EMAIL_BACKOFF[min(row.attempts, len(EMAIL_BACKOFF)) - 1]
        retry_at = timezone.now() + wait
        log.warning(
            "notification e-mail %s failed (attempt %d), retrying at %s: %s",
            row.pk,
            row.attempts,
            retry_at.isoformat(),
            error,
        )
    NotificationEmail.objects.unscoped().filter(pk=row.pk, sent_at__isnull=True).update(
        last_error=error, next_attempt_at=retry_at
    )


def _give_up_unreadable(pk: int) -> None:
    # The bodies are sealed with the key ring (NotificationEmail.body): a row none of the keys
    # opens (a key dropped before ``rotate_channel_keys`` ran) will never be sendable. Give it up
    # with the reason instead of failing the batch on every sweep.
    error = "no key in CHANNEL_CREDENTIALS_KEYS can decrypt this e-mail's body"
    log.error("gave up on notification e-mail %s: %s", pk, error)
    NotificationEmail.objects.unscoped().filter(pk=pk, sent_at__isnull=True).update(
        last_error=error, next_attempt_at=None
    )


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - a broken connection is replaced by a new one
        log.debug("closing the mail connection failed", exc_info=True)


def send_emails(ids: Iterable[int]) -> int:
    """Send these outbox rows (those that are due and not taken), over one reused connection.

    Idempotent: each row is claimed right before it is sent, so a second run (or a redelivered
    message, or the sweep racing the task) sends nothing twice. Returns how many were sent.
    """
    # A hung server must not hold a claim past its lease (Django's default is no time-out).
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT or EMAIL_SOCKET_TIMEOUT)
    opened = False
    sent = 0
    try:
        for pk in dict.fromkeys(ids):
            try:
                row = _claim_email(pk)
            except SecretUnreadable:
                _give_up_unreadable(pk)
                continue
            if row is None:
                continue
            try:
                if not opened:
                    connection.open()
                    opened = True
                if not connection.send_messages([_message(row, connection)]):
                    raise RuntimeError("the mail backend sent nothing")
            except Exception as exc:  # noqa: BLE001 - SMTP/network errors: retried from the row
                _mark_failed(row, exc)
                if opened:  # the connection may be broken: the next row opens a fresh one
                    _close_quietly(connection)
                    opened = False
            else:
                _mark_sent(row)
                sent += 1
    finally:
        if opened:
            _close_quietly(connection)
    return sent


def sweep_emails(limit: int = EMAIL_SWEEP_LIMIT) -> int:
    """Beat sweep (every organization: system work): send rows that are due and unsent — a retry
    whose backoff has passed, a message that was lost or never enqueued, a lapsed claim."""
    now = timezone.now()
    # A row whose last attempt's worker died (its lease lapsed, no attempts left) is given up.
    lost = (
        NotificationEmail.objects.unscoped()
        .filter(
            sent_at__isnull=True,
            next_attempt_at__lte=now,
            attempts__gte=EMAIL_MAX_ATTEMPTS,
        )
        .update(next_attempt_at=None, last_error="the last attempt's worker was lost")
    )
    if lost:
        log.error("gave up on %d notification e-mail(s) whose last attempt was lost", lost)
    # Uses the partial index notificationemail_unsent (sent_at IS NULL).
    due = list(
        NotificationEmail.objects.unscoped()
        .filter(sent_at__isnull=True, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return send_emails(due) if due else 0
