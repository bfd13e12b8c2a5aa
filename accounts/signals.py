"""Integration hooks only: sign-ins and sign-outs go to the audit log of each of the person's organizations."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from socialops.audit.services import audit_context, record_event

from .models import User
from .selectors import organizations_of


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in)
def _audit_login(sender, request, user, **kwargs):
    with audit_context(actor=user, ip_address=_ip(request), via="web"):
        for org in organizations_of(user):
            record_event(org, "auth.login", obj=user)


@receiver(user_logged_in)
def _index_session(sender, request, user, **kwargs):
    """Every signed-in session is indexed by person (allauth.usersessions' table), so that ending a
    person's sessions on every device (offboarding) reads a handful of rows, not the session table.
    allauth indexes its own sign-ins too; this also covers any other ``login()``."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if not session.session_key:
        session.save()
    from allauth.usersessions.models import UserSession

    UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "ip": request.META.get("REMOTE_ADDR") or "0.0.0.0",  # noqa: S104 - a stored label, not a bind
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
        },
    )


@receiver(user_logged_out)
def _audit_logout(sender, request, user, **kwargs):
    if user is None:
        return
    with audit_context(actor=user, ip_address=_ip(request), via="web"):
        for org in organizations_of(user):
            record_event(org, "auth.logout", obj=user)


@receiver(user_login_failed)
def _audit_login_failed(sender, credentials, request=None, **kwargs):
    email = (credentials or {}).get("email") or (credentials or {}).get("username")
    user = User.objects.filter(email__iexact=email).first() if email else None
    if user is None:
        return
    with audit_context(actor=None, ip_address=_ip(request), via="web"):
        for org in organizations_of(user):
            record_event(org, "auth.login_failed", obj=user, changes={"email": user.email})
