"""The start page: build it from the selectors (home/selectors.py), render it."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import selectors


@require_GET
def org_home(request, org_slug):
    start = selectors.start_page(request.membership, now=timezone.now())
    return render(request, "home/org_home.html", {"start": start})
