"""Meta Graph API: the usage headers and the error object → our typed errors."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ...http import json_or_error
from ..errors import (
    AuthExpired,
    ContentRejected,
    ProviderError,
    RateLimited,
    StatusRule,
    TransientError,
    error_for_status,
)

#: when a throttle error carries no usable ``estimated_time_to_regain_access``
DEFAULT_THROTTLE_SECONDS = 300.0

#: 190 invalid/expired token (subcodes 458–467); 102 the older "API session" variant.
AUTH_CODES = frozenset({102, 190})
#: 4 app, 17 user, 32 Page, 613 custom, 80001–80009 business-use-case throttles (80001 Pages,
#: 80002 Instagram, 80006 Messenger …); 341 "application limit reached" is a throttle too.
THROTTLE_CODES = frozenset({4, 17, 32, 341, 613, *range(80001, 80010)})
#: 1 unknown error and 2 service unavailable: Meta says retry later.
TRANSIENT_CODES = frozenset({1, 2})
#: 368 policy block ("temporarily blocked for policy violations"), 506 duplicate post,
#: 9004 media download failed, 36003 bad aspect ratio (Instagram), 324 bad image file.
CONTENT_CODES = frozenset({368, 506, 9004, 36003, 324, 352, 1609005})
#: Instagram publishing subcodes that mean "this content cannot go out as it is".
CONTENT_SUBCODES = frozenset(
    {
        2207004,  # image too large
        2207005,  # unsupported image format
        2207009,  # aspect ratio out of range
        2207010,  # caption too long / too many hashtags or mentions
        2207023,  # unknown media type
        2207026,  # unsupported video format
        2207028,  # carousel validation failed
        2207035,  # product tags on video not allowed
        2207052,  # media could not be fetched from the URL
        2207053,  # unknown upload error on the media
    }
)
#: Instagram: the account has used its 24 h publishing quota (content_publishing_limit).
QUOTA_SUBCODE = 2207042
#: Instagram: the container is still processing; publishing now is premature, not wrong.
NOT_READY_SUBCODE = 2207027


def parse_usage(headers: httpx.Headers | dict[str, str]) -> dict[str, Any]:
    """The usage headers as data: ``{"app": {...}, "business": {id: [{...}]}}`` (missing → absent).

    ``X-App-Usage`` (and ``X-Ad-Account-Usage``) hold percentages of the app's hourly budget;
    ``X-Business-Use-Case-Usage`` (Page and Instagram tokens) holds per-object entries with
    ``call_count``, ``total_time``, ``total_cputime`` and ``estimated_time_to_regain_access``
    (minutes).
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    usage: dict[str, Any] = {}
    for header, key in (
        ("x-app-usage", "app"),
        ("x-business-use-case-usage", "business"),
        ("x-ad-account-usage", "ad_account"),
    ):
        raw = lowered.get(header)
        if not raw:
            continue
        try:
            usage[key] = json.loads(raw)
        except ValueError:
            continue
    return usage


def max_usage_percent(usage: dict[str, Any]) -> float:
    """The highest percentage any usage header reports (0 when none)."""
    values: list[float] = []
    for entry in [usage.get("app") or {}, usage.get("ad_account") or {}]:
        if isinstance(entry, dict):
            values += [
                float(v)
                for k, v in entry.items()
                if k in ("call_count", "total_time", "total_cputime", "acc_id_util_pct")
                and isinstance(v, int | float)
            ]
    for entries in (
        (usage.get("business") or {}).values() if isinstance(usage.get("business"), dict) else ()
    ):
        for entry in entries if isinstance(entries, list) else ():
            values += [
                float(entry[k])
                for k in ("call_count", "total_time", "total_cputime")
                if isinstance(entry.get(k), int | float)
            ]
    return max(values, default=0.0)


def regain_seconds(headers: httpx.Headers | dict[str, str]) -> float | None:
    """Seconds until Meta lets us call again, from ``estimated_time_to_regain_access`` (minutes)."""
    usage = parse_usage(headers)
    minutes: list[float] = []
    business = usage.get("business")
    if isinstance(business, dict):
        for entries in business.values():
            for entry in entries if isinstance(entries, list) else ():
                value = (
                    entry.get("estimated_time_to_regain_access")
                    if isinstance(entry, dict)
                    else None
                )
                if isinstance(value, int | float) and value > 0:
                    minutes.append(float(value))
    ad = usage.get("ad_account")
    if (
        isinstance(ad, dict)
        and isinstance(ad.get("reset_time_duration"), int | float)
        and ad["reset_time_duration"] > 0
    ):
        return float(ad["reset_time_duration"])  # documented in seconds
    if minutes:
        return max(minutes) * 60.0
    retry_after = {k.lower(): v for k, v in headers.items()}.get("retry-after")
    if retry_after and retry_after.strip().isdigit():
        return max(1.0, float(retry_after))
    return None


