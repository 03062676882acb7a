"""A small book for November 2026 whose KPIs are worked out by hand in test_definitions.py.

Team A (supervisor ``super1``): coll1 (A1), coll2 (A2). Team B: coll3 (B1). One lender. Time zone
Asia/Shanghai; the period is 2026-11-01 … 2026-11-30.

- case X: held by A1 from Oct 20, handed to B1 on Nov 15 12:00 (now B1, team B). Loan X1: 1,000 due
  Oct 10 (M0 from Oct 11); paid 100 on Oct 31, 300 on Nov 10 (A1 held it), 200 on Nov 20 (B1 did),
  50 on Dec 1. Calls: Nov 12 RPC by A1, Nov 16 RPC by B1. Promises: by A1 on Nov 12 due Nov 14
  kept; by B1 on Nov 16 due Nov 30, broken (judged Dec 1).
- case Y: opened by the night of Nov 11 and given to A2 at 01:30 that night. Loan Y1: 600 due Nov 10
  (M0 from Nov 11); paid 250 on Nov 20. A no-answer call by A2 on Nov 12. Promises by A2: one on
  Nov 13 due Nov 15 replaced by one on Nov 20 due Nov 28, broken.
- case W: A1 (no assignment history). Loan W1: 400 due Dec 5, prepaid on Nov 8. Loan W2 (cured, then
  rolled again): 500 due Sep 30 (M0 Oct 1, M1 Oct 31), paid 500 on Nov 5 (CURRENT on Nov 5), 300
  due Nov 10 unpaid (M0 on Nov 11). A call on Nov 14 logged "rpc" on the emergency contact's number
  (a third party). Promises by A1: on Oct 25 due Oct 31, broken (judged Nov 1); on Nov 25 due Dec 3,
  pending.
- case Q: A1. Loan Q1: 700 due Jul 1, never paid: M2 from Oct 1, M3 from Nov 20.
- case V: B1, team B. Loan V1: 2,000 due Oct 1, unpaid: M0 Oct 2, M1 Nov 1.
- loans N1 (1,000 due Dec 15) and N2 (nothing due): no case, CURRENT throughout.
"""
import datetime as dt
import zoneinfo
from decimal import Decimal as D

from collections_app import models as m
from tests import factories as f

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOV = dict(date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30))
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=TZ)


def at(month, day, hour=10, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


def d(month, day):
    return dt.date(2026, month, day)


def loan(case_or_lender, due=(), paid=(), moves=(), borrower=None):
    lender = getattr(case_or_lender, "lender", case_or_lender)
    case = case_or_lender if isinstance(case_or_lender, m.CollectionCase) else None
    ln = f.LoanFactory(lender=lender, borrower=case.borrower if case else (borrower or f.BorrowerFactory(lender=lender)),
                       case=case)
    for seq, (day, amount) in enumerate(due, start=1):
        f.InstallmentFactory(loan=ln, seq=seq, due_date=day, principal_due=D(amount), interest_due=D("0"))
    for day, amount in paid:
        f.PaymentFactory(loan=ln, paid_on=day, amount=D(amount))
    for day, b0, b1 in moves:
        m.BucketHistory.objects.create(loan=ln, lender=lender, on_date=day, from_bucket=b0, to_bucket=b1, dpd=1)
    return ln


def assigned(case, when, from_user, to_user):
    row = m.AssignmentHistory.objects.create(case=case, from_user=from_user, to_user=to_user,
                                             team=to_user.team if to_user else None,
                                             from_team=from_user.team if from_user else None)
    m.AssignmentHistory.objects.filter(id=row.id).update(at=when)


def call(case, user, outcome, when, third_party=False):
    return f.ContactLogFactory(case=case, user=user, outcome=outcome, channel=m.Channel.PHONE, occurred_at=when,
                               is_attempt=True, is_conversation=outcome in m.CONVERSATION_OUTCOMES,
                               is_third_party=third_party or outcome == m.Outcome.THIRD_PARTY)


def promise(case, user, amount, created, due, status, resolved=None):
    p = f.PromiseFactory(case=case, amount=D(amount), status=status, resolved_on=resolved, created_by=user,
                         promised_date=due)
    m.PromiseToPay.objects.filter(id=p.id).update(created_at=created)
    return p


def make_book(lender, team, a1, a2):
    b1 = f.CollectorFactory(username="coll3", team=f.TeamFactory(name="Team B"))
    x = f.CaseFactory(lender=lender, assigned_to=b1, team=b1.team, bucket="M0")
    assigned(x, at(10, 20), None, a1)
    assigned(x, at(11, 15, 12), a1, b1)
    loan(x, [(d(10, 10), "1000")], [(d(10, 31), "100"), (d(11, 10), "300"), (d(11, 20), "200"), (d(12, 1), "50")],
         [(d(10, 11), "CURRENT", "M0")])
    call(x, a1, m.Outcome.RPC, at(11, 12))
    call(x, b1, m.Outcome.RPC, at(11, 16))
    promise(x, a1, "300", at(11, 12), d(11, 14), m.PromiseStatus.KEPT, d(11, 14))
    promise(x, b1, "200", at(11, 16), d(11, 30), m.PromiseStatus.BROKEN, d(12, 1))

    y = f.CaseFactory(lender=lender, assigned_to=a2, team=team, bucket="M0")
    assigned(y, at(11, 11, 1, 30), None, a2)
    loan(y, [(d(11, 10), "600")], [(d(11, 20), "250")], [(d(11, 11), "CURRENT", "M0")])
    call(y, a2, m.Outcome.NO_ANSWER, at(11, 12))
    promise(y, a2, "600", at(11, 13), d(11, 15), m.PromiseStatus.REPLACED)
    promise(y, a2, "300", at(11, 20), d(11, 28), m.PromiseStatus.BROKEN, d(11, 29))

    w = f.CaseFactory(lender=lender, assigned_to=a1, team=team, bucket="M0")
    loan(w, [(d(12, 5), "400")], [(d(11, 8), "400")])
    loan(w, [(d(9, 30), "500"), (d(11, 10), "300")], [(d(11, 5), "500")],
         [(d(10, 1), "CURRENT", "M0"), (d(10, 31), "M0", "M1"), (d(11, 5), "M1", "CURRENT"), (d(11, 11), "CURRENT", "M0")])
    call(w, a1, m.Outcome.RPC, at(11, 14), third_party=True)
    promise(w, a1, "500", at(10, 25), d(10, 31), m.PromiseStatus.BROKEN, d(11, 1))
    promise(w, a1, "400", at(11, 25), d(12, 3), m.PromiseStatus.PENDING)

    q = f.CaseFactory(lender=lender, assigned_to=a1, team=team, bucket="M3")
    loan(q, [(d(7, 1), "700")], [], [(d(10, 1), "M1", "M2"), (d(11, 20), "M2", "M3")])

    v = f.CaseFactory(lender=lender, assigned_to=b1, team=b1.team, bucket="M1")
    loan(v, [(d(10, 1), "2000")], [], [(d(10, 2), "CURRENT", "M0"), (d(11, 1), "M0", "M1")])

    loan(lender, [(d(12, 15), "1000")])
    loan(lender)
    return {"x": x, "y": y, "w": w, "q": q, "v": v, "b1": b1}
