"""Idempotent API writes: a POST or PATCH retried with the same ``Idempotency-Key`` happens once.

The kernel owns it (app label ``idempotency``) so every endpoint gets it from the one base view,
``socialops.api.OrgScopedViewSet``. See :mod:`socialops.idempotency.services`.
"""
