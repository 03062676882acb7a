"""Dashboard figures on a small book built by hand, checked to the cent."""
import datetime as dt
import zoneinfo
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app import models as m
from collections_app.selectors import dashboard as dash
from tests import factories as f

pytestmark = pytest.mark.django_db
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


@pytest.fixture
def book(lender, team, collector, other_collector):
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


def test_supervisor_summary(book, supervisor):
    s = dash.dashboard(supervisor, dash.DashboardFilters(**FILTERS), now=NOW).summary
    assert s["collected"] == D("1500.00")
    assert s["opening_overdue"] == D("3500.00")
    assert s["recovery_rate"] == D("0.4286")
    assert s["target"] == D("2300.00")  # 23 of November's 30 days of 3,000
    assert s["target_achieved"] == D("0.6522")
    assert (s["promises_made"], s["promised_amount"]) == (4, D("2400.00"))
    assert (s["promises_kept"], s["promises_partially_kept"], s["promises_broken"], s["promises_pending"]) == (1, 1, 1, 1)
    assert s["promise_keep_rate"] == D("0.3333")
    assert (s["attempts"], s["contacts_reached"], s["rpc"]) == (6, 4, 3)
    assert (s["contact_rate"], s["rpc_rate"]) == (D("0.6667"), D("0.5000"))
    assert (s["open_cases"], s["open_overdue"]) == (3, D("3100.00"))
    assert (s["complaints_received"], s["complaints_open"]) == (1, 1)


def test_admin_sees_every_team_and_can_filter(book, admin_user, team):
    s = dash.dashboard(admin_user, dash.DashboardFilters(**FILTERS), now=NOW).summary
    assert (s["collected"], s["opening_overdue"], s["recovery_rate"]) == (D("2500.00"), D("8500.00"), D("0.2941"))
    assert s["target"] == D("9966.67")
    only_a = dash.dashboard(admin_user, dash.DashboardFilters(**FILTERS, team_id=team.id), now=NOW).summary
    assert (only_a["collected"], only_a["target"]) == (D("1500.00"), D("2300.00"))
    other = f.LenderFactory(code="other")
    empty = dash.dashboard(admin_user, dash.DashboardFilters(**FILTERS, lender_id=other.id), now=NOW).summary
    assert (empty["collected"], empty["recovery_rate"], empty["contact_rate"]) == (D("0"), None, None)
    assert str(s["collected"]) == "2500.00"  # to the cent on every database


def test_aging_by_bucket(book, supervisor):
    rows = dash.dashboard(supervisor, dash.DashboardFilters(**FILTERS), now=NOW).aging
    assert rows == [
        {"bucket": "M1", "count": 2, "overdue": D("1400.00"), "outstanding": D("1400.00")},
        {"bucket": "M2", "count": 1, "overdue": D("1700.00"), "outstanding": D("2500.00")},
    ]


def test_roll_rates(book, supervisor):
    d = dash.dashboard(supervisor, dash.DashboardFilters(**FILTERS), now=NOW)
    by_from = {r["from"]: r for r in d.roll}
    assert list(by_from) == ["CURRENT", "M0", "M1"]
    assert (by_from["CURRENT"]["total"], by_from["CURRENT"]["roll_forward_rate"]) == (1, D("0"))
    m0 = by_from["M0"]
    assert (m0["total"], m0["roll_forward_rate"], m0["improved_rate"], m0["cure_rate"]) == (
        2, D("0.5000"), D("0.5000"), D("0.5000"))
    assert m0["to"][d.roll_codes.index("M1")] == 1 and m0["to"][d.roll_codes.index("CURRENT")] == 1
    assert (by_from["M1"]["total"], by_from["M1"]["roll_forward_rate"], by_from["M1"]["stayed"]) == (1, D("1.0000"), 0)


def test_sla(book, supervisor):
    s = dash.dashboard(supervisor, dash.DashboardFilters(**FILTERS), now=NOW).sla
    assert (s["not_worked"], s["not_allocated"]) == (1, 1)
    assert {c.id for c in s["cases"]} == {book["c2"].id, book["c6"].id}


def test_league_table(book, supervisor, collector, other_collector):
    rows = dash.dashboard(supervisor, dash.DashboardFilters(**FILTERS), now=NOW).league
    assert [r["username"] for r in rows] == ["coll1", "coll2"]
    first, second = rows
    assert (first["rank"], first["open_cases"], first["open_overdue"], first["collected"]) == (1, 1, D("1700.00"), D("800.00"))
    assert (first["target"], first["target_achieved"]) == (D("766.67"), D("1.0435"))
    assert (first["attempts"], first["rpc"], first["rpc_rate"]) == (4, 2, D("0.5000"))
    assert (first["promises_made"], first["promises_kept"], first["promise_keep_rate"]) == (2, 1, D("0.5000"))
    assert (second["collected"], second["target_achieved"], second["attempts"], second["rpc"]) == (
        D("700.00"), D("0.9130"), 2, 1)
    assert (second["promises_made"], second["promise_keep_rate"]) == (2, D("0.0000"))


def test_query_count_is_fixed(book, supervisor, lender, team, collector):
    filters = dash.DashboardFilters(**FILTERS)
    with CaptureQueriesContext(connection) as first:
        dash.dashboard(supervisor, filters, now=NOW)
    for _ in range(5):
        extra = f.CollectorFactory(team=team)
        case = f.CaseFactory(lender=lender, assigned_to=extra, team=team, bucket="M3")
        loan_with(case, [(dt.date(2026, 8, 1), D("100"))], [(dt.date(2026, 11, 3), D("50"))],
                  [(dt.date(2026, 9, 1), "M0", "M1")])
        contact(case, extra, m.Outcome.RPC, at((11, 9)))
    with CaptureQueriesContext(connection) as second:
        dash.dashboard(supervisor, filters, now=NOW)
    assert len(second) == len(first) <= 20


def test_ratio_helper():
    assert dash.ratio(1, 3) == D("0.3333")
    assert dash.ratio(5, 0) is None


def test_targets_are_prorated_to_the_period(supervisor, team, collector):
    d = dt.date
    """Nine days of November are compared with 9/30 of the month, plus the days and the ISO week
    that fall in them; targets outside the period count nothing."""
    m.Target.objects.create(period="month", period_start=d(2026, 11, 1), team=team, amount=D("30000"))
    m.Target.objects.create(period="week", period_start=d(2026, 11, 9), team=team, amount=D("7000"))
    m.Target.objects.create(period="day", period_start=d(2026, 11, 3), team=team, amount=D("500"))
    m.Target.objects.create(period="day", period_start=d(2026, 11, 10), team=team, amount=D("500"))
    m.Target.objects.create(period="month", period_start=d(2026, 10, 1), team=team, amount=D("99999"))
    m.Target.objects.create(period="month", period_start=d(2026, 11, 1), collector=collector, amount=D("3000"))
    filters = dash.DashboardFilters(date_from=d(2026, 11, 1), date_to=d(2026, 11, 9))
    result = dash.dashboard(supervisor, filters, now=NOW)
    # 30000 × 9/30 + 7000 × 1/7 (Monday 9 Nov of the week 9–15 Nov) + 500 (3 Nov)
    assert result.summary["target"] == D("10500.00")
    assert [r["target"] for r in result.league if r["username"] == "coll1"] == [D("900.00")]
