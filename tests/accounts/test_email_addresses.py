"""An e-mail address added to an account signs in only once its owner has verified it."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "alice.private@example.test"


def _login(client, email):
    client.logout()
    client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    return client.session.get("_auth_user_id")


def _add_address(client, user):
    assert _login(client, user.email) == str(user.pk)
    mail.outbox.clear()
    r = client.post("/accounts/email/", {"email": NEW, "action_add": ""})
    assert r.status_code == 302
    assert EmailAddress.objects.get(user=user, email=NEW).verified is False


def test_an_added_unverified_address_cannot_be_used_to_sign_in(client, alice):
    _add_address(client, alice)
    assert _login(client, NEW) is None
    # The person is told to verify it (a link goes to that address), and is not signed in.
    client.logout()
    r = client.post("/accounts/login/", {"login": NEW, "password": PASSWORD}, follow=True)
    assert r.status_code == 200 and "_auth_user_id" not in client.session
    assert "verif" in r.content.decode().lower()
    assert _login(client, alice.email) == str(alice.pk)  # the verified address still works


def test_an_added_address_signs_in_after_it_is_verified(client, alice):
    _add_address(client, alice)
    (message,) = [m for m in mail.outbox if NEW in m.to]
    confirm = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body).group(1)
    client.logout()
    assert client.post(confirm).status_code == 302
    assert EmailAddress.objects.get(user=alice, email=NEW).verified is True
    assert _login(client, NEW) == str(alice.pk)
