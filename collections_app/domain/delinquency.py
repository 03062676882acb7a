"""The delinquency engine as pure functions (docs/delinquency.md). No database, no Django.

``evaluate(schedule, payments, as_of, ...)`` gives everything the product derives from a loan's
schedule and payments on a business date: what each payment paid (fee, then interest, then
principal, oldest installment first), DPD, overdue amount, aging days after pauses, bucket,
overpayment, settlement, penalty interest and late fees.

Penalty interest and late fees are defined here so that every path (the nightly SQL, the generic
path, the payoff quote) computes the same figures:

* penalty interest for day ``d`` (``due_date < d <= as_of``) is ``penalty_daily_rate`` × the
  principal of installments due before ``d`` still unpaid after the payments dated ``<= d``;
  the total is rounded half-up to the cent once.
* a late fee is charged once per installment still not fully paid at the end of day
  ``due_date + grace_days`` when ``as_of`` is later than that day: ``late_fee_rate`` × the amount
  missed then (rounded half-up to the cent), at least ``late_fee_min``.

Neither changes DPD or the waterfall: payments fill the schedule only (docs/delinquency.md rule 2).
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .buckets import DEFAULT_BUCKETS, BucketRange, classify

ZERO = Decimal("0")
NEVER = dt.date.max  # next_change_on of a loan with nothing ahead: no installment to fall due, no dated payment
CENT = Decimal("0.01")


@dataclass(frozen=True)
class ScheduledInstallment:
    seq: int
    due_date: dt.date
    principal_due: Decimal
    interest_due: Decimal = ZERO
    fee_due: Decimal = ZERO

    @property
    def amount_due(self) -> Decimal:
        return self.principal_due + self.interest_due + self.fee_due


@dataclass(frozen=True)
class PaymentRecord:
    id: int
    paid_on: dt.date
    amount: Decimal


@dataclass(frozen=True)
class Pause:
    starts_on: dt.date
    ends_on: dt.date | None = None  # inclusive; None = open-ended


@dataclass(frozen=True)
class FeeRules:
    penalty_daily_rate: Decimal = ZERO
    late_fee_rate: Decimal = ZERO
    late_fee_min: Decimal = ZERO
    grace_days: int = 0

    @property
    def any(self) -> bool:
        return bool(self.penalty_daily_rate or self.late_fee_rate or self.late_fee_min)


NO_FEES = FeeRules()


@dataclass
class InstallmentState:
    seq: int
    due_date: dt.date
    amount_due: Decimal
    fee_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    principal_paid: Decimal = ZERO
    paid_off_on: dt.date | None = None

    @property
    def paid(self) -> Decimal:
        return self.fee_paid + self.interest_paid + self.principal_paid

    @property
    def is_paid(self) -> bool:
        return self.paid >= self.amount_due

    @property
    def unpaid(self) -> Decimal:
        return self.amount_due - self.paid


@dataclass
class LoanState:
    as_of: dt.date
    dpd: int
    aging_days: int
    paused_days: int
    bucket: str
    overdue_amount: Decimal
    paid_total: Decimal
    outstanding_amount: Decimal
    overpayment: Decimal
    oldest_unpaid_due_date: dt.date | None
    settled: bool
    settled_on: dt.date | None
    penalty: Decimal
    late_fees: Decimal
    next_change_on: dt.date = NEVER
    penalty_base: Decimal = ZERO  # Σ over days of unpaid principal (penalty = base × rate, rounded once)
    penalty_principal: Decimal = ZERO  # unpaid principal due: what each further day adds to the base
    installments: list[InstallmentState] = field(default_factory=list)

    @property
    def is_delinquent(self) -> bool:
        return self.dpd > 0


def next_change_date(schedule: Iterable[ScheduledInstallment], payments: Iterable[PaymentRecord],
                     as_of: dt.date, fees: FeeRules = NO_FEES, states: Sequence[InstallmentState] = ()) -> dt.date:
    """The first date after ``as_of`` on which the loan's amounts can change other than by the daily
    penalty accrual, while its rows stay the same: the day after the next installment falls due (an
    installment due on ``t`` counts from ``t + 1``, rule 3), the date of the next payment dated after
    ``as_of`` (counted from its date, rule 2), or — when the product charges late fees — the day a fee
    falls on an installment unpaid at ``as_of`` (``due_date + grace_days + 1``). Until the day
    before, only the passage of time moves the loan: DPD grows by one a day while it is late (rule 4),
    the penalty base by the unpaid principal due (``penalty_principal``) each day, every other amount
    stays. :data:`NEVER` when nothing is ahead. ``states``: the installments' state at ``as_of``
    (``evaluate`` passes it), in schedule order.
    """
    ahead = [i.due_date + dt.timedelta(days=1) for i in schedule if i.due_date >= as_of]
    ahead += [p.paid_on for p in payments if p.paid_on > as_of]
    if fees.late_fee_rate or fees.late_fee_min:
        grace = dt.timedelta(days=fees.grace_days)
        ahead += [i.due_date + grace + dt.timedelta(days=1) for i, st in zip(schedule, states, strict=False)
                  if i.due_date < as_of <= i.due_date + grace and st.amount_due > 0 and not st.is_paid]
    return min(ahead, default=NEVER)


def order_schedule(schedule: Iterable[ScheduledInstallment]) -> list[ScheduledInstallment]:
    return sorted(schedule, key=lambda i: (i.due_date, i.seq))


def apply_payments(
    schedule: Sequence[ScheduledInstallment], payments: Iterable[PaymentRecord]
) -> tuple[list[InstallmentState], Decimal]:
    """The waterfall (rule 2). ``schedule`` ordered by (due_date, seq), ``payments`` already
    restricted to the business date. Returns the per-installment state and the overpayment."""
    states = [InstallmentState(i.seq, i.due_date, i.amount_due) for i in schedule]
    pos = 0
    credit = ZERO
    for payment in sorted(payments, key=lambda p: (p.paid_on, p.id)):
        money = payment.amount
        while money > 0 and pos < len(schedule):
            inst, st = schedule[pos], states[pos]
            for part, due in (("fee_paid", inst.fee_due), ("interest_paid", inst.interest_due),
                              ("principal_paid", inst.principal_due)):
                owed = due - getattr(st, part)
                if owed > 0 and money > 0:
                    take = min(owed, money)
                    setattr(st, part, getattr(st, part) + take)
                    money -= take
            if st.is_paid:
                if st.paid_off_on is None:
                    st.paid_off_on = payment.paid_on
                pos += 1
        # zero-amount installments are paid by nothing: skip past them
        while pos < len(schedule) and states[pos].is_paid:
            pos += 1
        credit += money
    return states, credit


def paused_days_between(pauses: Iterable[Pause], first_day: dt.date, last_day: dt.date) -> int:
    """Days in [first_day, last_day] inside any pause (overlapping pauses count once)."""
    if last_day < first_day:
        return 0
    intervals = []
    for p in pauses:
        start = max(p.starts_on, first_day)
        end = min(p.ends_on or last_day, last_day)
        if end >= start:
            intervals.append((start, end))
    intervals.sort()
    total = 0
    cur_start = cur_end = None
    for start, end in intervals:
        if cur_end is None or start > cur_end + dt.timedelta(days=1):
            if cur_end is not None:
                total += (cur_end - cur_start).days + 1
            cur_start, cur_end = start, end
        elif end > cur_end:
            cur_end = end
    if cur_end is not None:
        total += (cur_end - cur_start).days + 1
    return total


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _paid_by_timeline(payments: Sequence[PaymentRecord]) -> tuple[list[dt.date], list[Decimal]]:
    """Step function P(d) = total paid with paid_on <= d, as sorted dates and running totals."""
    dates: list[dt.date] = []
    totals: list[Decimal] = []
    running = ZERO
    for p in sorted(payments, key=lambda p: (p.paid_on, p.id)):
        running += p.amount
        if dates and dates[-1] == p.paid_on:
            totals[-1] = running
        else:
            dates.append(p.paid_on)
            totals.append(running)
    return dates, totals


def _paid_by(dates, totals, day: dt.date) -> Decimal:
    i = bisect_right(dates, day)
    return totals[i - 1] if i else ZERO


@dataclass(frozen=True)
class Charges:
    penalty: Decimal = ZERO
    late_fees: Decimal = ZERO
    penalty_base: Decimal = ZERO
    penalty_principal: Decimal = ZERO


def penalty_and_fees(
    schedule: Sequence[ScheduledInstallment], payments: Sequence[PaymentRecord], as_of: dt.date, rules: FeeRules
) -> Charges:
    """Penalty interest and late fees accrued up to ``as_of`` (definitions in the module doc)."""
    if not rules.any or not schedule:
        return Charges()
    dates, totals = _paid_by_timeline([p for p in payments if p.paid_on <= as_of])
    penalty_base = ZERO  # Σ over days of unpaid principal
    principal_due = ZERO  # unpaid principal of the installments due before as_of, after payments to as_of
    paid_now = totals[-1] if totals else ZERO
    fees = ZERO
    cum_before = ZERO
    for inst in schedule:
        amount = inst.amount_due
        cum = cum_before + amount
        if inst.due_date < as_of and amount > 0:
            if rules.penalty_daily_rate and inst.principal_due > 0:
                principal_due += min(inst.principal_due, max(ZERO, cum - paid_now))
                # unpaid principal on day d = min(principal, max(0, cum - P(d))), constant between payments
                day = inst.due_date + dt.timedelta(days=1)
                k = bisect_right(dates, day)  # payments strictly after `day` start new segments
                while day <= as_of:
                    paid = totals[k - 1] if k else ZERO
                    seg_end = dates[k] - dt.timedelta(days=1) if k < len(dates) and dates[k] <= as_of else as_of
                    unpaid = min(inst.principal_due, max(ZERO, cum - paid))
                    if unpaid == 0:
                        break  # paid off: P only grows
                    penalty_base += unpaid * ((seg_end - day).days + 1)
                    day = seg_end + dt.timedelta(days=1)
                    k += 1
            fee_day = inst.due_date + dt.timedelta(days=rules.grace_days)
            if (rules.late_fee_rate or rules.late_fee_min) and fee_day < as_of:
                missed = min(amount, max(ZERO, cum - _paid_by(dates, totals, fee_day)))
                if missed > 0:
                    fees += max(_round(missed * rules.late_fee_rate), rules.late_fee_min)
        cum_before = cum
    return Charges(_round(penalty_base * rules.penalty_daily_rate), fees, penalty_base, principal_due)


def evaluate(
    schedule: Iterable[ScheduledInstallment],
    payments: Iterable[PaymentRecord],
    as_of: dt.date,
    *,
    pauses: Iterable[Pause] = (),
    buckets: Sequence[BucketRange] = DEFAULT_BUCKETS,
    fees: FeeRules = NO_FEES,
) -> LoanState:
    """A loan on business date ``as_of`` (docs/delinquency.md, rules 1–7)."""
    ordered = order_schedule(schedule)
    payments = list(payments)
    counted = [p for p in payments if p.paid_on <= as_of]
    states, credit = apply_payments(ordered, counted)
    oldest = next((s.due_date for s in states if s.due_date < as_of and not s.is_paid), None)
    dpd = (as_of - oldest).days if oldest else 0
    paused = paused_days_between(pauses, oldest + dt.timedelta(days=1), as_of) if oldest else 0
    aging = dpd - paused
    overdue = sum((s.unpaid for s in states if s.due_date < as_of), ZERO)
    settled = bool(states) and all(s.is_paid for s in states)
    settled_on = None
    if settled and any(s.amount_due > 0 for s in states):
        settled_on = max((s.paid_off_on for s in states if s.amount_due > 0), default=None)
    charges = penalty_and_fees(ordered, counted, as_of, fees)
    return LoanState(
        as_of=as_of,
        dpd=dpd,
        aging_days=aging,
        paused_days=paused,
        bucket=classify(aging, buckets),
        overdue_amount=overdue,
        paid_total=sum((p.amount for p in counted), ZERO),
        outstanding_amount=sum((s.unpaid for s in states), ZERO),
        overpayment=credit,
        oldest_unpaid_due_date=oldest,
        settled=settled,
        settled_on=settled_on,
        penalty=charges.penalty,
        late_fees=charges.late_fees,
        next_change_on=next_change_date(ordered, payments, as_of, fees, states),
        penalty_base=charges.penalty_base,
        penalty_principal=charges.penalty_principal,
        installments=states,
    )


@dataclass(frozen=True)
class PayoffQuote:
    on_date: dt.date
    overdue: Decimal
    not_yet_due_principal: Decimal
    penalty: Decimal
    late_fees: Decimal
    overpayment: Decimal

    @property
    def total(self) -> Decimal:
        return max(ZERO, self.overdue + self.not_yet_due_principal + self.penalty + self.late_fees - self.overpayment)


def payoff_quote(
    schedule: Iterable[ScheduledInstallment],
    payments: Iterable[PaymentRecord],
    on_date: dt.date,
    *,
    fees: FeeRules = NO_FEES,
) -> PayoffQuote:
    """What settles the loan on ``on_date``: everything overdue (installments due before the date,
    interest included), the principal not yet due (future interest is not charged), penalty
    interest and late fees accrued to the date, less any credit. An installment due on the date
    itself counts as not yet due: its interest is waived when the loan is paid off that day."""
    ordered = order_schedule(schedule)
    state = evaluate(ordered, payments, on_date, fees=fees)
    future_principal = ZERO
    for inst, st in zip(ordered, state.installments, strict=True):
        if inst.due_date >= on_date:
            # what is left of the principal part (fee and interest are paid first)
            future_principal += min(inst.principal_due, st.unpaid)
    return PayoffQuote(on_date, state.overdue_amount, future_principal, state.penalty, state.late_fees,
                       state.overpayment)
