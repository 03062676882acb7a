"""python manage.py import_payments FILE [same options as import_loans]."""
from .import_loans import ImportCommand


class Command(ImportCommand):
    kind = "payments"
    help = "Import a lender's payment file (CSV or XLSX)."
