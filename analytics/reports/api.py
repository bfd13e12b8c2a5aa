"""The scheduled reports API (the same services and rules as the pages):

- ``/api/v1/analytics/report-schedules/``: list, create; ``{id}/``: read, change, delete;
  ``{id}/send-now/``: one report now.
- ``/api/v1/analytics/report-runs/?schedule=``: the reports sent, with their files' links;
  ``{id}/pdf/`` and ``{id}/csv/``: the files.

Reading needs ``view_analytics``; changing ``manage_organization`` (owners and admins: a schedule
sends the organization's figures out by e-mail, see services).
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.capabilities import Capability
from socialops.api import IdFilter, OrgScopedViewSet

from . import selectors, services
from .models import ReportRun, ReportSchedule
from .serializers import ReportRunOut, ReportScheduleIn, ReportScheduleOut, ReportSchedulePatchIn


def _input(d: dict, current: ReportSchedule | None = None) -> services.ScheduleInput:
    def pick(name, fallback):
        return d[name] if name in d else fallback

    c = current
    return services.ScheduleInput(
        name=pick("name", c.name if c else ""),
        frequency=pick("frequency", c.frequency if c else ""),
        weekday=pick("weekday", c.weekday if c else 0),
        day_of_month=pick("day_of_month", c.day_of_month if c else 1),
        send_time=pick("send_time", c.send_time if c else None),
        timezone=pick("timezone", c.timezone if c else ""),
        range_preset=pick("range_preset", c.range_preset if c else ""),
        team_id=pick("team", c.team_id if c else None),
        network=pick("network", c.network if c else ""),
        channel_id=pick("channel", c.channel_id if c else None),
        member_ids=pick("members", [m.pk for m in c.recipients.all()] if c else []),
        outside_recipients=pick("outside_recipients", list(c.outside_recipients) if c else []),
        enabled=pick("enabled", c.enabled if c else True),
    )


@extend_schema_view(
    list=extend_schema(
        summary="List report schedules",
        description="The organization's scheduled reports, by name, with when each is next sent.",
    ),
    retrieve=extend_schema(summary="Get a report schedule", description="One report schedule."),
    create=extend_schema(
        summary="Schedule a report",
        description="The organization dashboard (narrowed to a `team`, `network` or `channel`) "
        "as a PDF and a CSV, sent daily, weekly or monthly at `send_time` in `timezone` to "
        "`members` and `outside_recipients` (at the organization's allowed domains only). Its "
        "figures are those the token's member may see. A recipient that is not an e-mail "
        "address or is outside the allowed domains, no recipient, or a bad time or zone is a "
        "400 naming the field. Owners and admins only.",
    ),
    partial_update=extend_schema(
        summary="Change a report schedule",
        description="Changes the fields given (the same rules as creating one); the next "
        "report's time is computed again and its figures become the token's member's view.",
    ),
    destroy=extend_schema(
        summary="Delete a report schedule",
        description="Deletes it with every report it sent and their files.",
    ),
)
@extend_schema(tags=["analytics"])
class ReportScheduleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Scheduled reports: when, what and to whom."""

    model = ReportSchedule
    serializer_class = ReportScheduleOut
    read_capability = Capability.VIEW_ANALYTICS
    write_capability = services.MANAGE
    list_ordering = ("name", "id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self, organization):
        return selectors.schedules_of(organization)

    @extend_schema(request=ReportScheduleIn, responses={201: ReportScheduleOut})
    def create(self, request):
        payload = ReportScheduleIn(data=request.data)
        payload.is_valid(raise_exception=True)
        s = services.create_schedule(self.membership, _input(payload.validated_data))
        s = selectors.get_schedule(self.organization, s.pk)
        return Response(ReportScheduleOut(s).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReportSchedulePatchIn, responses=ReportScheduleOut)
    def partial_update(self, request, pk=None):
        s = self.get_object()
        payload = ReportSchedulePatchIn(data=request.data)
        payload.is_valid(raise_exception=True)
        s = services.update_schedule(s, by=self.membership, data=_input(payload.validated_data, s))
        return Response(ReportScheduleOut(selectors.get_schedule(self.organization, s.pk)).data)

    def destroy(self, request, pk=None):
        services.delete_schedule(self.get_object(), by=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Send a report now",
        description="Makes one report now, for the period the schedule would cover now, and "
        "sends it to its recipients; its slots are unchanged. The report appears in "
        "`/analytics/report-runs/` (pending until it is sent).",
        request=None,
        responses={202: ReportRunOut},
    )
    @action(detail=True, methods=["post"], url_path="send-now")
    def send_now(self, request, pk=None):
        run = services.send_now(self.get_object(), by=self.membership)
        return Response(
            ReportRunOut(run, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )


_FILE_SCHEMA = {
    # octet-stream, not application/pdf: generated clients (openapi-python-client) read it as a file
    "pdf": {
        (200, "application/octet-stream"): OpenApiResponse(
            OpenApiTypes.BINARY, description="The PDF's bytes (a .pdf file name)."
        )
    },
    "csv": {(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV.")},
}


@extend_schema_view(
    list=extend_schema(
        summary="List reports sent",
        description="The organization's reports, newest first (`schedule`: one schedule's), each "
        "with its period, status and its PDF's and CSV's download links.",
    ),
    retrieve=extend_schema(summary="Get a report", description="One report and its files' links."),
)
@extend_schema(tags=["analytics"])
class ReportRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Reports made by the schedules, and their files."""

    model = ReportRun
    serializer_class = ReportRunOut
    read_capability = Capability.VIEW_ANALYTICS
    list_ordering = ("-scheduled_for", "-id")
    filters = (IdFilter("schedule", "Only this schedule's reports.", lookup="schedule_id"),)

    def scoped_queryset(self, organization):
        return ReportRun.objects.for_org(organization)

    def _file(self, path: str, content_type: str):
        if not path or not default_storage.exists(path):
            raise NotFound()
        return FileResponse(
            default_storage.open(path, "rb"),
            as_attachment=True,
            filename=path.rsplit("/", 1)[-1],
            content_type=content_type,
        )

    @extend_schema(
        summary="Download a report's PDF",
        description="The PDF as it was sent; 404 while there is none.",
        responses=_FILE_SCHEMA["pdf"],
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        return self._file(self.get_object().pdf_path, "application/octet-stream")

    @extend_schema(
        summary="Download a report's CSV",
        description="The CSV of the figures as it was sent; 404 while there is none.",
        responses=_FILE_SCHEMA["csv"],
    )
    @action(detail=True, methods=["get"])
    def csv(self, request, pk=None):
        return self._file(self.get_object().csv_path, "text/csv; charset=utf-8")
