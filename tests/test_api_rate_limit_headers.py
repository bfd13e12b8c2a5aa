"""RateLimit-Limit / -Remaining / -Reset on every /api/v1/ response, per token; Retry-After on 429."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.service_accounts import services as sa_services

from .conftest import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(each_key="5/minute", address="1000/minute"):
        settings.API_THROTTLE_RATES = {
            "token": each_key,
            "address": address,
            "auth_failure": "1000/minute",
        }

    return set_rates


def _headers(response) -> tuple[int, int, int]:
    return (
        int(response["RateLimit-Limit"]),
        int(response["RateLimit-Remaining"]),
        int(response["RateLimit-Reset"]),
    )


def test_headers_are_present_and_decrease_per_token_until_429_with_retry_after(
    rates, alice_m, monkeypatch
):
    rates(each_key="3/minute")
    clock = [60 * 20_000 + 15.0]  # 15 s into a minute: 45 s left in the window
    monkeypatch.setattr("socialops.throttling._now", lambda: clock[0])
    alice = api_client_for(alice_m)
    seen = []
    for _ in range(3):
        response = alice.get("/api/v1/organization/")
        assert response.status_code == 200
        seen.append(_headers(response))
    assert seen == [(3, 2, 45), (3, 1, 45), (3, 0, 45)]
    refused = alice.get("/api/v1/teams/")
    assert refused.status_code == 429
    assert _headers(refused) == (3, 0, 45) and refused["Retry-After"] == "45"
    # Another token has its own budget (the same address).
    other = api_client_for(alice_m, name="second")
    assert _headers(other.get("/api/v1/organization/")) == (3, 2, 45)


def test_a_service_account_token_has_its_own_budget(rates, org_a, alice_m, monkeypatch):
    rates(each_key="10/minute")
    # one instant for every call: a minute turning between two calls would start a new window
    monkeypatch.setattr("socialops.throttling._now", lambda: 60 * 20_000 + 15.0)
    account = sa_services.create_service_account(org_a, by=alice_m, name="Robot")
    raw = sa_services.create_service_account_token(
        account, by=alice_m, name="t", scopes=["posts:read"]
    ).raw
    robot = APIClient()
    robot.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    first, second = robot.get("/api/v1/posts/"), robot.get("/api/v1/posts/")
    assert (_headers(first)[1], _headers(second)[1]) == (9, 8)
    api_client_for(alice_m).get("/api/v1/posts/")
    assert _headers(robot.get("/api/v1/posts/"))[1] == 7


def test_refused_calls_carry_the_headers_too(rates, org_a, alice_m):
    """A 403 (scope), a 401 and an unknown route: the headers say where the caller stands, uncounted."""
    rates(each_key="5/minute", address="50/minute")
    account = sa_services.create_service_account(org_a, by=alice_m, name="Robot")
    raw = sa_services.create_service_account_token(
        account, by=alice_m, name="t", scopes=["posts:read"]
    ).raw
    robot = APIClient()
    robot.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert _headers(robot.get("/api/v1/posts/"))[:2] == (5, 4)
    refused = robot.get("/api/v1/teams/")
    assert refused.status_code == 403 and _headers(refused)[:2] == (5, 4)
    anonymous = APIClient().get("/api/v1/posts/")
    assert anonymous.status_code == 401 and _headers(anonymous)[0] == 50
    unknown = robot.get("/api/v1/no-such-thing/")
    assert unknown.status_code == 404 and "RateLimit-Remaining" in unknown


def test_pages_do_not_carry_api_headers(alice_client, org_a):
    assert "RateLimit-Limit" not in alice_client.get(f"/o/{org_a.slug}/service-accounts/")
