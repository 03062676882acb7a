import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from collections_app import models as m
from tests import factories as f

SH = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 3, 4)
MORNING = dt.datetime(2026, 3, 4, 10, 0, tzinfo=SH)  # a Wednesday, inside contact hours


@pytest.fixture
def act_case(db, settings):
    """An M1 case with one overdue loan, a collector in a team, the borrower's phone."""
    settings.BUSINESS_DATE = TODAY.isoformat()
    lender = f.LenderFactory(code="acme", name="Acme Finance")
    team = f.TeamFactory()
    collector = f.CollectorFactory(username="col1", team=team)
    loan = f.LoanFactory(lender=lender, external_id="L-0001")
    f.InstallmentFactory(loan=loan, seq=1, due_date=dt.date(2026, 2, 1), principal_due=Decimal("1000.00"),
                         interest_due=Decimal("50.00"))
    case = f.CaseFactory(lender=lender, borrower=loan.borrower, assigned_to=collector, team=team, bucket="M1",
                         stage="M1", dpd=31)
    m.Loan.objects.filter(pk=loan.pk).update(case=case)
    f.ContactPointFactory(borrower=case.borrower, value="13800000001", is_primary=True)
    return case


def make_action(case, kind, due=TODAY, key="1", **kw):
    return m.CaseAction.objects.create(case=case, rule_code=kw.pop("rule_code", f"r-{kind}"), kind=kind, due_on=due,
                                       occurrence_key=key, **kw)
