"""The audit log page, its CSV export and the retention setting: thin — parse, check access, read
through the kernel's selectors (or call one service), render."""

from __future__ import annotations

import csv
import json
import re

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import selectors as account_selectors
from accounts.capabilities import Capability, require_page
from channels_registry import selectors as channel_selectors
from socialops.audit import selectors as audit_selectors
from socialops.audit.services import verify_chain
from socialops.dates import local_datetime

from . import services
from .forms import AuditFilterForm, RetentionForm

PAGE_SIZE = 50
_SEQ = re.compile(r"[0-9]{1,18}")


def _filter_form(request) -> AuditFilterForm:
    organization = request.organization
    form = AuditFilterForm(
        request.GET or None,
        members=account_selectors.members_of(organization).order_by("user__email"),
        channels=channel_selectors.visible_channels(request.membership),
        object_types=audit_selectors.object_types(organization),
    )
    form.is_valid()
    return form


def _change_lines(changes) -> list[tuple[str, str]]:
    """What changed, for the page: ``[old, new]`` pairs as "old → new", everything else as JSON."""
    lines = []
    for key, value in (changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            old, new = (json.dumps(v, ensure_ascii=False) for v in value)
            lines.append((key, f"{old} → {new}"))
        else:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            lines.append((key, text))
    return lines


def _seq_param(request, name) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if _SEQ.fullmatch(raw) else None


def audit_log(request, org_slug):
    """The log, newest first, filtered and searched; pages of 50 by position (``before``/``after``
    an entry's number), so new entries never shift the page being read."""
    require_page(request, Capability.MANAGE_GOVERNANCE)
    form = _filter_form(request)
    events = audit_selectors.filter_events(request.organization, form.filters())
    before, after = _seq_param(request, "before"), _seq_param(request, "after")
    if after is not None:
        rows = list(events.filter(seq__gt=after).order_by("seq")[: PAGE_SIZE + 1])
        has_newer, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE][::-1]
        has_older = bool(rows) and events.filter(seq__lt=rows[-1].seq).exists()
    else:
        if before is not None:
            events = events.filter(seq__lt=before)
        rows = list(events[: PAGE_SIZE + 1])
        has_older, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
        has_newer = before is not None and bool(rows)
    for event in rows:
        event.change_lines = _change_lines(event.changes)
    kept = {k: v for k, v in request.GET.items() if k not in ("before", "after", "verify") and v}
    report = verify_chain(request.organization) if request.GET.get("verify") else None
    context = {
        "form": form,
        "events": rows,
        "report": report,
        "query": urlencode(kept),
        "older": rows[-1].seq if has_older and rows else None,
        "newer": rows[0].seq if has_newer and rows else None,
        "retention_years": audit_selectors.retention_of(request.organization),
        "checkpoint_seq": audit_selectors.checkpoint_of(request.organization)[0],
    }
    if request.headers.get("HX-Request") and not report:
        return render(request, "governance/audit_log/_entries.html", context)
    return render(request, "governance/audit_log.html", context)


_CSV_COLUMNS = [
    "seq",
    "time_utc",
    "time_local",
    "actor",
    "ip_address",
    "origin",
    "action",
    "object_type",
    "object_id",
    "object",
    "changes",
]


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # Names and texts come from people and networks: keep spreadsheets from running them as formulas.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def _csv_rows(events, zone):
    writer = csv.writer(_Echo())
    yield writer.writerow(_CSV_COLUMNS)
    for e in events.iterator(chunk_size=1000):
        yield writer.writerow(
            [
                _cell(v)
                for v in (
                    e.seq,
                    e.created_at.isoformat(),
                    local_datetime(e.created_at, zone),
                    e.actor_label,
                    e.ip_address,
                    e.via,
                    e.action,
                    e.object_type,
                    e.object_id,
                    e.object_repr,
                    json.dumps(e.changes, ensure_ascii=False, sort_keys=True),
                )
            ]
        )


def audit_log_export(request, org_slug):
    """The filtered log as CSV, streamed (oldest first), up to the newest entry when asked; the
    export itself is recorded."""
    require_page(request, Capability.MANAGE_GOVERNANCE)
    form = _filter_form(request)
    filters = form.filters()
    events = audit_selectors.filter_events(request.organization, filters)
    newest = events.values_list("seq", flat=True).first() or 0
    services.record_audit_export(request.membership, filters=filters, through_seq=newest)
    rows = events.filter(seq__lte=newest).order_by("seq")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        _csv_rows(rows, timezone.get_current_timezone()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="audit-log-{request.organization.slug}-{stamp}.csv"'
    )
    return response


@require_http_methods(["GET", "POST"])
def audit_retention(request, org_slug):
    """How long the organization keeps its audit entries."""
    require_page(request, Capability.MANAGE_GOVERNANCE)
    current = audit_selectors.retention_of(request.organization)
    form = RetentionForm(request.POST or None, initial={"years": current})
    if request.method == "POST" and form.is_valid():
        services.set_audit_retention(request.membership, years=form.cleaned_data["years"])
        messages.success(request, _("The audit log retention is saved."))
        return redirect("audit_retention", org_slug=org_slug)
    return render(
        request,
        "governance/audit_log/retention.html",
        {
            "form": form,
            "years": current,
            "checkpoint_seq": audit_selectors.checkpoint_of(request.organization)[0],
        },
        status=400 if request.method == "POST" else 200,
    )
