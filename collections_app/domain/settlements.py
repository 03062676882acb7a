"""Settlement offers and payment plans as pure rules (docs/settlements.md). No database, no Django.

* ``approval_level(percent, collector_max, supervisor_max)``: who may grant a discount (offers) or a
  shortfall below the amount to cover (plans): the collector alone up to ``collector_max`` per cent, a
  supervisor up to ``supervisor_max``, an admin above.
* ``offer_outcome``: an offer is paid on the first day the payments counted since it was made reach
  its amount, provided that day is not after ``valid_until``; it lapses on the day after
  ``valid_until`` otherwise.
* ``plan_progress``: payments since the plan was proposed fill its instalments oldest first; an
  instalment not covered by the end of ``due_date + grace_days`` breaks the plan on the next day; a
  plan whose total is covered before it breaks is kept on the day it was covered.
* ``plan_pause``: the aging pause a plan holds: from the day after it became active to the day before
  it broke, or to the day it was kept (``None`` when that covers no day).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
HUNDRED = Decimal("100")
DAY = dt.timedelta(days=1)

COLLECTOR, SUPERVISOR, ADMIN = "collector", "supervisor", "admin"
ACTIVE, KEPT, BROKEN = "active", "kept", "broken"


def discount_percent(base: Decimal, amount: Decimal) -> Decimal:
    """How far ``amount`` falls below ``base``, in per cent of ``base`` (0 when it does not), 2 decimals."""
    if base <= 0 or amount >= base:
        return ZERO
    return ((base - amount) * HUNDRED / base).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def approval_level(percent: Decimal, collector_max: Decimal, supervisor_max: Decimal, *,
                   always_approve: bool = False) -> str:
    """``collector`` (no approval), ``supervisor`` or ``admin``. ``always_approve``: the collector may
    not grant it alone whatever the percentage (a plan below the amount to cover)."""
    if percent <= collector_max and not (always_approve and percent > 0):
        return COLLECTOR
    if percent <= supervisor_max:
        return SUPERVISOR
    return ADMIN


@dataclass(frozen=True)
class Paid:
    paid_on: dt.date
    amount: Decimal


def _running(payments: Iterable[Paid]) -> list[tuple[dt.date, Decimal]]:
    out: list[tuple[dt.date, Decimal]] = []
    total = ZERO
    for p in sorted(payments, key=lambda p: p.paid_on):
        total += p.amount
        if out and out[-1][0] == p.paid_on:
            out[-1] = (p.paid_on, total)
        else:
            out.append((p.paid_on, total))
    return out


def _paid_by(running, day: dt.date) -> Decimal:
    total = ZERO
    for d, t in running:
        if d > day:
            break
        total = t
    return total


def _first_day_reaching(running, amount: Decimal) -> dt.date | None:
    return next((d for d, t in running if t >= amount), None)


@dataclass(frozen=True)
class OfferOutcome:
    status: str  # active | paid | lapsed
    on: dt.date | None
    paid: Decimal


def offer_outcome(amount: Decimal, valid_until: dt.date, payments: Iterable[Paid], as_of: dt.date) -> OfferOutcome:
    """An offer on ``as_of``, from the payments counted for it (those dated from the day it was made)."""
    running = _running(p for p in payments if p.paid_on <= as_of)
    day = _first_day_reaching(running, amount)
    if day is not None and day <= valid_until:
        return OfferOutcome("paid", day, _paid_by(running, day))
    paid = _paid_by(running, min(as_of, valid_until))
    if as_of > valid_until:
        return OfferOutcome("lapsed", valid_until + DAY, paid)
    return OfferOutcome("active", None, paid)


@dataclass(frozen=True)
class PlanLine:
    seq: int
    due_date: dt.date
    amount: Decimal


@dataclass(frozen=True)
class LineState:
    seq: int
    due_date: dt.date
    amount: Decimal
    paid: Decimal
    paid_on: dt.date | None


@dataclass(frozen=True)
class PlanProgress:
    status: str  # active | kept | broken
    on: dt.date | None  # the day it was kept or broke
    lines: tuple[LineState, ...]
    missed_seq: int | None = None


def plan_progress(lines: Sequence[PlanLine], payments: Iterable[Paid], as_of: dt.date, grace_days: int) -> PlanProgress:
    """A plan on ``as_of`` from the payments counted for it (dated from the day it was proposed)."""
    ordered = sorted(lines, key=lambda x: (x.due_date, x.seq))
    running = _running(p for p in payments if p.paid_on <= as_of)
    grace = dt.timedelta(days=grace_days)
    cum = ZERO
    states, broke_on, missed = [], None, None
    for line in ordered:
        before = cum
        cum += line.amount
        covered_on = _first_day_reaching(running, cum)
        states.append(LineState(line.seq, line.due_date, line.amount,
                                min(line.amount, max(ZERO, _paid_by(running, as_of) - before)), covered_on))
        last_day = line.due_date + grace
        if broke_on is None and last_day < as_of and (covered_on is None or covered_on > last_day):
            broke_on, missed = last_day + DAY, line.seq
    kept_on = _first_day_reaching(running, cum) if ordered else None
    if broke_on is not None and (kept_on is None or broke_on <= kept_on):
        return PlanProgress(BROKEN, broke_on, tuple(states), missed)
    if kept_on is not None:
        return PlanProgress(KEPT, kept_on, tuple(states))
    return PlanProgress(ACTIVE, None, tuple(states))


def plan_pause(activated_on: dt.date, progress: PlanProgress) -> tuple[dt.date, dt.date | None] | None:
    """(starts_on, ends_on inclusive or None = open) of the aging pause a plan holds, or None when it
    covers no day: the pause starts the day after the plan became active (that day's figures stand),
    ends the day before it broke (aging resumes that day) or the day it was kept."""
    start = activated_on + DAY
    if progress.status == ACTIVE:
        return start, None
    end = progress.on - DAY if progress.status == BROKEN else progress.on
    return (start, end) if end >= start else None


def due_soon(lines: Sequence[LineState], today: dt.date, reminder_days: int) -> bool:
    """Whether an instalment not yet paid falls due within ``reminder_days`` from ``today`` (or is
    due and still within its grace): the days the case comes back to the queue for a reminder."""
    horizon = today + dt.timedelta(days=reminder_days)
    return any(s.paid_on is None and s.due_date <= horizon for s in lines)
