"""Who saw whose personal data (national id, phone numbers, address), and where.

Every page, admin page and API answer that shows personal data records it here: one
``PersonalDataAccess`` per borrower shown, and a list page writes all of its rows in one insert.
"""
from __future__ import annotations

from collections.abc import Iterable

from collections_app.models import PersonalDataAccess


def record_personal_data_access(*, user, borrower_ids: Iterable[int | None], what: str, where: str = "") -> int:
    """Record that ``user`` was shown ``what`` of each borrower (None ids, e.g. a blacklist entry
    with no borrower, are skipped); returns the number of records written."""
    if user is None or not user.is_authenticated:
        return 0
    ids = list(dict.fromkeys(b for b in borrower_ids if b is not None))
    if not ids:
        return 0
    PersonalDataAccess.objects.bulk_create(
        [PersonalDataAccess(user=user, borrower_id=b, what=what[:100], where=where[:200]) for b in ids]
    )
    return len(ids)
