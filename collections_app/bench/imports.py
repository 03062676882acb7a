"""Benchmark of the imports: a generated loan book and payment file against the storage floor.

The baseline of each import is its **storage floor**, measured in the same run on the same file:
the rows the import stored (every table it wrote, history included) are copied out, then timed
while ``COPY``-ed back into empty ``CREATE TABLE … (LIKE … INCLUDING ALL)`` copies of those tables
(same columns, defaults, indexes and constraints; no foreign keys). No import can store those rows
faster than that. Targets: loans (first load and the same file again) at most 1.5x the floor,
payments at most 2x, peak RSS under 300 MB (docs/performance.md). On SQLite there is no ``COPY``:
the baseline is a plain ``executemany`` of the file's rows into an unindexed table, no target.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import time

from django.db import connection

from collections_app.models import Lender, Loan, Payment
from collections_app.services.imports import import_file

from .common import BenchContext, BenchResult, peak_rss_mb

LENDER = "bench-imports"
LOAN_HEADER = ["loan_id", "borrower_id", "borrower_name", "principal", "disbursed_on", "national_id", "phones",
               "address", "employer", "product", "contact_name", "contact_relation", "contact_phone",
               "overdue_since", "overdue_amount"]
PAYMENT_HEADER = ["payment_id", "loan_id", "paid_on", "amount", "channel", "note"]
SURNAMES = "王李张刘陈杨赵黄周吴"


def write_loans(path: str, rows: int) -> None:
    base = dt.date(2024, 1, 1)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(LOAN_HEADER)
        for i in range(rows):
            d = base + dt.timedelta(days=i % 365)
            w.writerow([
                f"BL{i:08d}", f"BB{i:08d}", f"{SURNAMES[i % 10]}客户{i}", f"{10000 + i % 90000:,}.00", d.isoformat(),
                f"110101{19700101 + i % 300000:08d}{i % 10000:04d}", f"138{i:08d};139{i:08d}",
                f"北京市朝阳区建国路{i % 1000}号", f"公司{i % 5000}", f"P{i % 5}", f"联系人{i}", "配偶",
                f"137{i:08d}", (d + dt.timedelta(days=30)).strftime("%Y/%m/%d"), f"{1000 + i % 5000:,}.50",
            ])


def write_payments(path: str, rows: int) -> None:
    base = dt.date(2024, 3, 1)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PAYMENT_HEADER)
        for i in range(rows):
            w.writerow([f"BP{i:09d}", f"BL{i:08d}", (base + dt.timedelta(days=i % 200)).strftime("%Y%m%d"),
                        f"{100 + i % 3000:,}.00", "bank", ""])


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return peak_rss_mb()


def baseline_load(path: str, header: list[str]) -> float:
    """Seconds for the dumbest load of the file: COPY into an unindexed text table (PostgreSQL)."""
    cols = ", ".join(f"{c} text" for c in header)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_import_baseline")
        cursor.execute(f"CREATE TABLE bench_import_baseline ({cols})")
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            with open(path, encoding="utf-8") as fh:
                cursor.cursor.copy_expert("COPY bench_import_baseline FROM STDIN WITH (FORMAT csv, HEADER true)", fh)
        else:
            with open(path, encoding="utf-8", newline="") as fh:
                reader = csv.reader(fh)
                next(reader)
                marks = ", ".join(["%s"] * len(header))
                batch = []
                for row in reader:
                    batch.append(row)
                    if len(batch) >= 5000:
                        cursor.executemany(f"INSERT INTO bench_import_baseline VALUES ({marks})", batch)
                        batch = []
                if batch:
                    cursor.executemany(f"INSERT INTO bench_import_baseline VALUES ({marks})", batch)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_import_baseline")
    return seconds


def _high_water_marks() -> dict[str, tuple[str, int]]:
    """Every table of the project with an integer primary key: (pk column, its current maximum)."""
    marks = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if not table.startswith(("collections_app_", "accounts_")):
                continue
            pk = connection.introspection.get_primary_key_column(cursor, table)
            if not pk:
                continue
            cursor.execute(f'SELECT MAX("{pk}") FROM "{table}"')
            top = cursor.fetchone()[0]
            if top is None or isinstance(top, int):
                marks[table] = (pk, top or 0)
    return marks


def storage_floor(marks: dict[str, tuple[str, int]], workdir: str) -> tuple[float, str]:
    """Seconds to COPY the rows written since ``marks`` into empty LIKE … INCLUDING ALL copies of
    their tables (PostgreSQL), and which tables and how many rows that was."""
    seconds, written = 0.0, []
    with connection.cursor() as cursor:
        for table, (pk, top) in sorted(marks.items()):
            cursor.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                           "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum", [f'"{table}"'])
            cols = ", ".join(f'"{name}"' for (name,) in cursor.fetchall())  # generated columns are computed
            dump = os.path.join(workdir, f"floor-{table}.copy")
            with open(dump, "w", encoding="utf-8") as fh:
                cursor.cursor.copy_expert(
                    f'COPY (SELECT {cols} FROM "{table}" WHERE "{pk}" > {int(top)}) TO STDOUT', fh)
            if os.path.getsize(dump) == 0:
                os.remove(dump)
                continue
            copy = f"bench_floor_{table}"[:63]
            cursor.execute(f'DROP TABLE IF EXISTS "{copy}"')
            cursor.execute(f'CREATE TABLE "{copy}" (LIKE "{table}" INCLUDING ALL)')
            started = time.perf_counter()
            with open(dump, encoding="utf-8") as fh:
                cursor.cursor.copy_expert(f'COPY "{copy}" ({cols}) FROM STDIN', fh)
            seconds += time.perf_counter() - started
            cursor.execute(f'SELECT COUNT(*) FROM "{copy}"')
            written.append(f"{table.split('_', 2)[-1]} {cursor.fetchone()[0]}")
            cursor.execute(f'DROP TABLE "{copy}"')
            os.remove(dump)
    return seconds, ", ".join(written)


def _measure(path, kind, rows, name, step, max_ratio, workdir, floor=None, raw=None):
    """Import ``path``; on PostgreSQL the baseline is ``floor`` (seconds, what) or, when None, the
    storage floor of the rows this import wrote."""
    pg = connection.vendor == "postgresql"
    marks = _high_water_marks() if pg and floor is None else None
    _reset_peak()
    started = time.perf_counter()
    job = import_file(path=path, kind=kind, lender=LENDER, recalculate=False)
    seconds = time.perf_counter() - started
    peak = _peak_mb()
    extra = f"stored {job.stored_rows}, rejected {job.rejected_rows}, status {job.status}"
    if marks is not None:
        floor = storage_floor(marks, workdir)
    if pg:
        extra += f"; floor wrote {floor[1]}; raw COPY of the file {raw:.2f} s"
    result = BenchResult(
        name=name, rows=rows, seconds=seconds, step=step,
        baseline_name="storage floor" if pg else "raw INSERT", baseline_seconds=floor[0] if pg else raw,
        max_ratio=max_ratio if pg else None, peak_rss_mb=peak, max_rss_mb=300.0, extra=extra,
    )
    return job, result, floor


def steps(ctx: BenchContext):
    Lender.objects.get_or_create(code=LENDER, defaults={"name": "Benchmark lender"})
    loans_path = os.path.join(ctx.workdir, f"loans-{ctx.rows}.csv")
    payments_path = os.path.join(ctx.workdir, f"payments-{ctx.rows}.csv")
    if not os.path.exists(loans_path):
        write_loans(loans_path, ctx.rows)
    if not os.path.exists(payments_path):
        write_payments(payments_path, ctx.rows)

    raw = baseline_load(loans_path, LOAN_HEADER)
    job, result, floor = _measure(loans_path, "loans", ctx.rows, "import loans (first load)", "import_loans", 1.5,
                                  ctx.workdir, raw=raw)
    yield result
    # the same file again stores nothing new: its baseline is the first load's floor
    again, result, _floor = _measure(loans_path, "loans", ctx.rows, "import loans (same file again)",
                                     "import_loans_again", 1.5, ctx.workdir, floor=floor, raw=raw)
    result.extra = f"created {again.created_rows}, updated {again.updated_rows}, " + result.extra
    yield result

    raw = baseline_load(payments_path, PAYMENT_HEADER)
    job, result, _floor = _measure(payments_path, "payments", ctx.rows, "import payments", "import_payments", 2.0,
                                   ctx.workdir, raw=raw)
    yield result
    stored = Payment.objects.filter(lender__code=LENDER).count()
    loans = Loan.objects.filter(lender__code=LENDER).count()
    yield BenchResult(name="check", rows=stored, seconds=0.0, extra=f"{loans} loans, {stored} payments stored")
