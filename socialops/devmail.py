"""Development only (``DEBUG``): a mail catcher, so a newcomer can follow the links SocialOps e-mails.

Under ``make run`` the worker, not the web process, sends the e-mails (approval links, invitations,
password resets). ``MailCatcherBackend`` is Django's file-based backend (``EMAIL_FILE_PATH``,
``var/mail/`` by default) writing one ``.eml`` file per message, plus one line in the log (the
console under ``make run``) that says where to read it. The page ``/dev/mail/`` lists them,
newest first, with their links clickable. With ``DEBUG`` off the page is a 404 and nothing links to it; the settings refuse this
backend outside ``DEBUG`` (e-mails would stay on the server instead of being delivered).
"""

from __future__ import annotations

import email
import email.policy
import logging
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends import filebased
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import strip_tags
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)

BACKEND = "socialops.devmail.MailCatcherBackend"
#: the newest messages the page shows
PAGE_LIMIT = 100


class MailCatcherBackend(filebased.EmailBackend):
    """Django's file-based backend, one ``<nanoseconds>-<random>.eml`` file per message.

    (The stock backend appends every message of a connection to one log file; one file per
    message is what a reader in another process can list and parse on its own.) Each file is
    written under a temporary name and renamed, so the page never reads half a message.
    """

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        sent = 0
        with self._lock:
            for message in email_messages:
                try:
                    self._keep(message)
                except Exception:
                    if not self.fail_silently:
                        raise
                    continue
                sent += 1
        return sent

    def _keep(self, message) -> None:
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.eml"
        final = Path(self.file_path) / name
        partial = final.with_name(f".{name}.part")
        partial.write_bytes(message.message().as_bytes())
        os.replace(partial, final)
        page = settings.SITE_URL.rstrip("/") + reverse("dev_mail")
        to = ", ".join(message.recipients())
        log.info("[mail catcher] to %s: %s  →  %s", to, message.subject, page)


@dataclass(frozen=True)
class CaughtMail:
    name: str
    subject: str
    to: str
    sent_at: datetime
    text: str
    has_html: bool


def _sent_at(name: str, header: str | None) -> datetime:
    try:
        return parsedate_to_datetime(header) if header else _from_name(name)
    except (TypeError, ValueError):
        return _from_name(name)


def _from_name(name: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(name.split("-", 1)[0]) / 1e9, tz=UTC)
    except ValueError:
        return datetime.fromtimestamp(0, tz=UTC)


def _read(path: Path) -> CaughtMail:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    if plain is not None:
        text = plain.get_content()
    elif html is not None:
        text = strip_tags(html.get_content())
    else:
        text = ""
    return CaughtMail(
        name=path.name,
        subject=str(msg.get("Subject", "")),
        to=str(msg.get("To", "")),
        sent_at=_sent_at(path.name, msg.get("Date")),
        text=text.strip(),
        has_html=html is not None,
    )


def caught_mail(limit: int = PAGE_LIMIT) -> list[CaughtMail]:
    """The newest e-mails the catcher kept, newest first (none when the directory does not exist)."""
    folder = Path(getattr(settings, "EMAIL_FILE_PATH", "") or "")
    if not folder.is_dir():
        return []
    names = sorted((p for p in folder.glob("*.eml") if p.is_file()), key=lambda p: p.name)
    return [_read(p) for p in reversed(names[-limit:])]


def is_active() -> bool:
    return bool(settings.DEBUG) and settings.EMAIL_BACKEND == BACKEND


@require_GET
def mail_catcher(request):
    """The e-mails sent on this machine, newest first. Development only: a 404 without DEBUG."""
    if not settings.DEBUG:
        raise Http404
    return render(
        request,
        "socialops/dev_mail.html",
        {
            "messages_caught": caught_mail() if is_active() else [],
            "catching": is_active(),
            "folder": getattr(settings, "EMAIL_FILE_PATH", ""),
            "limit": PAGE_LIMIT,
        },
    )


def mail_catcher_link(request) -> dict:
    """Context processor: the discreet footer link, only while the catcher is in use (DEBUG)."""
    return {"mail_catcher_url": reverse("dev_mail")} if is_active() else {}
