"""A lender's small book across the October 2026 month boundary for the monthly reconciliation
(the figures are worked out in test_reconciliation_month.py)."""
import datetime as dt
import zoneinfo
from decimal import Decimal as D

from collections_app import models as m
from tests import factories as f

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
OCT = dt.date(2026, 10, 1)
Hist = m.CollectionCase.history.model


def at(month, day, hour=10):
    return dt.datetime(2026, month, day, hour, tzinfo=TZ)


def d(month, day):
    return dt.date(2026, month, day)


def case(lender, opened):
    c = f.CaseFactory(lender=lender)
    m.CollectionCase.objects.filter(id=c.id).update(opened_at=opened)
    Hist.objects.filter(id=c.id).update(history_date=opened)
    c.refresh_from_db()
    return c


def change(c, when, status, reason=""):
    c.status, c.close_reason = status, reason
    c.closed_at = when if status == m.CaseStatus.CLOSED else None
    c.save()
    Hist.objects.filter(history_id=c.history.latest().history_id).update(history_date=when)


def loan(c, due_on, amount, paid=()):
    ln = f.LoanFactory(lender=c.lender, borrower=c.borrower, case=c)
    f.InstallmentFactory(loan=ln, seq=1, due_date=due_on, principal_due=D(amount), interest_due=D("0"))
    return ln, [f.PaymentFactory(loan=ln, paid_on=day, amount=D(x), channel=ch) for day, x, ch in paid]


def make_book(lender):
    a = case(lender, at(9, 20))
    loan(a, d(9, 1), "1000", [(d(10, 5), "300", "bank"), (d(11, 2), "100", "bank")])
    b = case(lender, at(10, 10))
    loan(b, d(9, 1), "1000", [(d(10, 20), "600", "alipay")])
    m.SettlementOffer.objects.create(case=b, amount=D("600"), payoff_amount=D("1000"), discount_percent=D("40"),
                                     offered_on=d(10, 12), valid_until=d(10, 31), status=m.OfferStatus.PAID,
                                     level=m.ApprovalLevel.SUPERVISOR, paid_amount=D("600"), ended_on=d(10, 20),
                                     forgiven_amount=D("400"))
    change(b, at(10, 20, 18), m.CaseStatus.CLOSED, m.CaseCloseReason.DISCOUNTED)
    c = case(lender, at(9, 1))
    loan(c, d(8, 1), "2000", [(d(9, 10), "500", "bank"), (d(10, 12), "100", "bank"), (d(10, 25), "200", "bank")])
    m.ApprovalRequest.objects.create(kind=m.ApprovalKind.WRITE_OFF, case=c, status=m.ApprovalStatus.APPROVED,
                                     decided_at=at(10, 15))
    m.CollectionCase.objects.filter(id=c.id).update(written_off=True)
    legal = m.LegalCase.objects.create(case=c, opened_on=d(10, 20))
    m.LegalCost.objects.create(legal_case=legal, kind=m.LegalCostKind.COURT_FEE, amount=D("300"), incurred_on=d(10, 28))
    m.LegalCost.objects.create(legal_case=legal, kind=m.LegalCostKind.LAWYER_FEE, amount=D("50"), incurred_on=d(11, 3))
    dd = case(lender, at(9, 5))
    _ln, (paid,) = loan(dd, d(8, 1), "800", [(d(10, 8), "500", "wechat")])
    agency = m.Agency.objects.create(name="Far Agency", contract_start=d(1, 1), default_rate=D("0.2"))
    placement = m.AgencyPlacement.objects.create(case=dd, agency=agency, bucket="M2", commission_rate=D("0.2"),
                                                 placed_on=d(10, 1), recall_on=d(12, 30), recalled_on=d(10, 30),
                                                 recall_reason=m.RecallReason.CASE_CLOSED)
    m.PlacementPayment.objects.create(placement=placement, payment=paid)
    change(dd, at(10, 30), m.CaseStatus.CLOSED, m.CaseCloseReason.RECALLED)
    fc = case(lender, at(9, 1))
    change(fc, at(9, 25), m.CaseStatus.CLOSED, m.CaseCloseReason.CURED)
    case(lender, at(11, 3))
    other = f.LenderFactory(code="other")
    loan(case(other, at(10, 2)), d(9, 1), "999", [(d(10, 3), "999", "bank")])
    return {"a": a, "b": b, "c": c, "d": dd, "f": fc}
