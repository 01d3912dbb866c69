"""Delete drafts, identities and responses past their survey's retention periods (idempotent)."""

from django.core.management.base import BaseCommand

from surveys.services.privacy import purge_expired


class Command(BaseCommand):
    help = "Supprime ce qui a dépassé les durées de conservation de chaque enquête (--dry-run : compte seulement)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count only, delete nothing")

    def handle(self, *args, dry_run: bool = False, **options):
        for slug, report in purge_expired(dry_run=dry_run).items():
            verb = "would delete" if dry_run else "deleted"
            self.stdout.write(f"{slug}: {verb} {report.drafts} drafts, {report.identities} identities, "
                              f"{report.responses} responses")
