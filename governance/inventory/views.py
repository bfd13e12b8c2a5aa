from __future__ import annotations

import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.capabilities import Capability, require_page
from channels_registry import selectors as channel_selectors
from socialops.errors import ApplicationError

from . import selectors, services
from .forms import InventoryFilterForm, RetireForm


def _filters(request) -> tuple[InventoryFilterForm, selectors.InventoryFilters]:
    form = InventoryFilterForm(request.GET or None, organization=request.organization)
    filters = selectors.InventoryFilters()
    if form.is_valid():
        d = form.cleaned_data
        filters = selectors.InventoryFilters(
            provider=d.get("network") or "", team=d.get("team"), flag=d.get("flag") or ""
        )
    return form, filters


def inventory(request, org_slug):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    form, filters = _filters(request)
    rows = selectors.channel_inventory(request.organization, filters)
    names = channel_selectors.provider_names()
    for row in rows:
        row.network_name = names.get(row.channel.provider, row.channel.provider)
    query = urlencode({k: v for k, v in request.GET.items() if k in form.fields and v})
    counts = {flag: sum(1 for r in rows if flag in r.flags) for flag in selectors.Flag.values}
    return render(
        request,
        "governance/inventory.html",
        {"form": form, "rows": rows, "query": query, "counts": counts},
    )


_CSV_COLUMNS = [
    "id",
    "network",
    "handle",
    "name",
    "team",
    "status",
    "last_published_at",
    "posts_90_days",
    "followers",
    "followers_change_30_days",
    "engagement_rate",
    "flags",
    "likely_duplicates_of",
]


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # handles and names come from the networks: keep spreadsheets from running them as formulas
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


def inventory_export(request, org_slug):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    _form, filters = _filters(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="channel-inventory-{request.organization.slug}-{stamp}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(_CSV_COLUMNS)
    not_measured = "not yet measured"
    for row in selectors.channel_inventory(request.organization, filters):
        c, reach = row.channel, row.reach
        writer.writerow(
            [
                _cell(v)
                for v in (
                    c.pk,
                    c.provider,
                    c.handle,
                    c.name,
                    c.team.name if c.team else "",
                    c.status,
                    row.last_published_at.isoformat() if row.last_published_at else "",
                    row.posts_90_days,
                    reach.followers if reach else not_measured,
                    reach.followers_change if reach else not_measured,
                    f"{reach.engagement_rate:.4f}" if reach else not_measured,
                    " ".join(sorted(row.flags)),
                    " ".join(str(d.pk) for d in row.duplicates_of),
                )
            ]
        )
    return response


@require_http_methods(["GET", "POST"])
def retire(request, org_slug, channel_id):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    channel = channel_selectors.get_channel_for_member(
        request.membership, channel_id, need=Capability.MANAGE_CHANNELS
    )
    targets = selectors.retire_targets(channel)
    waiting = list(selectors.scheduled_posts(channel)[:50])
    form = RetireForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            result = services.retire_channel(
                channel, by=request.membership, disposal=d["disposal"], move_to=d["move_to"]
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(
                request,
                _(
                    "%(channel)s is retired: %(moved)d scheduled posts moved, %(draft)d back to draft."
                )
                % {
                    "channel": channel.handle or channel.name,
                    "moved": len(result.moved) + len(result.already_there),
                    "draft": len(result.unscheduled),
                },
            )
            return redirect("governance_inventory", org_slug=request.organization.slug)
    return render(
        request,
        "governance/retire.html",
        {"channel": channel, "form": form, "waiting": waiting, "has_targets": targets.exists()},
    )
