"""A conversation's first response: the first outbound item (a reply sent from here, or one the
network account wrote on the network) at or after the conversation's first inbound item.

Set in one place, :func:`record_first_responses`, which ``ingest`` calls for the conversations
that got an outbound item in a batch (a reply sent from here reaches the inbox through ``ingest``
as well). Once set it does not move. :func:`backfill_first_responses` fills it for conversations
answered before the field existed (the migration that added it runs it).
"""

from __future__ import annotations

from django.db.models import Min, OuterRef, Subquery

from ..models import Conversation, Item


def _first_at(items, direction: str, *, after=None):
    qs = items.filter(conversation=OuterRef("pk"), direction=direction)
    if after is not None:
        qs = qs.filter(created_at__gte=after)
    return Subquery(
        qs.order_by().values("conversation").annotate(at=Min("created_at")).values("at")[:1]
    )


def _record(conversations, items) -> int:
    """Two statements at most: read the unanswered-so-far conversations' first inbound and first
    outbound times, then write those that have both."""
    rows = list(
        conversations.filter(first_response_at__isnull=True)
        .annotate(_inbound=_first_at(items, Item.Direction.INBOUND))
        .annotate(_response=_first_at(items, Item.Direction.OUTBOUND, after=OuterRef("_inbound")))
        .filter(_inbound__isnull=False, _response__isnull=False)
        .only("pk", "organization_id")
    )
    for row in rows:
        row.first_response_at = row._response
        row.first_response_seconds = max(0, int((row._response - row._inbound).total_seconds()))
    if rows:
        Conversation.objects.unscoped().bulk_update(
            rows, ["first_response_at", "first_response_seconds"], batch_size=500
        )
    return len(rows)


def record_first_responses(organization_id: int, conversation_ids) -> int:
    """Note the first response of each of ``conversation_ids`` (one organization's) that has one
    and had none; the number noted. Nothing is read when ``conversation_ids`` is empty."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return 0
    return _record(
        Conversation.objects.for_org(organization_id).filter(pk__in=ids),
        Item.objects.for_org(organization_id),
    )


def backfill_first_responses(organization_id: int | None = None, *, batch: int = 2000) -> int:
    """Fill the first response of every answered conversation that has none (all organizations'
    when ``organization_id`` is None), in batches; the number filled."""
    conversations = (
        Conversation.objects.for_org(organization_id)
        if organization_id is not None
        else Conversation.objects.unscoped()
    )
    candidates = (
        conversations.filter(first_response_at__isnull=True)
        .filter(
            pk__in=Item.objects.unscoped()
            .filter(direction=Item.Direction.OUTBOUND)
            .values("conversation_id")
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    done, last = 0, 0
    while True:
        ids = list(candidates.filter(pk__gt=last)[:batch])
        if not ids:
            return done
        done += _record(conversations.filter(pk__in=ids), Item.objects.unscoped())
        last = ids[-1]
