from django.core.management.base import BaseCommand, CommandError

from accounts.selectors import all_organizations
from governance.services import verify_chain


class Command(BaseCommand):
    help = "Recompute the audit log's hash chain of every organization (or one, by slug) and name the first broken entry."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="Only this organization's slug.")

    def handle(self, *args, org=None, **options):
        orgs = all_organizations()
        if org:
            orgs = orgs.filter(slug=org)
            if not orgs.exists():
                raise CommandError(f"No organization with slug {org!r}.")
        broken = 0
        for organization in orgs:
            report = verify_chain(organization)
            if report.ok:
                self.stdout.write(f"OK      {organization.slug}: {report.checked} entries")
            else:
                broken += 1
                self.stdout.write(
                    f"BROKEN  {organization.slug}: first broken entry #{report.first_broken_seq} ({report.reason})"
                )
        if broken:
            raise CommandError(f"{broken} organization(s) have a broken audit chain.")
