"""Benchmark of the nightly delinquency run on a generated book (PostgreSQL only).

Steps:
1. setup (not a target): ``ctx.rows`` open loans, one borrower each, 12 monthly installments and
   their payments, generated set-based with ``INSERT ... SELECT generate_series(...)``. About 75%
   of loans pay every installment on its due date, about 25% miss their last 1..12 due installments;
   95% of loans have a product without penalties, 5% one with penalty interest and late fees.
   Before each later night, that day's payment file (``day_payments``, not timed): the paying loans
   pay what falls due, but 2% of them stop paying after D, so each night is like the one before
   (a few hundred new delinquent borrowers, the rest drift) and nights can be compared.
2. baseline: one hand-written statement computing DPD and bucket of every loan (docs/delinquency.md,
   window function over cumulative installment sums vs total paid) into a temp table.
3. ``run_delinquency(D)`` in-process (step ``first_run``: opens the cases and creates their actions —
   once per book; target at most 3x the baseline), then ``run_delinquency(D+1)`` (step ``nightly``,
   steady state; targets: at most 1.5x the baseline, under 60 s per 1M loans).
4. the Celery chord (``nightly_delinquency_run``) with 1 then 2 worker processes at D+2 and D+3
   (both steady-state runs); targets: 2 workers at least 1.8x faster than 1 (step
   ``nightly_2_workers``, ratio = time with 2 ÷ time with 1), and — the nightly run
   as production runs it on 2 cores — at most 2x the baseline measured at D+3, under 60 s per 1M.
   Every run, chord runs included, is checked against the baseline on every loan (DPD, bucket,
   overdue amount).

The bench wipes the loan book of the database it runs on, so it refuses a database holding any
lender other than its own: use a dedicated database (see docs/performance.md).
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.db import connection

from collections_app.models import DelinquencyRun, Lender, Product
from collections_app.models.choices import RunStatus
from collections_app.selectors.loan_figures import EVALUATED_STATUSES
from collections_app.services.nightly import run_delinquency

from .common import BenchContext, BenchResult

LENDER = "bench-dq"
PAYER = "((l.id * 2654435761) %% 100 >= 25)"  # on a loan ``l``: pays every installment on its due date
AS_OF = dt.date(2025, 6, 30)
RUN_TIMEOUT = 1800.0  # seconds, per Celery run


def _t(name: str) -> str:
    return f"collections_app_{name}"


def _reset() -> None:
    others = Lender.objects.exclude(code=LENDER).count()
    if others:
        raise RuntimeError(f"bench delinquency wipes the loan book: run it on a dedicated database "
                           f"({others} other lenders found)")
    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {_t('lender')}, {_t('product')}, {_t('borrower')}, {_t('loan')}, {_t('installment')}, "
            f"{_t('payment')}, {_t('delinquencyrun')} RESTART IDENTITY CASCADE"
        )


def _reuse(rows: int) -> dict[str, int] | None:
    """With BENCH_REUSE_BOOK=1, keep a book of the same size from an earlier bench run and reset only
    what the runs derive (figures, cases, actions, history): saves the generation (~5 min per 1M)."""
    if os.environ.get("BENCH_REUSE_BOOK") != "1":
        return None
    from collections_app.models import Loan

    if Lender.objects.exclude(code=LENDER).exists() or Loan.objects.filter(lender__code=LENDER).count() != rows:
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"""UPDATE {_t('loan')} SET case_id = NULL, as_of = NULL, dpd = 0, aging_days = 0,
            bucket = 'CURRENT', overdue_amount = 0, paid_total = 0, outstanding_amount = 0, overpayment = 0,
            penalty_accrued = 0, fees_accrued = 0, oldest_unpaid_due_date = NULL, settled_on = NULL, next_change_on = NULL,
            penalty_base = 0, penalty_principal = 0,
            status = 'open',
            needs_recalc = TRUE""")
        cursor.execute(
            f"TRUNCATE {_t('caseaction')}, {_t('historicalapprovalrequest')}, {_t('historicalcollectioncase')}, "
            f"{_t('buckethistory')}, {_t('delinquencyrunchunk')}, {_t('delinquencyrun')}, {_t('dailyfigures')} "
            "CASCADE"  # and what the runs derived from them (messages of the actions, ...): a bench database
        )
        cursor.execute(f"DELETE FROM {_t('approvalrequest')}")
        cursor.execute(f"DELETE FROM {_t('loanrecalc')}")  # every loan is flagged needs_recalc above
        cursor.execute(f"DELETE FROM {_t('payment')} WHERE paid_on >= %s", [AS_OF])  # the nights' payment files
        # whatever else refers to the cases (the web area's contact log and assignment history, ...),
        # then the cases themselves: the loans refer to them too, and keep their rows
        cursor.execute("SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' "
                       "AND confrelid = %s::regclass AND conrelid <> %s::regclass", [_t("collectioncase"), _t("loan")])
        referring = sorted({name for (name,) in cursor.fetchall()})
        if referring:
            cursor.execute(f"TRUNCATE {', '.join(referring)} CASCADE")
        cursor.execute(f"DELETE FROM {_t('collectioncase')}")
        for name in ("loan", "collectioncase"):
            cursor.execute(f"VACUUM FULL ANALYZE {_t(name)}" if connection.get_autocommit() else f"ANALYZE {_t(name)}")
        cursor.execute(f"SELECT (SELECT COUNT(*) FROM {_t('installment')}), (SELECT COUNT(*) FROM {_t('payment')})")
        installments, payments = cursor.fetchone()
    return {"borrowers": rows, "loans": rows, "installments": installments, "payments": payments, "reused": 1}


def generate(rows: int, as_of: dt.date) -> dict[str, int]:
    """The book, set-based. Returns row counts per table."""
    reused = _reuse(rows)
    if reused:
        return reused
    _reset()
    lender = Lender.objects.create(code=LENDER, name="Benchmark lender (delinquency)")
    plain = Product.objects.create(lender=lender, code="plain", name="No penalties")
    penalty = Product.objects.create(lender=lender, code="penalty", name="Penalty and late fees",
                                     penalty_daily_rate="0.000500", late_fee_rate="0.0500", late_fee_min="10.00",
                                     grace_days=3)
    counts = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_t('borrower')} (lender_id, external_id, name, national_id, address, employer, timezone,
                region, preferred_language, borrower_type, cease_contact, dispute, deceased, bankruptcy,
                lawyer_represented, promises_made, promises_kept, promises_broken, promised_amount_total,
                kept_amount_total, raw, created_at, updated_at)
            SELECT %s, 'DQB' || g, 'Borrower ' || g, '', '', '', '', '', '', '', FALSE, FALSE, FALSE, FALSE, FALSE,
                   0, 0, 0, 0, 0, '{{}}'::jsonb, NOW(), NOW()
            FROM generate_series(1, %s) AS g
            """,
            [lender.id, rows],
        )
        counts["borrowers"] = cursor.rowcount
        # disbursed 30..394 days before D: 1..12 installments due, a few loans fully due
        cursor.execute(
            f"""
            INSERT INTO {_t('loan')} (lender_id, borrower_id, product_id, external_id, principal, currency,
                disbursed_on, annual_rate, term_months, status, dpd, aging_days, bucket, overdue_amount, paid_total,
                outstanding_amount, overpayment, penalty_accrued, fees_accrued, penalty_base, penalty_principal,
                needs_recalc, raw, created_at, updated_at)
            SELECT b.lender_id, b.id, CASE WHEN b.id %% 20 = 0 THEN %s ELSE %s END, 'DQL' || b.id,
                   1200 + (b.id * 7919) %% 58800, 'CNY', %s::date - (30 + (b.id * 104729) %% 365)::int, 0.12, 12,
                   'open', 0, 0, 'CURRENT', 0, 0, 0, 0, 0, 0, 0, 0, TRUE, '{{}}'::jsonb, NOW(), NOW()
            FROM {_t('borrower')} b WHERE b.lender_id = %s
            """,
            [penalty.id, plain.id, as_of, lender.id],
        )
        counts["loans"] = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {_t('installment')} (loan_id, seq, due_date, principal_due, interest_due, fee_due)
            SELECT l.id, s, (l.disbursed_on + make_interval(months => s))::date, ROUND(l.principal / 12, 2),
                   ROUND(l.principal * 0.01, 2), 0
            FROM {_t('loan')} l CROSS JOIN generate_series(1, 12) AS s WHERE l.lender_id = %s
            """,
            [lender.id],
        )
        counts["installments"] = cursor.rowcount
        # one payment per installment paid, on its due date; ~25% of loans miss their last 1..12 due ones
        cursor.execute(
            f"""
            INSERT INTO {_t('payment')} (lender_id, loan_id, external_id, paid_on, amount, channel, note, source,
                created_at)
            SELECT x.lender_id, x.loan_id, 'DQP' || x.id, x.due_date, x.amount_due, 'bank', '', 'import', NOW()
            FROM (
                SELECT i.id, i.loan_id, l.lender_id, i.seq, i.due_date, i.amount_due,
                       COUNT(*) FILTER (WHERE i.due_date < %(d)s) OVER (PARTITION BY i.loan_id) AS n_due,
                       CASE WHEN NOT {PAYER} THEN 1 + (l.id * 40503) %% 12 ELSE 0 END AS miss
                FROM {_t('installment')} i JOIN {_t('loan')} l ON l.id = i.loan_id
                WHERE l.lender_id = %(lender)s
            ) x
            WHERE x.due_date < %(d)s AND x.seq <= x.n_due - x.miss
            """,
            {"d": as_of, "lender": lender.id},
        )
        counts["payments"] = cursor.rowcount
        for name in ("borrower", "loan", "installment", "payment"):
            cursor.execute(f"VACUUM ANALYZE {_t(name)}" if connection.get_autocommit() else f"ANALYZE {_t(name)}")
    return counts


BASELINE_SQL = f"""
CREATE TEMP TABLE bench_dq_baseline AS
WITH paid AS (
    SELECT loan_id, SUM(amount) AS total FROM {_t('payment')} WHERE paid_on <= %(d)s GROUP BY loan_id
),
inst AS (
    SELECT loan_id, due_date, amount_due,
           SUM(amount_due) OVER (PARTITION BY loan_id ORDER BY due_date, seq ROWS UNBOUNDED PRECEDING) AS cum
    FROM {_t('installment')}
),
agg AS (
    SELECT l.id AS loan_id, COALESCE(MAX(p.total), 0) AS paid,
           MIN(i.due_date) FILTER (WHERE i.due_date < %(d)s AND i.amount_due > 0
                                   AND i.cum > COALESCE(p.total, 0)) AS oldest,
           COALESCE(MAX(i.cum) FILTER (WHERE i.due_date < %(d)s), 0) AS due_before
    FROM {_t('loan')} l LEFT JOIN paid p ON p.loan_id = l.id LEFT JOIN inst i ON i.loan_id = l.id
    WHERE l.status = ANY(%(statuses)s)
    GROUP BY l.id
),
dpd AS (
    SELECT loan_id, CASE WHEN oldest IS NULL THEN 0 ELSE %(d)s - oldest END AS dpd,
           GREATEST(due_before - paid, 0) AS overdue
    FROM agg
)
SELECT loan_id, dpd, overdue,
       CASE WHEN dpd = 0 THEN 'CURRENT' WHEN dpd <= 30 THEN 'M0' WHEN dpd <= 60 THEN 'M1' WHEN dpd <= 90 THEN 'M2'
            WHEN dpd <= 120 THEN 'M3' WHEN dpd <= 150 THEN 'M4' ELSE 'M4+' END AS bucket
