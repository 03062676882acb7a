"""Downloads of stored files: the access record each one leaves (who, which file, from where)."""
from __future__ import annotations

from collections_app.models import PersonalDataAccess


def record_file_download(*, user, what: str, file_name: str, where: str = "", import_job=None, borrower=None):
    """One access record per download of a stored file (an import file, an error report, a recording)."""
    return PersonalDataAccess.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        borrower=borrower,
        import_job=import_job,
        file=(file_name or "")[:300],
        what=what[:100],
        where=(where or "")[:200],
    )
