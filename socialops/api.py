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

from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
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
    # Refuses a JSON value of the wrong type before DRF coerces it (form data, all strings, is left
    # alone). A comment, not a docstring: drf-spectacular would describe every input shape with it.

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


# The two bases say what they are in comments, not docstrings: drf-spectacular would give their
# docstring to every subclass without one as the schema component's description.


class InputSerializer(StrictJSONTypes, serializers.Serializer):
    # Base of every API input shape.
    pass


class InputModelSerializer(StrictJSONTypes, serializers.ModelSerializer):
    # Base of every API shape that is read and written as one model's fields.
    pass


@extend_schema_field(OpenApiTypes.DATETIME)
class DateTimeText(serializers.CharField):
    """A date and time in ISO 8601, kept as text for the view to read: with an offset (or ``Z``)
    it is that instant; without one it is wall-clock time in a zone the view decides. The schema
    calls it a ``date-time``, so a generated client takes a ``datetime``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)


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

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # PostgreSQL cannot hold a NUL in a string: a filter with one would fail in the database (a 500)
        if any("\x00" in key + value for key, value in request.query_params.items()):
            raise ValidationFailed(str(_NUL_IN_QUERY), fields={})
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

    def scoped_queryset(self, organization):  # pragma: no cover - subclasses define it
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return self.model.objects.unscoped().none()
        return self.scoped_queryset(self.organization)
