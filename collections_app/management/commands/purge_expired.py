"""python manage.py purge_expired [--dry-run] [--as-of YYYY-MM-DD]

Anonymises (or purges, by the lender's retention mode) the borrowers of every lender whose agreement
ended more than RETENTION_YEARS (default 5) ago, and prints what it did (docs/retention.md). Beat
runs the same service every night (``collections_app.tasks.purge_expired``).
"""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from collections_app.services import retention


class Command(BaseCommand):
    help = "Anonymise or purge the personal data of borrowers whose lender's agreement ended long ago."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be done; change nothing.")
        parser.add_argument("--as-of", help="Date to count the retention period back from (default: the business "
                                            "date).")

    def handle(self, *args, **opts):
        try:
            today = dt.date.fromisoformat(opts["as_of"]) if opts["as_of"] else None
        except ValueError as exc:
            raise CommandError(f"--as-of must be YYYY-MM-DD: {exc}") from exc
        report = retention.purge_expired(today=today, dry_run=opts["dry_run"])
        for line in report.lines():
            self.stdout.write(line)
