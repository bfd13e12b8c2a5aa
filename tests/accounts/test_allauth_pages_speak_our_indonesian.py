"""The sign-in, password-reset and two-factor pages speak the product's Indonesian, not allauth's.

allauth ships its own catalogue (Title Case, "anda", "e-mail", "Otentikator"); our catalogue holds
the same msgids (accounts/allauth_strings.py keeps them through makemessages) and, being in
LOCALE_PATHS, wins.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail

from .. import factories as f
from ..factories import PASSWORD

pytestmark = pytest.mark.django_db

ALLAUTH_VOICE = re.compile(
    r"\banda\b|[Ee]-mail|Otentikator|Silahkan|Reset Kata Sandi|Kata Sandi Saya|"
    r"Aplikasi Autentikator|Autentikasi Dua Faktor|Konfirmasi Akses"
)


@pytest.fixture(autouse=True, scope="module")
def _catalogues_compiled():
    from django.utils.translation import trans_real

    from socialops.i18n import compile_catalogues

    if compile_catalogues():
        trans_real._translations = {}
        trans_real._default = None


@pytest.fixture
def indonesian(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    return client


def _text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _assert_ours(text: str, *expected: str):
    found = ALLAUTH_VOICE.search(text)
    assert not found, f"allauth's own wording on the page: {found.group(0)!r}"
    for phrase in expected:
        assert phrase in text, phrase


def test_the_sign_in_page_and_its_error(indonesian, alice):
    _assert_ours(
        _text(indonesian.get("/accounts/login/")),
        "Masuk ke SocialOps",
        "Kata sandi",
        "Lupa kata sandi Anda?",
    )
    wrong = indonesian.post(
        "/accounts/login/", {"login": alice.email, "password": "not-her-password"}
    )
    _assert_ours(_text(wrong), "Alamat email dan/atau kata sandi yang Anda masukkan salah.")


def test_the_password_reset_pages_and_e_mail(indonesian, alice):
    _assert_ours(
        _text(indonesian.get("/accounts/password/reset/")),
        "Atur ulang kata sandi",
        "Lupa kata sandi? Masukkan alamat email Anda",
    )
    r = indonesian.post("/accounts/password/reset/", {"email": alice.email}, follow=True)
    _assert_ours(_text(r), "Kami telah mengirim email kepada Anda.")
    (message,) = mail.outbox
    _assert_ours(
        message.body, "Halo Alice,", "untuk mengatur ulang kata sandi Anda", "Salam,\nSocialOps"
    )
    assert "Hello from" not in message.body and "Halo dari" not in message.body


def test_the_two_factor_pages(indonesian, alice):
    alice.language = "id"
    alice.save()
    indonesian.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    _assert_ours(_text(indonesian.get("/accounts/2fa/")), "Aplikasi autentikator", "Kode pemulihan")
    reauth = indonesian.get("/accounts/2fa/totp/activate/", follow=True)
    _assert_ours(_text(reauth), "Konfirmasi akses", "Demi keamanan akun Anda")
    indonesian.post("/accounts/reauthenticate/", {"password": PASSWORD})
    activate = indonesian.get("/accounts/2fa/totp/activate/")
    _assert_ours(_text(activate), "Aktifkan aplikasi autentikator", "Kode autentikator")
    secret = indonesian.session["mfa.totp.secret"]
    indonesian.post(
        "/accounts/2fa/totp/activate/",
        {"code": f.totp_code(secret)},
    )
    indonesian.logout()
    indonesian.cookies["socialops_language"] = "id"
    challenge = indonesian.post(
        "/accounts/login/", {"login": alice.email, "password": PASSWORD}, follow=True
    )
    _assert_ours(
        _text(challenge),
        "Autentikasi dua faktor",
        "Akun Anda dilindungi oleh autentikasi dua faktor. Silakan masukkan kode autentikator:",
    )
