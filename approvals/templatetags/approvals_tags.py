"""The approvals panel on the post page (publishing's template includes it; publishing's code never imports approvals)."""

from __future__ import annotations

from django import template

from accounts.capabilities import Capability, can

from .. import selectors
from ..forms import CommentForm

register = template.Library()


@register.inclusion_tag("approvals/_post_panel.html", takes_context=True)
def approvals_panel(context, post):
    request = context.get("request")
    membership = getattr(request, "membership", None)
    approval = selectors.current_request(post)
    workflow = (
        selectors.applicable_workflow(post) if approval is None or post.status == "draft" else None
    )
    return {
        "request": request,
        "current_org": context.get("current_org"),
        "csrf_token": context.get("csrf_token"),
        "post": post,
        "approval": approval,
        "workflow": workflow,
        "decisions": list(selectors.decisions_of_post(post)) if approval else [],
        "comments": list(selectors.comments_of(post)),
        "comment_form": CommentForm(),
        "may_submit": post.status == "draft"
        and workflow is not None
        and can(membership, Capability.COMPOSE, post),
    }
