"""Issue 13 (3): one error shape everywhere in the API, with the request's id; never an HTML page.

- an unknown ``/api/v1/`` route answers the JSON 404, not the site's page;
- every response carries ``X-Request-ID`` (the caller's, when it sent a usable one), and an error
  body names the same id, which log lines carry too;
- a nested validation error is plain strings under a dotted path, never a Python representation.
"""

from __future__ import annotations

import logging

import pytest

from .channels.factories import connect_sandbox

pytestmark = pytest.mark.django_db


def test_an_unknown_api_route_is_the_json_404(alice_api):
    response = alice_api.get("/api/v1/no-such-things/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "not_found" and error["fields"] == {}
    assert error["request_id"] == response["X-Request-ID"]


def test_an_unknown_route_outside_the_api_is_still_the_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Request-ID"]


def test_a_usable_request_id_is_kept_and_a_bad_one_replaced(alice_api, client):
    kept = alice_api.get("/api/v1/posts/", HTTP_X_REQUEST_ID="trace-42.abc:1")
    assert kept.status_code == 200 and kept["X-Request-ID"] == "trace-42.abc:1"
    replaced = alice_api.get("/api/v1/posts/", HTTP_X_REQUEST_ID="<script>" + "x" * 300)
    assert replaced["X-Request-ID"] != "<script>" and len(replaced["X-Request-ID"]) == 32
    # two requests, two ids
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


def test_log_lines_name_the_request(alice_api, caplog):
    from socialops.request_id import RequestIdLogFilter

    handler_filter = RequestIdLogFilter()
    seen = []

    class Capture(logging.Handler):
        def emit(self, record):
            handler_filter.filter(record)
            seen.append(record.request_id)

    handler = Capture(level=logging.WARNING)
    logging.getLogger("django.request").addHandler(handler)
    try:
        response = alice_api.get("/api/v1/posts/999999/", HTTP_X_REQUEST_ID="find-me-1")
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    assert response.status_code == 404
    assert "find-me-1" in seen


def test_nested_validation_errors_are_plain_strings_under_a_path(org_a, alice_m, alice_api):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    response = alice_api.post(
        "/api/v1/posts/",
        {"text": "hello", "channels": [channel.pk], "variant_texts": {str(channel.pk): 12}},
        format="json",
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["request_id"] == response["X-Request-ID"]
    for messages in error["fields"].values():
        assert isinstance(messages, list) and all(isinstance(m, str) for m in messages), error
        assert "ErrorDetail" not in "".join(messages) and "{" not in "".join(messages), error
    assert any(key.startswith("variant_texts") for key in error["fields"]), error


def test_flatten_walks_dicts_and_lists():
    from rest_framework.exceptions import ErrorDetail

    from socialops.errors import _flatten

    detail = {
        "name": [ErrorDetail("Required.", code="required")],
        "stages": [{}, {"approvers": [ErrorDetail("Pick one.", code="invalid")]}],
        "variant_texts": {"12": [ErrorDetail("Too long.", code="max_length")]},
    }
    assert _flatten(detail) == {
        "name": ["Required."],
        "stages.1.approvers": ["Pick one."],
        "variant_texts.12": ["Too long."],
    }
