"""Outgoing webhooks: the kernel's engine that tells customers' systems what happened, below every
app so any app can emit.

- ``services.emit(organization, event_type, obj_id, payload)`` writes one delivery row per
  subscribed endpoint in the caller's transaction (an outbox); ``events.EVENT_TYPES`` lists the
  types. Endpoints are managed through ``services`` too (create, update, rotate the secret,
  disable, enable, replay a delivery); reads through ``selectors``.
- ``delivery`` sends: claimed rows (in batches of whatever is due), signed as the Standard Webhooks specification says
  (``signing``), through the egress guard (``socialops.egress``), retried with backoff for about
  a day, in order per object, the endpoint disabled after repeated failure
  (``signals.endpoint_disabled``: accounts tells the admins).
- ``tasks``: the worker task sent on commit and the beat sweep.

The kernel imports no app (an import-linter contract): the pages and the API live in accounts
(``accounts/webhooks/``), which also listens for ``endpoint_disabled``.
"""
