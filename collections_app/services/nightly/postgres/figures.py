"""The loan figures (docs/architecture.md, "The nightly run") computed set-based in PostgreSQL over a
whole chunk: window functions over cumulative sums into a temp table, then penalty interest and late
fees over installments × payment-date segments. Held to the pure engine by tests/engine."""
from __future__ import annotations

import datetime as dt

from collections_app.domain import delinquency as engine
from collections_app.models import AgingPause, Installment, Loan, Payment, Product
from collections_app.selectors.loan_figures import EVALUATED_STATUSES
from collections_app.selectors.recalc import needs_recalc_sql

from ..scope import Scope, sql_table


def compute_figures(cursor, table: str, scope: Scope, as_of: dt.date, buckets, *, only_loan_ids=None,
                 extra: tuple[str, list] = ("", [])) -> tuple[int, int]:
    """Create temp table ``table`` with the figures (domain/delinquency.py) of the evaluated loans in scope (only
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
               (l.as_of IS NOT NULL AND l.as_of <= %s AND NOT {needs_recalc_sql("l")}) AS stored_usable
        FROM {sql_table(Loan)} l
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
                FROM {sql_table(Payment)} p WHERE p.loan_id = x.loan_id) p"""
        inst_sql = f"""
            SELECT x.loan_id, i.due_date, i.amount_due, i.cum FROM {ln} x CROSS JOIN LATERAL (
                SELECT i.due_date, i.amount_due,
                       SUM(i.amount_due) OVER (ORDER BY i.due_date, i.seq ROWS UNBOUNDED PRECEDING) AS cum
                FROM {sql_table(Installment)} i WHERE i.loan_id = x.loan_id) i"""
    else:
        paid_sql = f"""
            SELECT p.loan_id, SUM(p.amount) FILTER (WHERE p.paid_on <= %(d)s) AS total,
                   MIN(p.paid_on) FILTER (WHERE p.paid_on > %(d)s) AS next_pay
            FROM {sql_table(Payment)} p WHERE p.loan_id BETWEEN %(lo)s AND %(hi)s GROUP BY p.loan_id"""
        inst_sql = f"""
            SELECT i.loan_id, i.due_date, i.amount_due,
                   SUM(i.amount_due) OVER (PARTITION BY i.loan_id ORDER BY i.due_date, i.seq
                                           ROWS UNBOUNDED PRECEDING) AS cum
            FROM {sql_table(Installment)} i
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
            FROM {sql_table(AgingPause)} a JOIN agg ON agg.loan_id = a.loan_id AND agg.oldest IS NOT NULL
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
               -- keep their stored charges; penalty_and_fees computes the others.
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
                FROM {sql_table(Payment)} p JOIN {table} s ON s.loan_id = p.loan_id AND s.settled AND s.total_due > 0
                WHERE p.paid_on <= %s AND p.loan_id BETWEEN %s AND %s
            ) r WHERE r.running >= r.total_due GROUP BY r.loan_id
        ) x WHERE x.loan_id = t.loan_id
        """,
        [d, lo_id, hi_id],
    )
    penalty_and_fees(cursor, table, d, lo_id, hi_id)
    return lo_id, hi_id


def penalty_and_fees(cursor, table: str, d: dt.date, lo_id: int, hi_id: int) -> None:
    """Penalty interest and late fees (definitions in domain/delinquency.py), for loans whose
    product charges them. Set-based: installments × payment-date segments."""
    cursor.execute(
        f"""
        WITH fl AS (
            SELECT t.loan_id, pr.penalty_daily_rate AS rate, pr.late_fee_rate AS fee_rate,
                   pr.late_fee_min AS fee_min, pr.grace_days AS grace
            FROM {table} t JOIN {sql_table(Product)} pr ON pr.id = t.product_id
            WHERE (pr.penalty_daily_rate > 0 OR pr.late_fee_rate > 0 OR pr.late_fee_min > 0)
              AND NOT t.unchanged_charges
        ),
        -- the rows of the charged loans only, found through the loan index by their ids (an array: the
        -- planner cannot see how few they are, and joined on the chunk's id range it hashed every
        -- installment of the chunk, 600,000 rows for 2,500 charged loans at 1,000,000 loans)
        inst AS (
            SELECT i.loan_id, i.due_date, i.amount_due, i.principal_due, fl.rate, fl.fee_rate, fl.fee_min, fl.grace,
                   SUM(i.amount_due) OVER (PARTITION BY i.loan_id ORDER BY i.due_date, i.seq
                                           ROWS UNBOUNDED PRECEDING) AS cum
            FROM {sql_table(Installment)} i JOIN fl ON fl.loan_id = i.loan_id
            WHERE i.loan_id = ANY(ARRAY(SELECT loan_id FROM fl))
        ),
        -- materialised: inlined, the planner (which expects one late installment) ran the window over
        -- the payments again for each late installment of the chunk
        pdays AS MATERIALIZED (
            SELECT p.loan_id, p.paid_on,
                   SUM(SUM(p.amount)) OVER (PARTITION BY p.loan_id ORDER BY p.paid_on) AS paid_to
            FROM {sql_table(Payment)} p JOIN fl ON fl.loan_id = p.loan_id
            WHERE p.paid_on <= %(d)s AND p.loan_id = ANY(ARRAY(SELECT loan_id FROM fl)) GROUP BY p.loan_id, p.paid_on
        ),
        late AS (
            SELECT * FROM inst WHERE due_date < %(d)s AND amount_due > 0
        ),
        -- a segment starts the day after the due date and on each later payment day; what was paid by
        -- its start: for a payment day, that day's running total (pdays); for the first day, looked up
        -- once per installment
        starts AS (
            SELECT loan_id, due_date, principal_due, cum, rate, due_date + 1 AS s,
                   COALESCE((SELECT SUM(p.amount) FROM {sql_table(Payment)} p WHERE p.loan_id = late.loan_id
                             AND p.paid_on <= late.due_date + 1), 0) AS paid
            FROM late WHERE rate > 0 AND principal_due > 0
            UNION ALL
            SELECT l.loan_id, l.due_date, l.principal_due, l.cum, l.rate, pd.paid_on, pd.paid_to FROM late l
            JOIN pdays pd ON pd.loan_id = l.loan_id AND pd.paid_on > l.due_date + 1
            WHERE l.rate > 0 AND l.principal_due > 0
        ),
        segs AS (
            SELECT st.*, COALESCE(LEAD(st.s) OVER (PARTITION BY st.loan_id, st.due_date, st.cum ORDER BY st.s) - 1,
                                  %(d)s) AS e
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
                           SELECT SUM(p.amount) FROM {sql_table(Payment)} p WHERE p.loan_id = l.loan_id
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
