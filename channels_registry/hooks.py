"""Extension points channels_registry offers to the apps above it (the inbox).

channels_registry never imports those apps: an app registers its handler here in its
``AppConfig.ready`` and channels_registry calls it.

- inbox-item handlers: called with a processed webhook delivery's normalized events (the JSON
  form kept in ``WebhookDelivery.events``: ``{"kind", "item", "channels": [{"organization_id",
  "channel_id"}], ...}``), inside the transaction that marks the delivery processed, so a
  handler that fails leaves the delivery to be processed again and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable

InboxItemsHandler = Callable[[list[dict]], None]
_inbox_items_handlers: list[InboxItemsHandler] = []


def register_inbox_items_handler(handler: InboxItemsHandler) -> InboxItemsHandler:
    """Register ``handler`` (the same function twice is kept once). Usable as a decorator."""
    if handler not in _inbox_items_handlers:
        _inbox_items_handlers.append(handler)
    return handler


def inbox_items_arrived(events: list[dict]) -> None:
    items = [e for e in events if e.get("kind") == "inbox_item" and e.get("item")]
    if not items:
        return
    for handler in list(_inbox_items_handlers):
        handler(items)
