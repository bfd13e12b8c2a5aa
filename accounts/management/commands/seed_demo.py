"""Seed a demo organization (idempotent: running it again reuses what exists)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import selectors, services
from accounts.capabilities import Role
from accounts.models import Membership, Organization, Team, User
from socialops.demo import run_seeders

DEMO_PASSWORD = "socialops-demo"  # noqa: S105 - printed for the demo on purpose

# (e-mail, name, role, team, what they do in the demo: approvals/demo.py sets up the review)
PEOPLE = [
    (
        "admin@demo.socialops.local",
        "Dewi Admin",
        Role.OWNER,
        "Head office",
        "owner; approves stage 2 (Brand) of the Indonesia review; also owns a second organization",
    ),
    (
        "manager@demo.socialops.local",
        "Budi Manager",
        Role.MANAGER,
        "Head office",
        "writes posts and submits them for approval",
    ),
    (
        "publisher@demo.socialops.local",
        "Sari Publisher",
        Role.PUBLISHER,
        "Indonesia",
        "writes, submits and schedules posts",
    ),
    (
        "approver@demo.socialops.local",
        "Rina Legal",
        Role.ADMIN,
        "Head office",
        "approves stage 1 (Legal) of the Indonesia review",
    ),
    ("viewer@demo.socialops.local", "Eko Viewer", Role.VIEWER, "Jakarta", "reads only"),
]
TEAMS = [
    ("Head office", None),
    ("Indonesia", "Head office"),
    ("Jakarta", "Indonesia"),
    ("Surabaya", "Indonesia"),
    ("Singapore", "Head office"),
]


def _user(email: str, name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name)
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


class Command(BaseCommand):
    help = "Create the demo organization 'Nusantara Foods' with teams, people and sandbox channels (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options):
        owner = _user(PEOPLE[0][0], PEOPLE[0][1])
        org = Organization.objects.filter(slug="demo").first()
        if org is None:
            org = services.create_organization(
                name="Nusantara Foods (demo)",
                slug="demo",
                owner=owner,
                timezone_name="Asia/Jakarta",
                language="en",
            )
        owner_m = selectors.membership_for(owner, org)
        if not org.sandbox_network:  # the demo runs on the Sandbox network, production included
            services.update_organization(
                org,
                by=owner_m,
                name=org.name,
                timezone_name=org.timezone,
                language=org.default_language,
                sandbox_network=True,
            )
        teams: dict[str, Team] = {t.name: t for t in selectors.teams_of(org)}
        for name, parent in TEAMS:
            if name not in teams:
                teams[name] = services.create_team(
                    org, by=owner_m, name=name, parent=teams.get(parent)
                )
        for email, name, role, team, _does in PEOPLE:
            user = _user(email, name)
            m = Membership.objects.for_org(org).filter(user=user).first()
            if m is None:
                m = Membership.objects.create(organization=org, user=user, role=role)
            m.teams.add(teams[team])
        # Each app's own part (socialops/demo.py): sandbox channels, the approval workflow, then the
        # calendar's notes, holidays, campaign band, cadence targets and posts.
        run_seeders(org, by=owner_m)
        # A second organization, so switching between tenants can be tried at once.
        other = Organization.objects.filter(slug="demo-agency").first()
        if other is None:
            services.create_organization(
                name="Garuda Agency (demo)",
                slug="demo-agency",
                owner=owner,
                timezone_name="Asia/Singapore",
            )
        self.stdout.write(self.style.SUCCESS("Demo organization ready: /o/demo/"))
        self.stdout.write(f"Sign in with any of these (password: {DEMO_PASSWORD}):")
        for email, _name, role, _team, does in PEOPLE:
            self.stdout.write(f"  {email:34} {role:10} {does}")
        self.stdout.write(
            "A post to an Indonesian channel (Nusantara Indonesia, Kopi Pagi Jakarta, Promo Harian"
            " Surabaya) goes to approver@ (Legal), then admin@ (Brand)."
        )
        self.stdout.write(
            "In development the e-mails sent (approval links) are listed at /dev/mail/."
        )
