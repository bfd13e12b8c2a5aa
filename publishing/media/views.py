"""Media library pages: thin (parse, access, one service call, render).

Files are never served from a public URL: originals, renditions and thumbnails go through the
views below, which resolve the asset inside the member's organization (another organization's
asset is a 404) before reading storage.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.capabilities import Capability, can, require_page
from socialops.errors import ApplicationError

from ..models import MediaAsset
from . import processing, selectors, services
from .forms import AltTextForm, FocalPointForm, MediaFilterForm, MediaUploadForm

PAGE_SIZE = 48


def _with_presets(asset: MediaAsset) -> list[dict]:
    by_key = {r.preset: r for r in asset.renditions.all()}
    labels = dict(asset.renditions.model.Preset.choices)
    return [
        {
            "key": p.key,
            "label": labels.get(p.key, p.key),
            "target": f"{p.width} × {p.height}",
            "rendition": by_key.get(p.key),
            "small": by_key.get(p.key) is not None and by_key[p.key].width < p.width,
        }
        for p in processing.PRESETS
    ]


@require_http_methods(["GET", "POST"])
def media_list(request, org_slug):
    require_page(request, Capability.VIEW)
    can_upload = can(request.membership, Capability.COMPOSE)
    upload_form = MediaUploadForm()
    if request.method == "POST":
        require_page(request, Capability.COMPOSE)
        upload_form = MediaUploadForm(request.POST, request.FILES)
        if upload_form.is_valid():
            try:
                result = services.upload_media(
                    request.organization,
                    by=request.membership,
                    file=upload_form.cleaned_data["file"],
                    alt_text=upload_form.cleaned_data["alt_text"],
                )
            except ApplicationError as exc:
                upload_form.apply_error(exc)
            else:
                if result.created:
                    messages.success(
                        request,
                        _("%(name)s was added to the library.")
                        % {"name": result.asset.original_name},
                    )
                else:
                    messages.info(
                        request,
                        _("This file is already in the library as %(name)s.")
                        % {"name": result.asset.original_name},
                    )
                return redirect(
                    "media_detail", org_slug=request.organization.slug, asset_id=result.asset.pk
                )
    filters = MediaFilterForm(request.GET or None)
    kind, search = "", ""
    if filters.is_valid():
        kind, search = filters.cleaned_data["kind"] or "", (filters.cleaned_data["q"] or "").strip()
    page = Paginator(
        selectors.assets_of(request.organization, kind=kind, search=search), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "publishing/media_list.html",
        {
            "page": page,
            "filters": filters,
            "form": upload_form,
            "can_upload": can_upload,
            "query": query.urlencode(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def media_detail(request, org_slug, asset_id):
    asset = selectors.get_asset_for_member(request.membership, asset_id)
    can_edit = can(request.membership, Capability.COMPOSE, asset)
    alt_form = AltTextForm(initial={"alt_text": asset.alt_text})
    status = 200
    if request.method == "POST":
        require_page(request, Capability.COMPOSE, asset)
        alt_form = AltTextForm(request.POST)
        if alt_form.is_valid():
            try:
                services.set_media_alt_text(
                    asset, by=request.membership, alt_text=alt_form.cleaned_data["alt_text"]
                )
            except ApplicationError as exc:
                alt_form.apply_error(exc)
            else:
                messages.success(request, _("Alt text saved."))
                return redirect("media_detail", org_slug=org_slug, asset_id=asset.pk)
        status = 400
    return _render_detail(request, asset, can_edit=can_edit, alt_form=alt_form, status=status)


def _render_detail(request, asset, *, can_edit, alt_form=None, focal_form=None, status=200):
    return render(
        request,
        "publishing/media_detail.html",
        {
            "asset": asset,
            "presets": _with_presets(asset) if asset.kind == MediaAsset.Kind.IMAGE else [],
            "uses": selectors.asset_uses(asset),
            "can_edit": can_edit,
            "alt_form": alt_form or AltTextForm(initial={"alt_text": asset.alt_text}),
            "focal_form": focal_form
            or FocalPointForm(
                initial={"focal_x": round(asset.focal_x, 3), "focal_y": round(asset.focal_y, 3)}
            ),
            "focal_x_pct": f"{asset.focal_x * 100:.2f}%",
            "focal_y_pct": f"{asset.focal_y * 100:.2f}%",
        },
        status=status,
    )


@require_POST
def media_focal(request, org_slug, asset_id):
    asset = selectors.get_asset_for_member(request.membership, asset_id, need=Capability.COMPOSE)
    form = FocalPointForm(request.POST)
    if form.is_valid():
        try:
            services.set_media_focal_point(
                asset,
                by=request.membership,
                x=form.cleaned_data["focal_x"],
                y=form.cleaned_data["focal_y"],
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(
                request, _("Focal point moved; the renditions were made again around it.")
            )
            return redirect("media_detail", org_slug=org_slug, asset_id=asset.pk)
    return _render_detail(request, asset, can_edit=True, focal_form=form, status=400)


@require_POST
def media_delete(request, org_slug, asset_id):
    asset = selectors.get_asset_for_member(request.membership, asset_id, need=Capability.COMPOSE)
    try:
        services.delete_media(asset, by=request.membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("media_detail", org_slug=org_slug, asset_id=asset.pk)
    messages.success(request, _("%(name)s was deleted.") % {"name": asset.original_name})
    return redirect("media_list", org_slug=org_slug)


def _private(request, response):
    # A grid fetches dozens of these at once. Serving a file changes nothing in the session, but
    # TenancyMiddleware marks it modified on every request: skip the write (SessionTimeoutMiddleware's
    # "last seen" stamp is written again by the next page within its one-minute cadence).
    if hasattr(request, "session"):
        request.session.modified = False
    response["Cache-Control"] = "private, max-age=600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _open(field):
    try:
        return field.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404("This media file is missing.") from None


@require_GET
def media_thumbnail(request, org_slug, asset_id):
    """A small JPEG for the grid: from the square rendition, the original, or a video's first frame.

    ``?full=1`` gives the whole (uncropped, upright) image, larger: the focal-point picker clicks on it.
    """
    asset = selectors.get_asset_for_member(request.membership, asset_id)
    full = request.GET.get("full") == "1"
    square = (
        None if full else next((r for r in asset.renditions.all() if r.preset == "square"), None)
    )
    source = square.file if square is not None else asset.file
    with _open(source) as fh:
        if asset.kind == MediaAsset.Kind.VIDEO:
            data = processing.video_poster(fh)
        else:
            try:
                data = processing.thumbnail_jpeg(fh, box=960 if full else 480)
            except OSError:
                data = None
    if data is None:
        raise Http404("No preview for this file.")
    return _private(request, HttpResponse(data, content_type="image/jpeg"))


@require_GET
def media_original(request, org_slug, asset_id):
    asset = selectors.get_asset_for_member(request.membership, asset_id)
    return _private(request, FileResponse(_open(asset.file), content_type=asset.mime_type))


@require_GET
def media_rendition(request, org_slug, asset_id, preset):
    asset = selectors.get_asset_for_member(request.membership, asset_id)
    rendition = next((r for r in asset.renditions.all() if r.preset == preset), None)
    if rendition is None:
        raise Http404("No such rendition.")
    return _private(request, FileResponse(_open(rendition.file), content_type="image/jpeg"))
