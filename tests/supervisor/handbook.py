"""A small collections book built by hand, shared by the dashboard and KPI API tests (its figures
are worked out in tests/supervisor/test_dashboard_selectors.py)."""
import datetime as dt
import zoneinfo
from decimal import Decimal as D

from collections_app import models as m
from tests import factories as f

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=TZ)
FILTERS = dict(date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 23))


def at(day, hour=10):
    return dt.datetime(2026, *day, hour, 0, tzinfo=TZ)


def loan_with(case, installments, payments, history=()):
    loan = f.LoanFactory(lender=case.lender, borrower=case.borrower, case=case)
    for seq, (due, amount) in enumerate(installments, start=1):
        f.InstallmentFactory(loan=loan, seq=seq, due_date=due, principal_due=amount, interest_due=D("0"))
    for paid_on, amount in payments:
        f.PaymentFactory(loan=loan, paid_on=paid_on, amount=amount)
    for on_date, b0, b1 in history:
        m.BucketHistory.objects.create(loan=loan, lender=case.lender, on_date=on_date, from_bucket=b0, to_bucket=b1, dpd=1)
    return loan


def promise(case, user, amount, created, status, resolved=None):
    p = f.PromiseFactory(case=case, amount=D(amount), status=status, resolved_on=resolved, created_by=user,
                         promised_date=resolved or dt.date(2026, 11, 30))
    m.PromiseToPay.objects.filter(id=p.id).update(created_at=at(created))
    return p


def contact(case, user, outcome, when, channel=m.Channel.PHONE):
    return f.ContactLogFactory(
        case=case, user=user, outcome=outcome, channel=channel, occurred_at=when,
        is_attempt=channel == m.Channel.PHONE, is_conversation=outcome in m.CONVERSATION_OUTCOMES,
        is_third_party=outcome == m.Outcome.THIRD_PARTY,
    )


def make_book(lender, team, collector, other_collector):
    d = dt.date
    c1 = f.CaseFactory(lender=lender, assigned_to=collector, team=team, bucket="M2", overdue_amount=D("1700"),
                       outstanding_amount=D("2500"), first_worked_at=at((11, 2)), first_contact_due_at=at((11, 1)))
    c2 = f.CaseFactory(lender=lender, assigned_to=other_collector, team=team, bucket="M1", overdue_amount=D("1300"),
                       outstanding_amount=D("1300"), first_contact_due_at=NOW - dt.timedelta(hours=1))
    c6 = f.CaseFactory(lender=lender, team=team, bucket="M1", overdue_amount=D("100"), outstanding_amount=D("100"))
    m.CollectionCase.objects.filter(id=c6.id).update(opened_at=NOW - dt.timedelta(days=2))
    f.CaseFactory(lender=lender, team=team, assigned_to=collector, status=m.CaseStatus.CLOSED,
                  close_reason=m.CaseCloseReason.CURED, overdue_amount=D("0"))
    loan_with(c1, [(d(2026, 9, 15), D("1000")), (d(2026, 10, 15), D("1000")), (d(2026, 11, 15), D("1000"))],
              [(d(2026, 9, 10), D("500")), (d(2026, 11, 5), D("800"))],
              [(d(2026, 9, 16), "CURRENT", "M0"), (d(2026, 10, 16), "M0", "M1"), (d(2026, 11, 16), "M1", "M2")])
    loan_with(c1, [(d(2026, 10, 1), D("500"))], [(d(2026, 9, 20), D("800"))])  # prepaid: opening overdue 0, not -300
    loan_with(c2, [(d(2026, 10, 20), D("2000"))], [(d(2026, 11, 20), D("700"))],
              [(d(2026, 10, 21), "CURRENT", "M0"), (d(2026, 11, 20), "M0", "M1")])
    loan_with(c2, [], [], [(d(2026, 10, 5), "CURRENT", "M0"), (d(2026, 11, 10), "M0", "CURRENT")])
    # Team B: outside the supervisor's scope.
    coll3 = f.CollectorFactory(username="coll3", team=f.TeamFactory(name="Team B"))
    c4 = f.CaseFactory(lender=lender, assigned_to=coll3, team=coll3.team, bucket="M1", overdue_amount=D("4000"))
    loan_with(c4, [(d(2026, 10, 1), D("5000"))], [(d(2026, 11, 2), D("1000"))])
    contact(c4, coll3, m.Outcome.RPC, at((11, 3)))
    m.Target.objects.create(period="month", period_start=d(2026, 11, 1), team=coll3.team, amount=D("10000"))
    # Targets
    m.Target.objects.create(period="month", period_start=d(2026, 11, 1), team=team, amount=D("3000"))
    m.Target.objects.create(period="month", period_start=d(2026, 10, 1), team=team, amount=D("9999"))
    m.Target.objects.create(period="month", period_start=d(2026, 11, 1), collector=collector, amount=D("1000"))
    m.Target.objects.create(period="month", period_start=d(2026, 11, 1), collector=other_collector, amount=D("1000"))
    # Promises
    promise(c1, collector, "800", (11, 5), m.PromiseStatus.KEPT, d(2026, 11, 10))
    promise(c1, collector, "400", (11, 7), m.PromiseStatus.PARTIALLY_KEPT, d(2026, 11, 15))
    promise(c2, other_collector, "500", (11, 6), m.PromiseStatus.BROKEN, d(2026, 11, 12))
    promise(c2, other_collector, "700", (11, 20), m.PromiseStatus.PENDING)
    promise(c2, other_collector, "900", (10, 20), m.PromiseStatus.BROKEN, d(2026, 10, 25))
    # Contacts
    for outcome in (m.Outcome.NO_ANSWER, m.Outcome.RPC, m.Outcome.THIRD_PARTY, m.Outcome.PROMISE):
        contact(c1, collector, outcome, at((11, 4)))
    contact(c1, collector, m.Outcome.NO_ANSWER, at((11, 4)), channel=m.Channel.SMS)
    contact(c2, other_collector, m.Outcome.BUSY, at((11, 6)))
    contact(c2, other_collector, m.Outcome.REFUSED, at((11, 6)))
    contact(c2, other_collector, m.Outcome.RPC, at((10, 30)))
    m.Complaint.objects.create(case=c1, borrower=c1.borrower, description="x", received_at=at((11, 8)),
                               due_on=dt.date(2026, 11, 23))
    return {"c1": c1, "c2": c2, "c6": c6}
