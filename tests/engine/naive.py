"""A deliberately naive day-by-day model of docs/delinquency.md, written independently of the engine
(cumulative sums instead of a sequential waterfall, one day at a time), to check it against."""
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")


def naive(schedule, payments, as_of, pauses=(), fees=None):
    sched = sorted(schedule, key=lambda i: (i.due_date, i.seq))
    pays = [p for p in payments if p.paid_on <= as_of]

    def paid_by(day):
        return sum((p.amount for p in pays if p.paid_on <= day), ZERO)

    def applied(idx, total):
        before = sum((i.amount_due for i in sched[:idx]), ZERO)
        return min(sched[idx].amount_due, max(ZERO, total - before))

    total = paid_by(as_of)
    dpd = 0
    oldest = None
    for idx, inst in enumerate(sched):
        if inst.due_date < as_of and applied(idx, total) < inst.amount_due:
            oldest = inst.due_date
            dpd = (as_of - inst.due_date).days
            break
    overdue = sum((i.amount_due - applied(n, total) for n, i in enumerate(sched) if i.due_date < as_of), ZERO)
    paused = 0
    if oldest:
        day = oldest + dt.timedelta(days=1)
        while day <= as_of:
            if any(p.starts_on <= day and (p.ends_on is None or day <= p.ends_on) for p in pauses):
                paused += 1
            day += dt.timedelta(days=1)
    scheduled = sum((i.amount_due for i in sched), ZERO)
    settled = bool(sched) and total >= scheduled
    penalty = late = ZERO
    if fees is not None:
        base = ZERO
        for idx, inst in enumerate(sched):
            cum = sum((i.amount_due for i in sched[: idx + 1]), ZERO)
            day = inst.due_date + dt.timedelta(days=1)
            while day <= as_of and inst.amount_due > 0:
                base += min(inst.principal_due, max(ZERO, cum - paid_by(day)))
                day += dt.timedelta(days=1)
            fee_day = inst.due_date + dt.timedelta(days=fees.grace_days)
            if fee_day < as_of and inst.amount_due > 0:
                missed = min(inst.amount_due, max(ZERO, cum - paid_by(fee_day)))
                if missed > 0:
                    late += max((missed * fees.late_fee_rate).quantize(Decimal("0.01"), ROUND_HALF_UP), fees.late_fee_min)
        penalty = (base * fees.penalty_daily_rate).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {
        "dpd": dpd,
        "overdue_amount": overdue,
        "aging_days": dpd - paused,
        "overpayment": max(ZERO, total - scheduled),
        "settled": settled,
        "penalty": penalty,
        "late_fees": late,
    }
