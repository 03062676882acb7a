"""The delinquency engine's database paths, the real-time reclassification and the nightly run.

Work is split by **borrower-id range**: a case is one borrower's loans with one lender, so a chunk
holds whole cases and chunks never touch the same rows — several Celery workers on several machines
can run them at once. Each chunk is one transaction: loans, bucket history, cases, promises and
actions of the chunk commit together or not at all, so a worker killed midway leaves nothing
half-written and re-running the chunk (or the whole date) gives the state of an uninterrupted run.

On PostgreSQL the loan figures are computed by set-based SQL over the whole chunk (window functions
over cumulative sums, CONTRACTS.md §2). Elsewhere (SQLite) a generic path runs the pure engine
(``collections_app.domain.delinquency``) over rows fetched in bulk. Tests check both against the pure
functions on random books.

*Forward* dates (the loan's stored ``as_of`` is not later than the date) update the loan and record
a bucket change from the stored bucket. A loan whose figures did not change is not rewritten (its
``as_of`` stays the first date the figures held): nightly writes are only the loans that moved. This
is exact because every figure is monotone in the date while it stays the same (payments and amounts
due only accumulate; DPD grows daily while a loan is late), so figures equal on two dates are equal
on every date between them, and a re-run for such a date finds nothing to change. *Past* dates (re-computing history) never touch a loan's
current figures: they only rewrite that date's bucket-history row from the buckets computed for the
day before and the day itself, so later dates are not corrupted.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_app.domain import delinquency as engine
from collections_app.domain.buckets import BucketRange
from collections_app.models import (
    AgingPause,
    Borrower,
    BucketHistory,
    DelinquencyRun,
    DelinquencyRunChunk,
    Installment,
    Loan,
    Payment,
    Product,
)
from collections_app.models.choices import LoanStatus, RunStatus

from . import strategy as strategy_service

ZERO = Decimal("0")
EVALUATED_STATUSES = (LoanStatus.OPEN, LoanStatus.SETTLED, LoanStatus.WRITTEN_OFF)
LOAN_FIELDS = (
    "as_of", "dpd", "aging_days", "bucket", "overdue_amount", "paid_total", "outstanding_amount", "overpayment",
    "penalty_accrued", "fees_accrued", "oldest_unpaid_due_date", "settled_on", "next_change_on", "penalty_base",
    "penalty_principal", "status", "needs_recalc",
)


def business_date(tz_name: str | None = None) -> dt.date:
    """Today in the lender's time zone (default TIME_ZONE), or the BUSINESS_DATE setting when set
    (replaying a historical book, training environments)."""
    import zoneinfo

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


@dataclass
class ChunkResult:
    loans: int = 0
    bucket_changes: int = 0
    cases_opened: int = 0
    cases_closed: int = 0
    actions_created: int = 0
    promises_broken: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def add(self, other: ChunkResult | dict) -> None:
        data = other if isinstance(other, dict) else other.__dict__
        for key, value in data.items():
            setattr(self, key, getattr(self, key) + value)


# ----------------------------------------------------------------------------- pure engine access
def fee_rules(product: Product | None) -> engine.FeeRules:
    if product is None:
        return engine.NO_FEES
    return engine.FeeRules(product.penalty_daily_rate, product.late_fee_rate, product.late_fee_min, product.grace_days)


def _schedule(rows) -> list[engine.ScheduledInstallment]:
    return [engine.ScheduledInstallment(r.seq, r.due_date, r.principal_due, r.interest_due, r.fee_due) for r in rows]


def _payments(rows) -> list[engine.PaymentRecord]:
    return [engine.PaymentRecord(r.id, r.paid_on, r.amount) for r in rows]


def loan_state(loan: Loan, as_of: dt.date | None = None) -> engine.LoanState:
    """The pure engine over one loan's rows (case page, payoff quote): 4 queries."""
    as_of = as_of or business_date(loan.lender.timezone)
    return engine.evaluate(
        _schedule(loan.installments.all()),
        _payments(loan.payments.all()),
        as_of,
        pauses=[engine.Pause(p.starts_on, p.ends_on) for p in loan.pauses.all()],
        buckets=strategy_service.bucket_ranges(),
        fees=fee_rules(loan.product),
    )


def _applied(rows, payments, as_of: dt.date) -> dict[int, engine.InstallmentState]:
    """One loan's installment rows → what the payments dated up to ``as_of`` applied to each (the
    waterfall, rule 2), by row id."""
    counted = [p for p in _payments(payments) if p.paid_on <= as_of]
    states, _credit = engine.apply_payments(engine.order_schedule(_schedule(rows)), counted)
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
        _schedule(loan.installments.all()), _payments(loan.payments.all()), on_date, fees=fee_rules(loan.product)
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


