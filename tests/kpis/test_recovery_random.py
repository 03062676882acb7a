"""Recovery by bucket equals a loan-by-loan recomputation in Python from the raw rows (docs/kpis.md, the
recovery base, recovered and rate) on random books evaluated by the nightly run: loans owing at the
period's start and loans that entered a delinquent bucket during it, corrections after a dispute left
out of what was recovered, periods across the evaluations."""
import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal as M

import pytest

from collections_app.domain import kpis as formulas
from collections_app.models import BucketHistory, Installment, Loan, Payment
from collections_app.selectors import kpis as data
from collections_app.selectors.dashboard import bucket_ranges
from collections_app.services import nightly
from tests import factories as f

from .test_loans_own_figures import EVALUATED_ON, random_book

pytestmark = pytest.mark.django_db


def by_hand(lender, date_from, date_to, first):
    totals = defaultdict(lambda: {"loans": 0, "base": M(0), "recovered": M(0)})
    for loan in Loan.objects.filter(lender=lender, case__isnull=False):
        due = list(Installment.objects.filter(loan=loan).values_list("due_date", "amount_due"))
        pays = list(Payment.objects.filter(loan=loan).values_list("paid_on", "amount", "source"))

        def overdue_before(day, due=due, pays=pays):
            return max(M(0), sum((a for d, a in due if d < day), M(0)) - sum((a for d, a, _s in pays if d < day), M(0)))

        history = list(BucketHistory.objects.filter(loan=loan).order_by("on_date").values_list("on_date", "to_bucket"))
        base = overdue_before(date_from)
        if base > 0:
            since, bucket = date_from, next((b for d, b in reversed(history) if d < date_from), first)
        else:
            entry = next(((d, b) for d, b in history if date_from <= d <= date_to and b != first), None)
            if entry is None:
                continue
            since, bucket = entry
            base = overdue_before(since)
        if base <= 0:
            continue
        paid = sum((a for d, a, s in pays if since <= d <= date_to and s != Payment.Source.ADJUSTMENT), M(0))
        t = totals[bucket]
        t["loans"] += 1
        t["base"] += base
        t["recovered"] += min(paid, base)
    return {b: (t["loans"], t["base"], t["recovered"], formulas.recovery_rate(t["recovered"], t["base"]))
            for b, t in totals.items()}


@pytest.mark.parametrize("seed", [1, 2])
def test_recovery_by_bucket_equals_the_loan_by_loan_recomputation(seed, lender):
    rng = random.Random(seed)
    loans = random_book(lender, rng)
    for loan in rng.sample(loans, 10):  # corrections after an upheld dispute: not money recovered
        f.PaymentFactory(loan=loan, paid_on=EVALUATED_ON[1] + dt.timedelta(days=rng.randint(0, 40)), amount=M("40"),
                         source=Payment.Source.ADJUSTMENT)
    borrowers = tuple(sorted({x.borrower_id for x in loans}))
    for as_of in EVALUATED_ON:
        nightly.process_scope(scope=nightly.Scope(borrower_ids=borrowers), as_of=as_of)
    codes = [c for c, _days in bucket_ranges()]
    periods = [(dt.date(2026, 10, 1), dt.date(2026, 10, 31)), (dt.date(2026, 9, 15), dt.date(2026, 11, 20)),
               (dt.date(2026, 11, 1), dt.date(2026, 11, 30))]
    checked = 0
    for date_from, date_to in periods:
        got = {r["bucket"]: (r["loans"], r["base"], r["recovered"], r["recovery_rate"])
               for r in data.recovery_by_bucket(data.Scope(date_from=date_from, date_to=date_to), codes)}
        assert got == by_hand(lender, date_from, date_to, codes[0]), (date_from, date_to)
        checked += sum(v[0] for v in got.values())
    assert checked > 20, "the periods hold loans owing and entering"
