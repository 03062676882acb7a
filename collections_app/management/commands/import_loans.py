"""python manage.py import_loans FILE [--lender CODE] [--encoding ENC] [--errors-out PATH] [--dry-run]

Exit status (docs/imports.md): 0 every row stored; 1 some rows rejected (report written);
2 the file was rejected whole.
"""
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from collections_app.models import ImportStatus
from collections_app.services.imports import import_file


class ImportCommand(BaseCommand):
    kind = "loans"
    help = "Import a lender's loan book (CSV or XLSX)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--lender", help="Lender code (else the file's lender column).")
        parser.add_argument("--encoding", help="Text encoding of a CSV file (default: detected).")
        parser.add_argument("--errors-out", help="Also write the error report (CSV, UTF-8 with BOM) here.")
        parser.add_argument("--dry-run", action="store_true", help="Check and count everything, store nothing.")
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per committed batch.")

    def handle(self, *args, **opts):
        job = import_file(path=opts["file"], kind=self.kind, lender=opts["lender"], encoding=opts["encoding"],
                          dry_run=opts["dry_run"], errors_out=opts["errors_out"], batch_size=opts["batch_size"])
        if job.status == ImportStatus.FAILED and not job.processed_rows:
            self.stderr.write(_("File rejected: %(message)s") % {"message": job.message})
            raise SystemExit(2)
        if job.status == ImportStatus.FAILED:
            self.stderr.write(job.message)
            raise SystemExit(2)
        counts = {"stored": job.stored_rows, "created": job.created_rows, "updated": job.updated_rows,
                  "rejected": job.rejected_rows, "seconds": getattr(job, "seconds", 0.0)}
        if job.dry_run:
            summary = _("dry run: would store %(stored)d (create %(created)d, update %(updated)d), reject "
                        "%(rejected)d; nothing was stored, %(seconds).1f s") % counts
        else:
            summary = _("stored %(stored)d (created %(created)d, updated %(updated)d), rejected %(rejected)d, "
                        "%(seconds).1f s") % counts
        self.stdout.write(summary)
        if job.message:
            self.stderr.write(job.message)
        if job.rejected_rows:
            where = opts["errors_out"] or (job.error_report.path if job.error_report else "")
            self.stderr.write(_("Error report: %(path)s") % {"path": where})
            raise SystemExit(1)


class Command(ImportCommand):
    pass
