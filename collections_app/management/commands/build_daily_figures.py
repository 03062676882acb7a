"""python manage.py build_daily_figures [--from YYYY-MM-DD] [--to YYYY-MM-DD]

(Re)builds the DailyFigures rows of every day in the range from the raw tables (docs/kpis.md, "Daily
figures"): a backfill after an upgrade, or after a late import changed past days. Default: the
business date only. Safe to run again.
"""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from collections_app.selectors.loan_figures import business_date
from collections_app.services import daily_figures


class Command(BaseCommand):
    help = "Rebuild the daily figures of a range of business dates."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", help="First day (default: the business date).")
        parser.add_argument("--to", dest="date_to", help="Last day (default: the first day).")

    def handle(self, *args, **opts):
        try:
            date_from = dt.date.fromisoformat(opts["date_from"]) if opts["date_from"] else business_date()
            date_to = dt.date.fromisoformat(opts["date_to"]) if opts["date_to"] else date_from
        except ValueError as exc:
            raise CommandError(f"dates must be YYYY-MM-DD: {exc}") from exc
        if date_to < date_from:
            raise CommandError("--to is before --from")
        rows = daily_figures.rebuild_range(date_from=date_from, date_to=date_to)
        self.stdout.write(f"{rows} rows for {date_from} … {date_to}")
