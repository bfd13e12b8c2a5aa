"""What accounts tells customers' systems through outgoing webhooks (socialops.webhooks): the full
member in each event (who they are, their role and teams, when they joined and left; never a
password, a token or a session). Called from the services, inside their transaction."""

from __future__ import annotations

from django.urls import reverse

from socialops.webhooks.services import absolute_url, emit_many

from .models import Membership


def member_payload(membership: Membership, *, tokens_revoked: int = 0) -> dict:
    org = membership.organization
    user = membership.user
    return {
        "id": membership.pk,
        "organization": org.slug,
        "email": user.email,
        "full_name": user.full_name,
        "role": membership.role,
        "teams": sorted(membership.teams.values_list("pk", flat=True)),
        "is_active": membership.is_active,
        "joined_at": membership.joined_at,
        "deactivated_at": membership.deactivated_at,
        "tokens_revoked": tokens_revoked,
        "url": absolute_url(reverse("member_detail", args=[org.slug, membership.pk])),
    }


def member_offboarded(membership: Membership, *, tokens_revoked: int = 0) -> None:
    """The member was deactivated: their access ended and their API tokens were revoked. The
    payload is built only when an endpoint listens (no query otherwise)."""
    emit_many(
        membership.organization,
        "member.offboarded",
        lambda: [(membership.pk, member_payload(membership, tokens_revoked=tokens_revoked))],
    )
