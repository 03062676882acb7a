"""python manage.py import_installments FILE [same options as import_loans]. The rows given for a loan
replace its schedule."""
from .import_loans import ImportCommand


class Command(ImportCommand):
    kind = "installments"
    help = "Import installment schedules (CSV or XLSX); the rows given for a loan replace its schedule."
