from django.core.management.base import BaseCommand, CommandError

from socialops.audit.selectors import organizations
from socialops.audit.services import AuditChainBroken, reanchor_chain, verify_chain


class Command(BaseCommand):
    help = (
        "Recompute the audit log's keyed hash chain of every organization (or one, by slug), compare it with "
        "the chain's sealed head, and name the first broken entry. Prints each head (seq and hash): keep those "
        "lines outside this server to notice a chain rolled back to an older state."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", help="Only this organization's slug.")
        parser.add_argument(
            "--reanchor",
            action="store_true",
            help="With --org: give a chain whose head is missing (and whose entries verify) a new head at its "
            "newest entry, recorded in the log. Its organization cannot record anything until then.",
        )

    def handle(self, *args, org=None, reanchor=False, **options):
        orgs = organizations(slug=org or None)
        if org and not orgs.exists():
            raise CommandError(f"No organization with slug {org!r}.")
        if reanchor:
            if not org:
                raise CommandError("--reanchor needs --org.")
            try:
                head = reanchor_chain(orgs.get())
            except AuditChainBroken as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"REANCHORED {org}: at entry #{head.seq - 1}, recorded as #{head.seq}; head {head.hash}"
            )
            return
        broken = 0
        for organization in orgs:
            report = verify_chain(organization)
            if report.ok:
                since = (
                    f" (after checkpoint #{report.checkpoint_seq})" if report.checkpoint_seq else ""
                )
                self.stdout.write(
                    f"OK      {organization.slug}: {report.checked} entries{since}, head #{report.head_seq} {report.head_hash}"
                )
                continue
            broken += 1
            where = (
                f"first broken entry #{report.first_broken_seq} " if report.first_broken_seq else ""
            )
            self.stdout.write(f"BROKEN  {organization.slug}: {where}({report.reason})")
        if broken:
            raise CommandError(f"{broken} organization(s) have a broken audit chain.")
