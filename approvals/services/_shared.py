"""What every room of approvals.services uses: who acted, notifying, the post lock, the approvers' rule."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import Membership
from publishing.models import Post

from ..models import (
    ApprovalAssignment,
    ApprovalDecision,
    ApprovalRequest,
)

R = ApprovalRequest.Status
AS = ApprovalAssignment.Status
D = ApprovalDecision.Kind


def _user(by):
    return getattr(by, "user", None)


def _notify(org, **kwargs) -> None:
    from accounts.notifications import notify

    notify(org, **kwargs)


def _lock_post(post: Post) -> Post:
    return (
        Post.objects.for_org(post.organization_id)
        .select_for_update()
        .select_related("organization")
        .get(pk=post.pk)
    )


def _sees_all_of(member: Membership, post: Post) -> bool:
    """The approvers' rule: they must see every channel of the post (approvals.routing)."""
    from publishing.selectors import sees_all_of

    return sees_all_of(member, post)


def _request_url(request: ApprovalRequest) -> str:
    return reverse(
        "approval_request_detail",
        kwargs={"org_slug": request.organization.slug, "request_id": request.pk},
    )


def _post_url(request: ApprovalRequest) -> str:
    return reverse(
        "post_detail", kwargs={"org_slug": request.organization.slug, "post_id": request.post_id}
    )
