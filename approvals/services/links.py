"""Approval links: signed, single-use, expiring, bound to one approver and one version."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from socialops.audit.services import record_event

from .. import selectors
from ..models import (
    DEFAULT_LINK_TTL_HOURS,
    ApprovalAssignment,
    ApprovalLink,
    ApprovalRequest,
)
from ._shared import (
    AS,
    R,
    _notify,
    _request_url,
    _sees_all_of,
)

log = logging.getLogger(__name__)

LINK_SALT = "approvals.link"


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def issue_link(assignment: ApprovalAssignment, *, ttl_hours: int) -> str:
    """A new single-use link for ``assignment``; returns the raw token (never stored)."""
    nonce = secrets.token_urlsafe(24)
    ApprovalLink.objects.create(
        organization_id=assignment.organization_id,
        assignment=assignment,
        request_id=assignment.request_id,
        membership_id=assignment.membership_id,
        post_version=assignment.request.post_version,
        token_hash=_hash(nonce),
        expires_at=timezone.now() + timedelta(hours=ttl_hours),
    )
    return signing.Signer(salt=LINK_SALT).sign(nonce)


def link_path(token: str) -> str:
    return reverse("approval_link", kwargs={"link_token": token})


def _ttl(request: ApprovalRequest) -> int:
    return int(request.snapshot.get("link_ttl_hours") or DEFAULT_LINK_TTL_HOURS)


def _send_link(
    assignment: ApprovalAssignment,
    *,
    kind: str,
    template: str,
    actor=None,
    extra: dict | None = None,
    dedupe_key: str = "",
) -> None:
    request = assignment.request
    token = issue_link(assignment, ttl_hours=_ttl(request))
    from accounts.notifications import absolute_url

    stage = request.stage or {}
    _notify(
        request.organization,
        recipients=[assignment.membership],
        kind=kind,
        template=template,
        # kept with the bell's notification and rendered when read: plain data only
        context={
            "post_title": str(request.post),
            "stage_name": stage.get("name", ""),
            "due_at": assignment.due_at,
            "on_behalf_of": assignment.on_behalf_of.user.get_short_name()
            if assignment.on_behalf_of
            else "",
            "submitted_by": request.submitted_by.get_short_name() if request.submitted_by else "",
            "diff": bool(request.diff),
            **(extra or {}),
        },
        # the e-mail's alone, never stored with the notification: the one-tap link is a secret
        email_context={
            "approval_link": absolute_url(link_path(token)),
            "link_ttl_hours": _ttl(request),
            "post_text": request.post.text[:500],
        },
        url=_request_url(request),
        actor=actor,
        # A link asks the approver to act: it reaches them even when their own action started the
        # stage (the backup who approved stage 1 is the approver of stage 2), escalated it or
        # delegated it to them.
        include_actor=True,
        dedupe_key=dedupe_key,
        email_required=True,
    )


# --- Links ------------------------------------------------------------------------------------------------


@dataclass
class LinkCheck:
    """What a link names and whether it may be used now; ``refusal`` is a code when it may not."""

    link: ApprovalLink | None = None
    refusal: str = ""
    needs_login: bool = False

    @property
    def ok(self) -> bool:
        return not self.refusal and not self.needs_login


REFUSALS = {
    "invalid": 404,
    "other_person": 404,
    "not_member": 403,
    "used": 410,
    "expired": 410,
    "stale": 409,
    "decided": 409,
    # the approver can no longer see every channel of the post: as if the link were someone else's
    "cannot_see": 404,
}


def _find_link(token: str) -> tuple[ApprovalLink | None, bool]:
    """(the link the token names, whether its signature is good). A tampered token may still name a link."""
    token = (token or "")[:300]
    nonce, _sep, _sig = token.partition(":")
    try:
        nonce = signing.Signer(salt=LINK_SALT).unsign(token)
        good = True
    except signing.BadSignature:
        good = False
    if not nonce:
        return None, False
    link = (
        ApprovalLink.objects.unscoped()  # the token is the only key we have; it names one organization's row
        .select_related(
            "organization",
            "membership__user",
            "assignment",
            "request__post",
            "request__organization",
        )
        .filter(token_hash=_hash(nonce))
        .first()
    )
    return link, good


def check_link(token: str, *, user) -> LinkCheck:
    link, good = _find_link(token)
    if link is None:
        return LinkCheck(refusal="invalid")
    if not good:
        return LinkCheck(link=link, refusal="invalid")
    member = link.membership
    if not member.is_active or not member.user.is_active:
        return LinkCheck(link=link, refusal="not_member")
    authenticated = getattr(user, "is_authenticated", False)
    if authenticated and user.pk != member.user_id:
        return LinkCheck(link=link, refusal="other_person")
    if not _sees_all_of(member, link.request.post):
        return LinkCheck(link=link, refusal="cannot_see")
    if link.used_at is not None:
        return LinkCheck(link=link, refusal="used")
    if link.expires_at <= timezone.now():
        return LinkCheck(link=link, refusal="expired")
    request = link.request
    if link.post_version != request.post.version:
        return LinkCheck(link=link, refusal="stale")
    if request.status != R.PENDING or link.assignment.status != AS.PENDING:
        return LinkCheck(link=link, refusal="decided")
    if not authenticated and selectors.policy_of(link.organization).require_login:
        return LinkCheck(link=link, needs_login=True)
    return LinkCheck(link=link)


def record_link_refusal(check: LinkCheck, *, user, action: str = "open") -> None:
    """The refused attempt, in the link's organization's audit log (nothing else changes)."""
    if check.link is None:
        log.info("approval link refused: unknown token (%s)", action)
        return
    actor = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        record_event(
            check.link.organization,
            "approval_link.refused",
            obj=check.link,
            actor=actor,
            via="link",
            changes={
                "reason": check.refusal,
                "attempt": action,
                "request": check.link.request_id,
                "bound_to": check.link.membership_id,
                "link_version": check.link.post_version,
                "post_version": check.link.request.post.version,
            },
        )


def record_link_opened(check: LinkCheck, *, user) -> None:
    actor = user if getattr(user, "is_authenticated", False) else check.link.membership.user
    with transaction.atomic():
        record_event(
            check.link.organization,
            "approval_link.opened",
            obj=check.link,
            actor=actor,
            via="link",
            changes={"request": check.link.request_id, "post_version": check.link.post_version},
        )
