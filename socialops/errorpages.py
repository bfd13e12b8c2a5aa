"""The 404 and 500 answers. Under ``/api/`` they are the API's JSON error shape, never a page.

The 500 page, in the language of the request (LocaleMiddleware and the user's language have run).

Django's own handler renders ``500.html`` too, but gives up on anything but a missing template; this
one never raises: if the translated page cannot be rendered (the error may be in templates or in the
catalogue), a fixed page says the same in both languages. The template gets no request context on
purpose: the context processors (the organization, the bell) may be what failed.
"""

from __future__ import annotations

import logging

from django.http import HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from django.views import defaults

from .errors import error_body

log = logging.getLogger(__name__)

FALLBACK = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>SocialOps</title></head><body>'
    "<h1>Something went wrong</h1><p>We have been told. Please try again in a moment.</p>"
    '<h1 lang="id">Terjadi kesalahan</h1><p lang="id">Kami sudah diberi tahu. Silakan coba lagi sebentar lagi.</p>'
    "</body></html>"
)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception, template_name: str = "404.html"):
    """An unknown ``/api/…`` route answers the API's JSON 404; a page, the 404 page."""
    if _is_api(request):
        return JsonResponse(
            error_body(
                "not_found", _("There is no such resource: check the address against /api/docs/.")
            ),
            status=404,
        )
    return defaults.page_not_found(request, exception, template_name)


def server_error(request, template_name: str = "500.html"):
    if _is_api(request):
        return JsonResponse(
            error_body(
                "server_error",
                _("Something went wrong on our side. We have been told; quote the request id."),
            ),
            status=500,
        )
    try:
        html = loader.get_template(template_name).render(
            {"LANGUAGE_CODE": get_language() or "en", "LANGUAGE_BIDI": get_language_bidi()}
        )
    except Exception:  # noqa: BLE001 - the page that reports an error must not fail itself
        log.warning(
            "the 500 page could not be rendered; the fixed bilingual page was sent", exc_info=True
        )
        html = FALLBACK
    return HttpResponseServerError(html)
