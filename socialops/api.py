"""The one DRF base view: authentication, permission and queryset scoping live here.

Subclasses declare ``capability`` (or a per-action map) and ``scoped_queryset(org)``; they do
not override ``get_queryset``/``get_object``. A token names one organization, so an id from
another organization is simply not in the queryset: a 404.

The API's input rules live here too, once for every endpoint:

- a request body is a JSON object (:class:`ObjectJSONParser`); an array, a number or ``null`` is a 400;
- an input serializer (:class:`InputSerializer`, :class:`InputModelSerializer`) takes JSON's own types:
  ``"name": 0`` or ``"reset_text": "0"`` is a 400, not a silent ``"0"`` / ``False``;
- an object id, in a body (:class:`IdField`) or a query filter (:func:`query_id`), is a whole number
  from 1 to :data:`ID_MAX`, so a lookup never overflows the database's integer;
- a boolean query filter (:func:`query_bool`) is ``true``/``false`` (or ``1``/``0``), never ``null``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import models, transaction
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, fields, permissions, serializers, viewsets
from rest_framework.metadata import SimpleMetadata
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from accounts.capabilities import Capability

from .errors import ValidationFailed
from .idempotency import services as idempotency

#: the largest id a primary key holds (a signed 64-bit integer on PostgreSQL and SQLite alike)
ID_MAX = 2**63 - 1
_DIGITS = re.compile(r"[0-9]+")


# --- Request bodies ------------------------------------------------------------------------------------


class ObjectJSONParser(JSONParser):
    """JSON whose top level is an object: every endpoint takes named fields, never a bare array or value."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise exceptions.ParseError(_("The request body must be a JSON object."))
        return data


def _json_type_problem(field: fields.Field, value: Any) -> str | None:
    """Why ``value`` (decoded JSON) is not of the JSON type ``field`` takes, or None.

    DRF coerces (``0`` → ``"0"`` for a CharField, ``"0"`` → ``False`` for a BooleanField); a JSON
    API should not: the schema promises a type, and a value of another type is a mistake of the caller.
    """
    if value is None or isinstance(
        field, serializers.BaseSerializer | fields.FileField | fields.JSONField
    ):
        return None  # null: the field's allow_null decides; nested serializers check themselves
    if isinstance(field, fields.ListField):
        if not isinstance(value, list):
            return str(fields.ListField.default_error_messages["not_a_list"]).format(
                input_type=type(value).__name__
            )
        return next(filter(None, (_json_type_problem(field.child, item) for item in value)), None)
    if isinstance(field, fields.DictField):
        if not isinstance(value, dict):
            return str(fields.DictField.default_error_messages["not_a_dict"]).format(
                input_type=type(value).__name__
            )
        return next(
            filter(None, (_json_type_problem(field.child, item) for item in value.values())), None
        )
    if isinstance(field, fields.BooleanField):
        ok = isinstance(value, bool)
        message = fields.BooleanField.default_error_messages["invalid"]
    elif isinstance(field, fields.IntegerField):
        ok = isinstance(value, int) and not isinstance(value, bool)
        message = fields.IntegerField.default_error_messages["invalid"]
    elif isinstance(field, fields.FloatField | fields.DecimalField):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        message = fields.FloatField.default_error_messages["invalid"]
    elif isinstance(
        field,
        fields.CharField
        | fields.ChoiceField
        | fields.DateField
        | fields.DateTimeField
        | fields.TimeField
        | fields.DurationField,
    ):
        ok = isinstance(value, str)
        message = fields.CharField.default_error_messages["invalid"]
    else:
        return None
    return None if ok else str(message)


class StrictJSONTypes:
    """Refuses a JSON value of the wrong type before DRF coerces it (form data, all strings, is left alone)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping) and not isinstance(data, QueryDict):
            errors = {}
            for field in self.fields.values():
                if not field.read_only and field.field_name in data:
                    problem = _json_type_problem(field, data[field.field_name])
                    if problem:
                        errors[field.field_name] = [problem]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class InputSerializer(StrictJSONTypes, serializers.Serializer):
    """Base of every API input shape."""


class InputModelSerializer(StrictJSONTypes, serializers.ModelSerializer):
    """Base of every API shape that is read and written as one model's fields."""


