"""Who saw whose personal data (national id, phone numbers, address) or downloaded which stored file,
and where — the one writer of ``PersonalDataAccess``.

Every page, admin page, API answer and file download that shows personal data records it here: one
record per borrower shown (a list page writes all of its rows in one insert), or one per stored file
downloaded (an import file, an error report, a call or visit recording) naming the file.

    record_personal_data_access(*, user, what, where="", borrower_ids=(), file_name="", import_job=None) -> int
"""
from __future__ import annotations

from collections.abc import Iterable

from collections_app.models import ImportJob, PersonalDataAccess


def record_personal_data_access(
    *,
    user,
    what: str,
    where: str = "",
    borrower_ids: Iterable[int | None] = (),
    file_name: str = "",
    import_job: ImportJob | None = None,
) -> int:
    """Record that ``user`` was shown ``what`` of each borrower (None ids, e.g. a blacklist entry
    with no borrower, are skipped; nothing is written for an anonymous user), or — with
    ``file_name`` — that they downloaded that stored file (one record, with the import job and the
    borrower when there is one, also for a download no signed-in user made). Returns the number of
    records written."""
    ids = list(dict.fromkeys(b for b in borrower_ids if b is not None))
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    if file_name:
        PersonalDataAccess.objects.create(
            user=user if signed_in else None,
            borrower_id=ids[0] if ids else None,
            import_job=import_job,
            file=file_name[:300],
            what=what[:100],
            where=(where or "")[:200],
        )
        return 1
    if not signed_in or not ids:
        return 0
    PersonalDataAccess.objects.bulk_create(
        [PersonalDataAccess(user=user, borrower_id=b, what=what[:100], where=(where or "")[:200]) for b in ids]
    )
    return len(ids)
