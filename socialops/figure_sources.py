"""Figures one app offers to another on its own floor, without either importing the other.

The inbox and analytics sit on one layer and may not import each other (import-linter's layers
contract). The organization dashboard (analytics) still shows the inbox's figures from the inbox's
own selectors: the inbox registers its function here in ``InboxConfig.ready`` under a name, and
analytics asks for it by that name. The kernel only keeps the names; it imports no app. A source
that is not registered (an installation without the inbox) is ``None``, and the caller shows
nothing rather than zeros.

Names in use:

- ``"inbox.dashboard"``: ``fn(membership, *, channel_ids, current, previous)`` → the inbox's
  figures of two periods on those channels (see ``inbox.figures.dashboard_figures``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_sources: dict[str, Callable[..., Any]] = {}


def register_figure_source(name: str, source: Callable[..., Any]) -> None:
    """Register ``source`` under ``name`` (registering a name again replaces it)."""
    _sources[name] = source


def figure_source(name: str) -> Callable[..., Any] | None:
    """The function registered under ``name``, or ``None``."""
    return _sources.get(name)
