"""The development mail catcher (socialops/devmail.py): e-mails the worker sends, readable in the app.

Never in production: a 404 and no link without DEBUG, and the settings refuse the backend there.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives, get_connection
from django.urls import reverse

from socialops.devmail import BACKEND, caught_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def catching(settings, tmp_path):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


def _send(*messages):
    """What the worker does: one connection, a batch of messages."""
    connection = get_connection()
    return connection.send_messages(
        [
            EmailMultiAlternatives(
                subject, body, "no-reply@socialops.local", [to], connection=connection
            )
            for subject, body, to in messages
        ]
    )


def test_without_debug_the_page_is_a_404_and_nothing_links_to_it(client, settings, alice, org_a):
    settings.DEBUG = False
    assert client.get("/dev/mail/").status_code == 404
    client.force_login(alice)
    assert client.get("/dev/mail/").status_code == 404
    for url in (
        reverse("org_home", args=[org_a.slug]),
        reverse("notification_list", args=[org_a.slug]),
    ):
        assert "/dev/mail/" not in client.get(url).content.decode()
    assert "/dev/mail/" not in client.get("/accounts/login/").content.decode()


def test_production_settings_refuse_the_catcher():
    env = {
        "DEBUG": "0",
        "EMAIL_BACKEND": BACKEND,
        "SECRET_KEY": "x" * 50,
        "PATH": "/usr/bin:/bin",
        "CHANNEL_CREDENTIALS_KEYS": "ZmFrZWtleWZha2VrZXlmYWtla2V5ZmFrZWtleWZha2U=",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='socialops.settings'; "
            "from django.conf import settings; settings.EMAIL_BACKEND",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "mail catcher" in result.stderr


def test_each_message_of_a_batch_is_kept_in_its_own_file_and_announced_on_the_console(
    catching, caplog
):
    caplog.set_level("INFO", logger="socialops.devmail")
    assert _send(("First", "one", "amy@alpha.test"), ("Second", "two", "bea@alpha.test")) == 2
    assert len(list(catching.glob("*.eml"))) == 2 and not list(catching.glob(".*"))
    out = caplog.text
    assert "to amy@alpha.test: First" in out and "http://testserver/dev/mail/" in out
    assert [m.subject for m in caught_mail()] == ["Second", "First"]  # newest first


def test_the_page_lists_subject_recipient_time_and_a_clickable_body_newest_first(client, catching):
    _send(("Older", "Nothing to click.", "amy@alpha.test"))
    _send(
        (
            "Approval needed: Rendang week",
            "Review and decide: http://testserver/a/tok:en-1/",
            "bea@alpha.test",
        )
    )
    page = client.get("/dev/mail/").content.decode()  # signed out: an invitee has no account yet
    assert page.index("Approval needed: Rendang week") < page.index("Older")
    assert "bea@alpha.test" in page and "amy@alpha.test" in page
    assert re.search(
        r'<a href="http://testserver/a/tok:en-1/"[^>]*>http://testserver/a/tok:en-1/</a>', page
    )
    assert '<time datetime="' in page


def test_the_body_is_escaped(client, catching):
    _send(("<b>Hi</b>", "<script>alert(1)</script> http://testserver/x/", "amy@alpha.test"))
    page = client.get("/dev/mail/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "<b>Hi</b>" not in page


def test_in_debug_the_footer_links_to_it_discreetly(client, catching, alice, org_a):
    client.force_login(alice)
    page = client.get(reverse("notification_list", args=[org_a.slug])).content.decode()
    assert 'href="/dev/mail/"' in page
    client.logout()  # before signing in too: the invitation and password reset e-mails
    assert 'href="/dev/mail/"' in client.get("/accounts/login/").content.decode()


def test_with_another_backend_the_page_says_so(client, settings, tmp_path):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    mail.send_mail("x", "y", "a@b.test", ["c@d.test"])
    page = client.get("/dev/mail/").content.decode()
    assert "E-mails are not being kept" in page