def _error_text(error: dict[str, Any], network: str) -> tuple[str, str]:
    """(plain message for people, diagnostic suffix). Meta's messages carry no secrets."""
    message = str(error.get("error_user_msg") or error.get("message") or "unknown error").strip()
    parts = [f"code {error.get('code')}"]
    if error.get("error_subcode"):
        parts.append(f"subcode {error['error_subcode']}")
    if error.get("fbtrace_id"):
        parts.append(f"fbtrace_id {error['fbtrace_id']}")
    return f"{network}: {message}", f" ({', '.join(parts)})"


#: A Graph answer without an error object (a proxy's page, an upload host's), and a 5xx, by HTTP
#: status. An error object is read by its code instead (below): codes say more than statuses.
GRAPH_STATUS_ERRORS: dict[int | str, StatusRule] = {
    **dict.fromkeys(
        (401, 403), StatusRule(AuthExpired, "{network} refused the token (HTTP {status}).")
    ),
    429: StatusRule(RateLimited, "{network} asked us to slow down."),
    "4xx": StatusRule(ProviderError, "{network} answered HTTP {status} without an error object."),
    "5xx": StatusRule(TransientError, "{network} answered HTTP {status}{detail}", fallback="."),
}


def raise_for_graph_error(
    response: httpx.Response, *, network: str, publishing: bool = False
) -> Any:
    """Return the JSON body of a successful Graph answer, or raise the matching typed error.

    ``publishing`` makes a generic "invalid parameter" (code 100) a :class:`ContentRejected`:
    during a publish it means the post as written cannot go out; elsewhere it is a plain,
    permanent :class:`ProviderError` (a wrong id, an unknown field or metric).
    """
    status = response.status_code

    def wait() -> float:
        return regain_seconds(response.headers) or DEFAULT_THROTTLE_SECONDS

    if status >= 500:
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        message = (error or {}).get("message") if isinstance(error, dict) else None
        raise error_for_status(
            status,
            network=network,
            detail=f": {message}" if message else "",
            table=GRAPH_STATUS_ERRORS,
        )
    body = json_or_error(response)  # malformed → TransientError
    error = body.get("error") if isinstance(body, dict) else None
    if status < 400 and not error:
        return body
    if not isinstance(error, dict):
        debug = body.get("debug_info") if isinstance(body, dict) else None
        if isinstance(
            debug, dict
        ):  # rupload.facebook.com answers {"debug_info":{"retriable","type","message"}}
            text = f"{network}: {debug.get('message') or debug.get('type') or 'upload failed'}"
            if debug.get("retriable"):
                raise TransientError(text, status=status)
            raise ContentRejected(text, status=status, code=str(debug.get("type") or ""))
        raise error_for_status(status, network=network, table=GRAPH_STATUS_ERRORS, retry_after=wait)

    try:
        code = int(error.get("code") or 0)
    except (TypeError, ValueError):
        code = 0
    try:
        subcode = int(error.get("error_subcode") or 0)
    except (TypeError, ValueError):
        subcode = 0
    text, diag = _error_text(error, network)
    code_str = f"{code}/{subcode}" if subcode else str(code)

    if code in AUTH_CODES:
        raise AuthExpired(text + diag, status=status, code=code_str)
    if code in THROTTLE_CODES or subcode == QUOTA_SUBCODE:
        retry = regain_seconds(response.headers) or DEFAULT_THROTTLE_SECONDS
        raise RateLimited(text + diag, retry_after=max(1.0, retry), status=status, code=code_str)
    if code in TRANSIENT_CODES or error.get("is_transient") is True or subcode == NOT_READY_SUBCODE:
        raise TransientError(text + diag, status=status, code=code_str)
    if code == 10 or 200 <= code <= 299:
        # A missing permission (10, 200–299) cannot be fixed by retrying: only the person who
        # connected the channel can grant it, by authorizing again with the extra permission.
        # Treat it like an expired token so the channel is flagged "needs re-authorization".
        raise AuthExpired(text + diag, status=status, code=code_str)
    if code in CONTENT_CODES or subcode in CONTENT_SUBCODES:
        raise ContentRejected(text, status=status, code=code_str)
    if code == 100 and publishing:
        raise ContentRejected(text, status=status, code=code_str)
    if status == 429:
        raise RateLimited(text + diag, retry_after=wait(), status=status, code=code_str)
    raise ProviderError(text + diag, status=status, code=code_str, permanent=400 <= status < 500)
