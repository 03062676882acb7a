"""Each KPI on the hand-made November book of tests/kpis/book.py (figures worked out in each
docstring). A1 = coll1, A2 = coll2 (team A, supervisor super1), B1 = coll3 (team B)."""
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collections_app.domain import kpis as formulas
from collections_app.selectors import dashboard as dash
from collections_app.services import allocation
from tests import factories as f

from .book import NOV, NOW, d, loan

pytestmark = pytest.mark.django_db
r4 = formulas.api_rate


def board(user, **kw):
    return dash.dashboard(user, dash.DashboardFilters(**{**NOV, **kw}), now=NOW)


def test_money_goes_to_whoever_held_the_case_that_day(book, supervisor, collector, other_collector, admin_user, team):
    """X1's 300 on Nov 10 was collected while A1 held case X, its 200 on Nov 20 after the hand-over to
    B1 (team B); Oct 31 and Dec 1 fall outside November. Team A: 300 (X1) + 250 (Y1, A2) + 400 (W1)
    + 500 (W2) = 1,450; A1 1,200, A2 250; B1 200. Handing case W to A2 today changes nothing in
    November."""
    s = board(supervisor).summary
    assert s["collected"] == D("1450.00")
    league = {r["username"]: r for r in board(supervisor).league}
    assert (league["coll1"]["collected"], league["coll2"]["collected"]) == (D("1200.00"), D("250.00"))
    assert board(admin_user, collector_id=book["b1"].id).summary["collected"] == D("200.00")
    assert board(admin_user, team_id=book["b1"].team_id).summary["collected"] == D("200.00")
    assert board(admin_user).summary["collected"] == D("1650.00")
    allocation.assign_cases(case_ids=[book["w"].id], to_user=other_collector, by_user=supervisor)
    league = {r["username"]: r for r in board(supervisor).league}
    assert (league["coll1"]["collected"], league["coll2"]["collected"]) == (D("1200.00"), D("250.00"))
    assert board(supervisor, collector_id=collector.id).summary["collected"] == D("1200.00")


def test_moving_a_collector_to_another_team_moves_no_past_figures(book, supervisor, collector, other_collector,
                                                                  admin_user, team):
    """Case W had no assignment history (A1, team A, from the start). Handed to A2 today, its first
    history row says who held it before: A1 and the case's team then, team A. Moving A1 to team B
    afterwards leaves November as it was: team A 1,450 (W's 900 among it), team B 200; A1 1,200.
    The row records team A; the figures must not read A1's team now."""
    allocation.assign_cases(case_ids=[book["w"].id], to_user=other_collector, by_user=supervisor)
    row = book["w"].assignments.get()
    assert (row.from_user, row.from_team, row.to_user, row.team) == (collector, team, other_collector,
                                                                    other_collector.team)
    collector.team = book["b1"].team
    collector.save()
    assert board(admin_user, team_id=team.id).summary["collected"] == D("1450.00")
    assert board(admin_user, team_id=book["b1"].team_id).summary["collected"] == D("200.00")
    assert board(admin_user, collector_id=collector.id).summary["collected"] == D("1200.00")
    w_calls = board(admin_user, team_id=team.id).summary["attempts"]
    assert w_calls == 3  # A1's two calls (X on Nov 12, W on Nov 14) and A2's one, all while in team A


def test_calls_and_promises_go_to_the_holder_of_the_time(book, supervisor, admin_user):
    """A1: the Nov 12 RPC on X and the Nov 14 third-party call on W = 2 attempts, 1 RPC; promises taken
    Nov 12 (X, due Nov 14, kept) and Nov 25 (W, due Dec 3) = 2 made, 1 due, 1 kept. A2: 1 attempt, 0
    RPC; 1 made (the replaced one does not count), 1 due, broken. B1: the Nov 16 RPC and promise."""
    league = {r["username"]: r for r in board(supervisor).league}
    a1, a2 = league["coll1"], league["coll2"]
    assert (a1["attempts"], a1["rpc"], a1["promises_made"], a1["promises_due"], a1["promises_kept"]) == (2, 1, 2, 1, 1)
    assert r4(a1["promise_keep_rate"]) == D("1.0000")
    assert (a2["attempts"], a2["rpc"], a2["promises_made"], a2["promises_due"], a2["promises_kept"]) == (1, 0, 1, 1, 0)
    b1 = board(admin_user, collector_id=book["b1"].id).summary
    assert (b1["attempts"], b1["rpc"], b1["promises_made"], b1["promises_due"], b1["promises_broken"]) == (1, 1, 1, 1, 1)


