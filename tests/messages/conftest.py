import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from collections_app import models as m
from tests import factories as f

SH = ZoneInfo("Asia/Shanghai")
MORNING = dt.datetime(2026, 3, 4, 10, 0, tzinfo=SH)  # a Wednesday, inside contact hours
NIGHT = dt.datetime(2026, 3, 4, 23, 30, tzinfo=SH)


@pytest.fixture
def msg_case(db, settings):
    """A case with one overdue loan, a collector, the borrower's phone and e-mail."""
    settings.BUSINESS_DATE = None
    lender = f.LenderFactory(code="acme", name="Acme Finance", payment_account="ICBC 6222 0000 1111",
                             collection_phone="400-800-1234")
    product = f.ProductFactory(lender=lender, penalty_daily_rate=Decimal("0.0005"))
    collector = f.CollectorFactory(username="col1", first_name="Li", last_name="Ming", phone_extension="8021")
    loan = f.LoanFactory(lender=lender, product=product, external_id="L-0001")
    f.InstallmentFactory(loan=loan, seq=1, due_date=dt.date(2026, 2, 1), principal_due=Decimal("1000.00"),
                         interest_due=Decimal("50.00"))
    f.InstallmentFactory(loan=loan, seq=2, due_date=dt.date(2026, 5, 1), principal_due=Decimal("1000.00"),
                         interest_due=Decimal("50.00"))
    case = f.CaseFactory(lender=lender, borrower=loan.borrower, assigned_to=collector, bucket="M1", stage="M1", dpd=31)
    m.Loan.objects.filter(pk=loan.pk).update(case=case)
    f.ContactPointFactory(borrower=case.borrower, value="13800000001", is_primary=True)
    f.ContactPointFactory(borrower=case.borrower, kind=m.ContactKind.EMAIL, value="borrower@example.com")
    return case
