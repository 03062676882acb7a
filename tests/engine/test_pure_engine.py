"""The pure delinquency engine: worked examples from docs/delinquency.md and property tests against a
naive day-by-day model."""
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collections_app.domain.buckets import DEFAULT_BUCKETS, BucketConfigError, BucketRange, classify, validate
from collections_app.domain.delinquency import (
    NEVER,
    NO_FEES,
    FeeRules,
    Pause,
    PaymentRecord,
    ScheduledInstallment,
    evaluate,
    payoff_quote,
)

from .naive import naive

D = dt.date
M = Decimal


def inst(seq, due, principal, interest="0", fee="0"):
    return ScheduledInstallment(seq, due, M(principal), M(interest), M(fee))


def pay(pid, on, amount):
    return PaymentRecord(pid, on, M(amount))


SCHED = [inst(1, D(2026, 1, 10), "100", "10"), inst(2, D(2026, 2, 10), "100", "10"), inst(3, D(2026, 3, 10), "100", "10")]


def test_due_date_itself_is_not_overdue():
    assert evaluate(SCHED, [], D(2026, 1, 10)).dpd == 0
    s = evaluate(SCHED, [], D(2026, 1, 11))
    assert (s.dpd, s.bucket, s.overdue_amount) == (1, "M0", M("110"))


@pytest.mark.parametrize(
    "days,bucket",
    [(0, "CURRENT"), (1, "M0"), (30, "M0"), (31, "M1"), (60, "M1"), (61, "M2"), (90, "M2"), (91, "M3"),
     (120, "M3"), (121, "M4"), (150, "M4"), (151, "M4+"), (5000, "M4+")],
)
def test_default_bucket_edges(days, bucket):
    assert classify(days) == bucket


def test_partial_payment_fills_fee_interest_then_principal_oldest_first():
    sched = [inst(1, D(2026, 1, 10), "100", "10", "5"), inst(2, D(2026, 2, 10), "100", "10", "5")]
    s = evaluate(sched, [pay(1, D(2026, 1, 5), "20")], D(2026, 1, 20))
    first = s.installments[0]
    assert (first.fee_paid, first.interest_paid, first.principal_paid) == (M("5"), M("10"), M("5"))
    assert s.dpd == 10 and s.overdue_amount == M("95")


def test_payment_after_as_of_does_not_count():
    s = evaluate(SCHED, [pay(1, D(2026, 1, 25), "110")], D(2026, 1, 20))
    assert s.dpd == 10 and s.paid_total == 0
    assert evaluate(SCHED, [pay(1, D(2026, 1, 25), "110")], D(2026, 1, 25)).dpd == 0


def test_oldest_unpaid_drives_dpd_and_overdue_sums_all_past_due():
    s = evaluate(SCHED, [pay(1, D(2026, 2, 1), "50")], D(2026, 3, 1))
    assert s.dpd == (D(2026, 3, 1) - D(2026, 1, 10)).days
    assert s.overdue_amount == M("170")
    assert s.bucket == "M1"


def test_overpayment_is_kept_as_credit_and_loan_settles():
    s = evaluate(SCHED, [pay(1, D(2026, 1, 1), "300"), pay(2, D(2026, 1, 2), "50")], D(2026, 6, 1))
    assert s.settled and s.dpd == 0 and s.overpayment == M("20") and s.settled_on == D(2026, 1, 2)
    assert s.outstanding_amount == 0


def test_several_payments_a_day_ordered_by_id():
    s = evaluate(SCHED, [pay(7, D(2026, 1, 10), "60"), pay(3, D(2026, 1, 10), "50")], D(2026, 1, 11))
    assert s.dpd == 0 and s.installments[0].paid_off_on == D(2026, 1, 10)


def test_zero_amount_installment_is_never_unpaid():
    sched = [inst(1, D(2026, 1, 10), "0"), inst(2, D(2026, 2, 10), "100")]
    assert evaluate(sched, [], D(2026, 1, 30)).dpd == 0
    assert evaluate(sched, [], D(2026, 2, 11)).dpd == 1


def test_no_schedule_is_current_not_settled():
    s = evaluate([], [pay(1, D(2026, 1, 1), "10")], D(2026, 2, 1))
    assert (s.dpd, s.settled, s.overpayment) == (0, False, M("10"))


def test_pause_keeps_dpd_but_not_bucket():
    pauses = [Pause(D(2026, 1, 15), D(2026, 2, 13))]  # 30 days
    s = evaluate(SCHED[:1], [], D(2026, 2, 20), pauses=pauses)
    assert s.dpd == 41 and s.paused_days == 30 and s.aging_days == 11 and s.bucket == "M0"
    open_ended = evaluate(SCHED[:1], [], D(2026, 2, 20), pauses=[Pause(D(2026, 1, 1))])
    assert open_ended.aging_days == 0 and open_ended.bucket == "CURRENT" and open_ended.dpd == 41


def test_penalty_and_late_fee():
    rules = FeeRules(penalty_daily_rate=M("0.001"), late_fee_rate=M("0.05"), late_fee_min=M("10"), grace_days=3)
    # 100 principal unpaid for 10 days → 1.00 penalty; missed 110 at day 3 → max(5.50, 10) = 10
    s = evaluate(SCHED[:1], [], D(2026, 1, 20), fees=rules)
    assert s.penalty == M("1.00") and s.late_fees == M("10")
    # paid in the grace period: no late fee, penalty only for the days before payment
    s = evaluate(SCHED[:1], [pay(1, D(2026, 1, 12), "110")], D(2026, 1, 20), fees=rules)
    assert s.late_fees == 0 and s.penalty == M("0.10") and s.dpd == 0  # only 11 Jan counts
    assert s.penalty == naive(SCHED[:1], [pay(1, D(2026, 1, 12), "110")], D(2026, 1, 20), fees=rules)["penalty"]


