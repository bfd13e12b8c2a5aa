"""One Indonesian term per concept (the glossary in the project's design notes, GLOSSARY-ID.md).

A translation that brings back a variant the glossary rejected fails here, with the msgid, so the
next person to translate a string sees which word the product uses:

- channel is *saluran* (never *kanal*); a post is a *postingan* (*posting* only in "frekuensi
  posting" and the verb *memposting*); *dapat*, not *bisa*; *email*, not *e-mail*; *edit*, not
  *sunting*; publish is *terbit*, not *publikasi*; cadence is *frekuensi posting*, not *ritme*;
- wrong meanings: a pending invitation is not *tertunda* (delayed), a lifted freeze is not
  *dicairkan* (disbursed), "Disconnect" is *Putuskan koneksi* (bare *Putuskan* is "Decide"), "the
  week of 14 Dec" is not "Minggu 14 Des" (Sunday 14 Dec);
- allauth's pages in our voice: *Anda* capitalised, *autentikator* (not *Otentikator*), *Silakan*,
  sentence case (not Title Case).
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

PO = Path(__file__).resolve().parent.parent / "locale" / "id" / "LC_MESSAGES" / "django.po"

BANNED = {
    r"\b[Kk]anal\b": "channel is “saluran”",
    r"\b[Bb]isa\b": "use “dapat”",
    r"\b[Ee]-mail": "use “email”",
    r"[Ss]unting": "edit is “edit”",
    r"[Tt]ertunda": "a pending invitation is “belum diterima / menunggu” (“tertunda” is delayed)",
    r"[Dd]icairkan|[Mm]encairkan": "a freeze is “dicabut” (“dicairkan” is disbursing money)",
    r"[Pp]ublikasi": "publish is “terbit / terbitkan”",
    r"\b[Rr]itme\b": "cadence is “frekuensi posting”",
    r"\banda\b": "“Anda” is capitalised",
    r"[Oo]tentika": "“autentikator / autentikasi”",
    r"Silahkan": "“Silakan”",
    r"berizin": "“memiliki izin”",
    r"menjadwal ulang|jadwalkan lagi": "reschedule is “jadwalkan ulang”",
    r"masa depan": "“masa mendatang”",
    r"(?<!frekuensi )(?<!Frekuensi )\b[Pp]osting\b": "the noun is “postingan”",
    r"Perubahan diminta|[Mm]inta perubahan|[Mm]eminta perubahan": "changes requested is “Perlu revisi / Minta revisi”",
}


def _entries():
    catalogue = polib.pofile(str(PO))
    for entry in catalogue.translated_entries():
        for text in entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]:
            yield entry, text


@pytest.mark.parametrize("pattern", list(BANNED))
def test_no_translation_uses_a_rejected_variant(pattern):
    rx = re.compile(pattern)
    offenders = [f"{e.msgid!r} → {text!r}" for e, text in _entries() if rx.search(text)]
    assert not offenders, f"{BANNED[pattern]}: {offenders[:6]}"


def _translation(msgid: str, context: str | None = None) -> str:
    for entry in polib.pofile(str(PO)):
        if entry.msgid == msgid and entry.msgctxt == context and not entry.obsolete:
            return entry.msgstr
    raise AssertionError(f"{msgid!r} is not in the catalogue")


def test_the_wrong_meanings_are_gone():
    assert _translation("Disconnect") == "Putuskan koneksi"
    assert "diputuskan" not in _translation(
        "Channel disconnected. Its credentials were deleted; its history stays."
    )
    assert not _translation("the week of %(date)s").lower().startswith("minggu")
    assert _translation("Pending") == "Menunggu"
    assert _translation("Changes requested") == "Perlu revisi"
    assert "Kembali ke" not in _translation(
        "An edit after an approval goes"
    )  # its choices start so


def test_allauth_strings_read_in_sentence_case():
    """allauth's Indonesian titles are Title Case ("Reset Kata Sandi Saya"); ours are not."""
    offenders = []
    for entry in polib.pofile(str(PO)):
        if entry.obsolete or not any(
            path == "accounts/allauth_strings.py" for path, _ in entry.occurrences
        ):
            continue
        words = [w for w in re.findall(r"[A-Za-z][\w-]*", entry.msgstr) if not w.isupper()]
        if len(words) >= 2 and all(w[0].isupper() for w in words):
            offenders.append(f"{entry.msgid!r} → {entry.msgstr!r}")
    assert not offenders, offenders