def test_recovery_rate_from_the_overdue_at_the_start_or_at_entry_per_bucket(book, supervisor, admin_user):
    """Base per loan (team A held each case on its base date):
    X1 owed 1,000 − 100 = 900 on Nov 1 (M0) and recovered 300 + 200 = 500 (the loan's payments after
    the base date count for the holder at the base date); Y1 owed nothing on Nov 1 and entered M0 on
    Nov 11 owing 600, recovered 250; W2 owed 500 (M1), recovered 500; Q1 owed 700 (M2), recovered 0;
    W1 owed nothing and never entered (its prepaid 400 is collected, not recovered).
    M0 750 / 1,500 = 50%, M1 500 / 500 = 100%, M2 0 / 700 = 0%; overall 1,250 / 2,700 = 46.30%.
    Admin adds V1 (2,000 in M0 on Nov 1, nothing paid): 1,250 / 4,700 = 26.60%."""
    dsh = board(supervisor)
    rows = [(r["bucket"], r["loans"], r["base"], r["recovered"], r4(r["recovery_rate"])) for r in dsh.recovery]
    assert rows == [("M0", 2, D("1500.00"), D("750.00"), D("0.5000")), ("M1", 1, D("500.00"), D("500.00"), D("1.0000")),
                    ("M2", 1, D("700.00"), D("0.00"), D("0.0000"))]
    s = dsh.summary
    assert (s["opening_overdue"], s["recovered"], r4(s["recovery_rate"])) == (D("2700.00"), D("1250.00"), D("0.4630"))
    a = board(admin_user).summary
    assert (a["opening_overdue"], a["recovered"], r4(a["recovery_rate"])) == (D("4700.00"), D("1250.00"), D("0.2660"))
    # A team whose only loan entered mid-period still has a rate: A2 held Y (600 at entry, 250 back).
    a2 = board(supervisor, collector_id=book["y"].assigned_to_id).summary
    assert (a2["opening_overdue"], r4(a2["recovery_rate"])) == (D("600.00"), D("0.4167"))


def test_right_party_contact_means_the_borrower(book, supervisor):
    """Team A: 3 attempts; reached 2 (X's RPC, W's call to the emergency contact); RPC 1 — the "rpc"
    outcome logged on the emergency contact's number is a third party, not a right-party contact."""
    s = board(supervisor).summary
    assert (s["attempts"], s["contacts_reached"], s["rpc"]) == (3, 2, 1)
    assert (formulas.percent(s["contact_rate"]), formulas.percent(s["rpc_rate"])) == ("66.67%", "33.33%")


def test_promise_keep_rate_is_kept_over_due_in_the_period(book, supervisor):
    """Team A: due in November X's Nov 14 promise (kept) and Y's Nov 28 one (broken): 1 / 2. W's promise
    due Oct 31 and judged broken on Nov 1 belongs to October; the replaced one is not due."""
    s = board(supervisor).summary
    assert (s["promises_made"], s["promised_amount"], s["promises_due"]) == (3, D("1000.00"), 2)
    assert (s["promises_kept"], s["promises_broken"], r4(s["promise_keep_rate"])) == (1, 1, D("0.5000"))
    october = board(supervisor, date_from=d(10, 1), date_to=d(10, 31)).summary
    assert (october["promises_due"], october["promises_broken"]) == (1, 1)


