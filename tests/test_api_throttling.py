"""API throttles (per token, per address, failed authentications) and no-store on API answers."""

from __future__ import annotations

import multiprocessing

import pytest
from rest_framework.test import APIClient

from .conftest import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(each_key="1000/minute", address="1000/minute", auth_failure="1000/minute"):
        settings.API_THROTTLE_RATES = {
            "token": each_key,
            "address": address,
            "auth_failure": auth_failure,
        }

    return set_rates


def _assert_throttled(response):
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    wait = int(response["Retry-After"])
    assert 1 <= wait <= 60
    return wait


def test_a_token_over_its_rate_gets_429_with_retry_after(rates, alice_m, vera, org_a):
    rates(each_key="3/minute")
    alice = api_client_for(alice_m)
    for _ in range(3):
        assert alice.get("/api/v1/organization/").status_code == 200
    _assert_throttled(alice.get("/api/v1/organization/"))
    _assert_throttled(alice.get("/api/v1/teams/"))  # the limit is the token's, on every endpoint
    # Another person's token from the same address has its own budget.
    from accounts.models import Membership

    vera_api = api_client_for(Membership.objects.for_org(org_a).get(user=vera))
    assert vera_api.get("/api/v1/organization/").status_code == 200


def test_the_limit_resets_when_the_window_ends(rates, alice_m, monkeypatch):
    rates(each_key="2/minute")
    clock = [60 * 16_000 + 20.0]  # 20 s into a minute
    monkeypatch.setattr("socialops.throttling._now", lambda: clock[0])
    alice = api_client_for(alice_m)
    assert alice.get("/api/v1/organization/").status_code == 200
    assert alice.get("/api/v1/organization/").status_code == 200
    assert _assert_throttled(alice.get("/api/v1/organization/")) == 40
    clock[0] += 40
    assert alice.get("/api/v1/organization/").status_code == 200


def test_an_address_over_its_rate_gets_429_whatever_the_token(rates, alice_m, bob_m):
    rates(address="4/minute")
    alice, bob = api_client_for(alice_m), api_client_for(bob_m)
    for client in (alice, bob, alice, bob):
        assert client.get("/api/v1/organization/").status_code == 200
    _assert_throttled(bob.get("/api/v1/organization/"))
    # Another address is not affected.
    assert alice.get("/api/v1/organization/", REMOTE_ADDR="198.51.100.7").status_code == 200


def test_a_spoofed_forwarded_for_header_does_not_escape_the_address_limit(rates, alice_m, bob_m):
    rates(address="2/minute")
    alice = api_client_for(alice_m)
    for n in range(2):
        assert (
            alice.get("/api/v1/organization/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
            == 200
        )
    _assert_throttled(alice.get("/api/v1/organization/", HTTP_X_FORWARDED_FOR="203.0.113.99"))


def test_failed_token_authentications_from_an_address_are_limited(rates, alice_m):
    rates(auth_failure="3/minute")
    guesser = APIClient()
    guesser.credentials(HTTP_AUTHORIZATION="Bearer sop_not-a-real-token")
    for _ in range(3):
        r = guesser.get("/api/v1/organization/")
        assert r.status_code == 401
    _assert_throttled(guesser.get("/api/v1/organization/"))
    # While the address is refused, no token is looked at: a valid one is refused too, so the
    # answers say nothing about which tokens exist.
    _assert_throttled(api_client_for(alice_m).get("/api/v1/organization/"))
    # A valid token from another address works.
    ok = api_client_for(alice_m).get("/api/v1/organization/", REMOTE_ADDR="198.51.100.8")
    assert ok.status_code == 200


def test_malformed_authorization_headers_count_as_failures(rates):
    rates(auth_failure="2/minute")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert client.get("/api/v1/teams/").status_code == 401
    assert client.get("/api/v1/teams/").status_code == 401
    _assert_throttled(client.get("/api/v1/teams/"))


def test_rates_must_be_well_formed(settings):
    import subprocess
    import sys

    from .test_platform import ROOT

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**__import__("os").environ, "API_RATE_PER_TOKEN": "lots"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "API_RATE_PER_TOKEN must be a rate" in result.stderr


def _use_up(limit: int) -> None:
    """In another process (forked with the test's settings): count ``limit`` requests."""
    from socialops.throttling import FixedWindow

    for _ in range(limit):
        FixedWindow("token").hit("shared")


def test_the_counters_are_shared_between_processes(settings, tmp_path):
    # Web processes share the counts through CACHES["default"] (here the file cache of var/).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": "5/hour"}
    from socialops.throttling import FixedWindow

    child = multiprocessing.get_context("fork").Process(target=_use_up, args=(5,))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    allowed, wait = FixedWindow("token").hit("shared")
    assert not allowed and 0 < wait <= 3600


def test_every_api_answer_says_no_store(alice_api, org_a):
    assert "no-store" in alice_api.get("/api/v1/members/")["Cache-Control"]
    assert "no-store" in alice_api.get("/api/v1/teams/999999/")["Cache-Control"]  # a 404 too
    assert "no-store" in APIClient().get("/api/v1/members/")["Cache-Control"]  # and a 401
    assert "no-store" in alice_api.get("/api/v1/no-such-endpoint/")["Cache-Control"]
