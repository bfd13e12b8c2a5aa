"""Compile the .po catalogues to .mo with polib, so no GNU gettext is needed to run SocialOps.

``python -m socialops.i18n`` writes every ``locale/*/LC_MESSAGES/*.mo`` whose ``.po`` is newer.
"""

from __future__ import annotations

from pathlib import Path

import polib

BASE = Path(__file__).resolve().parent.parent / "locale"


def compile_catalogues(base: Path = BASE) -> list[Path]:
    written = []
    for po_path in sorted(base.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


if __name__ == "__main__":
    for path in compile_catalogues():
        print(f"compiled {path.relative_to(BASE.parent)}")
