"""Every state change of scheduled reports: schedules (create, change, enable, delete, send now),
the beat's claim of due schedules, and delivering a run (render, store, e-mail).

Who may manage schedules: ``manage_organization`` (owners and admins). A schedule sends the
organization's figures by e-mail, for good and on its own, to outside addresses too: the same
people who choose the domains it may send to (the organization's settings) decide. Seeing them
and their history needs ``view_analytics``.

Delivery is at least once per slot and never twice: the beat makes one ``ReportRun`` per
(schedule, slot) (a unique constraint; the claim skips rows another worker holds on PostgreSQL),
a worker claims the run with a conditional UPDATE, renders outside any transaction and puts the
e-mails in the notifications outbox in the same transaction that marks the run sent.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, can, require
from accounts.notifications import Attachment, NotificationKind, email_addresses, notify
from accounts.selectors import members_of, teams_of
from channels_registry.providers import REGISTRY
from channels_registry.selectors import channels_with_capability, provider_names
from socialops.audit.services import record_event
from socialops.errors import ValidationFailed

from .. import selectors as analytics_selectors
from . import render
from . import schedule as math
from .models import Frequency, RangePreset, ReportRun, ReportSchedule

log = logging.getLogger(__name__)

MANAGE = Capability.MANAGE_ORGANIZATION
MAX_RECIPIENTS = 50
#: tries of one run before it is failed for good
MAX_ATTEMPTS = 3
#: a run claimed longer ago than this (its worker died) is handed out again
LEASE = timedelta(minutes=15)
#: the wait before a failed attempt is tried again
RETRY_WAIT = timedelta(minutes=10)


# --- input ------------------------------------------------------------------------------------------


@dataclass
class ScheduleInput:
    """What a form or the API hands in (ids, not objects; checked by :func:`_checked`)."""

    name: str
    frequency: str = Frequency.WEEKLY
    weekday: int = 0
    day_of_month: int = 1
    send_time: time | None = None
    timezone: str = ""
    range_preset: str = RangePreset.PREVIOUS_PERIOD
    team_id: int | None = None
    network: str = ""
    channel_id: int | None = None
    member_ids: list[int] = field(default_factory=list)
    outside_recipients: list[str] = field(default_factory=list)
    enabled: bool = True


def split_addresses(text: str) -> list[str]:
    """Addresses typed one a line or separated by commas, spaces or semicolons."""
    return [a for a in re.split(r"[\s,;]+", text or "") if a]


def _checked(organization, by, data: ScheduleInput) -> dict:
    """The model's fields from ``data``, or a ``ValidationFailed`` with a message per field."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    name = (data.name or "").strip()
    if not name:
        fail("name", _("Give the report a name."))
    elif len(name) > 120:
        fail("name", _("At most 120 characters."))
    if data.frequency not in Frequency.values:
        fail("frequency", _("Choose daily, weekly or monthly."))
    if data.range_preset not in RangePreset.values:
        fail("range_preset", _("Choose one of the periods offered."))
    if data.frequency == Frequency.WEEKLY and not (0 <= int(data.weekday) <= 6):
        fail("weekday", _("Choose a day of the week."))
    if data.frequency == Frequency.MONTHLY and not (1 <= int(data.day_of_month) <= 31):
        fail("day_of_month", _("Choose a day from 1 to 31."))
    if data.send_time is None:
        fail("send_time", _("Give the time to send it, for example 08:00."))
    try:
        math.zone_of(data.timezone)
    except ValueError:
        fail("timezone", _("“%(zone)s” is not a time zone.") % {"zone": (data.timezone or "")[:64]})
    team = None
    if data.team_id is not None:
        team = teams_of(organization).filter(pk=data.team_id).first()
        if team is None:
            fail("team", _("No such team in this organization."))
    if data.network and data.network not in REGISTRY:
        fail("network", _("No such network."))
    channel = None
    if data.channel_id is not None:
        channel = (
            channels_with_capability(by, Capability.VIEW_ANALYTICS)
            .filter(pk=data.channel_id)
            .first()
        )
        if channel is None:
            fail("channel", _("No such channel, or not one whose analytics you may see."))
    member_ids = list(dict.fromkeys(int(i) for i in data.member_ids or ()))
    members = list(members_of(organization, include_inactive=False).filter(pk__in=member_ids))
    if len(members) != len(member_ids):
        fail("members", _("Choose active members of this organization."))
    outside = _checked_addresses(organization, data.outside_recipients, fail)
    if (
        not members
        and not outside
        and "members" not in errors
        and "outside_recipients" not in errors
    ):
        fail("members", _("Choose at least one member or address to send it to."))
    if len(members) + len(outside) > MAX_RECIPIENTS:
        fail(
            "outside_recipients",
            _("At most %(count)d recipients.") % {"count": MAX_RECIPIENTS},
        )
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, fields=errors)
    return {
        "name": name,
        "frequency": data.frequency,
        "weekday": int(data.weekday) if data.frequency == Frequency.WEEKLY else 0,
        "day_of_month": int(data.day_of_month) if data.frequency == Frequency.MONTHLY else 1,
        "send_time": data.send_time.replace(second=0, microsecond=0, tzinfo=None),
        "timezone": data.timezone,
        "range_preset": data.range_preset,
        "team": team,
        "network": data.network or "",
        "channel": channel,
        "outside_recipients": outside,
        "enabled": bool(data.enabled),
        "_members": members,
    }


