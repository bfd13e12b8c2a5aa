"""/api/v1/service-accounts/: service accounts and their tokens (the ``admin`` scope; owners and admins)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from socialops.api import ID_MAX, OrgScopedViewSet

from .. import services as account_services
from ..capabilities import Capability
from ..models import ServiceAccount
from . import selectors, services
from .serializers import (
    RotateIn,
    ServiceAccountIn,
    ServiceAccountOut,
    ServiceAccountPatchIn,
    TokenCreated,
    TokenIn,
    TokenOut,
)

_TOKEN_ID = OpenApiParameter("token_id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH)


def _token(account, token_id: str):
    """The account's token ``token_id`` names: a number too large for an id is simply not there (404)."""
    if int(token_id) > ID_MAX:
        raise Http404("No such token.")
    return selectors.get_service_account_token(account, int(token_id))


def _created(issued) -> dict:
    return {**TokenOut(issued.token).data, "token": issued.raw}


@extend_schema_view(
    list=extend_schema(
        summary="List service accounts",
        description="The organization's service accounts: machine users that are no member and no seat.",
    ),
    create=extend_schema(
        summary="Create a service account",
        description="A service account; give it tokens to call the API.",
    ),
    retrieve=extend_schema(summary="Get a service account", description="One service account."),
    partial_update=extend_schema(
        summary="Change a service account",
        description="Changes its name or description, or disables it (`is_active` false: its tokens stop working) and enables it again.",
    ),
    tokens=extend_schema(
        summary="List a service account's tokens",
        description="Its tokens (never their secret), revoked and expired ones included.",
    ),
    rotate_token=extend_schema(
        summary="Rotate a service account's token",
        description="A new token with the same scopes; the old one keeps working until `old_token_expires_at` (the overlap window). The new secret is in this answer only.",
    ),
    revoke_token=extend_schema(
        summary="Revoke a service account's token", description="The token stops working at once."
    ),
)
@extend_schema(tags=["service accounts"])
class ServiceAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    model = ServiceAccount
    serializer_class = ServiceAccountOut
    read_capability = Capability.MANAGE_ORGANIZATION
    write_capability = Capability.MANAGE_ORGANIZATION
    #: the account's tokens are a list too (limit, cursor)
    paginated_actions = ("list", "tokens")

    def scoped_queryset(self, organization):
        return selectors.service_accounts_of(organization)

    @extend_schema(request=ServiceAccountIn, responses={201: ServiceAccountOut})
    def create(self, request):
        payload = ServiceAccountIn(data=request.data)
        payload.is_valid(raise_exception=True)
        account = services.create_service_account(
            self.organization, by=self.membership, **payload.validated_data
        )
        return Response(ServiceAccountOut(account).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ServiceAccountPatchIn, responses=ServiceAccountOut)
    def partial_update(self, request, pk=None):
        account = self.get_object()
        payload = ServiceAccountPatchIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        if "name" in d or "description" in d:
            account = services.update_service_account(
                account, by=self.membership, name=d.get("name"), description=d.get("description")
            )
        if d.get("is_active") is False and account.is_active:
            account = services.disable_service_account(account, by=self.membership)
        elif d.get("is_active") is True and not account.is_active:
            account = services.enable_service_account(account, by=self.membership)
        return Response(ServiceAccountOut(account).data)

    @extend_schema(request=None, responses=TokenOut(many=True))
    @action(detail=True, methods=["get"], url_path="tokens", url_name="tokens")
    def tokens(self, request, pk=None):
        account = self.get_object()
        rows = self.paginate_queryset(selectors.tokens_of_service_account(account))
        return self.get_paginated_response(TokenOut(rows, many=True).data)

    @extend_schema(
        summary="Create a token for a service account",
        description="A token with scopes (each within what you may do) and an optional expiry. "
        "The secret is in this answer only.",
        request=TokenIn,
        responses={201: TokenCreated},
    )
    @tokens.mapping.post
    def create_token(self, request, pk=None):
        account = self.get_object()
        payload = TokenIn(data=request.data)
        payload.is_valid(raise_exception=True)
        issued = services.create_service_account_token(
            account, by=self.membership, **payload.validated_data
        )
        return Response(_created(issued), status=status.HTTP_201_CREATED)

    @extend_schema(request=RotateIn, responses={201: TokenCreated}, parameters=[_TOKEN_ID])
    @action(
        detail=True,
        methods=["post"],
        url_path=r"tokens/(?P<token_id>[0-9]+)/rotate",
        url_name="token-rotate",
    )
    def rotate_token(self, request, pk=None, token_id=None):
        token = _token(self.get_object(), token_id)
        payload = RotateIn(data=request.data)
        payload.is_valid(raise_exception=True)
        issued = account_services.rotate_api_token(
            token,
            by=self.membership,
            old_token_expires_at=payload.validated_data.get("old_token_expires_at"),
        )
        return Response(_created(issued), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TokenOut, parameters=[_TOKEN_ID])
    @action(
        detail=True,
        methods=["post"],
        url_path=r"tokens/(?P<token_id>[0-9]+)/revoke",
        url_name="token-revoke",
    )
    def revoke_token(self, request, pk=None, token_id=None):
        token = _token(self.get_object(), token_id)
        return Response(TokenOut(account_services.revoke_api_token(token, by=self.membership)).data)
