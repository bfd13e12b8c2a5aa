"""The approvals panel on the post page (publishing's template includes it; publishing's code never imports approvals)."""

from __future__ import annotations

import re

from django import template
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from accounts.capabilities import Capability, can

from .. import selectors
from ..forms import CommentForm

register = template.Library()

_MENTIONED = re.compile(r"(?<![\w.])(@[\w.+-]+@[\w-]+(?:\.[\w-]+)+|@[\w.+-]*\w)")


@register.filter
def with_mentions(body: str) -> str:
    """A comment's text, escaped, line breaks kept, each @mention marked."""
    text = _MENTIONED.sub(r'<span class="mention">\1</span>', escape(body or ""))
    return mark_safe(linebreaksbr(text, autoescape=False))  # noqa: S308 - escaped just above


@register.inclusion_tag("approvals/_post_panel.html", takes_context=True)
def approvals_panel(context, post):
    request = context.get("request")
    membership = getattr(request, "membership", None)
    approval = selectors.current_request(post)
    workflow = (
        selectors.applicable_workflow(post) if approval is None or post.status == "draft" else None
    )
    waiting_on = []
    if approval is not None and approval.status == "pending":
        waiting_on = [
            a
            for a in selectors.assignments_of(approval)
            if a.status == "pending"
            and a.round == approval.round
            and a.stage_index == approval.current_stage
        ]
    return {
        "request": request,
        "current_org": context.get("current_org"),
        "csrf_token": context.get("csrf_token"),
        "post": post,
        "approval": approval,
        "workflow": workflow,
        "waiting_on": waiting_on,
        "stage_number": approval.current_stage + 1 if approval else 0,
        "stage_count": len(approval.stages) if approval else 0,
        "decisions": list(selectors.decisions_of_post(post)) if approval else [],
        "comments": list(selectors.comments_of(post)),
        "comment_form": CommentForm(
            mentions_url=reverse(
                "approval_mention_suggestions",
                kwargs={"org_slug": post.organization.slug, "post_id": post.pk},
            )
        ),
        "may_submit": post.status == "draft"
        and workflow is not None
        and can(membership, Capability.COMPOSE, post),
        "may_withdraw": approval is not None
        and approval.status == "pending"
        and membership is not None
        and (
            approval.submitted_by_id == membership.user_id
            or can(membership, Capability.PUBLISH, post)
        ),
    }
