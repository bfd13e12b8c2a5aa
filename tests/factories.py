"""Small factories: each makes one row through the same services the product uses."""

from __future__ import annotations

import itertools

from allauth.account.models import EmailAddress

from accounts import services
from accounts.capabilities import Role
from accounts.models import Membership, Organization, Team, User

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


def make_user(
    email: str | None = None, *, name: str = "", password: str = PASSWORD, **extra
) -> User:
    email = email or f"person{next(_seq)}@example.test"
    user = User.objects.create_user(email, password, full_name=name, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def make_org(name: str, *, owner: User, slug: str | None = None) -> Organization:
    return services.create_organization(name=name, slug=slug, owner=owner)


def add_member(org: Organization, user: User, role: str = Role.VIEWER) -> Membership:
    return Membership.objects.create(organization=org, user=user, role=role)


def membership(org: Organization, user: User) -> Membership:
    return Membership.objects.for_org(org).get(user=user)


def make_team(
    org: Organization, name: str, *, parent: Team | None = None, by: Membership | None = None
) -> Team:
    by = by or Membership.objects.for_org(org).filter(role=Role.OWNER).first()
    return services.create_team(org, by=by, name=name, parent=parent)


def totp_code(secret: str) -> str:
    """The TOTP code an authenticator app shows now, never from the last seconds of its 30-second
    step: the server checks a code against the step it receives it in, and a request crossing into
    the next step was refused (a test failing now and then)."""
    import time

    from allauth.mfa.totp.internal.auth import hotp_value

    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left + 0.1)
    return f"{hotp_value(secret, int(time.time()) // 30):06d}"
