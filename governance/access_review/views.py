"""Access pages: the matrix (and its CSV), campaigns (start, follow, close, evidence CSV) and a
reviewer's own list (keep or remove, ticked in bulk)."""

from __future__ import annotations

import csv
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.capabilities import Capability, require_page
from socialops.errors import ApplicationError

from . import selectors, services
from .forms import MatrixFilterForm, StartReviewForm
from .models import ReviewItem

#: the start form's due date: this many days from today
DEFAULT_DAYS = 14
#: items a campaign's page shows at once
ITEMS_PAGE = 100
#: people the matrix CSV computes at once (their rows for 300 channels stay in memory meanwhile)
CSV_CHUNK = 200


def _safe(value) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value):
        return value


def _csv_response(rows, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow([_safe(v) for v in row]) for row in rows),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _matrix_filters(request) -> tuple[MatrixFilterForm, selectors.MatrixFilters]:
    form = MatrixFilterForm(request.GET or None, organization=request.organization)
    filters = selectors.MatrixFilters()
    if form.is_valid():
        d = form.cleaned_data
        filters = selectors.MatrixFilters(
            team=d.get("team"), network=d.get("network") or "", role=d.get("role") or ""
        )
    return form, filters


def _networks(filters) -> tuple[str, ...]:
    return (filters.network,) if filters.network else ()


@require_GET
def access_matrix(request, org_slug):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    org = request.organization
    form, filters = _matrix_filters(request)
    page = Paginator(selectors.matrix_people(org, filters), selectors.MATRIX_PAGE).get_page(
        request.GET.get("page")
    )
    channels = list(selectors.live_channels(org, networks=_networks(filters)))
    rows = selectors.access_of(org, list(page.object_list), channels)
    query = urlencode({k: v for k, v in request.GET.items() if k in form.fields and v})
    return render(
        request,
        "governance/access/matrix.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query,
            "channel_count": len(channels),
        },
    )


@require_GET
def access_matrix_export(request, org_slug):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    org = request.organization
    form, filters = _matrix_filters(request)
    people = list(selectors.matrix_people(org, filters))
    channels = list(selectors.live_channels(org, networks=_networks(filters)))
    services.record_access_export(
        request.membership,
        what="matrix",
        filters={k: v for k, v in request.GET.items() if k in form.fields and v},
    )

    def rows():
        yield [
            "person",
            "email",
            "role",
            "teams",
            "channel_id",
            "channel",
            "handle",
            "network",
            "capability",
            "source",
        ]
        # CSV_CHUNK people at a time: two queries a chunk, and their rows leave before the next
        for start in range(0, len(people), CSV_CHUNK):
            for access in selectors.access_of(org, people[start : start + CSV_CHUNK], channels):
                user = access.membership.user
                teams = " ".join(sorted(t.name for t in access.membership.teams.all()))
                for entry in access.channels:
                    c = entry.channel
                    for capability, source in entry.capabilities:
                        yield [
                            user.full_name,
                            user.email,
                            access.membership.role,
                            teams,
                            c.pk,
                            c.name,
                            c.handle,
                            c.provider,
                            capability,
                            source,
                        ]

    stamp = timezone.now().strftime("%Y%m%d")
    return _csv_response(rows(), f"access-{org.slug}-{stamp}.csv")


