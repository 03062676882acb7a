"""Payments made during a placement are the agency's; the monthly statement is their sum × the
rate fixed at placement (by the bucket then), checked against figures computed by hand."""
import datetime as dt
from decimal import Decimal

import pytest

from collections_app import models as m
from collections_app.selectors.agency import commission_statement, statement_table
from collections_app.services import agency as svc
from collections_app.services.payments import record_payment
from tests import factories as f
from tests.agency.conftest import TODAY

pytestmark = pytest.mark.django_db
D = Decimal


def placed_case(agency, bucket, placed_on, recalled_on=None):
    lender = f.LenderFactory(code="acme-lender")
    borrower = f.BorrowerFactory(lender=lender)
    case = f.CaseFactory(lender=lender, borrower=borrower, bucket=bucket, stage=bucket)
    loan = f.LoanFactory(lender=lender, borrower=borrower, case=case)
    rate = {r.bucket: r.rate for r in agency.rates.all()}.get(bucket, agency.default_rate)
    m.AgencyPlacement.objects.create(
        case=case, agency=agency, bucket=bucket, commission_rate=rate, placed_on=placed_on,
        recall_on=placed_on + dt.timedelta(days=90), recalled_on=recalled_on,
        recall_reason=m.RecallReason.BY_HAND if recalled_on else "",
    )
    return loan


def pay(loan, day, amount):
    return f.PaymentFactory(loan=loan, paid_on=day, amount=D(amount))


def test_commission_equals_the_hand_computed_figure(agency):
    """Rates: M2 0.15, M4+ 0.30, others 0.20. May 2026:
      M2 case   : 1000.00 + 333.33 in May            → 1333.33 × 0.15 = 199.9995 → 200.00
      M4+ case  : 2500.00 in May, 700.00 in June     → 2500.00 × 0.30 = 750.00
      M3 case   : 99.99 in May (default rate 0.20)   → 19.998 → 20.00
      recalled  : M2, recalled 2026-05-10: 400.00 on 05-09 counts, 300.00 on 05-10 does not
                  → with the M2 line: 1733.33 × 0.15 = 259.9995 → 260.00
      before    : M2 case placed 2026-05-20: 50.00 paid on 05-19 is not the agency's
    total commission 260.00 + 750.00 + 20.00 = 1030.00 on 4333.32 collected."""
    m2 = placed_case(agency, "M2", dt.date(2026, 4, 20))
    pay(m2, dt.date(2026, 5, 3), "1000.00")
    pay(m2, dt.date(2026, 5, 28), "333.33")
    m4 = placed_case(agency, "M4+", dt.date(2026, 5, 1))
    pay(m4, dt.date(2026, 5, 1), "2500.00")
    pay(m4, dt.date(2026, 6, 2), "700.00")
    m3 = placed_case(agency, "M3", dt.date(2026, 5, 1))
    pay(m3, dt.date(2026, 5, 31), "99.99")
    recalled = placed_case(agency, "M2", dt.date(2026, 4, 1), recalled_on=dt.date(2026, 5, 10))
    pay(recalled, dt.date(2026, 5, 9), "400.00")
    pay(recalled, dt.date(2026, 5, 10), "300.00")
    late = placed_case(agency, "M2", dt.date(2026, 5, 20))
    pay(late, dt.date(2026, 5, 19), "50.00")

    assert svc.attribute_payments() == 6  # of 8 payments: the two outside a placement are not
    assert svc.attribute_payments() == 0  # once only

    admin = f.AdminFactory()
    statement = commission_statement(admin, agency, dt.date(2026, 5, 1))
    lines = {(line.bucket, line.rate): (line.payments, line.collected, line.commission) for line in statement.lines}
    assert lines == {
        ("M2", D("0.1500")): (3, D("1733.33"), D("260.00")),
        ("M3", D("0.2000")): (1, D("99.99"), D("20.00")),
        ("M4+", D("0.3000")): (1, D("2500.00"), D("750.00")),
    }
    assert (statement.collected, statement.commission) == (D("4333.32"), D("1030.00"))
    june = commission_statement(admin, agency, dt.date(2026, 6, 1))
    assert (june.collected, june.commission) == (D("700.00"), D("210.00"))
    header, rows = statement_table(statement)
    assert rows[-1][-1] == D("1030.00") and len(rows) == 4


def test_a_payment_recorded_while_placed_is_attributed_at_once(team_setup, agency):
    loan = placed_case(agency, "M2", TODAY - dt.timedelta(days=5))
    payment = record_payment(loan=loan, external_id="PAY-1", paid_on=TODAY, amount=D("120.00"), source="api")
    assert m.PlacementPayment.objects.get(payment=payment).placement.agency == agency


def test_statement_page_and_export(client, agency, team_setup):
    loan = placed_case(agency, "M2", dt.date(2026, 5, 1))
    pay(loan, dt.date(2026, 5, 2), "1000.00")
    svc.attribute_payments()
    client.force_login(team_setup["admin"])
    page = client.get(f"/supervisor/agencies/{agency.pk}/statement/?month=2026-05")
    assert page.status_code == 200 and "150.00" in page.content.decode()
    csv = client.get(f"/supervisor/agencies/{agency.pk}/statement/?month=2026-05&export=csv")
    assert csv["Content-Type"].startswith("text/csv")
    body = csv.content.decode("utf-8-sig")
    assert "M2" in body and "150.00" in body and "Total" in body
    xlsx = client.get(f"/supervisor/agencies/{agency.pk}/statement/?month=2026-05&export=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    collector = team_setup["collector"]
    client.force_login(collector)
    assert client.get(f"/supervisor/agencies/{agency.pk}/statement/").status_code == 403
