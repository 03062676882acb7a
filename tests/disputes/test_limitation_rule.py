"""The statute-of-limitations rule as a pure function (no database)."""
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from collections_app.domain import limitation as rule

D = dt.date
days = st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31))


def test_three_years_from_the_last_event():
    assert rule.limitation_date(overdue_since=D(2023, 1, 10), events=[], years=3) == D(2026, 1, 10)
    assert rule.limitation_date(overdue_since=D(2023, 1, 10), events=[D(2024, 5, 2), D(2023, 6, 1)], years=3) == D(2027, 5, 2)
    assert rule.limitation_date(overdue_since=None, events=[], years=3) is None


def test_29_february_moves_to_28_february():
    assert rule.add_years(D(2024, 2, 29), 3) == D(2027, 2, 28)
    assert rule.add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)


def test_lapse_and_warnings():
    limit = D(2026, 6, 30)
    assert rule.warning_level(limit, D(2026, 1, 1)) is None
    assert rule.warning_level(limit, D(2026, 4, 1)) == 90  # 90 days left
    assert rule.warning_level(limit, D(2026, 5, 31)) == 30
    assert rule.warning_level(limit, D(2026, 6, 30)) == 30  # the last day: not lapsed yet
    assert rule.is_lapsed(limit, D(2026, 6, 30)) is False
    assert rule.warning_level(limit, D(2026, 7, 1)) == 0
    assert rule.is_lapsed(limit, D(2026, 7, 1)) is True
    assert rule.warning_level(None, D(2026, 7, 1)) is None


@given(overdue=days, events=st.lists(days, max_size=6), years=st.integers(1, 10))
def test_the_period_runs_from_the_latest_event(overdue, events, years):
    limit = rule.limitation_date(overdue_since=overdue, events=events, years=years)
    latest = max([overdue, *events])
    assert limit == rule.add_years(latest, years)
    # never earlier than the period after any single event
    assert all(limit >= rule.add_years(e, years) for e in [overdue, *events])


@given(overdue=days, events=st.lists(days, max_size=5), new=days, years=st.integers(1, 5))
def test_each_later_demand_or_acknowledgement_restarts_it_and_an_earlier_one_does_not(overdue, events, new, years):
    before = rule.limitation_date(overdue_since=overdue, events=events, years=years)
    after = rule.limitation_date(overdue_since=overdue, events=[*events, new], years=years)
    start = rule.period_start(overdue_since=overdue, events=events)
    if new > start:
        assert after == rule.add_years(new, years) and after >= before
    else:
        assert after == before


@given(limit=days, today=days)
def test_warning_level_matches_the_days_left(limit, today):
    level = rule.warning_level(limit, today)
    left = (limit - today).days
    if left < 0:
        assert level == 0
    elif left <= 30:
        assert level == 30
    elif left <= 90:
        assert level == 90
    else:
        assert level is None
