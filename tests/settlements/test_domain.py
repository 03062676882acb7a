"""The pure rules of offers and plans (collections_app/domain/settlements.py) against worked examples
and a naive day-by-day model."""
import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from collections_app.domain import delinquency as engine
from collections_app.domain import settlements as rules

D = dt.date
M = Decimal
DAY = dt.timedelta(days=1)
START = D(2026, 3, 1)


def test_approval_levels():
    assert rules.approval_level(M("10"), M("10"), M("30")) == "collector"
    assert rules.approval_level(M("10.01"), M("10"), M("30")) == "supervisor"
    assert rules.approval_level(M("30"), M("10"), M("30")) == "supervisor"
    assert rules.approval_level(M("30.01"), M("10"), M("30")) == "admin"
    # a plan below the amount it covers always needs someone else
    assert rules.approval_level(M("0.5"), M("10"), M("30"), always_approve=True) == "supervisor"
    assert rules.approval_level(M("0"), M("10"), M("30"), always_approve=True) == "collector"
    assert rules.discount_percent(M("2950"), M("2700")) == M("8.47")
    assert rules.discount_percent(M("100"), M("120")) == 0


def test_an_offer_paid_on_its_last_day_is_paid_a_day_late_lapses():
    until = D(2026, 3, 10)
    on_time = [rules.Paid(D(2026, 3, 2), M("500")), rules.Paid(until, M("500"))]
    assert rules.offer_outcome(M("1000"), until, on_time, until) == rules.OfferOutcome("paid", until, M("1000"))
    late = [rules.Paid(D(2026, 3, 2), M("500")), rules.Paid(until + DAY, M("500"))]
    assert rules.offer_outcome(M("1000"), until, late, until).status == "active"
    assert rules.offer_outcome(M("1000"), until, late, until + DAY) == rules.OfferOutcome("lapsed", until + DAY,
                                                                                           M("500"))


def naive_plan(lines, payments, as_of, grace):
    """Day by day: the plan breaks on the first day after an instalment's last grace day still short
    of the plan's running total; it is kept on the first day the money reaches its total."""
    cum, total = [], M("0")
    for line in sorted(lines, key=lambda x: x.due_date):
        total += line.amount
        cum.append((line.due_date, total))

    def paid(day):
        return sum((p.amount for p in payments if p.paid_on <= day), M("0"))

    day = START
    while day <= as_of:
        if any(due + dt.timedelta(days=grace) == day - DAY and paid(day - DAY) < c for due, c in cum):
            return "broken", day
        if paid(day) >= total:
            return "kept", day
        day += DAY
    return "active", None


plans = st.lists(st.tuples(st.integers(0, 20), st.sampled_from([M("100"), M("250.50"), M("400")])),
                 min_size=1, max_size=4, unique_by=lambda x: x[0])
pays = st.lists(st.tuples(st.integers(0, 40), st.sampled_from([M("50"), M("100"), M("250.50"), M("400")])), max_size=5)


@given(plan=plans, money=pays, grace=st.integers(0, 5), horizon=st.integers(0, 45))
def test_plan_progress_agrees_with_the_naive_model(plan, money, grace, horizon):
    lines = [rules.PlanLine(i, START + DAY * off, amount) for i, (off, amount) in enumerate(plan, 1)]
    payments = [rules.Paid(START + DAY * off, amount) for off, amount in money]
    as_of = START + DAY * horizon
    got = rules.plan_progress(lines, payments, as_of, grace)
    assert (got.status, got.on) == naive_plan(lines, payments, as_of, grace)
    assert sum(s.paid for s in got.lines) == min(sum(p.amount for p in payments if p.paid_on <= as_of),
                                                sum(x.amount for x in lines))


@given(activated=st.integers(0, 10), due=st.integers(0, 20), grace=st.integers(0, 5), dpd=st.integers(1, 200))
def test_a_broken_plan_holds_aging_until_the_day_it_breaks(activated, due, grace, dpd):
    """A late loan nobody pays: from the day after activation its aging stays where it was; from the
    day the plan breaks it grows by one a day again (the engine with the plan's pause)."""
    act = START + DAY * activated
    lines = [rules.PlanLine(1, act + DAY * due, M("100"))]
    oldest = act - DAY * dpd
    schedule = [engine.ScheduledInstallment(1, oldest, M("100"))]
    for k in range(0, due + grace + 10):
        day = act + DAY * k
        progress = rules.plan_progress(lines, [], day, grace)
        span = rules.plan_pause(act, progress)
        pauses = [engine.Pause(*span)] if span else []
        aging = engine.evaluate(schedule, [], day, pauses=pauses).aging_days
        broke = act + DAY * (due + grace + 1)
        assert aging == (dpd if day < broke else dpd + (day - broke).days + 1)