# --- Campaigns (governance) -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def access_reviews(request, org_slug):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    org = request.organization
    form = StartReviewForm(
        request.POST or None,
        organization=org,
        initial={"due_on": selectors.today_in(org) + timedelta(days=DEFAULT_DAYS)},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                campaign = services.start_review(
                    org,
                    by=request.membership,
                    name=d["name"],
                    team=d["team"],
                    networks=d["networks"],
                    due_on=d["due_on"],
                )
            except ApplicationError as exc:
                form.apply_error(exc)
                status = exc.http_status
            else:
                count = ReviewItem.objects.for_org(org).filter(campaign=campaign).count()
                messages.success(
                    request,
                    ngettext(
                        "The review started: %(count)d access to review.",
                        "The review started: %(count)d accesses to review.",
                        count,
                    )
                    % {"count": count},
                )
                return redirect("access_review_detail", org_slug=org.slug, campaign_id=campaign.pk)
    return render(
        request,
        "governance/access/reviews.html",
        {"form": form, "campaigns": selectors.campaigns_of(org)[:100]},
        status=status,
    )


@require_GET
def access_review_detail(request, org_slug, campaign_id):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    campaign = selectors.get_campaign(request.organization, campaign_id)
    page = Paginator(selectors.items_of(campaign), ITEMS_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "governance/access/review_detail.html",
        {
            "campaign": campaign,
            "page": page,
            "progress": selectors.reviewer_progress(campaign),
        },
    )


@require_POST
def access_review_close(request, org_slug, campaign_id):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    campaign = selectors.get_campaign(request.organization, campaign_id)
    try:
        services.close_review(campaign, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The review is closed; its result is kept as evidence."))
    return redirect(
        "access_review_detail", org_slug=request.organization.slug, campaign_id=campaign.pk
    )


@require_GET
def access_review_export(request, org_slug, campaign_id):
    require_page(request, Capability.MANAGE_GOVERNANCE)
    campaign = selectors.get_campaign(request.organization, campaign_id)
    evidence = selectors.evidence_of(campaign)
    services.record_access_export(
        request.membership, what="review", filters={"campaign": campaign.pk}
    )
    columns = [
        "item",
        "person",
        "channel",
        "handle",
        "network",
        "capabilities",
        "reviewer",
        "decision",
        "decided_by",
        "decided_at",
        "note",
        "revoked",
        "team_capabilities",
        "via_teams",
        "left_teams",
    ]
    lists = ("capabilities", "revoked", "team_capabilities", "via_teams", "left_teams")

    def _cell(row: dict, column: str) -> str:
        """A list in one cell: keys by spaces, team names (which may hold spaces) by "; "."""
        sep = "; " if column in ("via_teams", "left_teams") else " "
        return sep.join(row.get(column) or [])

    def rows():
        yield [
            "campaign",
            "status",
            "due_on",
            "started_by",
            "closed_at",
            *columns,
        ]
        head = [
            campaign.name,
            campaign.status,
            campaign.due_on.isoformat(),
            campaign.started_by_label,
            campaign.closed_at.isoformat() if campaign.closed_at else "",
        ]
        for row in evidence:
            yield [
                *head,
                *(_cell(row, c) if c in lists else row.get(c) for c in columns),
            ]

    return _csv_response(rows(), f"access-review-{campaign.pk}-{campaign.created_at:%Y%m%d}.csv")


# --- A reviewer's list -------------------------------------------------------------------------


@require_GET
def my_access_reviews(request, org_slug):
    """The campaigns I review items of, with how many still wait for me."""
    membership = request.membership
    campaigns = (
        selectors.campaigns_of(request.organization)
        .filter(items__reviewer=membership)
        .annotate(
            mine=Count("items", filter=Q(items__reviewer=membership), distinct=True),
            mine_pending=Count(
                "items",
                filter=Q(items__reviewer=membership, items__decision=ReviewItem.Decision.PENDING),
                distinct=True,
            ),
        )
        .distinct()
    )
    return render(request, "governance/access/my_reviews.html", {"campaigns": campaigns})


@require_http_methods(["GET", "POST"])
def access_review_mine(request, org_slug, campaign_id):
    membership = request.membership
    campaign = selectors.get_campaign_for_member(membership, campaign_id)
    items = selectors.items_of(campaign).filter(reviewer=membership)
    error = ""
    status = 200
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        try:
            decided = services.decide_items(
                campaign,
                by=membership,
                item_ids=request.POST.getlist("items"),
                decision=decision,
                note=request.POST.get("note", ""),
            )
        except ApplicationError as exc:
            error, status = exc.message, exc.http_status
        else:
            if decision == ReviewItem.Decision.REMOVE:
                text = ngettext(
                    "%(count)d access removed.", "%(count)d accesses removed.", len(decided)
                )
            else:
                text = ngettext("%(count)d access kept.", "%(count)d accesses kept.", len(decided))
            messages.success(request, text % {"count": len(decided)})
            return redirect(
                "access_review_mine", org_slug=request.organization.slug, campaign_id=campaign.pk
            )
    rows = list(items)
    return render(
        request,
        "governance/access/review_mine.html",
        {
            "campaign": campaign,
            "items": rows,
            "pending": sum(1 for i in rows if i.decision == ReviewItem.Decision.PENDING),
            "error": error,
        },
        status=status,
    )
