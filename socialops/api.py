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
- a boolean query filter (:func:`query_bool`) is ``true``/``false`` (or ``1``/``0``), never ``null``;
- a time (:class:`InstantField`, read with :func:`resolve_instant`) is ISO 8601: with an offset or ``Z``
  it is that instant (a ``timezone`` beside it is only the zone it is shown in); without one it is
  wall-clock time in the ``timezone`` given beside it, and without either it is a 400 on the time;
  a time with no zone field beside it (:class:`OffsetDateTimeField`: a token's expiry) needs its offset.

Concurrency, once for every single-object route (:class:`OrgScopedViewSet`):

- a read of one object answers an ``ETag`` made from the row's version and ``updated_at``
  (:func:`row_etag`); a write to one object answers the new one; a read whose ``If-None-Match``
  names the current ETag (or ``*``) is a ``304 Not Modified`` without a body, with the ETag;
- a write to one object (PATCH, PUT, DELETE, and its actions: schedule, cancel, move, …) with
  ``If-Match`` locks the row (``select_for_update``) in the request's transaction and compares under
  that lock: another ETag is a 412 ``precondition_failed`` and nothing is written; ``*`` passes.
"""

from __future__ import annotations

import hashlib
import re
import zoneinfo
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from django.db import models, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, fields, permissions, serializers, viewsets
from rest_framework.metadata import SimpleMetadata
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from accounts.capabilities import Capability

from .errors import PreconditionFailed, ValidationFailed
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


# --- Times ---------------------------------------------------------------------------------------------

_NO_OFFSET = gettext_lazy(
    "Give the time with its offset (2026-12-01T09:00:00+07:00, or Z for UTC), or name its time zone "
    "in “%(zone)s”."
)
_BAD_ZONE = gettext_lazy("Choose a valid time zone (an IANA name such as Asia/Jakarta).")


@extend_schema_field(OpenApiTypes.DATETIME)
class InstantField(serializers.CharField):
    """An ISO 8601 date and time; the value is a datetime, aware when the text has an offset or ``Z``.

    A value without an offset means nothing on its own: :func:`resolve_instant` reads it in the zone
    given beside it, or refuses it."""

    default_error_messages = {
        "invalid": gettext_lazy(
            "Enter a valid date and time in ISO 8601, e.g. 2026-12-01T09:00:00+07:00."
        )
    }

    def to_internal_value(self, data) -> datetime:
        raw = super().to_internal_value(data).strip()
        try:
            # (a length bound as well: max_length's validator would run on the parsed value)
            value = parse_datetime(raw) if len(raw) <= 40 else None
        except ValueError:  # well formed but out of range: 2026-02-30T09:00
            value = None
        if value is None:
            self.fail("invalid")
        return value

    def to_representation(self, value):
        return value.isoformat() if isinstance(value, datetime) else value


_OFFSET_NEEDED = gettext_lazy(
    "Give the time with its offset (2026-12-01T09:00:00+07:00, or Z for UTC)."
)


class OffsetDateTimeField(serializers.DateTimeField):
    """A date and time with no zone beside it to read it in: it must carry its offset (or ``Z``).
    DRF would read a bare wall-clock time in the server's active zone, a guess the caller never sees."""

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                raise serializers.ValidationError(str(_OFFSET_NEEDED), code="invalid")
        return super().to_internal_value(value)


class TimeZoneField(serializers.CharField):
    """An IANA time zone name (``Asia/Jakarta``, ``UTC``); an unknown one is a 400 on the field."""

    default_error_messages = {"invalid_zone": _BAD_ZONE}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        name = super().to_internal_value(data).strip()
        if name:
            try:
                zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                self.fail("invalid_zone")
        return name


def resolve_instant(
    data: Mapping[str, Any], *, at: str = "at", zone: str = "timezone"
) -> datetime | None:
    """The UTC instant of ``data[at]`` (an :class:`InstantField` value), or None when it is absent.

    With an offset (or ``Z``) the value is that instant, whatever ``data[zone]`` says. Without one it is
    wall-clock time in ``data[zone]`` (a time in a DST gap lands the gap's length later, an ambiguous
    one is its first occurrence, as the scheduler reads it); without a zone either, it is a 400 on ``at``
    rather than a guess."""
    value = data.get(at)
    if not value:  # absent, null or "" (where the field allows it): no time
        return None
    if timezone.is_naive(value):
        name = data.get(zone) or ""
        if not name:
            message = str(_NO_OFFSET) % {"zone": zone}
            raise ValidationFailed(message, fields={at: [message]})
        try:
            value = value.replace(tzinfo=zoneinfo.ZoneInfo(name), fold=0)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationFailed(str(_BAD_ZONE), fields={zone: [str(_BAD_ZONE)]}) from None
    return value.astimezone(UTC)


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


# --- ETags and If-Match ---------------------------------------------------------------------------------

#: the columns a row's ETag is made of, those its model has: its content version (a variant's follows
#: its post's, whose text it may show) and its last change
ETAG_FIELDS = ("version", "content_version", "updated_at")


def etag_fields(model) -> list[str]:
    names = {f.name for f in model._meta.concrete_fields}
    return [name for name in ETAG_FIELDS if name in names]


def row_etag(model, pk, values) -> str:
    """A quoted, opaque ETag of one row: its model, id and :data:`ETAG_FIELDS` values."""
    raw = ":".join(
        [model._meta.label_lower, str(pk)]
        + [v.isoformat() if isinstance(v, datetime) else str(v) for v in values]
    )
    return '"' + hashlib.blake2b(raw.encode(), digest_size=12).hexdigest() + '"'


class _NotModified(Exception):
    """A retrieve whose ``If-None-Match`` names the object's current ETag: a 304 without a body."""

    def __init__(self, etag: str):
        super().__init__(etag)
        self.etag = etag


def _if_match_tags(header: str) -> list[str]:
    """The entity tags of an If-Match header (``W/`` dropped: our tags name a row's state, not bytes)."""
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


_STALE = gettext_lazy(
    "The object has changed since you read it (its ETag is now %(etag)s): read it again, then retry "
    "with the new ETag."
)
_NO_ETAG = gettext_lazy("This object has no ETag; only If-Match: * applies to it.")
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
        try:
            # in UTC: PostgreSQL refuses offsets past ±15:59 that ISO 8601 (and Python) allow
            return at.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:00:00-05:00 is past the last representable instant
            raise self.invalid(_NOT_AN_INSTANT) from None


class DateFilter(QueryFilter):
    """A day, ISO 8601 (``2026-12-01``)."""

    schema = {"type": "string", "format": "date"}

    def parse(self, raw: str) -> date:
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            raise self.invalid(_("Give a date as YYYY-MM-DD.")) from None


class OneObjectSchema(AutoSchema):
    """For a viewset whose ``list`` answers one object (a report, a range's figures), not a page."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


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
    #: foreign keys whose rows an If-Match write locks before the object's own, outermost first: the
    #: order the services lock them in (a variant's post, then the variant), so two writers never
    #: wait on each other's rows (a deadlock)
    lock_first: tuple[str, ...] = ()
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

    _etag_model = None
    _etag_pk = None
    _etag_read = None

    def dispatch(self, request, *args, **kwargs):
        # A keyed write runs in one transaction with its Idempotency-Key row (socialops/idempotency):
        # the work and the stored answer commit together, or neither does. A write with If-Match runs
        # in one transaction too: the row lock taken to compare the ETag holds until the write commits.
        keyed = request.method in idempotency.METHODS and idempotency.HEADER in request.headers
        if keyed or self._if_match_header(request) is not None:
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def _if_match_header(request) -> str | None:
        if request.method in permissions.SAFE_METHODS:
            return None
        return request.headers.get("If-Match")

    def get_object(self):
        obj = super().get_object()
        header = self._if_match_header(self.request)
        if header is not None:
            self._check_if_match(obj, header)
            obj = super().get_object()  # read again under the lock: what the write starts from
        if self.request.method not in permissions.SAFE_METHODS:
            self._etag_model, self._etag_pk = type(obj), obj.pk
        elif self.action == "retrieve":  # (a GET action of the object answers something else)
            names = etag_fields(type(obj))
            if names:  # a read answers the state it read
                self._etag_model, self._etag_pk = type(obj), obj.pk
                self._etag_read = row_etag(type(obj), obj.pk, [getattr(obj, n) for n in names])
                unchanged = self.request.headers.get("If-None-Match")
                if unchanged is not None:
                    tags = _if_match_tags(unchanged)  # weak comparison, as RFC 9110 asks here
                    if "*" in tags or self._etag_read in tags:
                        raise _NotModified(self._etag_read)
        return obj

    def _locked_etag(self, obj) -> str | None:
        """The row's current ETag, read with ``SELECT … FOR UPDATE`` (held until the transaction ends).

        The compare must happen under this lock, in the write's transaction: compared before it, two
        writers holding one ETag would both pass and the second would overwrite the first."""
        model = type(obj)
        for name in self.lock_first:
            field = model._meta.get_field(name)
            list(
                self._rows(field.related_model)
                .select_for_update()
                .filter(pk=getattr(obj, field.attname))
                .values_list("pk", flat=True)
            )
        names = etag_fields(model)
        rows = self._rows(model).select_for_update().filter(pk=obj.pk)
        values = rows.values_list(*(names or ["pk"])).first()
        if values is None:
            raise exceptions.NotFound()  # deleted since it was read
        return row_etag(model, obj.pk, values) if names else None

    def _rows(self, model):
        manager = model._default_manager
        return manager.for_org(self.organization) if hasattr(manager, "for_org") else manager.all()

    def _check_if_match(self, obj, header: str) -> None:
        tags = _if_match_tags(header)
        current = self._locked_etag(obj)
        if "*" in tags:
            return
        if current is None:
            raise PreconditionFailed(str(_NO_ETAG))
        if current not in tags:
            raise PreconditionFailed(str(_STALE) % {"etag": current})

    def _current_etag(self, model, pk) -> str | None:
        names = etag_fields(model) if model is not None else []
        if not names:
            return None
        values = self._rows(model).filter(pk=pk).values_list(*names).first()
        return row_etag(model, pk, values) if values is not None else None

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
        if isinstance(exc, _NotModified):  # nothing changed since the client's copy: no body
            response = Response(status=304)
            response["ETag"] = exc.etag
            return response
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
        # The ETag of the one object read or written, as it is now (a write changed it).
        model, pk = self._etag_model, self._etag_pk
        if pk is None and response.status_code == 201 and self.action == "create":
            model = self.model
            pk = response.data.get("id") if isinstance(response.data, dict) else None
        if (
            pk is not None
            and 200 <= response.status_code < 300
            and response.status_code != 204
            and not response.has_header("ETag")
        ):
            if request.method in permissions.SAFE_METHODS and self._etag_read is not None:
                etag = self._etag_read
            else:
                etag = self._current_etag(model, pk)
            if etag is not None:
                response["ETag"] = etag
        self._etag_model = self._etag_pk = self._etag_read = None
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
