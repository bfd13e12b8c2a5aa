"""What approvals tells customers' systems through outgoing webhooks (socialops.webhooks): the
full approval request in each event. Called from the services, inside their transaction."""

from __future__ import annotations

from django.urls import reverse

from socialops.webhooks.services import absolute_url, emit

from .models import ApprovalRequest


def request_payload(request: ApprovalRequest) -> dict:
    org = request.organization
    return {
        "id": request.pk,
        "organization": org.slug,
        "post": request.post_id,
        "post_url": absolute_url(reverse("post_detail", args=[org.slug, request.post_id])),
        "status": request.status,
        "workflow": request.workflow_id,
        "post_version": request.post_version,
        "round": request.round,
        "current_stage": request.current_stage,
        "stages": [stage.get("name", "") for stage in request.stages],
        "submitted_by": request.submitted_by_id,
        "submitted_at": request.submitted_at,
        "requested_at": request.requested_at,
        "requested_timezone": request.requested_timezone,
        "decided_at": request.decided_at,
        "outcome_comment": request.outcome_comment,
        "url": absolute_url(reverse("approval_request_detail", args=[org.slug, request.pk])),
    }


def approval_requested(request: ApprovalRequest) -> None:
    emit(request.organization, "approval.requested", request.pk, request_payload(request))


def approval_decided(request: ApprovalRequest) -> None:
    emit(request.organization, "approval.decided", request.pk, request_payload(request))
