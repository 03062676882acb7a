"""Targets pro-rated to a period: worked examples and properties."""
import datetime as dt
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from collections_app.domain.targets import TargetSpan, period_bounds, prorated_share, prorated_target

days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))
amounts = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False)
targets = st.builds(TargetSpan, st.sampled_from(["day", "week", "month"]), days, amounts)


def test_nine_days_of_a_thirty_day_month_is_nine_thirtieths():
    t = TargetSpan("month", dt.date(2026, 11, 1), D("30000.00"))
    assert prorated_target([t], dt.date(2026, 11, 1), dt.date(2026, 11, 9)) == D("9000.00")


def test_a_month_starting_before_the_period_still_counts():
    t = TargetSpan("month", dt.date(2026, 11, 1), D("30000.00"))
    assert prorated_target([t], dt.date(2026, 11, 30), dt.date(2026, 12, 5)) == D("1000.00")


def test_iso_week_runs_monday_to_sunday():
    assert period_bounds("week", dt.date(2026, 12, 2)) == (dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    t = TargetSpan("week", dt.date(2026, 11, 30), D("700.00"))
    assert prorated_target([t], dt.date(2026, 12, 1), dt.date(2026, 12, 1)) == D("100.00")


def test_leap_february_has_29_days():
    t = TargetSpan("month", dt.date(2028, 2, 1), D("2900.00"))
    assert prorated_target([t], dt.date(2028, 2, 29), dt.date(2028, 3, 10)) == D("100.00")


@settings(deadline=None)
@given(targets)
def test_the_targets_own_period_gives_the_whole_amount(t):
    start, end = period_bounds(t.period, t.period_start)
    assert prorated_target([t], start, end) == t.amount


@settings(deadline=None)
@given(targets, days, days)
def test_share_is_between_zero_and_the_amount(t, a, b):
    start, end = min(a, b), max(a, b)
    share = prorated_share(t, start, end)
    assert 0 <= share <= t.amount


@settings(deadline=None)
@given(st.lists(targets, max_size=5), days, st.integers(0, 60), st.integers(0, 60))
def test_adjacent_periods_add_up_to_their_union(ts, start, n1, n2):
    mid = start + dt.timedelta(days=n1)
    end = mid + dt.timedelta(days=n2 + 1)
    whole = sum((prorated_share(t, start, end) for t in ts), D(0))
    parts = sum((prorated_share(t, start, mid) + prorated_share(t, mid + dt.timedelta(days=1), end) for t in ts), D(0))
    assert abs(whole - parts) < D("0.000001")


@settings(deadline=None)
@given(targets, days, days)
def test_a_target_outside_the_period_counts_nothing(t, a, b):
    start, end = min(a, b), max(a, b)
    t_start, t_end = period_bounds(t.period, t.period_start)
    if t_end < start or t_start > end:
        assert prorated_target([t], start, end) == 0