# ----------------------------------------------------------------------------- chunk selection
@dataclass(frozen=True)
class Scope:
    """Which borrowers a chunk covers: an id range [lo, hi] or an explicit list."""

    lo: int | None = None
    hi: int | None = None
    borrower_ids: tuple[int, ...] | None = None

    def loans(self):
        qs = Loan.objects.all()
        if self.borrower_ids is not None:
            return qs.filter(borrower_id__in=self.borrower_ids)
        return qs.filter(borrower_id__gte=self.lo, borrower_id__lte=self.hi)

    def sql(self, alias: str = "l") -> tuple[str, list]:
        return self.sql_on(f"{alias}.borrower_id")

    def sql_on(self, column: str) -> tuple[str, list]:
        """The chunk as a predicate on a borrower-id column (``l.borrower_id``, ``b.id`` …)."""
        if self.borrower_ids is not None:
            if not self.borrower_ids:
                return "FALSE", []
            return f"{column} = ANY(%s)", [list(self.borrower_ids)]
        return f"{column} BETWEEN %s AND %s", [self.lo, self.hi]


def chunk_bounds(chunk_size: int | None = None) -> list[tuple[int, int]]:
    """Borrower-id ranges of about ``chunk_size`` borrowers each, over borrowers with loans."""
    chunk_size = chunk_size or settings.DELINQUENCY_CHUNK_SIZE
    agg = Borrower.objects.aggregate(lo=Min("id"), hi=Max("id"))
    if agg["lo"] is None:
        return []
    bounds = []
    lo = agg["lo"]
    while lo <= agg["hi"]:
        hi = lo + chunk_size - 1
        bounds.append((lo, min(hi, agg["hi"])))
        lo = hi + 1
    return bounds


# ----------------------------------------------------------------------------- generic path (any database)
def _compute_python(scope: Scope, as_of: dt.date, buckets: list[BucketRange]) -> dict[int, engine.LoanState]:
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
            _schedule(insts.get(row["id"], [])),
            _payments(pays.get(row["id"], [])),
            as_of,
            pauses=pauses.get(row["id"], []),
            buckets=buckets,
            fees=products.get(row["product_id"], engine.NO_FEES),
        )
        for row in loans
    }


