"""LinkedIn: connecting an account: OAuth (or its equivalent), refresh and health checks."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

from ..base import (
    Account,
    Credentials,
)
from ..errors import (
    AuthExpired,
    TransientError,
)
from .client import (
    _int,
)


class LinkedInConnection:
    """LinkedIn's connecting an account (a part of ``LinkedInProvider``)."""

    # --- OAuth / connection -----------------------------------------------------------------
    def authorization_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        scopes = (
            (extra or {}).get("scopes") or self.config.extra.get("scopes") or self.default_scopes
        )
        params = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": " ".join(scopes),
        }
        return f"{self.urls['auth']}?{urlencode(params, quote_via=quote)}"

    def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        form = {
            **form,
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
        }
        response = self.http.post(
            self.urls["token"],
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if response.status_code == 200:
            data = self._json_dict(response)
            if not data.get("access_token"):
                raise TransientError("LinkedIn's token endpoint answered without an access token.")
            return data
        if response.status_code in (400, 401):
            try:
                body = response.json()
            except ValueError:
                body = {}
            body = body if isinstance(body, dict) else {}
            error = str(body.get("error") or "invalid_request")
            description = str(body.get("error_description") or body.get("message") or "")
            raise AuthExpired(
                f"LinkedIn refused the authorization ({error}): {description}".rstrip(": "),
                status=response.status_code,
                code=error,
            )
        self._raise_for(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _credentials_from(
        self, data: dict[str, Any], previous: Credentials | None = None
    ) -> Credentials:
        now = self._utcnow()
        expires_in = _int(data.get("expires_in"))
        refresh_in = _int(data.get("refresh_token_expires_in"))
        refresh_token = data.get("refresh_token") or (previous.refresh_token if previous else None)
        raw_scope = str(data.get("scope") or "")
        scopes = tuple(s for s in re.split(r"[\s,]+", raw_scope) if s) or (
            previous.scopes if previous else ()
        )
        return Credentials(
            access_token=str(data["access_token"]),
            refresh_token=refresh_token,
            expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
            refresh_expires_at=(
                now + timedelta(seconds=refresh_in)
                if refresh_in
                else (previous.refresh_expires_at if previous else None)
            ),
            scopes=scopes,
            extra=dict(previous.extra) if previous else {},
        )

    def exchange_code(
        self,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> list[Account]:
        data = self._token_request(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )
        credentials = self._credentials_from(data)
        org_ids = self._admin_organization_ids(credentials)
        orgs = self._organizations(credentials, org_ids)
        return [self._account(org_id, orgs.get(org_id, {}), credentials) for org_id in org_ids]

    def refresh(self, credentials: Credentials) -> Credentials:
        if not credentials.refresh_token:
            raise AuthExpired(
                "LinkedIn issues refresh tokens only to approved partner apps; this channel must be "
                "re-authorized (the member consents again) before its token expires."
            )
        data = self._token_request(
            {"grant_type": "refresh_token", "refresh_token": credentials.refresh_token}
        )
        return self._credentials_from(data, previous=credentials)

    def verify_credentials(self, credentials: Credentials, account_id: str) -> Account:
        org_id = self._org_id(account_id)
        if org_id not in self._admin_organization_ids(credentials):
            raise AuthExpired(
                f"The LinkedIn member who connected this channel is no longer an approved administrator of "
                f"organization {org_id}."
            )
        orgs = self._organizations(credentials, [org_id])
        return self._account(org_id, orgs.get(org_id, {}), credentials)

    def _admin_organization_ids(self, credentials: Credentials) -> list[str]:
        ids: list[str] = []
        start, count = 0, 100
        for _ in range(20):  # bounded paging
            query = f"q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&start={start}&count={count}"
            data = self._get_json("organizationAcls", credentials, query=query)
            elements = data.get("elements") or []
            for acl in elements:
                if (
                    acl.get("role", "ADMINISTRATOR") != "ADMINISTRATOR"
                    or acl.get("state", "APPROVED") != "APPROVED"
                ):
                    continue
                target = str(acl.get("organization") or acl.get("organizationalTarget") or "")
                if target.startswith("urn:li:organization:"):
                    org_id = target.rsplit(":", 1)[1]
                    if org_id not in ids:
                        ids.append(org_id)
            total = _int((data.get("paging") or {}).get("total"))
            start += len(elements)
            if not elements or len(elements) < count or (total is not None and start >= total):
                break
        return ids

    def _organizations(
        self, credentials: Credentials, org_ids: list[str]
    ) -> dict[str, dict[str, Any]]:
        if not org_ids:
            return {}
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(org_ids), 50):
            chunk = org_ids[i : i + 50]
            data = self._get_json(
                "organizations", credentials, query=f"ids=List({','.join(chunk)})"
            )
            for key, org in (data.get("results") or {}).items():
                if isinstance(org, dict):
                    found[str(key)] = org
        return found

    def _account(self, org_id: str, org: dict[str, Any], credentials: Credentials) -> Account:
        name = org.get("localizedName") or f"Organization {org_id}"
        vanity = org.get("vanityName") or ""
        web = self.urls["web"].rstrip("/")
        return Account(
            external_id=org_id,
            handle=vanity or org_id,
            name=str(name),
            credentials=credentials,
            url=f"{web}/company/{vanity or org_id}/",
            extra={"urn": self._org_urn(org_id)},
        )

    @staticmethod
    def _org_id(account_id: str) -> str:
        account_id = str(account_id)
        return (
            account_id.rsplit(":", 1)[1]
            if account_id.startswith("urn:li:organization:")
            else account_id
        )

    def _org_urn(self, account_id: str) -> str:
        return f"urn:li:organization:{self._org_id(account_id)}"
