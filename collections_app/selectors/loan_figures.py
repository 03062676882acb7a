"""A loan's figures by the pure engine over its rows, and the dates they hold for: what the case
page, the API, payments and the nightly run read (``collections_app.domain.delinquency`` does the
arithmetic; this module feeds it database rows)."""
from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from collections_app.domain import delinquency as engine
from collections_app.models import DelinquencyRun, Installment, Loan, Payment, Product
from collections_app.models.choices import LoanStatus, RunStatus
from collections_app.selectors.buckets import bucket_ranges

# the loans whose figures the engine keeps (the nightly run evaluates them)
EVALUATED_STATUSES = (LoanStatus.OPEN, LoanStatus.SETTLED, LoanStatus.WRITTEN_OFF)


def business_date(tz_name: str | None = None) -> dt.date:
    """Today in the lender's time zone (default TIME_ZONE), or the BUSINESS_DATE setting when set
    (replaying a historical book, training environments)."""
    if getattr(settings, "BUSINESS_DATE", None):
        return dt.date.fromisoformat(str(settings.BUSINESS_DATE))
    tz = zoneinfo.ZoneInfo(tz_name or settings.TIME_ZONE)
    return timezone.now().astimezone(tz).date()


def last_run_date() -> dt.date | None:
    """The latest business date a nightly run completed for (one query)."""
    return DelinquencyRun.objects.filter(status=RunStatus.DONE).aggregate(d=Max("as_of"))["d"]


def figures_date(loan_as_of: dt.date | None, status: str, last_run: dt.date | None) -> dt.date | None:
    """The date a loan's stored figures hold for. A run does not rewrite a loan whose figures did not
    change (``loan.as_of`` stays the first date they held), so they hold through the last run's date
    too — for the loans runs evaluate."""
    if loan_as_of is None or status not in EVALUATED_STATUSES or last_run is None:
        return loan_as_of
    return max(loan_as_of, last_run)


def figures_hold_q(day: dt.date, prefix: str = "") -> Q:
    """The loans whose stored bucket, overdue and outstanding amounts are their figures at the end of
    ``day`` — from the loan's own rows alone, whichever runs happened (docs/kpis.md, "The loans' own
    figures"): evaluated for ``day`` itself, or for an earlier date with nothing unpaid then and nothing
    ahead before the day after ``day`` (``next_change_on``: no instalment falls due, no payment dated
    ahead), in a status the runs evaluate, and not flagged since (a payment, a schedule or pause
    edit, product terms: ``selectors.recalc``). The same reasoning as the nightly run's advance by
    arithmetic. ``prefix`` reaches the loan from another model (``"loan__"``)."""
    p = prefix
    unchanged = Q(**{f"{p}as_of__lt": day, f"{p}oldest_unpaid_due_date__isnull": True, f"{p}next_change_on__gt": day})
    # not flagged (``selectors.recalc``), the payment flag read through one outer join, not a lookup a loan
    not_flagged = Q(**{f"{p}needs_recalc": False, f"{p}recalc_flag__isnull": True})
    return Q(**{f"{p}status__in": EVALUATED_STATUSES}) & (Q(**{f"{p}as_of": day}) | unchanged) & not_flagged


def fee_rules(product: Product | None) -> engine.FeeRules:
    if product is None:
        return engine.NO_FEES
    return engine.FeeRules(product.penalty_daily_rate, product.late_fee_rate, product.late_fee_min, product.grace_days)


def schedule_rows(rows) -> list[engine.ScheduledInstallment]:
    return [engine.ScheduledInstallment(r.seq, r.due_date, r.principal_due, r.interest_due, r.fee_due) for r in rows]


def payment_rows(rows) -> list[engine.PaymentRecord]:
    return [engine.PaymentRecord(r.id, r.paid_on, r.amount) for r in rows]


def loan_state(loan: Loan, as_of: dt.date | None = None) -> engine.LoanState:
    """The pure engine over one loan's rows (case page, payoff quote): 4 queries."""
    as_of = as_of or business_date(loan.lender.timezone)
    return engine.evaluate(
        schedule_rows(loan.installments.all()),
        payment_rows(loan.payments.all()),
        as_of,
        pauses=[engine.Pause(p.starts_on, p.ends_on) for p in loan.pauses.all()],
        buckets=bucket_ranges(),
        fees=fee_rules(loan.product),
    )


def _applied(rows, payments, as_of: dt.date) -> dict[int, engine.InstallmentState]:
    """One loan's installment rows → what the payments dated up to ``as_of`` applied to each (the
    waterfall, rule 2), by row id."""
    counted = [p for p in payment_rows(payments) if p.paid_on <= as_of]
    states, _credit = engine.apply_payments(engine.order_schedule(schedule_rows(rows)), counted)
    by_seq = {st.seq: st for st in states}
    return {row.id: by_seq[row.seq] for row in rows}


def show_paid(loan: Loan, as_of: dt.date) -> None:
    """Set ``paid_amount`` and ``paid_off_on`` on the loan's (prefetched) installments to what the
    payments dated up to ``as_of`` applied to each — for display; what was paid is derived by the
    engine, not stored."""
    rows = list(loan.installments.all())
    applied = _applied(rows, loan.payments.all(), as_of)
    for row in rows:
        row.paid_amount, row.paid_off_on = applied[row.id].paid, applied[row.id].paid_off_on


def installment_states(installments, as_of: dt.date | None = None) -> dict[int, engine.InstallmentState]:
    """What the payments applied to each of these installments, by id (``_applied`` over their loans;
    3 queries whatever the number). ``as_of``: default each lender's business date."""
    loan_ids = {i.loan_id for i in installments}
    if not loan_ids:
        return {}
    tz_by_loan = dict(Loan.objects.filter(id__in=loan_ids).values_list("id", "lender__timezone"))
    schedules: dict[int, list] = {}
    for r in Installment.objects.filter(loan_id__in=loan_ids).only("id", "loan_id", "seq", "due_date",
                                                                   "principal_due", "interest_due", "fee_due"):
        schedules.setdefault(r.loan_id, []).append(r)
    pays: dict[int, list] = {}
    for r in Payment.objects.filter(loan_id__in=loan_ids).only("id", "loan_id", "paid_on", "amount"):
        pays.setdefault(r.loan_id, []).append(r)
    out = {}
    for loan_id, rows in schedules.items():
        out.update(_applied(rows, pays.get(loan_id, []), as_of or business_date(tz_by_loan.get(loan_id) or None)))
    return out


def payoff_quote(loan: Loan, on_date: dt.date | None = None) -> dict:
    on_date = on_date or business_date(loan.lender.timezone)
    quote = engine.payoff_quote(
        schedule_rows(loan.installments.all()), payment_rows(loan.payments.all()), on_date, fees=fee_rules(loan.product)
    )
    return {
        "on_date": on_date,
        "overdue": quote.overdue,
        "outstanding": quote.not_yet_due_principal,
        "penalty": quote.penalty,
        "late_fees": quote.late_fees,
        "overpayment": quote.overpayment,
        "total": quote.total,
    }
