"""Loan-book, installment and payment imports (docs/imports.md)."""
from .reader import FileRejected
from .runner import ImportAborted, create_import_job, import_file, run_import

__all__ = ["FileRejected", "ImportAborted", "create_import_job", "import_file", "run_import"]
