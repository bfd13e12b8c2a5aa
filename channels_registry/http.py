"""The providers' door to the egress guard, which lives in the kernel (:mod:`socialops.egress`):
the one outbound HTTP client, its address checks and its rate budgets. Kept so that
``from ..http import HttpClient`` in a provider (and anything written against this module) works."""

from __future__ import annotations

from socialops.egress import (  # noqa: F401 - re-exported
    DEFAULT_TIMEOUT,
    USER_AGENT,
    Budget,
    GuardedTransport,
    HttpClient,
    check_destination,
    is_public_address,
    json_or_error,
    remote_message,
    resolve_destination,
)
