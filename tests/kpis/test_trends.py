"""Trends (from the daily figures) and tomorrow's forecast on the November book of book.py."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from collections_app import models as m
from collections_app.domain import kpis as formulas
from collections_app.selectors import dashboard as dash
from collections_app.selectors import trends
from collections_app.services import daily_figures
from tests import factories as f

from .book import NOV, NOW, d, loan

pytestmark = pytest.mark.django_db


def test_weekly_collected_per_collector_from_the_daily_figures(book, supervisor, collector, other_collector):
    """Weeks from Monday; team A: X1's 100 on Sat Oct 31 (A1 held X), W2 500 (Nov 5) + W1 400 (Sun
    Nov 8), X1 300 (Nov 10), Y1 250 (Nov 20, A2). X1's 200 of Nov 20 was B1's (team B)."""
    daily_figures.rebuild_range(date_from=d(10, 12), date_to=d(11, 30))
    t = dash.dashboard(supervisor, dash.DashboardFilters(**NOV), now=NOW).trends
    assert [w["week"] for w in t["weeks"]] == [d(10, 12), d(10, 19), d(10, 26), d(11, 2), d(11, 9), d(11, 16),
                                               d(11, 23), d(11, 30)]
    assert [w["collected"] for w in t["weeks"]] == [D(x) for x in ("0", "0", "100", "900", "300", "250", "0", "0")]
    lines = {line["user_id"]: line["values"] for line in t["collectors"]}
    assert lines[collector.id] == [D(x) for x in ("0", "0", "100", "900", "300", "0", "0", "0")]
    assert lines[other_collector.id][5] == D("250.00") and sum(lines[other_collector.id]) == D("250")
    assert t["weeks"][4]["due"] == 1 and t["weeks"][4]["kept"] == 1  # X's promise due Nov 14, kept


def test_weekly_trends_say_which_days_they_leave_out(book, supervisor, client):
    """The 8 weeks to Nov 30 run from Oct 12: with Nov 2-30 built, Oct 12 - Nov 1 (21 days) have no
    figures; a payment dated Nov 20 recorded now changes a built day; a range reaching into
    tomorrow holds 2 days not over (today and tomorrow)."""
    daily_figures.rebuild_range(date_from=d(11, 2), date_to=d(11, 30))
    assert trends.coverage(d(10, 12), d(11, 30)) == {"live": 0, "not_built": 21, "changed": 0}
    f.PaymentFactory(loan=book["x"].loans.get(), paid_on=d(11, 20), amount=D("10"))
    assert trends.coverage(d(10, 12), d(11, 30)) == {"live": 0, "not_built": 21, "changed": 1}
    today = timezone.localdate()
    assert trends.coverage(today - dt.timedelta(days=2), today + dt.timedelta(days=1)) == {
        "live": 2, "not_built": 2, "changed": 0}
    client.force_login(supervisor)
    body = client.get(reverse("supervisor_dashboard"), {"from": "2026-11-01", "to": "2026-11-30"}).content.decode()
    assert "21 days of these weeks have no daily figures yet" in body
    assert "1 day changed after its figures were built" in body
    assert 'id="trend-live"' not in body


def test_week_over_week_and_month_over_month_recovery(book, supervisor):
    """Week Nov 24–30: Y1 350, W2 300, Q1 700 overdue on Nov 24 (X was B1's by then), nothing paid:
    0%. Week before, Nov 17–23: Y1 600 (250 paid Nov 20), W2 300, Q1 700: 250 / 1,600 = 15.63%;
    change −100%. Month: November 46.30% (test_definitions) against Oct 1–30."""
    cmp = {c["key"]: c for c in dash.dashboard(supervisor, dash.DashboardFilters(**NOV), now=NOW).comparisons}
    week = cmp["week"]
    assert (week["period"], week["previous_period"]) == ((d(11, 24), d(11, 30)), (d(11, 17), d(11, 23)))
    assert (formulas.percent(week["current"]), formulas.percent(week["previous"]), formulas.percent(week["change"])) == (
        "0.00%", "15.63%", "-100.00%")
    assert formulas.percent(cmp["month"]["current"]) == "46.30%"
    assert cmp["month"]["previous_period"] == (d(10, 1), d(10, 30))


def test_forecast_of_tomorrow(book, supervisor, settings):
    """Business date Dec 2: W's promise of 400 falls due on Dec 3; a new loan on W with 200 due Dec 2
    enters collections tonight; Q1 at its bucket's last day (M3, 120 days) rolls to M4 tonight."""
    settings.BUSINESS_DATE = "2026-12-02"
    loan(book["w"], [(d(12, 2), "200")])
    m.Loan.objects.filter(case=book["q"]).update(bucket="M3", aging_days=120)
    fc = dash.dashboard(supervisor, dash.DashboardFilters(**NOV), now=NOW).forecast
    assert (fc["day"], fc["promises_due"], fc["promised_amount"], fc["callbacks"]) == (d(12, 3), 1, D("400.00"), 0)
    assert fc["entering"] == 1
    assert fc["moves"] == [{"from": "M3", "to": "M4", "loans": 1}]
