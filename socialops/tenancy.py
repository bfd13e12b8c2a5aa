"""Resolves the organization named in a page URL (``/o/<org_slug>/…``) once per request.

A visitor who is not an active member of that organization gets a 404, exactly like a slug
that does not exist, so slugs leak nothing. Views read ``request.organization`` and
``request.membership``; they never look the organization up themselves.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404


class TenancyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organization = None
        request.membership = None
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.get("org_slug")
        if slug is None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        from accounts.selectors import all_organizations, membership_for

        org = all_organizations().filter(slug=slug).first()
        membership = membership_for(request.user, org) if org is not None else None
        if membership is None:
            raise Http404("No such organization.")
        request.organization = org
        request.membership = membership
        if not request.user.timezone:  # the person chose none: show the organization's zone
            import zoneinfo

            from django.utils import timezone

            timezone.activate(zoneinfo.ZoneInfo(org.timezone))
        if request.session.get("last_org") != org.slug:  # write the session only when it changes
            request.session["last_org"] = org.slug
        return None
