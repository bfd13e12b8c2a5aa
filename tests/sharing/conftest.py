"""A "dashboard" kind for the kernel's tests, registered here unless an app already did (the
dashboards sub-app registers its own; the tests then use that)."""

from __future__ import annotations

import pytest

from socialops.sharing import kinds


@pytest.fixture
def dashboard_kind():
    registered = any(k.key == "dashboard" for k in kinds.registered_kinds())
    if not registered:
        kinds.register_kind("dashboard", label="Dashboard share link")
    yield "dashboard"
    if not registered:
        kinds.unregister_kind("dashboard")