def _checked_addresses(organization, addresses, fail) -> list[str]:
    allowed = set(organization.report_allowed_domains or [])
    out: list[str] = []
    for raw in addresses or ():
        address = (raw or "").strip().lower()
        if not address:
            continue
        try:
            validate_email(address)
        except DjangoValidationError:
            fail(
                "outside_recipients",
                _("“%(address)s” is not an e-mail address.") % {"address": raw.strip()[:254]},
            )
            continue
        domain = address.rsplit("@", 1)[1]
        if domain not in allowed:
            if allowed:
                message = _(
                    "“%(address)s” is not at a domain reports may be sent to (%(domains)s)."
                ) % {"address": address, "domains": ", ".join(sorted(allowed))}
            else:
                message = _(
                    "“%(address)s” is outside the organization: reports go to members only until "
                    "an admin allows its domain in the organization's settings."
                ) % {"address": address}
            fail("outside_recipients", message)
            continue
        if address not in out:
            out.append(address)
    return out


# --- schedules --------------------------------------------------------------------------------------


def _next_run(s: ReportSchedule, after: datetime) -> datetime:
    return math.next_run_after(
        after,
        frequency=s.frequency,
        send_time=s.send_time,
        zone_name=s.timezone,
        weekday=s.weekday,
        day_of_month=s.day_of_month,
    )


def _snapshot(s: ReportSchedule, member_ids: list[int]) -> dict:
    return {
        "name": s.name,
        "frequency": s.frequency,
        "weekday": s.weekday,
        "day_of_month": s.day_of_month,
        "send_time": s.send_time.strftime("%H:%M") if s.send_time else None,
        "timezone": s.timezone,
        "range_preset": s.range_preset,
        "team": s.team_id,
        "network": s.network,
        "channel": s.channel_id,
        "members": sorted(member_ids),
        "outside_recipients": list(s.outside_recipients),
        "enabled": s.enabled,
    }


@transaction.atomic
def create_schedule(by, data: ScheduleInput) -> ReportSchedule:
    organization = by.organization
    require(by, MANAGE)
    fields = _checked(organization, by, data)
    members = fields.pop("_members")
    now = timezone.now()
    s = ReportSchedule(organization=organization, created_by=by.user, run_as=by, **fields)
    s.next_run_at = _next_run(s, now) if s.enabled else None
    s.save()
    s.recipients.set(members)
    record_event(
        organization,
        "report_schedule.created",
        obj=s,
        changes=_snapshot(s, [m.pk for m in members]),
    )
    return s


def _diff(before: dict, after: dict) -> dict:
    return {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}


@transaction.atomic
def update_schedule(s: ReportSchedule, *, by, data: ScheduleInput) -> ReportSchedule:
    """Change a schedule; the member who saves it becomes the one whose view its figures are."""
    require(by, MANAGE, s)
    s = ReportSchedule.objects.for_org(s.organization_id).select_for_update().get(pk=s.pk)
    before = _snapshot(s, list(s.recipients.values_list("pk", flat=True)))
    fields = _checked(by.organization, by, data)
    members = fields.pop("_members")
    for name, value in fields.items():
        setattr(s, name, value)
    s.run_as = by
    s.updated_at = timezone.now()
    s.next_run_at = _next_run(s, s.updated_at) if s.enabled else None
    s.save()
    s.recipients.set(members)
    record_event(
        s.organization,
        "report_schedule.updated",
        obj=s,
        changes=_diff(before, _snapshot(s, [m.pk for m in members])),
    )
    return s


