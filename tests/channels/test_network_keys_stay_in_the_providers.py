"""Outside channels_registry/providers/ no code spells a network's key: it asks the capabilities.

Migrations are history (data), and the settings module reads each network's app credentials from
the environment by name: the kernel sits below every app, so it cannot ask the registry.
"""

from __future__ import annotations

import re
from pathlib import Path

from channels_registry.providers import REGISTRY

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = [
    "socialops",
    "accounts",
    "channels_registry",
    "publishing",
    "approvals",
    "inbox",
    "analytics",
    "governance",
    "home",
    "templates",
]
ALLOWED = {
    Path("socialops/settings.py"),
    # Vega-Lite specifications: "x" there is the chart's horizontal encoding channel, not X
    Path("analytics/charts/specs.py"),
}


def _spelled_keys(path: Path) -> list[str]:
    keys = "|".join(re.escape(k) for k in REGISTRY)
    pattern = re.compile(rf"""(["'])({keys})\1""")
    return [m.group(2) for m in pattern.finditer(path.read_text(encoding="utf-8"))]


def test_no_module_or_template_outside_the_providers_spells_a_network_key():
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*"):
            rel = path.relative_to(ROOT)
            if path.suffix not in (".py", ".html", ".js") or rel in ALLOWED:
                continue
            if "migrations" in rel.parts or rel.parts[:2] == ("channels_registry", "providers"):
                continue
            if keys := _spelled_keys(path):
                found[str(rel)] = keys
    assert not found, f"network keys spelled outside the providers: {found}"


def test_the_guard_finds_a_spelled_key(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('if channel.provider == "mastodon":\n    pass\n', encoding="utf-8")
    assert _spelled_keys(sample) == ["mastodon"]
