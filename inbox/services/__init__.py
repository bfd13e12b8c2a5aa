"""The inbox's one door for state changes: ingestion (webhooks and pollers), replies, assignment,
status and moderation."""

from .conversations import (
    assign_conversation,
    check_reply_text,
    edit_reply,
    moderate_item,
    reply_limit,
    send_reply,
    set_conversation_status,
)
from .ingest import IngestResult, ingest, thread_of
from .polling import backoff, claim_due_channels, ingest_webhook_events, poll_channel
from .routing import (
    create_routing_rule,
    delete_routing_rule,
    move_routing_rule,
    update_routing_rule,
)
from .sla import notify_sla_breaches, set_sla_target, sla_state, sla_targets_of, sla_text
from .work import (
    BULK_ACTIONS,
    BulkResult,
    bulk_action,
    create_tag,
    delete_saved_reply,
    may_manage_saved_reply,
    render_saved_reply,
    save_saved_reply,
    snooze_conversation,
    tag_conversation,
    unknown_variables,
    wake_snoozed,
)

__all__ = [
    "create_routing_rule",
    "delete_routing_rule",
    "move_routing_rule",
    "update_routing_rule",
    "notify_sla_breaches",
    "set_sla_target",
    "sla_state",
    "sla_targets_of",
    "sla_text",
    "BULK_ACTIONS",
    "BulkResult",
    "bulk_action",
    "create_tag",
    "delete_saved_reply",
    "may_manage_saved_reply",
    "render_saved_reply",
    "save_saved_reply",
    "snooze_conversation",
    "tag_conversation",
    "unknown_variables",
    "wake_snoozed",
    "IngestResult",
    "assign_conversation",
    "backoff",
    "check_reply_text",
    "claim_due_channels",
    "edit_reply",
    "ingest",
    "ingest_webhook_events",
    "moderate_item",
    "poll_channel",
    "reply_limit",
    "send_reply",
    "set_conversation_status",
    "thread_of",
]
