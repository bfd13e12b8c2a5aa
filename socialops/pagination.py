"""Cursor pagination for every list under /api/v1/ (``REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]``).

A list answers ``{"next": url | null, "previous": url | null, "results": [...]}``. ``?limit=`` takes
1 … :data:`MAX_LIMIT` rows (default :data:`DEFAULT_LIMIT`); anything else is a 400. ``?cursor=`` is
the opaque value of a ``next``/``previous`` link: it is signed (and bound to the list's ordering), so
a tampered or foreign cursor is a 400 ``invalid_cursor``, never a query on a made-up position.

The order is the view's ``list_ordering`` (a tuple such as ``("name", "id")``), else
``("-created_at", "-id")`` for a model with ``created_at``, else ``("-id",)``; ``id`` ends every
order. The cursor holds the whole key of the row it continues from (keyset pagination, no offset),
so rows inserted or deleted while a client walks the list do not shift the pages it has yet to read:
each row that stays is returned exactly once. Ordering fields must be non-null.
"""

from __future__ import annotations

import operator
import re
from datetime import date, datetime
from functools import reduce

from django.core import signing
from django.db.models import Q
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


def _json_value(value):
    """An ordering field's value as the cursor keeps it (a date-time as ISO 8601, which lookups parse back)."""
    return value.isoformat() if isinstance(value, date | datetime) else value


def _after(ordering: tuple[str, ...], position: list) -> Q:
    """Rows strictly after ``position`` in ``ordering``: (a, b, id) > (x, y, z) spelt out field by field."""
    branches, equal = [], Q()
    for name, value in zip(ordering, position, strict=True):
        field = name.lstrip("-")
        branches.append(equal & Q(**{f"{field}__{'lt' if name.startswith('-') else 'gt'}": value}))
        equal &= Q(**{field: value})
    return reduce(operator.or_, branches)


class CursorPagination(pagination.CursorPagination):
    """DRF's cursor pagination with a whole-key position: the cursor holds every ordering field of the
    last row seen (the last one unique, ``id``), so no offset is needed and rows sharing a
    ``created_at`` (or a name) are neither skipped nor repeated, however many there are."""

    page_size = DEFAULT_LIMIT
    max_page_size = MAX_LIMIT
    page_size_query_param = "limit"
    cursor_query_param = "cursor"
    template = None  # no browsable API

    def get_ordering(self, request, queryset, view):
        ordering = tuple(getattr(view, "list_ordering", None) or default_ordering(queryset.model))
        if ordering[-1].lstrip("-") not in ("id", "pk"):
            ordering += ("id",)  # the unique tiebreak the keyset needs
        return ordering

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if _DIGITS.fullmatch(raw) and 1 <= int(raw) <= self.max_page_size:
            return int(raw)
        message = _("Give limit as a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
        raise ValidationFailed(message, fields={self.page_size_query_param: [message]})

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.cursor = self.decode_cursor(request)
        reverse, position = (
            (self.cursor.reverse, self.cursor.position) if self.cursor else (False, None)
        )
        order = pagination._reverse_ordering(self.ordering) if reverse else self.ordering
        queryset = queryset.order_by(*order)
        if position is not None:
            queryset = queryset.filter(_after(order, position))
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        if reverse:
            self.page.reverse()
            self.has_next, self.has_previous = position is not None, more
        else:
            self.has_next, self.has_previous = more, position is not None
        self._position = position
        return self.page

    def _key(self, row) -> list:
        return [_json_value(getattr(row, name.lstrip("-"))) for name in self.ordering]

    def get_next_link(self):
        if not self.has_next:
            return None
        position = self._key(self.page[-1]) if self.page else self._position
        return self.encode_cursor(pagination.Cursor(offset=0, reverse=False, position=position))

    def get_previous_link(self):
        if not self.has_previous:
            return None
        position = self._key(self.page[0]) if self.page else self._position
        return self.encode_cursor(pagination.Cursor(offset=0, reverse=True, position=position))

    def encode_cursor(self, cursor):
        token = signing.dumps(
            [int(cursor.reverse), cursor.position, list(self.ordering)], salt=_SALT
        )
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            reverse, position, ordering = signing.loads(encoded, salt=_SALT)
            valid = (
                reverse in (0, 1)
                and ordering == list(self.ordering)
                and isinstance(position, list)
                and len(position) == len(self.ordering)
                and all(isinstance(v, str | int | float) for v in position)
            )
        except (signing.BadSignature, ValueError, TypeError):
            valid = False
        if not valid:
            message = _(
                "The cursor is not valid: use the next or previous link of a page as given."
            )
            raise ValidationFailed(message, fields={"cursor": [message]}, code="invalid_cursor")
        return pagination.Cursor(offset=0, reverse=bool(reverse), position=position)

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