@transaction.atomic
def set_schedule_enabled(s: ReportSchedule, *, by, enabled: bool) -> ReportSchedule:
    require(by, MANAGE, s)
    s = ReportSchedule.objects.for_org(s.organization_id).select_for_update().get(pk=s.pk)
    if s.enabled == enabled:
        return s
    s.enabled = enabled
    s.updated_at = timezone.now()
    s.next_run_at = _next_run(s, s.updated_at) if enabled else None
    s.save(update_fields=["enabled", "updated_at", "next_run_at"])
    record_event(
        s.organization,
        "report_schedule.enabled" if enabled else "report_schedule.disabled",
        obj=s,
        changes={"enabled": [not enabled, enabled]},
    )
    return s


@transaction.atomic
def delete_schedule(s: ReportSchedule, *, by) -> None:
    """Delete a schedule, its history and its files (the files once the deletion commits; an
    e-mail of it still waiting in the outbox then fails and is given up)."""
    require(by, MANAGE, s)
    paths = [
        p
        for pdf, csv_ in ReportRun.objects.for_org(s.organization_id)
        .filter(schedule=s)
        .values_list("pdf_path", "csv_path")
        for p in (pdf, csv_)
        if p
    ]
    record_event(s.organization, "report_schedule.deleted", obj=s, changes={"name": s.name})
    s.delete()
    transaction.on_commit(lambda: _delete_files(paths))


def _delete_files(paths: list[str]) -> None:
    for path in paths:
        try:
            default_storage.delete(path)
        except Exception:  # noqa: BLE001 - a file already gone is no error
            log.warning("could not delete report file %s", path, exc_info=True)


def _enqueue(run_ids: list[int]) -> None:
    from . import tasks

    for run_id in run_ids:
        try:
            tasks.deliver_report_run.delay(run_id)
        except Exception:  # noqa: BLE001 - the beat's sweep picks pending runs up
            log.warning("could not enqueue report run %s; the sweep will", run_id, exc_info=True)


@transaction.atomic
def send_now(s: ReportSchedule, *, by) -> ReportRun:
    """One run now, for the period the schedule would send now (its slots are unchanged)."""
    require(by, MANAGE, s)
    now = timezone.now()
    period = math.period_for(
        now, frequency=s.frequency, preset=s.range_preset, zone_name=s.timezone
    )
    run = ReportRun.objects.create(
        organization_id=s.organization_id,
        schedule=s,
        scheduled_for=now,
        manual=True,
        period_start=period.since,
        period_end=period.until,
        requested_by=by.user,
    )
    record_event(
        s.organization,
        "report_schedule.sent_now",
        obj=s,
        changes={"run": run.pk, "period": [period.since.isoformat(), period.until.isoformat()]},
    )
    transaction.on_commit(lambda: _enqueue([run.pk]))
    return run


# --- the beat ---------------------------------------------------------------------------------------


