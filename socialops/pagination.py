"""Cursor pagination for every list under /api/v1/ (``REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]``).

A list answers ``{"next": url | null, "previous": url | null, "results": [...]}``. ``?limit=`` takes
1 … :data:`MAX_LIMIT` rows (default :data:`DEFAULT_LIMIT`); anything else is a 400. ``?cursor=`` is
the opaque value of a ``next``/``previous`` link: it is signed (and bound to the list's ordering), so
a tampered or foreign cursor is a 400 ``invalid_cursor``, never a query on a made-up position.

The order is the view's ``list_ordering`` (a tuple such as ``("name", "id")``), else
``("-created_at", "-id")`` for a model with ``created_at``, else ``("-id",)``. DRF's cursor keeps its
place by the first field's value plus an offset among rows that share it, so rows inserted while a
client walks the list (new rows come first in a newest-first list) do not shift the pages it has yet
to read: each row is returned exactly once.
"""

from __future__ import annotations

import re

from django.core import signing
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.utils.urls import replace_query_param

from .errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_SALT = "socialops.pagination.cursor"
_DIGITS = re.compile(r"[0-9]{1,6}")


def default_ordering(model) -> tuple[str, ...]:
    """``("-created_at", "-id")`` when the model has ``created_at``, else ``("-id",)``."""
    names = {f.name for f in model._meta.get_fields()} if model is not None else set()
    return ("-created_at", "-id") if "created_at" in names else ("-id",)


class CursorPagination(pagination.CursorPagination):
    page_size = DEFAULT_LIMIT
    max_page_size = MAX_LIMIT
    page_size_query_param = "limit"
    cursor_query_param = "cursor"
    template = None  # no browsable API

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "list_ordering", None) or default_ordering(queryset.model)
        return tuple(ordering)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if _DIGITS.fullmatch(raw) and 1 <= int(raw) <= self.max_page_size:
            return int(raw)
        message = _("Give limit as a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
        raise ValidationFailed(message, fields={self.page_size_query_param: [message]})

    def encode_cursor(self, cursor):
        token = signing.dumps(
            [cursor.offset, int(cursor.reverse), cursor.position, list(self.ordering)], salt=_SALT
        )
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            offset, reverse, position, ordering = signing.loads(encoded, salt=_SALT)
            valid = (
                isinstance(offset, int)
                and 0 <= offset <= self.offset_cutoff
                and reverse in (0, 1)
                and (position is None or isinstance(position, str))
                and ordering == list(self.ordering)
            )
        except (signing.BadSignature, ValueError, TypeError):
            valid = False
        if not valid:
            message = _(
                "The cursor is not valid: use the next or previous link of a page as given."
            )
            raise ValidationFailed(message, fields={"cursor": [message]}, code="invalid_cursor")
        return pagination.Cursor(offset=offset, reverse=bool(reverse), position=position)

    def get_paginated_response_schema(self, schema):
        out = super().get_paginated_response_schema(schema)
        out["required"] = ["next", "previous", "results"]
        for key, what in (("next", "following"), ("previous", "preceding")):
            out["properties"][key]["description"] = (
                f"The URL of the {what} page (keeps the filters and limit), or null if there is none."
            )
            out["properties"][key]["example"] = (
                f"https://socialops.example/api/v1/posts/?cursor=…&limit={DEFAULT_LIMIT}"
            )
        return out

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where to continue: the opaque value from a page's `next` or `previous` "
                "link. A cursor that was changed is a 400 `invalid_cursor`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT,
                },
            },
        ]
