"""Links that are credentials (approval, share, media, invitation links; OAuth codes; API tokens)
appear in request logs only as a hash: runserver, gunicorn and Django's own request warnings."""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from socialops.log_redaction import RedactSecretsFilter, hashed, redact

from .test_platform import ROOT

SECRET = "SeCrEt-token_9f8e7d6c5b4a"


@pytest.mark.parametrize(
    "line",
    [
        f'"GET /a/{SECRET}/ HTTP/1.1" 200 512',
        f'"POST /a/{SECRET}/mentions/ HTTP/1.1" 200 2',
        f"Not Found: /calendar/shared/{SECRET}/feed.ics",
        f'"GET /media/s/{SECRET}/ HTTP/1.1" 200 9000',
        f"Gone: /invitations/{SECRET}/",
        f'"GET /accounts/confirm-email/{SECRET}/ HTTP/1.1" 200 1',
        f'"GET /accounts/password/reset/key/1a-{SECRET}/ HTTP/1.1" 302 0',
        f'"GET /connect/x/callback?state={SECRET}&code={SECRET} HTTP/1.1" 302 0',
        f'"GET /webhooks/x/?crc_token={SECRET} HTTP/1.1" 200 0',
        f'10.0.0.1 "GET /static/app.css HTTP/1.1" 200 1 "https://so.example.com/a/{SECRET}/" "Mozilla"',
        f"Authorization failed for sop_{SECRET}",
        # percent-encoded inside another URL (the sign-in page's ?next=)
        f'"GET /accounts/login/?next=/connect/x/callback%3Fcode%3D{SECRET}%26state%3D{SECRET} HTTP/1.1"',
        f'"GET /accounts/login/?next=%2Fa%2F{SECRET}%2F HTTP/1.1" 200 1',
        f'"GET /x?next=https%3A%2F%2Fso.example.com%2Fcalendar%2Fshared%2F{SECRET}%2F HTTP/1.1"',
    ],
)
def test_each_kind_of_bearer_secret_is_logged_as_its_hash(line):
    clean = redact(line)
    assert SECRET not in clean
    assert (
        hashed(SECRET) in clean
        or hashed(f"1a-{SECRET}") in clean
        or hashed(f"sop_{SECRET}") in clean
    )


def test_ordinary_paths_are_left_alone():
    for line in (
        '"GET /o/alpha/posts/12/?status=draft HTTP/1.1" 200 5',
        "Not Found: /static/a/x.css",
    ):
        assert redact(line) == line


def test_the_filter_hashes_the_message_and_the_traceback():
    try:
        raise ValueError(f"bad link /a/{SECRET}/")
    except ValueError:
        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Error: %s",
            (f"/a/{SECRET}/",),
            sys.exc_info(),
        )
    RedactSecretsFilter().filter(record)
    out = logging.Formatter().format(record)
    assert SECRET not in out and hashed(SECRET) in out


@pytest.mark.django_db
def test_djangos_request_warnings_reach_the_console_hashed(client):
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactSecretsFilter) for f in h.filters)
    )
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        assert client.get(f"/calendar/shared/{SECRET}/").status_code == 404
    finally:
        handler.setStream(old)
    assert "Not Found: /calendar/shared/" in stream.getvalue()
    assert SECRET not in stream.getvalue() and hashed(SECRET) in stream.getvalue()


def test_celery_worker_handlers_get_the_filter_too():
    from celery.signals import after_setup_logger

    import socialops.celery  # noqa: F401 - connects the signal handlers

    stream = io.StringIO()
    logger = logging.getLogger("test.celery.worker")
    logger.addHandler(logging.StreamHandler(stream))
    logger.propagate = False
    after_setup_logger.send(
        sender=None, logger=logger, loglevel=logging.INFO, logfile=None, format="", colorize=False
    )
    logger.warning("retrying GET https://so.example.com/a/%s/", SECRET)
    assert SECRET not in stream.getvalue() and hashed(SECRET) in stream.getvalue()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers) -> int:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http://127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own test server
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _serve(command: list[str], port: int, tmp_path):
    # The requests below need no database: the server runs on an empty SQLite file in tmp_path
    # (never CI's PostgreSQL, whose database the test session does not create).
    dropped = ("SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "REDIS_URL")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        {
            "DEBUG": "1",
            "SOCIALOPS_VAR_DIR": str(tmp_path),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
        }
    )
    log = tmp_path / "server.log"
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    return proc, log


def _requests_with_secrets(port: int) -> None:
    base = f"http://127.0.0.1:{port}"
    assert _get(f"{base}/calendar/shared/{SECRET}/") == 404
    _get(f"{base}/connect/x/callback?code={SECRET}&state={SECRET}")
    _get(f"{base}/healthz", Referer=f"{base}/a/{SECRET}/")


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def test_runserver_request_log_hashes_secrets(tmp_path):
    port = _free_port()
    proc, log = _serve(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        port,
        tmp_path,
    )
    try:
        _requests_with_secrets(port)
        time.sleep(0.5)
    finally:
        _stop(proc)
    text = log.read_text()
    assert f"/calendar/shared/{hashed(SECRET)}/" in text, text  # the request was logged…
    assert SECRET not in text  # …without the secret


def test_gunicorn_access_log_hashes_secrets_in_paths_and_referrers(tmp_path):
    port = _free_port()
    gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
    if not os.path.exists(gunicorn):
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    proc, log = _serve(
        [gunicorn, "--config", "gunicorn.conf.py", "socialops.wsgi:application"], port, tmp_path
    )
    try:
        _requests_with_secrets(port)
        time.sleep(0.5)
    finally:
        _stop(proc)
    text = log.read_text()
    assert f"GET /calendar/shared/{hashed(SECRET)}/ HTTP/1.1" in text, text
    assert f"/a/{hashed(SECRET)}/" in text  # the referrer, hashed
    assert SECRET not in text


def test_the_image_and_compose_run_gunicorn_with_that_config():
    dockerfile = (ROOT / "Dockerfile").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    assert '"gunicorn", "--config", "gunicorn.conf.py"' in dockerfile
    assert '"gunicorn", "--config", "gunicorn.conf.py"' in compose
    assert "--access-logfile" not in dockerfile + compose  # no second, unfiltered access log
