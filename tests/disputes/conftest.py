import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from collections_app import models as m
from collections_app.services import nightly as engine
from tests import factories as f

SH = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 3, 4)


def at(day: dt.date, h=10, mi=0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, h, mi, tzinfo=SH)


@pytest.fixture
def case(lender, collector):
    """A delinquent case: 1,050.00 overdue since 1 Feb 2026, 1,050.00 more due 1 June 2026."""
    borrower = f.BorrowerFactory(lender=lender)
    f.ContactPointFactory(borrower=borrower, value="13800138000")
    loan = f.LoanFactory(lender=lender, borrower=borrower)
    f.InstallmentFactory(loan=loan, seq=1, due_date=dt.date(2026, 2, 1))
    f.InstallmentFactory(loan=loan, seq=2, due_date=dt.date(2026, 6, 1))
    engine.recalculate_loans(loan_ids=[loan.id], as_of=TODAY)
    case = m.CollectionCase.objects.select_related("lender", "borrower").get(borrower=borrower)
    m.CollectionCase.objects.filter(pk=case.pk).update(assigned_to=collector, team=collector.team)
    case.refresh_from_db()
    return case