def _write_python(scope: Scope, as_of: dt.date, buckets, run: DelinquencyRun | None) -> tuple[int, int]:
    states = _compute_python(scope, as_of, buckets)
    if not states:
        return 0, 0
    loans = Loan.objects.filter(id__in=states.keys()).only("id", "lender_id", *LOAN_FIELDS)
    changed, history = [], []
    past_ids = []
    for loan in loans:
        st = states[loan.id]
        if loan.as_of and loan.as_of > as_of:
            past_ids.append(loan.id)
            continue
        new = _loan_values(loan.status, st, as_of)
        if loan.as_of is None or any(getattr(loan, k) != v for k, v in new.items() if k != "as_of"):
            if loan.bucket != st.bucket:
                history.append(BucketHistory(loan_id=loan.id, lender_id=loan.lender_id, on_date=as_of,
                                             from_bucket=loan.bucket, to_bucket=st.bucket, dpd=st.dpd,
                                             overdue_amount=st.overdue_amount, run=run))
            for k, v in new.items():
                setattr(loan, k, v)
            changed.append(loan)
    _update_loans(changed)
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
    sql = f"UPDATE {_t(Loan)} SET {sets} WHERE id = %s"
    params = [
        [fld.get_db_prep_save(getattr(loan, fld.attname), connection) for fld in fields] + [loan.id] for loan in loans
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _rewrite_past_history_python(loan_ids, as_of, buckets, states_today, run) -> int:
    before = _compute_python_for_ids(loan_ids, as_of - dt.timedelta(days=1), buckets)
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


def _compute_python_for_ids(loan_ids, as_of, buckets):
    borrower_ids = tuple(Loan.objects.filter(id__in=loan_ids).values_list("borrower_id", flat=True).distinct())
    states = _compute_python(Scope(borrower_ids=borrower_ids), as_of, buckets)
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


# ----------------------------------------------------------------------------- PostgreSQL set-based path
def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _sql_compute(cursor, table: str, scope: Scope, as_of: dt.date, buckets, *, only_loan_ids=None,
                 extra: tuple[str, list] = ("", [])) -> tuple[int, int]:
    """Create temp table ``table`` with the CONTRACTS §2 figures of the evaluated loans in scope (only
    ``only_loan_ids``, and only those matching the predicate ``extra`` on ``l`` when given).
    Returns the loan-id range it covered."""
    where, params = scope.sql("l")
    extra_where, extra_params = "", []
    if only_loan_ids is not None:
        extra_where, extra_params = "AND l.id = ANY(%s)", [list(only_loan_ids)]
    if extra[0]:
        extra_where += f" AND ({extra[0]})"
        extra_params += list(extra[1])
    statuses = [str(s) for s in EVALUATED_STATUSES]
    d = as_of
    ln = f"{table}_ln"
    cursor.execute(f"DROP TABLE IF EXISTS {ln}")
    cursor.execute(
        f"""
        CREATE TEMP TABLE {ln} ON COMMIT DROP AS
        SELECT l.id AS loan_id, l.product_id, l.oldest_unpaid_due_date AS stored_oldest,
               l.paid_total AS stored_paid, l.penalty_accrued AS stored_penalty, l.fees_accrued AS stored_fees,
               l.penalty_base AS stored_base,
               (l.as_of IS NOT NULL AND l.as_of <= %s AND NOT l.needs_recalc) AS stored_usable
        FROM {_t(Loan)} l
        WHERE {where} AND l.status = ANY(%s) {extra_where}
        """,
        [d, *params, statuses, *extra_params],
    )
    cursor.execute(f"SELECT COUNT(*), COALESCE(MIN(loan_id), 0), COALESCE(MAX(loan_id), -1) FROM {ln}")
    count, lo_id, hi_id = cursor.fetchone()
    # A few loans of the range (a nightly run: those with something new): their installments and
    # payments one loan at a time through the indexes. Many (a first run, an import): the chunk's
    # loan-id range read in index order, with no join before the window, so it needs no sort (loans
    # of the range outside the set drop out in ``agg``).
    few = count * 4 < hi_id - lo_id + 1
    cursor.execute(f"CREATE INDEX ON {ln} (loan_id)")
    cursor.execute(f"ANALYZE {ln}")
    if few:
        paid_sql = f"""
            SELECT x.loan_id, p.total, p.next_pay FROM {ln} x CROSS JOIN LATERAL (
                SELECT SUM(p.amount) FILTER (WHERE p.paid_on <= %(d)s) AS total,
                       MIN(p.paid_on) FILTER (WHERE p.paid_on > %(d)s) AS next_pay
                FROM {_t(Payment)} p WHERE p.loan_id = x.loan_id) p"""
        inst_sql = f"""
            SELECT x.loan_id, i.due_date, i.amount_due, i.cum FROM {ln} x CROSS JOIN LATERAL (
                SELECT i.due_date, i.amount_due,
                       SUM(i.amount_due) OVER (ORDER BY i.due_date, i.seq ROWS UNBOUNDED PRECEDING) AS cum
                FROM {_t(Installment)} i WHERE i.loan_id = x.loan_id) i"""
    else:
        paid_sql = f"""
            SELECT p.loan_id, SUM(p.amount) FILTER (WHERE p.paid_on <= %(d)s) AS total,
                   MIN(p.paid_on) FILTER (WHERE p.paid_on > %(d)s) AS next_pay
            FROM {_t(Payment)} p WHERE p.loan_id BETWEEN %(lo)s AND %(hi)s GROUP BY p.loan_id"""
        inst_sql = f"""
            SELECT i.loan_id, i.due_date, i.amount_due,
                   SUM(i.amount_due) OVER (PARTITION BY i.loan_id ORDER BY i.due_date, i.seq
                                           ROWS UNBOUNDED PRECEDING) AS cum
            FROM {_t(Installment)} i
            WHERE i.loan_id BETWEEN %(lo)s AND %(hi)s"""
    named = {"d": d, "lo": lo_id, "hi": hi_id, "never": engine.NEVER}
    bucket_rows = []
    for n, b in enumerate(buckets):
        bucket_rows.append(f"(%(bc{n})s, %(bl{n})s::int, %(bh{n})s::int)")
        named.update({f"bc{n}": b.code, f"bl{n}": b.min_dpd, f"bh{n}": b.max_dpd})
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(
        f"""
        CREATE TEMP TABLE {table} ON COMMIT DROP AS
        WITH paid AS ({paid_sql}
        ),
        inst AS ({inst_sql}
        ),
        iagg AS (
            SELECT i.loan_id,
                   MIN(i.due_date) FILTER (WHERE i.due_date < %(d)s AND i.amount_due > 0
                                           AND i.cum > COALESCE(pd.total, 0)) AS oldest,
                   COALESCE(MAX(i.cum) FILTER (WHERE i.due_date < %(d)s), 0) AS due_before,
                   MAX(i.cum) AS total_due,
                   MIN(i.due_date) FILTER (WHERE i.due_date >= %(d)s) AS next_due,
                   COUNT(*) AS n
            FROM inst i LEFT JOIN paid pd ON pd.loan_id = i.loan_id
            GROUP BY i.loan_id
        ),
        agg AS (
            SELECT ln.loan_id, ln.product_id, ln.stored_oldest, ln.stored_paid, ln.stored_penalty, ln.stored_fees,
                   ln.stored_base, ln.stored_usable, COALESCE(pd.total, 0) AS paid, ia.oldest,
                   COALESCE(ia.due_before, 0) AS due_before, COALESCE(ia.total_due, 0) AS total_due,
                   COALESCE(ia.n, 0) AS n,
                   -- the first day the amounts can move with no row of the loan changing (next_change_date)
                   COALESCE(LEAST(ia.next_due + 1, pd.next_pay), %(never)s::date) AS next_change
            FROM {ln} ln LEFT JOIN paid pd ON pd.loan_id = ln.loan_id LEFT JOIN iagg ia ON ia.loan_id = ln.loan_id
        ),
        pz AS (
            SELECT a.loan_id, COUNT(DISTINCT g.day) AS paused
            FROM {_t(AgingPause)} a JOIN agg ON agg.loan_id = a.loan_id AND agg.oldest IS NOT NULL
            CROSS JOIN LATERAL generate_series(GREATEST(a.starts_on, agg.oldest + 1)::timestamp,
                                               LEAST(COALESCE(a.ends_on, %(d)s), %(d)s)::timestamp,
                                               interval '1 day') AS g(day)
            GROUP BY a.loan_id
        ),
        res AS (
            SELECT agg.*, CASE WHEN oldest IS NULL THEN 0 ELSE %(d)s - oldest END AS dpd,
                   COALESCE(pz.paused, 0) AS paused
            FROM agg LEFT JOIN pz ON pz.loan_id = agg.loan_id
        )
        SELECT res.loan_id, res.product_id, res.paid, res.oldest, res.dpd, res.dpd - res.paused AS aging,
               b.code AS bucket,
               GREATEST(res.due_before - res.paid, 0) AS overdue,
               GREATEST(res.total_due - res.paid, 0) AS outstanding,
               GREATEST(res.paid - res.total_due, 0) AS overpayment,
               (res.n > 0 AND res.paid >= res.total_due) AS settled,
               res.total_due, NULL::date AS settled_on, res.next_change,
               -- Penalty and fees cannot have moved since the loan's stored date when nothing was overdue
               -- then nor now and no payment came in between (overdue amounts only grow with the date
               -- while payments stay the same, so nothing was overdue on any day between): those loans
               -- keep their stored charges; _sql_penalty_and_fees computes the others.
               (res.stored_usable AND res.oldest IS NULL AND res.stored_oldest IS NULL
                AND res.stored_paid = res.paid) AS unchanged_charges,
               CASE WHEN res.stored_usable AND res.oldest IS NULL AND res.stored_oldest IS NULL
                         AND res.stored_paid = res.paid THEN res.stored_penalty ELSE 0 END::numeric(16, 2) AS penalty,
               CASE WHEN res.stored_usable AND res.oldest IS NULL AND res.stored_oldest IS NULL
                         AND res.stored_paid = res.paid THEN res.stored_fees ELSE 0 END::numeric(16, 2) AS fees,
               CASE WHEN res.stored_usable AND res.oldest IS NULL AND res.stored_oldest IS NULL
                         AND res.stored_paid = res.paid THEN res.stored_base ELSE 0 END::numeric(22, 2) AS base,
               0::numeric(16, 2) AS principal_due
        FROM res JOIN (VALUES {", ".join(bucket_rows)}) AS b(code, lo, hi)
          ON res.dpd - res.paused >= b.lo AND (b.hi IS NULL OR res.dpd - res.paused <= b.hi)
        """,
        named,
    )
    cursor.execute(f"CREATE INDEX ON {table} (loan_id)")
    cursor.execute(f"ANALYZE {table}")
    # the day the last installment was paid off, for loans settled at D
    cursor.execute(
        f"""
        UPDATE {table} t SET settled_on = x.settled_on FROM (
            SELECT r.loan_id, MIN(r.paid_on) AS settled_on FROM (
                SELECT p.loan_id, p.paid_on, s.total_due,
                       SUM(p.amount) OVER (PARTITION BY p.loan_id ORDER BY p.paid_on, p.id) AS running
                FROM {_t(Payment)} p JOIN {table} s ON s.loan_id = p.loan_id AND s.settled AND s.total_due > 0
                WHERE p.paid_on <= %s AND p.loan_id BETWEEN %s AND %s
            ) r WHERE r.running >= r.total_due GROUP BY r.loan_id
        ) x WHERE x.loan_id = t.loan_id
        """,
        [d, lo_id, hi_id],
    )
    _sql_penalty_and_fees(cursor, table, d, lo_id, hi_id)
    return lo_id, hi_id


def _sql_penalty_and_fees(cursor, table: str, d: dt.date, lo_id: int, hi_id: int) -> None:
    """Penalty interest and late fees (definitions in domain/delinquency.py), for loans whose
    product charges them. Set-based: installments × payment-date segments."""
    cursor.execute(
        f"""
        WITH fl AS (
            SELECT t.loan_id, pr.penalty_daily_rate AS rate, pr.late_fee_rate AS fee_rate,
                   pr.late_fee_min AS fee_min, pr.grace_days AS grace
            FROM {table} t JOIN {_t(Product)} pr ON pr.id = t.product_id
            WHERE (pr.penalty_daily_rate > 0 OR pr.late_fee_rate > 0 OR pr.late_fee_min > 0)
              AND NOT t.unchanged_charges
        ),
        inst AS (
            SELECT i.loan_id, i.due_date, i.amount_due, i.principal_due, fl.rate, fl.fee_rate, fl.fee_min, fl.grace,
                   SUM(i.amount_due) OVER (PARTITION BY i.loan_id ORDER BY i.due_date, i.seq
                                           ROWS UNBOUNDED PRECEDING) AS cum
            FROM {_t(Installment)} i JOIN fl ON fl.loan_id = i.loan_id
            WHERE i.loan_id BETWEEN %(lo)s AND %(hi)s
        ),
        pdays AS (
            SELECT p.loan_id, p.paid_on,
                   SUM(SUM(p.amount)) OVER (PARTITION BY p.loan_id ORDER BY p.paid_on) AS paid_to
            FROM {_t(Payment)} p JOIN fl ON fl.loan_id = p.loan_id
            WHERE p.paid_on <= %(d)s AND p.loan_id BETWEEN %(lo)s AND %(hi)s GROUP BY p.loan_id, p.paid_on
        ),
        late AS (
            SELECT * FROM inst WHERE due_date < %(d)s AND amount_due > 0
        ),
        starts AS (
            SELECT loan_id, due_date, principal_due, cum, rate, due_date + 1 AS s FROM late
            WHERE rate > 0 AND principal_due > 0
            UNION
            SELECT l.loan_id, l.due_date, l.principal_due, l.cum, l.rate, pd.paid_on FROM late l
            JOIN pdays pd ON pd.loan_id = l.loan_id AND pd.paid_on > l.due_date + 1
            WHERE l.rate > 0 AND l.principal_due > 0
        ),
        segs AS (
            SELECT st.*, COALESCE(LEAD(st.s) OVER (PARTITION BY st.loan_id, st.due_date, st.cum ORDER BY st.s) - 1,
                                  %(d)s) AS e,
                   COALESCE((SELECT SUM(p.amount) FROM {_t(Payment)} p WHERE p.loan_id = st.loan_id
                             AND p.paid_on <= st.s), 0) AS paid
            FROM starts st
        ),
        pen AS (
            SELECT loan_id, SUM((e - s + 1) * LEAST(principal_due, GREATEST(cum - paid, 0))) AS base, MAX(rate) AS rate
            FROM segs GROUP BY loan_id
        ),
        -- what each further day adds to the base, and the day a late fee falls on an installment unpaid
        -- now (next_change_date in the engine)
        owed AS (
            SELECT l.loan_id,
                   SUM(LEAST(l.principal_due, GREATEST(l.cum - t.paid, 0))) FILTER (WHERE l.rate > 0
                                                                                 AND l.principal_due > 0) AS pp,
                   MIN(l.due_date + l.grace + 1) FILTER (WHERE (l.fee_rate > 0 OR l.fee_min > 0)
                                                         AND l.due_date + l.grace >= %(d)s
                                                         AND l.cum > t.paid) AS fee_day
            FROM late l JOIN {table} t ON t.loan_id = l.loan_id
            GROUP BY l.loan_id
        ),
        fee AS (
            SELECT x.loan_id, SUM(GREATEST(ROUND(x.missed * x.fee_rate, 2), x.fee_min)) AS f FROM (
                SELECT l.loan_id, l.fee_rate, l.fee_min,
                       LEAST(l.amount_due, GREATEST(l.cum - COALESCE((
                           SELECT SUM(p.amount) FROM {_t(Payment)} p WHERE p.loan_id = l.loan_id
                           AND p.paid_on <= l.due_date + l.grace), 0), 0)) AS missed
                FROM late l WHERE l.due_date + l.grace < %(d)s AND (l.fee_rate > 0 OR l.fee_min > 0)
            ) x WHERE x.missed > 0 GROUP BY x.loan_id
        )
        UPDATE {table} t SET penalty = COALESCE(ROUND(pen.base * pen.rate, 2), 0), fees = COALESCE(fee.f, 0),
               base = COALESCE(pen.base, 0), principal_due = COALESCE(owed.pp, 0),
               next_change = LEAST(t.next_change, owed.fee_day)
        FROM fl LEFT JOIN pen ON pen.loan_id = fl.loan_id LEFT JOIN fee ON fee.loan_id = fl.loan_id
                LEFT JOIN owed ON owed.loan_id = fl.loan_id
        WHERE fl.loan_id = t.loan_id
        """,
        {"d": d, "lo": lo_id, "hi": hi_id},
    )


def _advance_predicate(as_of: dt.date) -> tuple[str, list]:
    """The loans (``l``) whose figures at ``as_of`` follow from the stored ones by arithmetic alone:
    evaluated at or before ``as_of`` with nothing changed since (not flagged ``needs_recalc``), nothing
    ahead of them before ``as_of`` (``next_change_on``: no installment fell due, no dated payment
    started to count, no late fee fell) and no aging pause (aging = DPD). For them DPD is ``as_of`` −
    the oldest unpaid due date (0 when none), the penalty base grows by the unpaid principal due each
    day, and every other amount is the stored one (``next_change_date`` in the engine)."""
    return (
        f"""COALESCE(NOT l.needs_recalc AND l.as_of <= %s AND l.next_change_on > %s
                     AND NOT EXISTS (SELECT 1 FROM {_t(AgingPause)} pz WHERE pz.loan_id = l.id), FALSE)""",
        [as_of, as_of],
    )


def _advance_sql(cursor, scope: Scope, as_of: dt.date, buckets, run_id, advance: tuple[str, list]) -> tuple[int, int]:
    """Bring the loans of ``_advance_predicate`` to ``as_of`` with one statement: DPD (and aging),
    bucket, penalty, bucket history; loans whose figures do not move are not written. Returns (loans,
    bucket changes)."""
    where, params = scope.sql("l")
    statuses = [str(s) for s in EVALUATED_STATUSES]
    bucket_values = ", ".join(["(%s, %s::int, %s::int)"] * len(buckets))
    bucket_params = [x for b in buckets for x in (b.code, b.min_dpd, b.max_dpd)]
    cursor.execute(
        f"""
        WITH f AS (
            SELECT l.id, l.lender_id, l.bucket AS old_bucket, l.overdue_amount, l.penalty_accrued,
                   CASE WHEN l.oldest_unpaid_due_date IS NULL THEN 0 ELSE %s - l.oldest_unpaid_due_date END AS dpd,
                   l.penalty_base + (%s - l.as_of) * l.penalty_principal AS base,
                   CASE WHEN l.penalty_principal > 0
                        THEN ROUND((l.penalty_base + (%s - l.as_of) * l.penalty_principal) * pr.penalty_daily_rate, 2)
                        ELSE l.penalty_accrued END AS penalty
            FROM {_t(Loan)} l LEFT JOIN {_t(Product)} pr ON pr.id = l.product_id
            WHERE {where} AND l.status = ANY(%s) AND {advance[0]}
        ),
        fb AS (
            SELECT f.*, b.code AS bucket FROM f JOIN (VALUES {bucket_values}) AS b(code, lo, hi)
              ON f.dpd >= b.lo AND (b.hi IS NULL OR f.dpd <= b.hi)
        ),
        hist AS (
            INSERT INTO {_t(BucketHistory)} (loan_id, lender_id, on_date, from_bucket, to_bucket, dpd, overdue_amount,
                                             run_id, created_at)
            SELECT fb.id, fb.lender_id, %s, fb.old_bucket, fb.bucket, fb.dpd, fb.overdue_amount, %s, NOW()
            FROM fb WHERE fb.old_bucket <> fb.bucket
            ON CONFLICT (loan_id, on_date) DO UPDATE SET to_bucket = EXCLUDED.to_bucket, dpd = EXCLUDED.dpd,
                overdue_amount = EXCLUDED.overdue_amount, run_id = EXCLUDED.run_id
            RETURNING 1
        ),
        upd AS (
            UPDATE {_t(Loan)} l SET as_of = %s, dpd = fb.dpd, aging_days = fb.dpd, bucket = fb.bucket,
                   penalty_base = fb.base, penalty_accrued = fb.penalty
            FROM fb
            WHERE l.id = fb.id AND {where}
              AND (l.dpd <> fb.dpd OR l.aging_days <> fb.dpd OR l.bucket <> fb.bucket OR l.penalty_base <> fb.base
                   OR l.penalty_accrued <> fb.penalty)
            RETURNING 1
        )
        SELECT (SELECT COUNT(*) FROM fb), (SELECT COUNT(*) FROM hist), (SELECT COUNT(*) FROM upd)
        """,
        [as_of, as_of, as_of, *params, statuses, *advance[1], *bucket_params, as_of, run_id, as_of, *params],
    )
    loans, changes, _written = cursor.fetchone()
    return loans, changes


def _write_sql(scope: Scope, as_of: dt.date, buckets, run: DelinquencyRun | None) -> tuple[int, int]:
    run_id = run.id if run else None
    with connection.cursor() as cursor:
        # Most loans of a night have nothing new: advance them by arithmetic, evaluate the others in full
        advance = _advance_predicate(as_of)
        advanced, advanced_changes = _advance_sql(cursor, scope, as_of, buckets, run_id, advance)
        lo_id, hi_id = _sql_compute(cursor, "dq_calc", scope, as_of, buckets,
                                    extra=(f"NOT {advance[0]}", advance[1]))
        # repeated on the loan table: its indexes are read for the chunk's rows only
        scope_where, wp = scope.sql("l")
        where = f"{scope_where} AND l.id BETWEEN %s AND %s"
        wp = [*wp, lo_id, hi_id]
        cursor.execute("SELECT COUNT(*) FROM dq_calc")
        loans = advanced + cursor.fetchone()[0]
        # bucket changes on forward dates: from the stored bucket
        cursor.execute(
            f"""
            INSERT INTO {_t(BucketHistory)} (loan_id, lender_id, on_date, from_bucket, to_bucket, dpd, overdue_amount,
                                             run_id, created_at)
            SELECT c.loan_id, l.lender_id, %s, l.bucket, c.bucket, c.dpd, c.overdue, %s, NOW()
            FROM dq_calc c JOIN {_t(Loan)} l ON l.id = c.loan_id
            WHERE (l.as_of IS NULL OR l.as_of <= %s) AND l.bucket <> c.bucket AND {where}
            ON CONFLICT (loan_id, on_date) DO UPDATE SET to_bucket = EXCLUDED.to_bucket, dpd = EXCLUDED.dpd,
                overdue_amount = EXCLUDED.overdue_amount, run_id = EXCLUDED.run_id
            """,
            [as_of, run_id, as_of, *wp],
        )
        changes = advanced_changes + cursor.rowcount
        cursor.execute(
            f"""
            UPDATE {_t(Loan)} l SET as_of = %s, dpd = c.dpd, aging_days = c.aging, bucket = c.bucket,
                overdue_amount = c.overdue, paid_total = c.paid, outstanding_amount = c.outstanding,
                overpayment = c.overpayment, penalty_accrued = c.penalty, fees_accrued = c.fees,
                oldest_unpaid_due_date = c.oldest, settled_on = c.settled_on, next_change_on = c.next_change,
                penalty_base = c.base, penalty_principal = c.principal_due, needs_recalc = FALSE,
                status = CASE WHEN l.status IN ('open', 'settled')
                              THEN CASE WHEN c.settled THEN 'settled' ELSE 'open' END ELSE l.status END
            FROM dq_calc c
            WHERE l.id = c.loan_id AND {where} AND (l.as_of IS NULL OR l.as_of <= %s)
              AND (l.as_of IS NULL OR l.dpd <> c.dpd OR l.aging_days <> c.aging OR l.bucket <> c.bucket
                   OR l.overdue_amount <> c.overdue OR l.paid_total <> c.paid
                   OR l.outstanding_amount <> c.outstanding OR l.overpayment <> c.overpayment
                   OR l.penalty_accrued <> c.penalty OR l.fees_accrued <> c.fees
                   OR l.oldest_unpaid_due_date IS DISTINCT FROM c.oldest
                   OR l.settled_on IS DISTINCT FROM c.settled_on OR l.needs_recalc
                   OR l.next_change_on IS DISTINCT FROM c.next_change OR l.penalty_base <> c.base
                   OR l.penalty_principal <> c.principal_due
                   OR (l.status = 'open' AND c.settled) OR (l.status = 'settled' AND NOT c.settled))
            """,
            [as_of, *wp, as_of],
        )
        # past dates: rewrite only that date's history row, from the day before
        cursor.execute(
            f"SELECT c.loan_id FROM dq_calc c JOIN {_t(Loan)} l ON l.id = c.loan_id WHERE l.as_of > %s AND {where}",
            [as_of, *wp]
        )
        past = [r[0] for r in cursor.fetchall()]
        if past:
            _sql_compute(cursor, "dq_prev", scope, as_of - dt.timedelta(days=1), buckets, only_loan_ids=past)
            cursor.execute(f"DELETE FROM {_t(BucketHistory)} WHERE on_date = %s AND loan_id = ANY(%s)", [as_of, past])
            cursor.execute(
                f"""
                INSERT INTO {_t(BucketHistory)} (loan_id, lender_id, on_date, from_bucket, to_bucket, dpd,
                                                 overdue_amount, run_id, created_at)
                SELECT c.loan_id, l.lender_id, %s, p.bucket, c.bucket, c.dpd, c.overdue, %s, NOW()
                FROM dq_calc c JOIN dq_prev p ON p.loan_id = c.loan_id JOIN {_t(Loan)} l ON l.id = c.loan_id
                WHERE l.as_of > %s AND p.bucket <> c.bucket
                """,
                [as_of, run_id, as_of],
            )
            changes += cursor.rowcount
            cursor.execute("DROP TABLE dq_prev")
        cursor.execute("DROP TABLE dq_calc")
    return loans, changes


def _tune_session() -> None:
    """Per chunk transaction (SET LOCAL): no JIT compilation — for these statements PostgreSQL's JIT
    spends more time compiling (0.7–1 s each, measured) than it saves — and enough work_mem for the
    chunk's hash aggregates to stay in memory."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SELECT set_config('work_mem', %s, true)", [settings.DELINQUENCY_WORK_MEM])


def use_sql_path() -> bool:
    return connection.vendor == "postgresql"


# ----------------------------------------------------------------------------- one chunk, the run
def process_scope(scope: Scope, as_of: dt.date, *, run: DelinquencyRun | None = None, buckets=None,
                  force_python: bool = False) -> ChunkResult:
    """Everything the run does for one chunk of borrowers, in one transaction."""
    from . import cases as case_service
    from . import promises as promise_service

    buckets = buckets or strategy_service.bucket_ranges(run.strategy_version if run else None)
    result = ChunkResult()
    sql = use_sql_path() and not force_python
    with transaction.atomic():
        if sql:
            _tune_session()
            result.loans, result.bucket_changes = _write_sql(scope, as_of, buckets, run)
        else:
            result.loans, result.bucket_changes = _write_python(scope, as_of, buckets, run)
        opened, closed = case_service.sync_cases(scope, as_of, buckets, sql=sql)
        result.cases_opened, result.cases_closed = opened, closed
        result.promises_broken = promise_service.judge_promises(scope, as_of)
        result.actions_created = case_service.apply_strategy(scope, as_of, run=run, buckets=buckets, sql=sql)
    return result


def recalculate_loans(loan_ids, *, as_of: dt.date | None = None) -> ChunkResult:
    """Reclassify these loans now (after a payment, an import or a schedule change) by the same
    engine as the nightly run, and sync their cases."""
    loan_ids = list(loan_ids)
    if not loan_ids:
        return ChunkResult()
    borrower_ids = tuple(sorted(set(Loan.objects.filter(id__in=loan_ids).values_list("borrower_id", flat=True))))
    as_of = as_of or business_date()
    return process_scope(Scope(borrower_ids=borrower_ids), as_of)


@dataclass(frozen=True)
class RunStart:
    """What ``start_run`` did: started a run, or joined the one already running for the date."""

    run: DelinquencyRun
    joined: bool


def start_run(as_of: dt.date, *, triggered_by: str = "", chunk_size: int | None = None) -> RunStart:
    """The running run for ``as_of``: a new one with its chunks, or — when one is already running for
    that date — that one (``joined``; its chunks keep their ranges). The database keeps one running
    run per date (``one_running_run_per_date``), so of two starts at once exactly one creates it."""
    version = strategy_service.ensure_default_strategy()
    bounds = chunk_bounds(chunk_size)
    for attempt in range(3):
        existing = _running_run(as_of)
        if existing:
            return RunStart(existing, joined=True)
        try:
            with transaction.atomic():
                run = DelinquencyRun.objects.create(as_of=as_of, status=RunStatus.RUNNING, strategy_version=version,
                                                    triggered_by=triggered_by[:50], chunks_total=len(bounds))
                DelinquencyRunChunk.objects.bulk_create(DelinquencyRunChunk(run=run, lo=lo, hi=hi)
                                                        for lo, hi in bounds)
            return RunStart(run, joined=False)
        except IntegrityError:
            # another start created it first: join it — unless it ended in the meantime (try again)
            # or the error was not that constraint (no running run to join after the retries)
            if attempt == 2:
                raise


def _running_run(as_of: dt.date) -> DelinquencyRun | None:
    return (DelinquencyRun.objects.select_related("strategy_version")
            .filter(as_of=as_of, status=RunStatus.RUNNING).first())


def pending_chunks(run_id: int) -> list[tuple[int, int]]:
    """The (lo, hi) borrower-id ranges of the run not done yet."""
    return list(DelinquencyRunChunk.objects.filter(run_id=run_id, done_at__isnull=True)
                .order_by("lo").values_list("lo", "hi"))


def run_chunk(run_id: int, lo: int, hi: int, *, buckets=None) -> dict:
    """One chunk of a run, exactly once: under the chunk row's lock, its work, its ``done_at`` and the
    run's totals commit together. A chunk already done (a redelivered task, a joined run) or of a run
    no longer running is skipped. A chunk that raises fails the run with the reason."""
    try:
        with transaction.atomic():
            chunk = (DelinquencyRunChunk.objects.select_for_update(of=("self",))
                     .select_related("run__strategy_version").get(run_id=run_id, lo=lo, hi=hi))
            run = chunk.run
            if chunk.done_at is not None:
                return {"skipped": "done"}
            if run.status != RunStatus.RUNNING:
                return {"skipped": run.status}
            result = process_scope(Scope(lo=lo, hi=hi), run.as_of, run=run, buckets=buckets).as_dict()
            chunk.done_at = timezone.now()
            chunk.summary = result
            chunk.save(update_fields=["done_at", "summary"])
            DelinquencyRun.objects.filter(id=run_id).update(
                chunks_done=F("chunks_done") + 1,
                loans_processed=F("loans_processed") + result["loans"],
                bucket_changes=F("bucket_changes") + result["bucket_changes"],
                cases_opened=F("cases_opened") + result["cases_opened"],
                cases_closed=F("cases_closed") + result["cases_closed"],
                actions_created=F("actions_created") + result["actions_created"],
                promises_broken=F("promises_broken") + result["promises_broken"],
            )
            return result
    except Exception as exc:
        fail_run(run_id, reason=_("Chunk of borrowers %(lo)s–%(hi)s failed: %(error)s")
                 % {"lo": lo, "hi": hi, "error": describe_error(exc)})
        raise


def describe_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def fail_run(run_id: int, *, reason: str) -> bool:
    """Mark a running run failed with the reason (compare-and-set: the first reason stays). Returns
    whether this call failed it."""
    return bool(DelinquencyRun.objects.filter(id=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, message=str(reason)[:2000], finished_at=timezone.now()))


def finish_run(run_id: int) -> DelinquencyRun:
    """Allocate the new cases and mark the run done — once every chunk is done. A run that failed,
    already finished, or still has chunks to do is returned as it is."""
    from . import allocation

    run = DelinquencyRun.objects.get(id=run_id)
    if run.status != RunStatus.RUNNING or run.chunk_rows.filter(done_at__isnull=True).exists():
        return run
    allocation.auto_allocate()
    finished = timezone.now()
    DelinquencyRun.objects.filter(id=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.DONE, finished_at=finished, duration_seconds=(finished - run.started_at).total_seconds())
    run.refresh_from_db()
    return run


def run_delinquency(as_of: dt.date | None = None, *, triggered_by: str = "", chunk_size: int | None = None
                    ) -> DelinquencyRun:
    """The whole nightly run in this process, chunk after chunk (tests, seed_demo, eager mode). When a
    run for the date is already running (another process, or one that died midway), this joins it:
    does its chunks not done yet and finishes it."""
    as_of = as_of or business_date()
    started = time.monotonic()
    start = start_run(as_of, triggered_by=triggered_by, chunk_size=chunk_size)
    run = start.run
    buckets = strategy_service.bucket_ranges(run.strategy_version)
    for lo, hi in pending_chunks(run.id):
        run_chunk(run.id, lo, hi, buckets=buckets)
    try:
        run = finish_run(run.id)
    except Exception as exc:
        fail_run(run.id, reason=_("Finishing the run failed: %(error)s") % {"error": describe_error(exc)})
        raise
    if not start.joined and run.status == RunStatus.DONE:
        run.duration_seconds = time.monotonic() - started
        run.save(update_fields=["duration_seconds"])
    return run
