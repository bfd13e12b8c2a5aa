"""A kind of share link of the tests' own ("testboard"), so the kernel is tested without depending
on what an app registers for its kinds (the dashboards register "dashboard" with their own check)."""

from __future__ import annotations

import pytest

from socialops.sharing import kinds


@pytest.fixture
def board_kind():
    kinds.register_kind("testboard", label="Test board share link")
    yield "testboard"
    kinds.unregister_kind("testboard")
