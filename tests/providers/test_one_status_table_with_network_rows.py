"""One HTTP status → typed error table in providers/errors.py; each network overrides its own rows."""

from __future__ import annotations

import pytest

from channels_registry.providers import provider_class
from channels_registry.providers.errors import (
    AuthExpired,
    ContentRejected,
    ProviderError,
    RateLimited,
    StatusRule,
    TransientError,
    UnknownOutcome,
    error_for_status,
    retry_after_header,
)


def test_the_shared_rows_cover_authorization_rate_limits_and_server_errors():
    assert type(error_for_status(401, network="Net")) is AuthExpired
    assert type(error_for_status(403, network="Net")) is AuthExpired
    limited = error_for_status(429, network="Net", retry_after=lambda: 12.0)
    assert type(limited) is RateLimited and limited.retry_after == 12.0
    assert type(error_for_status(503, network="Net")) is TransientError
    other = error_for_status(418, network="Net", detail="teapot")
    assert (
        type(other) is ProviderError
        and other.permanent
        and other.message == "Net answered HTTP 418: teapot"
    )


def test_a_rate_limit_without_a_reset_header_waits_a_minute():
    assert error_for_status(429, network="Net", retry_after=lambda: None).retry_after == 60.0


def test_a_server_error_on_a_create_is_an_unknown_outcome():
    assert type(error_for_status(502, network="Net", creating=True)) is UnknownOutcome


def test_a_network_row_overrides_the_shared_one_and_names_its_fields():
    table = {
        403: StatusRule(
            ContentRejected,
            "{network} ({host}) refused: {detail}",
            fallback="no reason",
            code="forbidden",
        )
    }
    error = error_for_status(403, network="Net", table=table, host="example.social")
    assert type(error) is ContentRejected
    assert (
        error.message == "Net (example.social) refused: no reason"
        and error.code == "forbidden"
        and error.status == 403
    )


def test_an_error_name_may_pick_the_row_while_the_status_is_kept():
    error = error_for_status(400, network="Net", row=401)
    assert type(error) is AuthExpired and error.status == 400


def test_retry_after_reads_delta_seconds_only():
    assert retry_after_header({"retry-after": "30"}) == 30.0
    assert retry_after_header({"retry-after": "0"}) == 1.0
    assert retry_after_header({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    assert retry_after_header({}) is None


@pytest.mark.parametrize(
    ("key", "status", "expected"),
    [
        ("x", 403, ContentRejected),  # X: a 403 is about the request, not the token
        ("x", 404, ProviderError),
        ("linkedin", 403, AuthExpired),  # LinkedIn: the grant lacks a permission → reconnect
        ("linkedin", 422, ContentRejected),
        (
            "mastodon",
            403,
            ProviderError,
        ),  # unless the message names the token (Mastodon's _raise_for)
        ("mastodon", 422, ContentRejected),
        ("bluesky", 403, ProviderError),
        ("facebook", 403, AuthExpired),
    ],
)
def test_each_network_declares_its_own_rows(key, status, expected):
    network = provider_class(key)()
    assert (
        type(
            network.status_error(
                status, detail="d", host="h", version="v", reason="r", error_note=""
            )
        )
        is expected
    )
