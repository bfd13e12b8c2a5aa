"""Response headers that belong to a whole part of the site."""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers

API_PREFIX = "/api/v1/"


class ApiNoStoreMiddleware:
    """Every ``/api/v1/`` response (data, errors, 401/404/429) carries ``Cache-Control: no-store``.

    API answers hold personal data (members, e-mail addresses, posts); neither a shared proxy nor
    the client's disk cache may keep them. Applied to the whole prefix so no endpoint can forget.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX):
            add_never_cache_headers(response)
        return response
