"""Internal comments beside a post and @mentions."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, require
from accounts.models import Membership
from accounts.notifications import NotificationKind
from publishing.models import Post
from socialops.audit.services import record_event
from socialops.errors import ValidationFailed

from ..models import (
    PostComment,
)
from ._shared import (
    _notify,
)

# --- Comments -------------------------------------------------------------------------------------------------

_MENTION = re.compile(r"(?<![\w.])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+|[\w.+-]*\w)")


def mentioned_members(org, body: str) -> list[Membership]:
    """Active members named as @local-part or @e-mail in ``body`` (a local part shared by two is skipped)."""
    names = {m.lower() for m in _MENTION.findall(body or "")}
    if not names:
        return []
    members = list(
        Membership.objects.for_org(org)
        .filter(is_active=True, user__is_active=True)
        .select_related("user")
    )
    by_email = {m.user.email.lower(): m for m in members}
    by_local: dict[str, list[Membership]] = {}
    for m in members:
        by_local.setdefault(m.user.email.lower().split("@")[0], []).append(m)
    out: dict[int, Membership] = {}
    for name in names:
        if name in by_email:
            out[by_email[name].pk] = by_email[name]
        elif len(by_local.get(name, [])) == 1:
            out[by_local[name][0].pk] = by_local[name][0]
    return list(out.values())


MENTION_SUGGESTIONS = 8


def mention_handle(member: Membership, local_counts: dict[str, int]) -> str:
    """What to type after @ so that :func:`mentioned_members` finds this person (e-mail when the local part is shared)."""
    email = member.user.email.lower()
    local = email.split("@")[0]
    return local if local_counts.get(local, 0) == 1 else email


def mention_suggestions(
    org, prefix: str, *, post: Post | None = None, keep: Callable[[Membership], bool] | None = None
) -> list[dict]:
    """Active members whose name, e-mail or handle starts with ``prefix`` (who may see ``post``, when given;
    for whom ``keep`` says yes, when given: another app's "who may see this")."""
    prefix = (prefix or "").strip().lstrip("@").lower()[:100]
    members = list(
        Membership.objects.for_org(org)
        .filter(is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    local_counts: dict[str, int] = {}
    for m in members:
        local = m.user.email.lower().split("@")[0]
        local_counts[local] = local_counts.get(local, 0) + 1
    matching = []
    for m in members:
        full = (m.user.get_full_name() or "").lower()
        email = m.user.email.lower()
        words = [w for w in re.split(r"[\s.]+", full) if w]
        if prefix and not (
            email.startswith(prefix)
            or full.startswith(prefix)
            or any(w.startswith(prefix) for w in words)
        ):
            continue
        if keep is not None and not keep(m):
            continue
        matching.append(m)
    if post is not None:
        from publishing.selectors import members_who_see

        seeing = members_who_see(post, matching, enough=MENTION_SUGGESTIONS)
        matching = [m for m in matching if m.pk in seeing]
    out = []
    for m in matching:
        out.append(
            {
                "handle": mention_handle(m, local_counts),
                "name": m.user.get_full_name() or m.user.email,
            }
        )
        if len(out) >= MENTION_SUGGESTIONS:
            break
    return out


@transaction.atomic
def add_comment(post: Post, *, by: Membership, body: str, via: str = "web") -> PostComment:
    """An internal comment (never published); mentioned members who may see the post are notified."""
    require(by, Capability.VIEW, post)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(
            _("Write a comment."), fields={"body": [_("This field is required.")]}
        )
    if len(body) > 5000:
        raise ValidationFailed(
            _("Keep comments under 5,000 characters."), fields={"body": [_("Too long.")]}
        )
    mentioned = _mentioned_who_see(post, body)
    comment = PostComment.objects.create(
        organization_id=post.organization_id,
        post=post,
        author=by.user,
        body=body,
        mentions=[m.pk for m in mentioned],
        post_version=post.version,
        via=via,
    )
    record_event(
        post.organization,
        "post_comment.created",
        obj=comment,
        actor=by.user,
        via=via,
        changes={"post": post.pk, "mentions": comment.mentions},
    )
    _notify_mentioned(post, mentioned, by=by, body=body, dedupe_key=f"comment:{comment.pk}")
    return comment


def _mentioned_who_see(
    post: Post, body: str, *, exclude: Membership | None = None
) -> list[Membership]:
    from publishing.selectors import members_who_see

    mentioned = [
        m
        for m in mentioned_members(post.organization, body)
        if exclude is None or m.pk != exclude.pk
    ]
    seeing = members_who_see(post, mentioned)
    return [m for m in mentioned if m.pk in seeing]


def _notify_mentioned(post: Post, mentioned, *, by: Membership, body: str, dedupe_key: str) -> None:
    if not mentioned:
        return
    url = (
        reverse("post_detail", kwargs={"org_slug": post.organization.slug, "post_id": post.pk})
        + "#comments"
    )
    _notify(
        post.organization,
        recipients=mentioned,
        kind=NotificationKind.MENTION,
        template="approvals_mention",
        context={"post_title": str(post), "body": body, "author": by.user.get_short_name()},
        url=url,
        actor=by.user,
        dedupe_key=dedupe_key,
    )
