from __future__ import annotations

import time
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils import timezone, translation
from django.utils.translation import gettext as _


class UserLanguageMiddleware:
    """A signed-in person's saved language wins over the cookie and the browser (runs after LocaleMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Show times in the person's zone (else their organization's, else UTC). Storage stays UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tzname = getattr(request.user, "timezone", "") if request.user.is_authenticated else ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(tzname)) if tzname else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """Ends a session idle for ``SESSION_IDLE_TIMEOUT`` s or older than ``SESSION_ABSOLUTE_TIMEOUT`` s."""

    STARTED = "_started_at"
    SEEN = "_seen_at"
    #: htmx polls that are not the person's activity (the bell refreshes every minute in an idle tab)
    BACKGROUND_POLLS = frozenset({"notification-bell"})

    @classmethod
    def is_background_poll(cls, request) -> bool:
        return (
            request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-Trigger") in cls.BACKGROUND_POLLS
        )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(self.STARTED)
            seen = request.session.get(self.SEEN, now)
            if started is None:
                request.session[self.STARTED] = now
                request.session[self.SEEN] = now
            elif (
                now - started > settings.SESSION_ABSOLUTE_TIMEOUT
                or now - seen > settings.SESSION_IDLE_TIMEOUT
            ):
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.info(request, _("Your session ended. Please sign in again."))
                    return redirect_to_login(request.get_full_path())
            elif now - seen > 60 and not self.is_background_poll(
                request
            ):  # write at most once a minute
                request.session[self.SEEN] = now
        return self.get_response(request)