def test_roll_rates_count_every_loan_by_date(book, supervisor, admin_user):
    """Team A's book at the end of November (Y1, W1, W2, Q1) plus the loans without a case (N1, N2):
    CURRENT: Y1 → M0, W1, N1, N2 stay = 1 / 4 rolled forward (25%, not the 50% of the loans with a
    case only); M1: W2, moved to M1 on Oct 31 (before the month), cured on Nov 5 and back in M0 on
    Nov 11: improved, not cured; M2: Q1 → M3. Cure rate 0 / 2. Admin adds X1 (M0 stays) and V1 (M0 on
    Nov 1's eve, M1 on Nov 1): M0 1 / 2 forward."""
    dsh = board(supervisor)
    rows = {r["from"]: r for r in dsh.roll}
    assert list(rows) == ["CURRENT", "M1", "M2"]
    assert (rows["CURRENT"]["total"], rows["CURRENT"]["rolled"], r4(rows["CURRENT"]["roll_forward_rate"])) == (
        4, 1, D("0.2500"))
    assert (rows["M1"]["total"], r4(rows["M1"]["improved_rate"]), rows["M1"]["cured"]) == (1, D("1.0000"), 0)
    assert (rows["M2"]["total"], r4(rows["M2"]["roll_forward_rate"])) == (1, D("1.0000"))
    assert r4(dsh.summary["cure_rate"]) == D("0.0000")
    admin = {r["from"]: r for r in board(admin_user).roll}
    assert (admin["M0"]["total"], admin["M0"]["stayed"], r4(admin["M0"]["roll_forward_rate"])) == (2, 1, D("0.5000"))
    assert admin["CURRENT"]["total"] == 4


def test_aging_as_of_the_period_end_each_loan_in_its_own_bucket(book, supervisor):
    """As of Nov 30: Y1 M0 (600 − 250 = 350), W2 M0 (800 due − 500 paid = 300), Q1 M3 (700); W1 is
    CURRENT (case W has loans in two buckets). As of Nov 4: X1 M0 (1,000 − 100; A1 held X then),
    W2 M1 (500 overdue, 800 outstanding), Q1 M2; Y1 was not yet delinquent."""
    rows = [(r["bucket"], r["count"], r["cases"], r["overdue"], r["outstanding"]) for r in board(supervisor).aging]
    assert rows == [("M0", 2, 2, D("650.00"), D("650.00")), ("M3", 1, 1, D("700.00"), D("700.00"))]
    early = [(r["bucket"], r["count"], r["overdue"], r["outstanding"]) for r in board(supervisor, date_to=d(11, 4)).aging]
    assert early == [("M0", 1, D("900.00"), D("900.00")), ("M1", 1, D("500.00"), D("800.00")),
                     ("M2", 1, D("700.00"), D("700.00"))]


def test_non_performing_ratio(book, supervisor):
    """Balance at the end of November of team A's book: Y1 350 + W1 0 + W2 300 + Q1 700 + N1 1,000 +
    N2 0 = 2,350; in buckets from 90 days (M3 and beyond) Q1's 700: 29.79%."""
    s = board(supervisor).summary
    assert (s["balance"], s["non_performing_balance"], r4(s["non_performing_ratio"])) == (
        D("2350.00"), D("700.00"), D("0.2979"))


def test_rates_are_rounded_once_where_shown():
    assert formulas.percent(D(5) / D(11)) == "45.45%"
    assert formulas.api_rate(D(5) / D(11)) == D("0.4545")
    assert formulas.percent(D(2) / D(3)) == "66.67%" and formulas.percent(None) == "—"


def test_default_period_follows_the_business_date(book, supervisor, client, settings):
    """With BUSINESS_DATE 2026-11-30 the page and the API default to November 1–30 (46.30%)."""
    settings.BUSINESS_DATE = "2026-11-30"
    assert dash.DashboardFilters.month_to_date() == dash.DashboardFilters(**NOV)
    client.force_login(supervisor)
    body = client.get(reverse("supervisor_dashboard")).content.decode()
    assert 'value="2026-11-01"' in body and 'value="2026-11-30"' in body
    assert 'id="recovery-rate">46.30%' in body
    k = client.get("/api/kpis/").json()
    assert (k["from"], k["to"], k["recovery_rate"]) == ("2026-11-01", "2026-11-30", 0.463)


def test_dashboard_page_queries_do_not_grow_with_the_book(book, supervisor, client, lender, team, collector,
                                                          django_assert_max_num_queries):
    client.force_login(supervisor)
    params = {"from": "2026-11-01", "to": "2026-11-30"}
    with CaptureQueriesContext(connection) as first:
        assert client.get(reverse("supervisor_dashboard"), params).status_code == 200
    for _ in range(4):
        case = f.CaseFactory(lender=lender, assigned_to=f.CollectorFactory(team=team), team=team)
        loan(case, [(d(10, 1), "100")], [(d(11, 3), "50")], [(d(10, 2), "CURRENT", "M0")])
    with django_assert_max_num_queries(len(first)):
        client.get(reverse("supervisor_dashboard"), params)
