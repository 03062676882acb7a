"""The loans of a chunk brought to a date in PostgreSQL: those with nothing new advanced by arithmetic
(``advance_loans``), the others evaluated in full (``figures.compute_figures``) and written where they
changed, with their bucket history; past dates rewrite only that date's history rows."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection

from collections_app.models import AgingPause, BucketHistory, DelinquencyRun, Loan, LoanRecalc, Product
from collections_app.selectors.loan_figures import EVALUATED_STATUSES
from collections_app.selectors.recalc import needs_recalc_sql

from ..scope import Scope, sql_table
from .figures import compute_figures


def advance_predicate(as_of: dt.date) -> tuple[str, list]:
    """The loans (``l``) whose figures at ``as_of`` follow from the stored ones by arithmetic alone:
    evaluated at or before ``as_of`` with nothing changed since (neither ``needs_recalc`` nor a payment
    flag: ``selectors.recalc.needs_recalc_sql``), nothing
    ahead of them before ``as_of`` (``next_change_on``: no installment fell due, no dated payment
    started to count, no late fee fell) and no aging pause (aging = DPD). For them DPD is ``as_of`` −
    the oldest unpaid due date (0 when none), the penalty base grows by the unpaid principal due each
    day, and every other amount is the stored one (``next_change_date`` in the engine)."""
    return (
        f"""COALESCE(NOT {needs_recalc_sql("l")} AND l.as_of <= %s AND l.next_change_on > %s
                     AND NOT EXISTS (SELECT 1 FROM {sql_table(AgingPause)} pz WHERE pz.loan_id = l.id), FALSE)""",
        [as_of, as_of],
    )


def advance_loans(cursor, scope: Scope, as_of: dt.date, buckets, run_id, advance: tuple[str, list]) -> tuple[int, int]:
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
            FROM {sql_table(Loan)} l LEFT JOIN {sql_table(Product)} pr ON pr.id = l.product_id
            WHERE {where} AND l.status = ANY(%s) AND {advance[0]}
        ),
        fb AS (
            SELECT f.*, b.code AS bucket FROM f JOIN (VALUES {bucket_values}) AS b(code, lo, hi)
              ON f.dpd >= b.lo AND (b.hi IS NULL OR f.dpd <= b.hi)
        ),
        hist AS (
            INSERT INTO {sql_table(BucketHistory)} (loan_id, lender_id, on_date, from_bucket, to_bucket, dpd, overdue_amount,
                                             run_id, created_at)
            SELECT fb.id, fb.lender_id, %s, fb.old_bucket, fb.bucket, fb.dpd, fb.overdue_amount, %s, NOW()
            FROM fb WHERE fb.old_bucket <> fb.bucket
            ON CONFLICT (loan_id, on_date) DO UPDATE SET to_bucket = EXCLUDED.to_bucket, dpd = EXCLUDED.dpd,
                overdue_amount = EXCLUDED.overdue_amount, run_id = EXCLUDED.run_id
            RETURNING 1
        ),
        upd AS (
            UPDATE {sql_table(Loan)} l SET as_of = %s, dpd = fb.dpd, aging_days = fb.dpd, bucket = fb.bucket,
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


def write_loans(*, scope: Scope, as_of: dt.date, buckets, run: DelinquencyRun | None) -> tuple[int, int]:
    run_id = run.id if run else None
    with connection.cursor() as cursor:
        # the chunk's payment flags as they are before its payments are read: only these are deleted at
        # the end (a payment stored meanwhile sets its loan's flagged_at again, so its flag stays)
        scope_where, sp = scope.sql("l")
        cursor.execute("DROP TABLE IF EXISTS dq_flags")
        cursor.execute(
            f"""CREATE TEMP TABLE dq_flags ON COMMIT DROP AS
                SELECT f.loan_id, f.flagged_at FROM {sql_table(LoanRecalc)} f JOIN {sql_table(Loan)} l ON l.id = f.loan_id
                WHERE {scope_where}""",
            sp,
        )
        # Most loans of a night have nothing new: advance them by arithmetic, evaluate the others in full
        advance = advance_predicate(as_of)
        advanced, advanced_changes = advance_loans(cursor, scope, as_of, buckets, run_id, advance)
        lo_id, hi_id = compute_figures(cursor, "dq_calc", scope, as_of, buckets,
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
            INSERT INTO {sql_table(BucketHistory)} (loan_id, lender_id, on_date, from_bucket, to_bucket, dpd, overdue_amount,
                                             run_id, created_at)
            SELECT c.loan_id, l.lender_id, %s, l.bucket, c.bucket, c.dpd, c.overdue, %s, NOW()
            FROM dq_calc c JOIN {sql_table(Loan)} l ON l.id = c.loan_id
            WHERE (l.as_of IS NULL OR l.as_of <= %s) AND l.bucket <> c.bucket AND {where}
            ON CONFLICT (loan_id, on_date) DO UPDATE SET to_bucket = EXCLUDED.to_bucket, dpd = EXCLUDED.dpd,
                overdue_amount = EXCLUDED.overdue_amount, run_id = EXCLUDED.run_id
            """,
            [as_of, run_id, as_of, *wp],
        )
        changes = advanced_changes + cursor.rowcount
        cursor.execute(
            f"""
            UPDATE {sql_table(Loan)} l SET as_of = %s, dpd = c.dpd, aging_days = c.aging, bucket = c.bucket,
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
                   OR l.settled_on IS DISTINCT FROM c.settled_on OR {needs_recalc_sql("l", "dq_flags")}
                   OR l.next_change_on IS DISTINCT FROM c.next_change OR l.penalty_base <> c.base
                   OR l.penalty_principal <> c.principal_due
                   OR (l.status = 'open' AND c.settled) OR (l.status = 'settled' AND NOT c.settled))
            """,
            [as_of, *wp, as_of],
        )
        # the flags read above of the loans evaluated at this date (not those kept for a past date)
        cursor.execute(
            f"""DELETE FROM {sql_table(LoanRecalc)} f USING dq_flags s, dq_calc c, {sql_table(Loan)} l
                WHERE f.loan_id = s.loan_id AND f.flagged_at = s.flagged_at AND c.loan_id = s.loan_id
                  AND l.id = s.loan_id AND l.as_of <= %s""",
            [as_of],
        )
        # past dates: rewrite only that date's history row, from the day before
        cursor.execute(
            f"SELECT c.loan_id FROM dq_calc c JOIN {sql_table(Loan)} l ON l.id = c.loan_id WHERE l.as_of > %s AND {where}",
            [as_of, *wp]
        )
        past = [r[0] for r in cursor.fetchall()]
        if past:
            compute_figures(cursor, "dq_prev", scope, as_of - dt.timedelta(days=1), buckets, only_loan_ids=past)
            cursor.execute(f"DELETE FROM {sql_table(BucketHistory)} WHERE on_date = %s AND loan_id = ANY(%s)", [as_of, past])
            cursor.execute(
                f"""
                INSERT INTO {sql_table(BucketHistory)} (loan_id, lender_id, on_date, from_bucket, to_bucket, dpd,
                                                 overdue_amount, run_id, created_at)
                SELECT c.loan_id, l.lender_id, %s, p.bucket, c.bucket, c.dpd, c.overdue, %s, NOW()
                FROM dq_calc c JOIN dq_prev p ON p.loan_id = c.loan_id JOIN {sql_table(Loan)} l ON l.id = c.loan_id
                WHERE l.as_of > %s AND p.bucket <> c.bucket
                """,
                [as_of, run_id, as_of],
            )
            changes += cursor.rowcount
            cursor.execute("DROP TABLE dq_prev")
        cursor.execute("DROP TABLE dq_calc")
        cursor.execute("DROP TABLE dq_flags")
    return loans, changes


def tune_session() -> None:
    """Per chunk transaction (SET LOCAL): no JIT compilation — for these statements PostgreSQL's JIT
    spends more time compiling (0.7–1 s each, measured) than it saves — and enough work_mem for the
    chunk's hash aggregates to stay in memory."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SELECT set_config('work_mem', %s, true)", [settings.DELINQUENCY_WORK_MEM])
