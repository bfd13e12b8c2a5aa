"""What the Docker image is built from: never the local secrets (.env) or state (var/)."""

from __future__ import annotations

import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule for the build context: the last matching line wins, ``!`` re-includes, and a
    matched directory takes everything under it along."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw[1:] if negate else raw
        pattern = pattern.strip("/")
        if any(fnmatch.fnmatchcase(p, pattern) for p in prefixes):
            ignored = not negate
    return ignored


def _patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def test_the_build_context_leaves_out_local_secrets_and_state():
    patterns = _patterns()
    for secret in (
        ".env",
        ".env.production",
        "var/secret_key",
        "var/channel_credentials_key",
        "var/db.sqlite3",
        "var/media/org/1/a.png",
        ".venv/bin/python",
    ):
        assert _ignored(secret, patterns), f"{secret} would be copied into the image"
    for needed in (
        ".env.example",
        "manage.py",
        "accounts/models.py",
        "socialops/settings.py",
        "gunicorn.conf.py",
        "locale/id/LC_MESSAGES/django.po",
    ):
        assert not _ignored(needed, patterns), f"{needed} would be missing from the image"


def test_the_dockerfile_copies_the_context_only_after_the_ignore_rules_apply():
    # `COPY . .` is what would carry .env in: it must be the only wholesale copy, and no build
    # step may write a secret into a layer (the build-time values are throwaway placeholders).
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("COPY . .") == 1
    assert "COPY .env" not in dockerfile and "ADD .env" not in dockerfile