FROM dpd
"""


def baseline(as_of: dt.date) -> tuple[float, int]:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_dq_baseline")
        started = time.perf_counter()
        cursor.execute(BASELINE_SQL, {"d": as_of, "statuses": [str(s) for s in EVALUATED_STATUSES]})
        seconds = time.perf_counter() - started
        cursor.execute("SELECT COUNT(*) FROM bench_dq_baseline")
        return seconds, cursor.fetchone()[0]


def compare_with_baseline() -> str:
    """Loans whose stored DPD / bucket / overdue differ from the baseline's (both at the same date)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT COUNT(*) FILTER (WHERE l.dpd <> b.dpd OR l.bucket <> b.bucket OR l.overdue_amount <> b.overdue),
                       COUNT(*) FILTER (WHERE b.dpd > 0)
                FROM bench_dq_baseline b JOIN {_t('loan')} l ON l.id = b.loan_id"""
        )
        diff, late = cursor.fetchone()
        cursor.execute("DROP TABLE bench_dq_baseline")
    return f"{late} delinquent, {diff} differ from baseline"


def day_payments(night: dt.date) -> int:
    """The payment file of the day before ``night`` (not timed, like an import before the run): the
    loans that pay (the ~75% that paid every installment before D) pay each installment on its due
    date, except ~2% of them, who stop paying after D — the book's new delinquencies. Loans with a
    payment are flagged for recalculation, as the import flags them. Idempotent (payment id = the
    installment's). Without it every night would turn another ~3% of the book delinquent, and a later
    night would do more work than an earlier one."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH ins AS (
                INSERT INTO {_t('payment')} (lender_id, loan_id, external_id, paid_on, amount, channel, note, source,
                                           created_at)
                SELECT l.lender_id, i.loan_id, 'DQP' || i.id, i.due_date, i.amount_due, 'bank', '', 'import', NOW()
                FROM {_t('installment')} i JOIN {_t('loan')} l ON l.id = i.loan_id
                JOIN {_t('lender')} le ON le.id = l.lender_id AND le.code = %(code)s
                WHERE i.due_date >= %(d)s AND i.due_date < %(night)s
                  AND {PAYER} AND l.id %% 50 <> 0
                ON CONFLICT (lender_id, external_id) DO NOTHING
                RETURNING loan_id
            )
            INSERT INTO {_t('loanrecalc')} (loan_id, flagged_at)
            SELECT d.loan_id, statement_timestamp() FROM (SELECT DISTINCT loan_id FROM ins) d ORDER BY d.loan_id
            ON CONFLICT (loan_id) DO UPDATE SET flagged_at = EXCLUDED.flagged_at
            """,
            {"code": LENDER, "d": AS_OF, "night": night},
        )
        return cursor.rowcount


def between_nights(night: dt.date | None = None) -> None:
    """Before the measured run of ``night`` (not timed): the day's payments (``day_payments``), then
    VACUUM ANALYZE of what a run rewrites — the work a default PostgreSQL's autovacuum does between
    two nights. The bench runs nights back to back, and on this machine autovacuum is off, so
    without it each run would pay for all the dead rows of the ones before."""
    if night is not None:
        day_payments(night)
    if not connection.get_autocommit():
        return
    with connection.cursor() as cursor:
        for name in ("loan", "payment", "loanrecalc", "collectioncase", "caseaction", "buckethistory", "approvalrequest"):
            cursor.execute(f"VACUUM ANALYZE {_t(name)}")


def _summary(run: DelinquencyRun) -> str:
    return (f"run {run.id} {run.as_of} {run.status}: {run.chunks_total} chunks, {run.loans_processed} loans, "
            f"{run.bucket_changes} bucket changes, {run.cases_opened} cases opened, {run.cases_closed} closed, "
            f"{run.actions_created} actions")


# ----------------------------------------------------------------------------- Celery workers
def _python() -> str:
    venv = os.path.join(str(settings.BASE_DIR), ".venv", "bin", "python")
    return venv if os.path.exists(venv) else sys.executable


def _start_worker(n: int, workdir: str) -> subprocess.Popen:
    log = open(os.path.join(workdir, f"worker{n}.log"), "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [_python(), "-m", "celery", "-A", "config", "worker", "-c", "1", "-n", f"benchdq{n}@%h",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=str(settings.BASE_DIR), env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_workers(app, count: int, procs, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"celery worker {p.pid} exited with {p.returncode}")
        replies = app.control.ping(timeout=1.0) or []
        if len([r for r in replies if any(k.startswith("benchdq") for k in r)]) >= count:
            return
    raise RuntimeError(f"{count} celery workers not ready after {timeout:.0f} s")


def _stop_workers(procs) -> None:
    for p in procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=10)


def _chord_run(as_of: dt.date) -> tuple[float, DelinquencyRun]:
    from collections_app.tasks.delinquency import nightly_delinquency_run

    started = time.perf_counter()
    run_id = nightly_delinquency_run(as_of.isoformat(), triggered_by="bench")
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        run = DelinquencyRun.objects.get(id=run_id)
        if run.status != RunStatus.RUNNING:
            return time.perf_counter() - started, run
        if time.monotonic() > deadline:
            raise RuntimeError(f"run {run_id} still running after {RUN_TIMEOUT:.0f} s: {_summary(run)}")
        time.sleep(0.2)


def celery_steps(ctx: BenchContext, first_date: dt.date):
    from config.celery import app

    if app.conf.task_always_eager or not (os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL")):
        yield BenchResult(name="celery chord (skipped: set REDIS_URL)", rows=0, seconds=0.0)
        return
    app.control.purge()
    procs = []
    try:
        procs.append(_start_worker(1, ctx.workdir))
        _wait_workers(app, 1, procs)
        between_nights(first_date)
        one, run = _chord_run(first_date)
        baseline(first_date)  # not timed: the check that the run agrees with it on every loan
        yield BenchResult(name="celery chord, 1 worker (steady state)", rows=run.loans_processed, seconds=one,
                          extra=f"{compare_with_baseline()}; {_summary(run)}")
        procs.append(_start_worker(2, ctx.workdir))
        _wait_workers(app, 2, procs)
        between_nights(first_date + dt.timedelta(days=1))
        two, run = _chord_run(first_date + dt.timedelta(days=1))
        base_seconds, _rows = baseline(first_date + dt.timedelta(days=1))
        yield BenchResult(name="celery chord, 2 workers (steady state)", rows=run.loans_processed, seconds=two,
                          baseline_name="1 worker", baseline_seconds=one, max_ratio=round(1 / 1.8, 3),
                          step="nightly_2_workers",
                          extra=f"speed-up {one / two:.2f}x (target >= 1.8x); {_summary(run)}")
        yield BenchResult(name="celery chord, 2 workers, against the baseline SQL", rows=run.loans_processed,
                          seconds=two, baseline_name="baseline SQL", baseline_seconds=base_seconds, max_ratio=2.0,
                          max_seconds=60.0 * ctx.rows / 1_000_000, extra=compare_with_baseline())
    finally:
        _stop_workers(procs)


def steps(ctx: BenchContext):
    if connection.vendor != "postgresql":
        yield BenchResult(name="delinquency (skipped: needs PostgreSQL)", rows=0, seconds=0.0)
        return
    d = AS_OF
    started = time.perf_counter()
    counts = generate(ctx.rows, d)
    yield BenchResult(name="setup: generate book (not a target)", rows=counts["loans"],
                      seconds=time.perf_counter() - started,
                      extra=", ".join(f"{v} {k}" for k, v in counts.items()))

    base_seconds, base_rows = baseline(d)
    yield BenchResult(name="baseline: one SQL statement (DPD + bucket)", rows=base_rows, seconds=base_seconds)

    limit = 60.0 * ctx.rows / 1_000_000

    def timed_run(name: str, step: str, on: dt.date, base_seconds: float, max_ratio: float,
                  max_seconds: float | None) -> BenchResult:
        started = time.perf_counter()
        run = run_delinquency(as_of=on, triggered_by="bench")
        return BenchResult(name=name, rows=run.loans_processed, seconds=time.perf_counter() - started,
                           baseline_name="baseline SQL", baseline_seconds=base_seconds, step=step,
                           max_ratio=max_ratio, max_seconds=max_seconds,
                           extra=f"{compare_with_baseline()}; {_summary(run)}")

    # once per book, when it is first loaded: every loan evaluated, every delinquent borrower's case
    # opened with its first actions; target <= 3x the baseline
    yield timed_run("run_delinquency, first run (opens every case)", "first_run", d, base_seconds, 3.0, None)
    d1 = d + dt.timedelta(days=1)
    between_nights(d1)
    yield timed_run("run_delinquency, steady state (D+1)", "nightly", d1, baseline(d1)[0], 1.5, limit)

    yield from celery_steps(ctx, d + dt.timedelta(days=2))
