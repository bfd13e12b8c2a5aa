"""Session and CSRF cookies carry the ``__Host-`` prefix whenever they are Secure (production).

A ``__Host-`` cookie is accepted by the browser only when set over HTTPS, with ``Path=/`` and no
``Domain``: a sibling sub-domain (or a network attacker on plain HTTP) cannot plant or overwrite it.
"""

from __future__ import annotations

import os

from . import test_platform


def _run(env_extra, *args):
    # SQLite in the test's own directory: never the PostgreSQL/Redis a CI run points at.
    saved = {k: os.environ.pop(k) for k in ("DATABASE_URL", "REDIS_URL") if k in os.environ}
    try:
        return test_platform._run(env_extra, *args)
    finally:
        os.environ.update(saved)


PRODUCTION = {
    "DEBUG": "0",
    "SOCIALOPS_ENV": "production",
    "SECRET_KEY": "x" * 60 + "-production-secret-value",
    "ALLOWED_HOSTS": "socialops.example.com",
    "CHANNEL_CREDENTIALS_KEYS": "0ZMmKNFEkOUq6QQp0i6oNbOTaSvNS1QoXXmNAUXl3XU=",
    "AUDIT_CHAIN_KEY": "a" * 40 + "-audit-chain-key",
}

SIGN_IN_PAGE = """
from django.test import Client
from django.test.utils import override_settings
plain_static = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=plain_static):  # no collectstatic manifest in a test
    r = Client(HTTP_HOST="socialops.example.com").get("/accounts/login/", secure=True)
print(r.status_code)
for name, morsel in r.cookies.items():
    print(name, morsel["secure"], morsel["path"], repr(morsel["domain"]))
from django.conf import settings
print("session", settings.SESSION_COOKIE_NAME)
"""


def test_production_cookies_have_host_prefixed_names(tmp_path):
    # The sign-in page reads no table (no migrate: it took most of this test's 30-40 s); if it
    # ever does, this fails with "no such table" rather than passing without looking.
    result = _run(
        {**PRODUCTION, "SOCIALOPS_VAR_DIR": str(tmp_path)},
        "shell",
        "--no-imports",
        "-c",
        SIGN_IN_PAGE,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[0] == "200"
    assert "__Host-csrftoken True / ''" in lines, result.stdout
    assert "session __Host-sessionid" in lines


def test_development_cookies_keep_plain_names_without_tls(tmp_path):
    # __Host- cookies are refused by browsers over plain http://127.0.0.1:8000 (make run).
    result = _run(
        {"DEBUG": "1", "SOCIALOPS_VAR_DIR": str(tmp_path)},
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)",
    )
    assert result.stdout.split() == ["sessionid", "csrftoken"], result.stderr
