"""Issue 10, item 12: under `make run` (DEBUG) the approval e-mail the worker sent is on /dev/mail/,
with its one-tap link clickable, and the link opens the approval page."""

from __future__ import annotations

import re

import pytest

from socialops.devmail import BACKEND

from .conftest import submit

pytestmark = pytest.mark.django_db


def test_the_approvers_link_is_one_click_away_on_the_mail_catcher(
    client, settings, tmp_path, people, workflow, draft
):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)
    submit(draft, people.author)  # the outbox is sent on commit, as the worker does

    page = client.get("/dev/mail/").content.decode()
    assert "Approval needed: Launch day" in page and "amy@alpha.test" in page
    links = re.findall(r'<a href="(http://testserver/a/[^"]+/)"', page)
    assert len(links) == 2  # Amy's and Abe's, each their own
    client.force_login(people.amy.user)
    amy_block = page[page.index("amy@alpha.test") :]
    link = re.search(r'<a href="http://testserver(/a/[^"]+/)"', amy_block).group(1)
    response = client.get(link)
    assert response.status_code == 200 and "Launch day" in response.content.decode()
