import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from socialops.heartbeat import HEARTBEAT_KEY, record_heartbeat

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["database"]["ok"] and body["broker"]["ok"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_down(client, settings):
    from socialops.celery import app

    # the app reads Django settings with the CELERY namespace: celery 5.6 looks the namespaced
    # key up first, so both names point at the dead broker for this request
    old = app.conf.broker_url, app.conf.get("CELERY_BROKER_URL")
    app.conf.broker_url = app.conf["CELERY_BROKER_URL"] = "redis://127.0.0.1:1/0"
    try:
        r = client.get("/healthz")
    finally:
        app.conf.broker_url, app.conf["CELERY_BROKER_URL"] = old
    assert r.status_code == 503 and r.json()["broker"]["ok"] is False


def test_the_demo_periodic_task_is_scheduled_and_records_a_heartbeat(settings):
    from django.core.cache import cache

    assert (
        settings.CELERY_BEAT_SCHEDULE["heartbeat"]["task"] == "socialops.heartbeat.record_heartbeat"
    )
    stamp = record_heartbeat.delay().get()
    assert cache.get(HEARTBEAT_KEY) == stamp


def test_a_fresh_worker_knows_every_task_the_beat_schedule_names():
    """What a worker process registers at start (its configured imports and every app's tasks.py),
    in a process of its own: a task moved out of an app (the heartbeat, now the kernel's) must
    still be found, or beat's messages for it are dropped as unregistered."""
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from socialops.celery import app\n"
        "app.loader.import_default_modules()\n"
        "named = {entry['task'] for entry in settings.CELERY_BEAT_SCHEDULE.values()}\n"
        "print(sorted(named - set(app.tasks)))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "socialops.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def _run(env_extra, *args):
    # A clean process environment: nothing from the test session (e.g. the browser tests'
    # DJANGO_ALLOW_ASYNC_UNSAFE) may leak into what a production start would see.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = _run(
        {
            "DEBUG": "0",
            "SOCIALOPS_ENV": "production",
            "SECRET_KEY": "x" * 60 + "-production-secret-value",
            "ALLOWED_HOSTS": "socialops.example.com",
            "SOCIALOPS_VAR_DIR": str(tmp_path),
            "CHANNEL_CREDENTIALS_KEYS": "0ZMmKNFEkOUq6QQp0i6oNbOTaSvNS1QoXXmNAUXl3XU=",
            "AUDIT_CHAIN_KEY": "an-audit-chain-key-kept-outside-the-database",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_an_audit_chain_key(tmp_path):
    base = {
        "DEBUG": "0",
        "SOCIALOPS_ENV": "production",
        "SECRET_KEY": "x" * 60 + "-production-secret-value",
        "ALLOWED_HOSTS": "socialops.example.com",
        "SOCIALOPS_VAR_DIR": str(tmp_path),
        "CHANNEL_CREDENTIALS_KEYS": "0ZMmKNFEkOUq6QQp0i6oNbOTaSvNS1QoXXmNAUXl3XU=",
    }
    result = _run(base, "check")
    assert result.returncode != 0 and "AUDIT_CHAIN_KEY" in result.stderr
    result = _run({**base, "AUDIT_CHAIN_KEY": "too-short"}, "check")
    assert result.returncode != 0 and "at least 32 characters" in result.stderr
    key_file = tmp_path / "audit_chain_key"
    key_file.write_text("an-audit-chain-key-read-from-a-docker-secret\n")
    assert _run({**base, "AUDIT_CHAIN_KEY_FILE": str(key_file)}, "check").returncode == 0


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _run({"DEBUG": "0", "SOCIALOPS_VAR_DIR": str(tmp_path)}, "check")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_production_refuses_debug(tmp_path):
    result = _run(
        {"DEBUG": "1", "SOCIALOPS_ENV": "production", "SOCIALOPS_VAR_DIR": str(tmp_path)}, "check"
    )
    assert result.returncode != 0 and "DEBUG must be off" in result.stderr


def test_a_malformed_boolean_setting_fails_loudly(tmp_path):
    result = _run({"DEBUG": "maybe", "SOCIALOPS_VAR_DIR": str(tmp_path)}, "check")
    assert result.returncode != 0 and "DEBUG must be one of" in result.stderr


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_pages_carry_a_content_security_policy(client):
    r = client.get("/accounts/login/")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]


def test_empty_database_and_redis_urls_mean_the_embedded_defaults(tmp_path):
    # A copied .env often holds "DATABASE_URL=" with nothing after it.
    result = _run(
        {"DATABASE_URL": "", "REDIS_URL": "", "SOCIALOPS_VAR_DIR": str(tmp_path)}, "check"
    )
    assert result.returncode == 0, result.stderr


def test_a_database_url_of_an_unknown_kind_fails_with_a_clear_message(tmp_path):
    result = _run(
        {"DATABASE_URL": "mongodb://localhost/x", "SOCIALOPS_VAR_DIR": str(tmp_path)}, "check"
    )
    assert result.returncode != 0 and "DATABASE_URL must be postgres://" in result.stderr
