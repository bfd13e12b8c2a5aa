"""Demo data: each app seeds its own part of the demo organization.

``manage.py seed_demo`` (accounts) creates the organization, its teams and people, then runs the
seeders the apps registered here in their ``AppConfig.ready``, in ``order``. accounts thereby never
imports the apps above it, and a new app adds its demo data by registering one function. Every
seeder is safe to run again (it reuses what exists).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: name -> (order, seeder(org, *, by)); lower order runs first (channels before the posts on them)
_seeders: dict[str, tuple[int, Callable[..., Any]]] = {}


def register_seeder(name: str, seeder: Callable[..., Any], *, order: int) -> None:
    """Register ``seeder(org, *, by)`` under ``name`` (registering a name again replaces it)."""
    _seeders[name] = (order, seeder)


def run_seeders(org, *, by) -> list[str]:
    """Run every registered seeder for ``org`` as ``by`` (the owner's membership); returns their names."""
    done = []
    for name, (_order, seeder) in sorted(_seeders.items(), key=lambda item: (item[1][0], item[0])):
        seeder(org, by=by)
        done.append(name)
    return done
