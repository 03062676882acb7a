"""Dashboard figures on a small book built by hand, checked to the cent."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app import models as m
from collections_app.domain.kpis import api_rate as r4
from collections_app.selectors import dashboard as dash
from tests import factories as f

from .handbook import FILTERS, NOW, at, contact, loan_with

pytestmark = pytest.mark.django_db


def test_supervisor_summary(book, supervisor):
    s = dash.dashboard(supervisor, dash.DashboardFilters(**FILTERS), now=NOW).summary
    assert s["collected"] == D("1500.00")
    assert s["opening_overdue"] == D("3500.00")
    assert r4(s["recovery_rate"]) == D("0.4286")
    assert s["target"] == D("2300.00")  # 23 of November's 30 days of 3,000
    assert r4(s["target_achieved"]) == D("0.6522")
    assert (s["promises_made"], s["promised_amount"]) == (4, D("2400.00"))
    assert (s["promises_kept"], s["promises_partially_kept"], s["promises_broken"], s["promises_pending"]) == (1, 1, 1, 1)
    assert r4(s["promise_keep_rate"]) == D("0.3333")
    assert (s["attempts"], s["contacts_reached"], s["rpc"]) == (6, 4, 3)
    assert (r4(s["contact_rate"]), r4(s["rpc_rate"])) == (D("0.6667"), D("0.5000"))
    assert (s["open_cases"], s["open_overdue"]) == (3, D("3100.00"))
    assert (s["complaints_received"], s["complaints_open"]) == (1, 1)


def test_admin_sees_every_team_and_can_filter(book, admin_user, team):
    s = dash.dashboard(admin_user, dash.DashboardFilters(**FILTERS), now=NOW).summary
    assert (s["collected"], s["opening_overdue"], r4(s["recovery_rate"])) == (D("2500.00"), D("8500.00"), D("0.2941"))
    assert s["target"] == D("9966.67")
    only_a = dash.dashboard(admin_user, dash.DashboardFilters(**FILTERS, team_id=team.id), now=NOW).summary
    assert (only_a["collected"], only_a["target"]) == (D("1500.00"), D("2300.00"))
    other = f.LenderFactory(code="other")
    empty = dash.dashboard(admin_user, dash.DashboardFilters(**FILTERS, lender_id=other.id), now=NOW).summary
    assert (empty["collected"], r4(empty["recovery_rate"]), r4(empty["contact_rate"])) == (D("0"), None, None)
    assert str(s["collected"]) == "2500.00"  # to the cent on every database


def test_aging_by_bucket(book, supervisor):
    rows = dash.dashboard(supervisor, dash.DashboardFilters(**FILTERS), now=NOW).aging
    # As of Nov 23, each delinquent loan in its own bucket: c2's first loan M1 (2,000 due − 700 paid),
    # c1's first loan M2 (3,000 due − 1,300 paid); c1's prepaid loan and c2's cured loan are CURRENT.
    assert rows == [
        {"bucket": "M1", "count": 1, "cases": 1, "overdue": D("1300.00"), "outstanding": D("1300.00")},
        {"bucket": "M2", "count": 1, "cases": 1, "overdue": D("1700.00"), "outstanding": D("1700.00")},
    ]


def test_roll_rates(book, supervisor):
    d = dash.dashboard(supervisor, dash.DashboardFilters(**FILTERS), now=NOW)
    by_from = {r["from"]: r for r in d.roll}
    assert list(by_from) == ["CURRENT", "M0", "M1"]
    assert (by_from["CURRENT"]["total"], r4(by_from["CURRENT"]["roll_forward_rate"])) == (1, D("0"))
    m0 = by_from["M0"]
    assert (m0["total"], r4(m0["roll_forward_rate"]), r4(m0["improved_rate"]), r4(m0["cure_rate"])) == (
        2, D("0.5000"), D("0.5000"), D("0.5000"))
    assert m0["to"][d.roll_codes.index("M1")] == 1 and m0["to"][d.roll_codes.index("CURRENT")] == 1
    assert (by_from["M1"]["total"], r4(by_from["M1"]["roll_forward_rate"]), by_from["M1"]["stayed"]) == (1, D("1.0000"), 0)


def test_sla(book, supervisor):
    s = dash.dashboard(supervisor, dash.DashboardFilters(**FILTERS), now=NOW).sla
    assert (s["not_worked"], s["not_allocated"]) == (1, 1)
    assert {c.id for c in s["cases"]} == {book["c2"].id, book["c6"].id}


def test_league_table(book, supervisor, collector, other_collector):
    rows = dash.dashboard(supervisor, dash.DashboardFilters(**FILTERS), now=NOW).league
    assert [r["username"] for r in rows] == ["coll1", "coll2"]
    first, second = rows
    assert (first["rank"], first["open_cases"], first["open_overdue"], first["collected"]) == (1, 1, D("1700.00"), D("800.00"))
    assert (first["target"], r4(first["target_achieved"])) == (D("766.67"), D("1.0435"))
    assert (first["attempts"], first["rpc"], r4(first["rpc_rate"])) == (4, 2, D("0.5000"))
    assert (first["promises_made"], first["promises_kept"], r4(first["promise_keep_rate"])) == (2, 1, D("0.5000"))
    assert (second["collected"], r4(second["target_achieved"]), second["attempts"], second["rpc"]) == (
        D("700.00"), D("0.9130"), 2, 1)
    assert (second["promises_made"], r4(second["promise_keep_rate"])) == (2, D("0.0000"))


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
    assert len(second) == len(first) <= 32


def test_ratio_helper():
    assert r4(dash.ratio(1, 3)) == D("0.3333")
    assert dash.ratio(5, 11) * 100 > D("45.45")  # exact: rounded once, where it is shown
    assert dash.ratio(5, 0) is None


def test_recovery_counts_only_what_was_overdue_at_the_start(book, supervisor, lender, team, collector):
    """A loan that owed nothing on the 1st, and a payment beyond what a loan owed then, add to
    collected but not to recovered: the rate stays a share of the opening overdue (at most 1)."""
    d = dt.date
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=team, bucket="M0")
    loan_with(case, [(d(2026, 11, 10), D("600"))], [(d(2026, 11, 12), D("600"))])  # fell due in the period
    loan_with(case, [(d(2026, 10, 10), D("100"))], [(d(2026, 11, 3), D("400"))])  # paid 300 beyond its opening 100
    s = dash.dashboard(supervisor, dash.DashboardFilters(**FILTERS), now=NOW).summary
    assert (s["collected"], s["opening_overdue"], s["recovered"]) == (D("2500.00"), D("3600.00"), D("1600.00"))
    assert r4(s["recovery_rate"]) == D("0.4444")
    only = dash.dashboard(supervisor, dash.DashboardFilters(**FILTERS, collector_id=collector.id), now=NOW).summary
    assert (only["collected"], only["opening_overdue"], only["recovered"]) == (D("1800.00"), D("1600.00"),
                                                                                D("900.00"))
    assert r4(only["recovery_rate"]) == D("0.5625")


def test_overall_cure_rate(book, supervisor):
    """M0 → CURRENT once out of two M0 loans, the M1 loan rolled: 1 cured of 3 delinquent."""
    assert r4(dash.dashboard(supervisor, dash.DashboardFilters(**FILTERS), now=NOW).summary["cure_rate"]) == D("0.3333")


def test_one_collector(book, supervisor, collector):
    filters = dash.DashboardFilters(**FILTERS, collector_id=collector.id)
    d = dash.dashboard(supervisor, filters, now=NOW)
    s = d.summary
    assert (s["collected"], s["opening_overdue"], s["target"]) == (D("800.00"), D("1500.00"), D("766.67"))
    assert (s["attempts"], s["rpc"], s["promises_made"], s["open_cases"]) == (4, 2, 2, 1)
    assert [r["username"] for r in d.league] == ["coll1"]
    assert [(r["from"], r["total"]) for r in d.roll] == [("CURRENT", 1), ("M1", 1)]


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