class IdField(serializers.IntegerField):
    """An object's id in a request body: 1 … :data:`ID_MAX` (a larger number would overflow the lookup)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)


# --- Query filters -------------------------------------------------------------------------------------

#: the OpenAPI schema of an id filter (drf-spectacular ``OpenApiParameter(name, ID_QUERY_SCHEMA)``)
ID_QUERY_SCHEMA = {"type": "integer", "minimum": 1, "maximum": ID_MAX}

_NOT_AN_ID = gettext_lazy("Give the id as a whole number.")
_NOT_A_BOOLEAN = gettext_lazy("Give true or false.")
_NUL_IN_QUERY = gettext_lazy("The query string may not contain NUL characters.")


def query_id(params: Mapping[str, str], name: str) -> int | None:
    """The id filter ``name`` of a query string: None when absent; a 400 when it is not an id."""
    raw = params.get(name)
    if raw is None:
        return None
    if _DIGITS.fullmatch(raw) and 1 <= int(raw) <= ID_MAX:
        return int(raw)
    raise ValidationFailed(str(_NOT_AN_ID), fields={name: [str(_NOT_AN_ID)]})


def query_bool(params: Mapping[str, str], name: str) -> bool | None:
    """The boolean filter ``name`` of a query string: None when absent; ``null``, ``maybe`` … are a 400."""
    raw = params.get(name)
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ValidationFailed(str(_NOT_A_BOOLEAN), fields={name: [str(_NOT_A_BOOLEAN)]})


# --- Declared query filters ----------------------------------------------------------------------------
#
# A view declares the query parameters it takes once, as ``filters = (IdFilter("post"), ...)``. The base
# view refuses any other parameter (400 ``unknown_parameter``), checks each value (an id, a boolean, one
# of the allowed values, a date-time with an offset: a 400 naming the field otherwise), applies the
# filters that name a ``lookup`` to the queryset, and hands every value to the view as ``self.query``.
# The schema's query parameters are made from the same declarations (socialops/schema.py).

_NOT_A_CHOICE = gettext_lazy("%(value)s is not one of the allowed values: %(allowed)s.")
_NOT_AN_INSTANT = gettext_lazy(
    "Give an ISO 8601 date and time with an offset, e.g. 2026-01-31T09:00:00+07:00 or "
    "2026-01-31T02:00:00Z (in a URL, encode the plus sign)."
)
_REPEATED = gettext_lazy("Give this parameter once.")
_TOO_LONG = gettext_lazy("Give at most %(max)d characters.")
#: an offset whose "+" arrived as a space (an unencoded "+" in a query string)
_SPACE_OFFSET = re.compile(r"(.*[0-9]) ([0-9]{2}(:?[0-9]{2})?)")


class QueryFilter:
    """One query parameter a view takes: its name, what it means, how its value is read and checked.

    ``lookup`` (e.g. ``"updated_at__gte"``) lets the base view apply the filter; without one the view
    reads ``self.query[name]`` itself. ``apply`` may be given instead: ``apply(queryset, value)``.
    ``actions`` are the view actions that take it (the list, by default)."""

    schema: dict = {"type": "string"}

    def __init__(
        self,
        name: str,
        description: str = "",
        *,
        lookup: str = "",
        apply=None,
        actions: tuple[str, ...] = ("list",),
        required: bool = False,
    ):
        self.name, self.description, self.lookup = name, description, lookup
        self._apply, self.actions, self.required = apply, actions, required

    def parse(self, raw: str) -> Any:
        return raw

    def filter(self, queryset, value):
        if self._apply is not None:
            return self._apply(queryset, value)
        if self.lookup:
            return queryset.filter(**{self.lookup: value})
        return queryset

    def invalid(self, message) -> ValidationFailed:
        return ValidationFailed(str(message), fields={self.name: [str(message)]})

    def openapi_parameter(self):
        from drf_spectacular.utils import OpenApiParameter

        return OpenApiParameter(
            self.name, self.schema, description=self.description, required=self.required
        )


class TextFilter(QueryFilter):
    max_length = 200

    def parse(self, raw: str) -> str:
        if len(raw) > self.max_length:
            raise self.invalid(_TOO_LONG % {"max": self.max_length})
        return raw


class IdFilter(QueryFilter):
    schema = ID_QUERY_SCHEMA

    def parse(self, raw: str) -> int:
        return query_id({self.name: raw}, self.name)


class BoolFilter(QueryFilter):
    schema = {"type": "boolean"}

    def parse(self, raw: str) -> bool:
        return query_bool({self.name: raw}, self.name)


class ChoiceFilter(QueryFilter):
    """One of ``choices`` (a ``TextChoices`` class, or values; a callable is asked when checking)."""

    def __init__(self, name: str, choices, description: str = "", **kwargs):
        super().__init__(name, description, **kwargs)
        self._choices = choices

    @property
    def choices(self) -> list[str]:
        choices = self._choices
        if isinstance(choices, type) and issubclass(choices, models.Choices):
            return [str(c) for c in choices.values]
        return [str(c) for c in (choices() if callable(choices) else choices)]

    @property
    def schema(self) -> dict:  # type: ignore[override]
        return {"type": "string", "enum": self.choices}

    def parse(self, raw: str) -> str:
        allowed = self.choices
        if raw not in allowed:
            raise self.invalid(_NOT_A_CHOICE % {"value": repr(raw), "allowed": ", ".join(allowed)})
        return raw


class DateTimeFilter(QueryFilter):
    """An instant: ISO 8601 with an offset (``Z`` or ``+07:00``); a local time without one is a 400."""

    schema = {"type": "string", "format": "date-time"}

    def parse(self, raw: str):
        from django.utils.dateparse import parse_datetime

        value = _SPACE_OFFSET.sub(r"\1+\2", raw.strip())
        try:
            at = parse_datetime(value)
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            raise self.invalid(_NOT_AN_INSTANT)
        return at


def since_filter(name: str, field: str, what: str) -> DateTimeFilter:
    """``<name>=<instant>``: rows whose ``field`` is at or after it (``what`` says what the field is)."""
    return DateTimeFilter(
        name, f"Only rows {what} at or after this instant.", lookup=f"{field}__gte"
    )


#: parameters the base view takes on every list it paginates (socialops/pagination.py)
PAGINATION_PARAMETERS = ("limit", "cursor")


# --- The base view -------------------------------------------------------------------------------------


class DescriptionOnlyMetadata(SimpleMetadata):
    """OPTIONS names the view, what it renders and parses; the body shapes are in /api/schema/.

    DRF's default also describes "actions" from ``serializer_class``, which our views use for the
    response shape only (inputs have their own serializers), and fails on a view without one.
    """

    def determine_actions(self, request, view):
        return None


class OrgScopedViewSet(viewsets.GenericViewSet):
    #: capability for reads (GET/HEAD/OPTIONS)
    read_capability: str = Capability.VIEW
    #: capability for writes; actions can override with ``action_capabilities``
    write_capability: str = Capability.MANAGE_ORGANIZATION
    action_capabilities: dict[str, str] = {}
    #: the tenant-owned model listed (for schema generation only)
    model = None
    #: the query parameters the view takes (see "Declared query filters" above); any other is a 400
    filters: tuple[QueryFilter, ...] = ()
    #: the list's order for the cursor (socialops/pagination.py); default newest first
    list_ordering: tuple[str, ...] | None = None
    #: actions that answer a page (take ``limit`` and ``cursor``)
    paginated_actions: tuple[str, ...] = ("list",)
    #: the checked values of the request's declared filters, by name
    query: dict[str, Any]
    parser_classes = [ObjectJSONParser]
    metadata_class = DescriptionOnlyMetadata

    @property
    def organization(self):
        return self.request._request.organization

    @property
    def membership(self):
        return self.request._request.membership

    def required_capability(self, request) -> str:
        if self.action in self.action_capabilities:
            return self.action_capabilities[self.action]
        return (
            self.read_capability
            if request.method in permissions.SAFE_METHODS
            else self.write_capability
        )

    _idempotency_record = None

    def dispatch(self, request, *args, **kwargs):
        # A keyed write runs in one transaction with its Idempotency-Key row (socialops/idempotency):
        # the work and the stored answer commit together, or neither does.
        if request.method in idempotency.METHODS and idempotency.HEADER in request.headers:
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def perform_content_negotiation(self, request, force=False):
        # DRF would read ?format= as a renderer's name (a 404 for any but json): here it is a parameter
        # like any other, and no view takes it. ``force`` is the error answer's own negotiation.
        name = self.settings.URL_FORMAT_OVERRIDE
        if not force and name and name in request.query_params:
            message = _("Unknown query parameter %(name)s. The API answers JSON only.") % {
                "name": name
            }
            raise ValidationFailed(message, fields={name: [message]}, code="unknown_parameter")
        return super().perform_content_negotiation(request, force)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # PostgreSQL cannot hold a NUL in a string: a filter with one would fail in the database (a 500)
        if any("\x00" in key + value for key, value in request.query_params.items()):
            raise ValidationFailed(str(_NUL_IN_QUERY), fields={})
        self.query = self.read_query(request.query_params)
        self._idempotency_record = idempotency.begin(request, self.organization)

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.Replay):
            record = exc.record
            response = Response(record.response_body, status=record.status_code)
            for header, value in record.response_headers.items():
                response[header] = value
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if (
            response.status_code == 201
            and self.action == "create"
            and isinstance(response.data, dict)
            and "id" in response.data
            and not response.has_header("Location")
        ):
            response["Location"] = request.build_absolute_uri(
                f"{request.path}{response.data['id']}/"
            )
        if self._idempotency_record is not None:
            idempotency.finish(self._idempotency_record, response)
            self._idempotency_record = None
        return response

    def action_filters(self, action: str | None = None) -> list[QueryFilter]:
        """The declared filters the action takes."""
        action = action or self.action
        return [f for f in self.filters if action in f.actions]

    def accepted_parameters(self, action: str | None = None) -> list[str]:
        names = [f.name for f in self.action_filters(action)]
        if self.pagination_class is not None and (action or self.action) in self.paginated_actions:
            names += PAGINATION_PARAMETERS
        return names

    def read_query(self, params) -> dict[str, Any]:
        """The declared filters' values; a 400 for a parameter the action does not take or a bad value."""
        if self.action is None:  # a method the view does not take: DRF answers 405
            return {}
        accepted = self.accepted_parameters()
        for name in params:
            if name not in accepted:
                message = (
                    _("Unknown query parameter %(name)s. This endpoint takes: %(accepted)s.")
                    % {"name": name, "accepted": ", ".join(accepted)}
                    if accepted
                    else _("Unknown query parameter %(name)s. This endpoint takes none.")
                    % {"name": name}
                )
                raise ValidationFailed(
                    message, fields={name: [str(message)]}, code="unknown_parameter"
                )
            if len(params.getlist(name)) > 1:
                raise ValidationFailed(str(_REPEATED), fields={name: [str(_REPEATED)]})
        return {f.name: f.parse(params[f.name]) for f in self.action_filters() if f.name in params}

    def scoped_queryset(self, organization):  # pragma: no cover - subclasses define it
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return self.model.objects.unscoped().none()
        qs = self.scoped_queryset(self.organization)
        query = getattr(self, "query", {})
        for f in self.action_filters():
            if f.name in query:
                qs = f.filter(qs, query[f.name])
        return qs
