"""A delinquent case on a fixed business date, built through the engine like a lender's book."""
import datetime as dt
from decimal import Decimal

import pytest

from collections_app.models import CollectionCase
from collections_app.services import nightly
from tests import factories as f

D = dt.date
M = Decimal
# three monthly instalments of 1,000 (principal 950 + interest 50), the first due on 10 January
DUES = ((D(2026, 1, 10), "950", "50"), (D(2026, 2, 10), "950", "50"), (D(2026, 3, 10), "950", "50"))


def make_loan(lender, borrower=None, dues=DUES):
    loan = f.LoanFactory(lender=lender, borrower=borrower or f.BorrowerFactory(lender=lender), principal=M("2850"))
    for n, (due, principal, interest) in enumerate(dues, 1):
        f.InstallmentFactory(loan=loan, seq=n, due_date=due, principal_due=M(principal), interest_due=M(interest))
    return loan


def run_to(day: dt.date, settings=None):
    """The nightly run for ``day`` with ``day`` as the business date."""
    if settings is not None:
        settings.BUSINESS_DATE = day.isoformat()
    return nightly.run_delinquency(as_of=day)


@pytest.fixture
def book(db, lender, collector, settings):
    """One borrower, one loan 36 days late on 15 February (overdue 2,000), the case assigned to ``collector``."""
    loan = make_loan(lender)
    run_to(D(2026, 2, 15), settings)
    case = CollectionCase.objects.get(borrower=loan.borrower)
    case.assigned_to, case.team = collector, collector.team
    case.save()
    return loan, case
