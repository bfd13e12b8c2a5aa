"""Reads of service accounts and their tokens; every read names the organization first."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from ..models import ApiToken, Organization, ServiceAccount


def service_accounts_of(organization: Organization) -> QuerySet[ServiceAccount]:
    return ServiceAccount.objects.for_org(organization).select_related("created_by")


def get_service_account(organization: Organization, service_account_id: int) -> ServiceAccount:
    """Another organization's service account and a missing one are the same 404."""
    account = service_accounts_of(organization).filter(pk=service_account_id).first()
    if account is None:
        raise Http404("No such service account.")
    return account


def tokens_of_service_account(account: ServiceAccount) -> QuerySet[ApiToken]:
    return (
        ApiToken.objects.for_org(account.organization_id)
        .filter(service_account=account)
        .select_related("created_by", "replaced_by")
    )


def get_service_account_token(account: ServiceAccount, token_id: int) -> ApiToken:
    token = tokens_of_service_account(account).filter(pk=token_id).first()
    if token is None:
        raise Http404("No such token.")
    return token