def test_payoff_quote():
    quote = payoff_quote(SCHED, [pay(1, D(2026, 1, 5), "110")], D(2026, 2, 15))
    # installment 2 overdue (110), installment 3 principal only (100)
    assert quote.overdue == M("110") and quote.not_yet_due_principal == M("100") and quote.total == M("210")


def test_bucket_config_validation():
    validate(DEFAULT_BUCKETS)
    with pytest.raises(BucketConfigError):
        validate([BucketRange("A", 0, 10, 0), BucketRange("B", 12, None, 1)])
    with pytest.raises(BucketConfigError):
        validate([BucketRange("A", 0, 10, 0)])


# ---------------------------------------------------------------- property tests
dates = st.dates(min_value=D(2025, 1, 1), max_value=D(2025, 12, 31))
money = st.decimals(min_value=0, max_value=500, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def books(draw):
    n = draw(st.integers(0, 6))
    schedule = [
        ScheduledInstallment(seq + 1, draw(dates), draw(money), draw(money), draw(st.sampled_from([M(0), M("5.55")])))
        for seq in range(n)
    ]
    payments = [PaymentRecord(pid, draw(dates), draw(money)) for pid in range(draw(st.integers(0, 6)))]
    pauses = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(dates)
        end = draw(st.one_of(st.none(), st.integers(0, 60).map(lambda k, s=start: s + dt.timedelta(days=k))))
        pauses.append(Pause(start, end))
    return schedule, payments, pauses, draw(dates)


@settings(max_examples=400, deadline=None)
@given(books())
def test_engine_matches_naive_model(book):
    schedule, payments, pauses, as_of = book
    rules = FeeRules(penalty_daily_rate=M("0.0005"), late_fee_rate=M("0.05"), late_fee_min=M("3"), grace_days=2)
    got = evaluate(schedule, payments, as_of, pauses=pauses, fees=rules)
    want = naive(schedule, payments, as_of, pauses=pauses, fees=rules)
    assert got.dpd == want["dpd"]
    assert got.overdue_amount == want["overdue_amount"]
    assert got.aging_days == want["aging_days"]
    assert got.overpayment == want["overpayment"]
    assert got.settled == want["settled"]
    assert got.penalty == want["penalty"]
    assert got.late_fees == want["late_fees"]
    assert got.bucket == classify(want["aging_days"])
    # money is never lost: paid = applied + credit
    assert got.paid_total == sum((i.paid for i in got.installments), M(0)) + got.overpayment
    if got.settled:
        assert got.dpd == 0


@settings(max_examples=100, deadline=None)
@given(books())
def test_schedule_replaced_after_payments_recomputes_from_scratch(book):
    schedule, payments, _, as_of = book
    replaced = [ScheduledInstallment(i.seq, i.due_date + dt.timedelta(days=30), i.principal_due) for i in schedule]
    got = evaluate(replaced, payments, as_of)
    want = naive(replaced, payments, as_of)
    assert (got.dpd, got.overdue_amount) == (want["dpd"], want["overdue_amount"])


@settings(max_examples=300, deadline=None)
@given(books(), st.booleans())
def test_before_next_change_only_time_moves_a_loan(book, charges):
    """What lets the nightly run advance a loan by arithmetic (``_advance_predicate``): on every day
    from ``as_of`` up to the day before ``next_change_on`` the amounts are the ones at ``as_of``, DPD
    is the day less the oldest unpaid due date, and the penalty is the base grown by the unpaid
    principal due each day, times the rate, rounded once — checked against the naive day-by-day
    model."""
    schedule, payments, _, as_of = book
    rules = FeeRules(penalty_daily_rate=M("0.0005"), late_fee_rate=M("0.05"), late_fee_min=M("3"), grace_days=2) \
        if charges else NO_FEES
    start = evaluate(schedule, payments, as_of, fees=rules)
    ahead = [i.due_date + dt.timedelta(days=1) for i in schedule if i.due_date >= as_of]
    ahead += [p.paid_on for p in payments if p.paid_on > as_of]
    if charges:  # a late fee falls on an installment unpaid at as_of, still in its grace days
        ahead += [s.due_date + dt.timedelta(days=3) for s in start.installments
                  if s.due_date < as_of <= s.due_date + dt.timedelta(days=2) and s.unpaid > 0]
    assert start.next_change_on == min(ahead, default=NEVER)
    last = min(start.next_change_on - dt.timedelta(days=1), as_of + dt.timedelta(days=120))
    day = as_of
    while day <= last:
        want = naive(schedule, payments, day, fees=rules)
        assert want["overdue_amount"] == start.overdue_amount
        assert want["overpayment"] == start.overpayment
        assert want["settled"] == start.settled
        oldest = start.oldest_unpaid_due_date
        assert want["dpd"] == ((day - oldest).days if oldest else 0)
        base = start.penalty_base + (day - as_of).days * start.penalty_principal
        assert want["penalty"] == (base * rules.penalty_daily_rate).quantize(M("0.01"), rounding=ROUND_HALF_UP)
        assert want["late_fees"] == start.late_fees
        got = evaluate(schedule, payments, day, fees=rules)
        assert (got.outstanding_amount, got.paid_total, got.oldest_unpaid_due_date, got.settled_on) == (
            start.outstanding_amount, start.paid_total, start.oldest_unpaid_due_date, start.settled_on)
        assert (got.next_change_on, got.penalty_base, got.penalty_principal) == (
            start.next_change_on, base, start.penalty_principal)
        day += dt.timedelta(days=1)