def claim_due_schedules(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Every organization (a system sweep): make one run for each enabled schedule whose slot
    has come and move it to its next slot after ``now`` (a beat down for days sends the last
    slot once, not every slot it missed). Returns the new runs' ids.

    Two sweeps at once: on PostgreSQL each skips the schedules the other has locked; on SQLite a
    schedule is won with a conditional UPDATE of its slot. Either way the unique (schedule,
    slot) of ``ReportRun`` makes a second run for one slot impossible.
    """
    now = now or timezone.now()
    postgres = connection.vendor == "postgresql"
    created: list[int] = []
    with transaction.atomic():
        # Uses the partial index reportschedule_due (enabled schedules by next_run_at).
        qs = (
            ReportSchedule.objects.unscoped()
            .filter(enabled=True, next_run_at__lte=now)
            .order_by("next_run_at", "pk")
        )
        if postgres:
            qs = qs.select_for_update(skip_locked=True)
        for s in list(qs[:limit]):
            slot = s.next_run_at
            following = _next_run(s, max(now, slot))
            if not postgres:
                won = (
                    ReportSchedule.objects.unscoped()
                    .filter(pk=s.pk, next_run_at=slot)
                    .update(next_run_at=following)
                )
                if not won:
                    continue
            else:
                ReportSchedule.objects.unscoped().filter(pk=s.pk).update(next_run_at=following)
            period = math.period_for(
                slot, frequency=s.frequency, preset=s.range_preset, zone_name=s.timezone
            )
            try:
                with transaction.atomic():  # a savepoint: a lost race must not end the sweep
                    run = ReportRun.objects.create(
                        organization_id=s.organization_id,
                        schedule=s,
                        scheduled_for=slot,
                        period_start=period.since,
                        period_end=period.until,
                    )
            except IntegrityError:
                continue  # this slot's run exists already
            created.append(run.pk)
    return created


def open_run_ids(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Runs to hand out again: waiting ones (a task lost, a retry whose wait is over) and ones
    whose worker died (claimed longer than the lease ago)."""
    now = now or timezone.now()
    return list(
        ReportRun.objects.unscoped()
        .filter(
            Q(status=ReportRun.Status.PENDING)
            & (Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - RETRY_WAIT))
            | Q(status=ReportRun.Status.RUNNING, claimed_at__lte=now - LEASE)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


# --- delivering a run -------------------------------------------------------------------------------


def _claim_run(run_id: int, now: datetime) -> ReportRun | None:
    taken = (
        ReportRun.objects.unscoped()
        .filter(pk=run_id, attempts__lt=MAX_ATTEMPTS)
        .filter(
            Q(status=ReportRun.Status.PENDING)
            | Q(status=ReportRun.Status.RUNNING, claimed_at__lte=now - LEASE)
        )
        .update(status=ReportRun.Status.RUNNING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not taken:
        return None
    return (
        ReportRun.objects.unscoped()
        .select_related("schedule", "schedule__organization", "schedule__team")
        .get(pk=run_id)
    )


class ReportFailed(Exception):
    """A run that cannot be made as the schedule stands (said in the run's error)."""


def _viewer(s: ReportSchedule):
    member = s.run_as
    if member is not None:
        member = members_of(s.organization).filter(pk=member.pk).first()
    if member is None or not can(member, Capability.VIEW_ANALYTICS):
        raise ReportFailed(
            _(
                "The member who last saved this schedule can no longer see analytics: "
                "save it again to send it with your view of the figures."
            )
        )
    return member


def _filters_label(s: ReportSchedule, names: dict[str, str]) -> str:
    parts = []
    if s.team_id:
        parts.append(_("Team: %(name)s") % {"name": s.team.name})
    if s.network:
        parts.append(_("Network: %(name)s") % {"name": names.get(s.network, s.network)})
    if s.channel_id:
        channel = s.channel
        parts.append(_("Channel: %(name)s") % {"name": channel.name or channel.handle})
    return " · ".join(parts)


@dataclass
class Rendered:
    pdf: bytes
    csv: bytes


def render_run(run: ReportRun) -> Rendered:
    """The run's PDF and CSV, in the organization's language and zone (no writes)."""
    s = run.schedule
    organization = s.organization
    member = _viewer(s)
    rng = analytics_selectors.DateRange(run.period_start, run.period_end)
    language = organization.default_language or "en"
    with translation.override(language), timezone.override(math.zone_of(organization.timezone)):
        board = analytics_selectors.organization_dashboard(
            member, rng, team=s.team, network=s.network, channel_id=s.channel_id
        )
        pdf = render.pdf_bytes(
            schedule=s,
            organization=organization,
            board=board,
            filters=_filters_label(s, provider_names()),
            language=language,
        )
    return Rendered(pdf=pdf, csv=render.csv_bytes(board))


def _file_base(run: ReportRun) -> str:
    name = slugify(run.schedule.name)[:60] or "report"
    return f"{name}-{run.period_start.isoformat()}_{run.period_end.isoformat()}"


def _store(run: ReportRun, rendered: Rendered) -> tuple[str, str]:
    """Save both files under the organization's folder; a retry replaces the last attempt's."""
    _delete_files([p for p in (run.pdf_path, run.csv_path) if p])
    folder = f"reports/org-{run.organization_id}/schedule-{run.schedule_id}/run-{run.pk}"
    base = _file_base(run)
    pdf_path = default_storage.save(f"{folder}/{base}.pdf", ContentFile(rendered.pdf))
    csv_path = default_storage.save(f"{folder}/{base}.csv", ContentFile(rendered.csv))
    return pdf_path, csv_path


def deliver_run(run_id: int, *, now: datetime | None = None) -> ReportRun | None:
    """Make and send one run (a task's body; safe to call twice: the claim lets one through).

    Renders outside any transaction; the e-mails enter the outbox in the transaction that marks
    the run sent, so a run is sent iff its e-mails exist. A failure is tried again after
    ``RETRY_WAIT`` (the sweep) and failed for good after ``MAX_ATTEMPTS``."""
    now = now or timezone.now()
    run = _claim_run(run_id, now)
    if run is None:
        return None
    try:
        rendered = render_run(run)
        pdf_path, csv_path = _store(run, rendered)
        ReportRun.objects.unscoped().filter(pk=run.pk).update(
            pdf_path=pdf_path,
            pdf_size=len(rendered.pdf),
            csv_path=csv_path,
            csv_size=len(rendered.csv),
        )
        run.pdf_path, run.csv_path = pdf_path, csv_path
        with transaction.atomic():
            sent_to, skipped = _send(run)
            note = (
                _("Not sent to %(addresses)s: their domain is no longer allowed.")
                % {"addresses": ", ".join(skipped)}
                if skipped
                else ""
            )
            ReportRun.objects.unscoped().filter(pk=run.pk, status=ReportRun.Status.RUNNING).update(
                status=ReportRun.Status.SENT,
                sent_at=timezone.now(),
                sent_to=sent_to,
                error=note,
            )
            record_event(
                run.schedule.organization,
                "report_schedule.report_sent",
                obj=run.schedule,
                changes={
                    "run": run.pk,
                    "period": [run.period_start.isoformat(), run.period_end.isoformat()],
                    "recipients": len(sent_to),
                },
                actor=None,
            )
    except Exception as exc:  # noqa: BLE001 - recorded on the run, tried again by the sweep
        _fail(run, exc)
    return ReportRun.objects.unscoped().get(pk=run.pk)


def _fail(run: ReportRun, exc: Exception) -> None:
    if isinstance(exc, ReportFailed):
        error, final = str(exc), True
    else:
        log.warning("report run %s failed (attempt %d)", run.pk, run.attempts, exc_info=True)
        error, final = f"{type(exc).__name__}: {exc}"[:1000], run.attempts >= MAX_ATTEMPTS
    ReportRun.objects.unscoped().filter(pk=run.pk).update(
        status=ReportRun.Status.FAILED if final else ReportRun.Status.PENDING,
        error=error,
        claimed_at=timezone.now(),
    )


def _send(run: ReportRun) -> tuple[list[str], list[str]]:
    s = run.schedule
    organization = s.organization
    base = _file_base(run)
    files = [
        Attachment(run.pdf_path, f"{base}.pdf", "application/pdf"),
        Attachment(run.csv_path, f"{base}.csv", "text/csv"),
    ]
    context = {"report": s.name, "since": run.period_start, "until": run.period_end}
    url = reverse("analytics_report_detail", args=[organization.slug, s.pk])
    members = list(
        members_of(organization, include_inactive=False).filter(pk__in=s.recipients.values("pk"))
    )
    notify(
        organization,
        recipients=members,
        kind=NotificationKind.SCHEDULED_REPORT,
        template="scheduled_report",
        context=context,
        url=url,
        include_actor=True,
        email_required=True,
        attachments=files,
    )
    allowed = set(organization.report_allowed_domains or [])
    outside = [a for a in s.outside_recipients if a.rsplit("@", 1)[-1] in allowed]
    skipped = [a for a in s.outside_recipients if a not in outside]
    email_addresses(
        organization,
        addresses=outside,
        kind=NotificationKind.SCHEDULED_REPORT,
        template="scheduled_report",
        context=context,
        attachments=files,
    )
    sent_to = [m.user.email for m in members if m.user.email and m.user.is_active] + outside
    return sent_to, skipped
