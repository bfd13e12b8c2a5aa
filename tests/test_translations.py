"""The Indonesian catalogue is complete, compiles, and covers every string in the code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "id" / "LC_MESSAGES" / "django.po"


def test_every_indonesian_entry_is_translated_and_none_is_fuzzy():
    catalogue = polib.pofile(str(PO))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


def test_placeholders_survive_translation():
    import re

    rx = re.compile(r"%\(\w+\)s|%s|\{\{\s*\w+\s*\}\}")
    for entry in polib.pofile(str(PO)).translated_entries():
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for translated in translations:
            assert sorted(set(rx.findall(entry.msgid))) == sorted(set(rx.findall(translated))), (
                entry.msgid
            )


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext is needed to extract strings")
def test_the_catalogue_covers_every_string_in_the_code(tmp_path):
    """Re-extract in a copy of the project and compare: a new {% translate %} without an entry fails here.

    makemessages writes into the ``locale/`` directory that contains the scanned files, so it runs in a
    copy; the repository's catalogue is never touched by the test.
    """
    copy = tmp_path / "project"
    copy.mkdir()
    packages = [
        p.name
        for p in ROOT.iterdir()
        if (p / "__init__.py").exists() and p.name not in ("tests", "bench")
    ]
    for name in [*packages, "templates", "locale"]:
        shutil.copytree(
            ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
        )
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    env = {**os.environ, "SOCIALOPS_VAR_DIR": str(tmp_path / "var")}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "id", "--no-obsolete", "-v", "0"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    fresh = polib.pofile(str(copy / "locale" / "id" / "LC_MESSAGES" / "django.po"))
    missing = [
        e.msgid for e in fresh if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)
    ]
    assert not missing, f"run `manage.py makemessages -l id` and translate: {missing[:8]}"
