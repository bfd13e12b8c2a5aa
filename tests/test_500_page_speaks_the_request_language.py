"""The 500 page is in the language of the person who hit the error, and never fails itself."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import path

import socialops.urls


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom)]
# The project's own handler, as socialops/urls.py declares it (Django's default when it declares none).
handler500 = getattr(socialops.urls, "handler500", "django.views.defaults.server_error")

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True, scope="module")
def _catalogues_compiled():
    from django.utils.translation import trans_real

    from socialops.i18n import compile_catalogues

    if compile_catalogues():
        trans_real._translations = {}
        trans_real._default = None


@pytest.fixture
def client(client):
    client.raise_request_exception = False
    return client


@override_settings(DEBUG=False)
def test_an_indonesian_reader_gets_the_page_in_indonesian(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    r = client.get("/boom/")
    page = r.content.decode()
    assert r.status_code == 500
    assert (
        '<html lang="id">' in page and "Terjadi kesalahan" in page and "Silakan coba lagi" in page
    )
    assert "Something went wrong" not in page


@override_settings(DEBUG=False)
def test_a_signed_in_persons_saved_language_wins(client, alice):
    alice.language = "id"
    alice.save()
    client.force_login(alice)
    assert "Terjadi kesalahan" in client.get("/boom/").content.decode()


@override_settings(DEBUG=False)
def test_english_by_default(client):
    page = client.get("/boom/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Something went wrong" in page and '<html lang="en">' in page


@override_settings(DEBUG=False)
def test_when_the_page_cannot_be_rendered_a_fixed_page_says_it_in_both_languages(
    client, monkeypatch
):
    from socialops import errorpages

    def broken(name):
        raise RuntimeError("the template engine itself is broken")

    monkeypatch.setattr(errorpages.loader, "get_template", broken)
    r = client.get("/boom/")
    page = r.content.decode()
    assert r.status_code == 500
    assert "Something went wrong" in page and "Terjadi kesalahan" in page
