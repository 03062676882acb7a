"""Payment flags (``LoanRecalc``, read through ``selectors.recalc``) written and cleared: a payment
stored flags its loan; an evaluation deletes the flags it read before reading the payments."""
from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from collections_app.models import LoanRecalc


def flag_loans(loan_ids) -> None:
    """A payment was stored for these loans (the generic import path; PostgreSQL's ``imports.pg`` does
    the same in SQL). ``flagged_at`` is set again on loans flagged already: see ``clear_flags``."""
    loan_ids = sorted(set(loan_ids))
    if not loan_ids:
        return
    now = timezone.now()
    LoanRecalc.objects.bulk_create([LoanRecalc(loan_id=i, flagged_at=now) for i in loan_ids], update_conflicts=True,
                                   unique_fields=["loan"], update_fields=["flagged_at"], batch_size=2000)


def clear_flags(snapshot: dict[int, object], evaluated) -> None:
    """Delete the flags of the ``evaluated`` loans that are still the ones of ``snapshot``: a flag set
    again since (a payment stored after the payments were read) has another time and stays."""
    by_time = defaultdict(list)
    for loan_id in evaluated:
        if loan_id in snapshot:
            by_time[snapshot[loan_id]].append(loan_id)
    for flagged_at, ids in by_time.items():
        for start in range(0, len(ids), 2000):
            LoanRecalc.objects.filter(loan_id__in=ids[start:start + 2000], flagged_at=flagged_at).delete()
