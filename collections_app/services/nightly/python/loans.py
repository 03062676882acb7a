"""Loan figures by the pure engine (``collections_app.domain.delinquency``) over the chunk's rows
fetched in bulk, written back where they changed (any database; SQLite runs it)."""
from __future__ import annotations

import datetime as dt

from django.db import connection

from collections_app.domain import delinquency as engine
from collections_app.domain.buckets import BucketRange
from collections_app.models import AgingPause, BucketHistory, DelinquencyRun, Installment, Loan, Payment, Product
from collections_app.models.choices import LoanStatus
from collections_app.selectors.loan_figures import EVALUATED_STATUSES, fee_rules, payment_rows, schedule_rows
from collections_app.selectors.recalc import flag_snapshot
from collections_app.services.recalc import clear_flags

from ..scope import LOAN_FIELDS, Scope, sql_table


def compute_states(*, scope: Scope, as_of: dt.date, buckets: list[BucketRange]) -> dict[int, engine.LoanState]:
    loans = list(scope.loans().filter(status__in=EVALUATED_STATUSES).values("id", "product_id"))
    ids = [row["id"] for row in loans]
    if not ids:
        return {}
    insts: dict[int, list] = {}
    for r in Installment.objects.filter(loan_id__in=ids).only("loan_id", "seq", "due_date", "principal_due",
                                                               "interest_due", "fee_due"):
        insts.setdefault(r.loan_id, []).append(r)
    pays: dict[int, list] = {}
    # all of them: those dated after as_of do not count (the engine leaves them out) but set next_change_on
    for r in Payment.objects.filter(loan_id__in=ids).only("id", "loan_id", "paid_on", "amount"):
        pays.setdefault(r.loan_id, []).append(r)
    pauses: dict[int, list] = {}
    for r in AgingPause.objects.filter(loan_id__in=ids):
        pauses.setdefault(r.loan_id, []).append(engine.Pause(r.starts_on, r.ends_on))
    products = {p.id: fee_rules(p) for p in Product.objects.filter(id__in={r["product_id"] for r in loans} - {None})}
    return {
        row["id"]: engine.evaluate(
            schedule_rows(insts.get(row["id"], [])),
            payment_rows(pays.get(row["id"], [])),
            as_of,
            pauses=pauses.get(row["id"], []),
            buckets=buckets,
            fees=products.get(row["product_id"], engine.NO_FEES),
        )
        for row in loans
    }


def write_loans(*, scope: Scope, as_of: dt.date, buckets, run: DelinquencyRun | None) -> tuple[int, int]:
    # the payment flags before the payments are read: only these are cleared (selectors.recalc.clear_flags)
    flags = flag_snapshot(scope.loans())
    states = compute_states(scope=scope, as_of=as_of, buckets=buckets)
    if not states:
        return 0, 0
    loans = Loan.objects.filter(id__in=states.keys()).only("id", "lender_id", *LOAN_FIELDS)
    changed, history = [], []
    past_ids, evaluated = [], []
    for loan in loans:
        st = states[loan.id]
        if loan.as_of and loan.as_of > as_of:
            past_ids.append(loan.id)
            continue
        new = _loan_values(loan.status, st, as_of)
        evaluated.append(loan.id)
        if loan.as_of is None or loan.id in flags or any(getattr(loan, k) != v for k, v in new.items() if k != "as_of"):
            if loan.bucket != st.bucket:
                history.append(BucketHistory(loan_id=loan.id, lender_id=loan.lender_id, on_date=as_of,
                                             from_bucket=loan.bucket, to_bucket=st.bucket, dpd=st.dpd,
                                             overdue_amount=st.overdue_amount, run=run))
            for k, v in new.items():
                setattr(loan, k, v)
            changed.append(loan)
    _update_loans(changed)
    clear_flags(flags, evaluated)
    if history:
        existing = dict(BucketHistory.objects.filter(on_date=as_of, loan_id__in=[h.loan_id for h in history])
                        .values_list("loan_id", "id"))
        fresh = [h for h in history if h.loan_id not in existing]
        BucketHistory.objects.bulk_create(fresh, batch_size=2000)
        for h in history:
            if h.loan_id in existing:
                BucketHistory.objects.filter(id=existing[h.loan_id]).update(
                    to_bucket=h.to_bucket, dpd=h.dpd, overdue_amount=h.overdue_amount, run=run)
    changes = len(history)
    if past_ids:
        changes += _rewrite_past_history_python(past_ids, as_of, buckets, states, run)
    return len(states), changes


def _update_loans(loans) -> None:
    """One parameterised UPDATE executed for all changed rows (Django's bulk_update builds CASE
    expressions that grow quadratically on SQLite)."""
    if not loans:
        return
    fields = [Loan._meta.get_field(name) for name in LOAN_FIELDS]
    sets = ", ".join(f"{connection.ops.quote_name(fld.column)} = %s" for fld in fields)
    sql = f"UPDATE {sql_table(Loan)} SET {sets} WHERE id = %s"
    params = [
        [fld.get_db_prep_save(getattr(loan, fld.attname), connection) for fld in fields] + [loan.id] for loan in loans
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _rewrite_past_history_python(loan_ids, as_of, buckets, states_today, run) -> int:
    before = _states_for_ids(loan_ids, as_of - dt.timedelta(days=1), buckets)
    lenders = dict(Loan.objects.filter(id__in=loan_ids).values_list("id", "lender_id"))
    BucketHistory.objects.filter(loan_id__in=loan_ids, on_date=as_of).delete()
    rows = [
        BucketHistory(loan_id=i, lender_id=lenders[i], on_date=as_of, from_bucket=before[i].bucket,
                      to_bucket=states_today[i].bucket, dpd=states_today[i].dpd,
                      overdue_amount=states_today[i].overdue_amount, run=run)
        for i in loan_ids
        if before[i].bucket != states_today[i].bucket
    ]
    BucketHistory.objects.bulk_create(rows)
    return len(rows)


def _states_for_ids(loan_ids, as_of, buckets):
    borrower_ids = tuple(Loan.objects.filter(id__in=loan_ids).values_list("borrower_id", flat=True).distinct())
    states = compute_states(scope=Scope(borrower_ids=borrower_ids), as_of=as_of, buckets=buckets)
    return {i: states[i] for i in loan_ids}


def _loan_values(status: str, st: engine.LoanState, as_of: dt.date) -> dict:
    if status in (LoanStatus.OPEN, LoanStatus.SETTLED):
        status = LoanStatus.SETTLED if st.settled else LoanStatus.OPEN
    return {
        "as_of": as_of, "dpd": st.dpd, "aging_days": st.aging_days, "bucket": st.bucket,
        "overdue_amount": st.overdue_amount, "paid_total": st.paid_total, "outstanding_amount": st.outstanding_amount,
        "overpayment": st.overpayment, "penalty_accrued": st.penalty, "fees_accrued": st.late_fees,
        "oldest_unpaid_due_date": st.oldest_unpaid_due_date, "settled_on": st.settled_on,
        "next_change_on": st.next_change_on, "penalty_base": st.penalty_base,
        "penalty_principal": st.penalty_principal, "status": status, "needs_recalc": False,
    }
