"""Channel factories: rows made through the same services the product uses (bulk rows for scale tests)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from channels_registry import services
from channels_registry.models import Channel
from channels_registry.providers.sandbox import make_authorization_code


def start_sandbox(org, by, **kw):
    started = services.start_connect(org, by=by, provider_key="sandbox", **kw)
    query = parse_qs(urlsplit(started.authorization_url).query)
    return started, query["state"][0], query["redirect_uri"][0]


def authorize_sandbox(org, by, accounts=("sbx-kitchen",)):
    _started, state, redirect_uri = start_sandbox(org, by)
    code = make_authorization_code(list(accounts), redirect_uri)
    return services.complete_connect(state, code, user=by.user, provider_key="sandbox")


def connect_sandbox(
    org, by, accounts=("sbx-kitchen",), *, team=None, timezone_name="Asia/Jakarta"
) -> list[Channel]:
    attempt = authorize_sandbox(org, by, accounts)
    return services.add_channels(
        attempt, by=by, external_ids=list(accounts), team=team, timezone_name=timezone_name
    )


def bulk_channels(org, count: int, *, provider="sandbox", team=None, **fields) -> list[Channel]:
    rows = [
        Channel(
            **{
                "organization": org,
                "provider": provider,
                "external_id": f"bulk-{i}",
                "handle": f"bulk{i}",
                "name": f"Bulk {i}",
                "team": team,
                **fields,
            }
        )
        for i in range(count)
    ]
    return Channel.objects.bulk_create(rows)
