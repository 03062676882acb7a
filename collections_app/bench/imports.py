"""Benchmark of the imports: a generated loan book and payment file against a raw COPY baseline.

Targets (issue 3): the import takes at most 2x a raw ``COPY`` of the same file into an unindexed
staging table, under 60 s for 1,000,000 rows, peak RSS under 300 MB. On SQLite the baseline is a
plain ``executemany`` of the parsed rows into an unindexed table.
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


def _measure(path, kind, rows, baseline, name):
    _reset_peak()
    started = time.perf_counter()
    job = import_file(path=path, kind=kind, lender=LENDER, recalculate=False)
    seconds = time.perf_counter() - started
    peak = _peak_mb()
    extra = f"stored {job.stored_rows}, rejected {job.rejected_rows}, status {job.status}"
    return job, BenchResult(
        name=name, rows=rows, seconds=seconds, baseline_name="raw COPY" if connection.vendor == "postgresql" else
        "raw INSERT", baseline_seconds=baseline, max_ratio=2.0, max_seconds=60.0 * rows / 1_000_000,
        peak_rss_mb=peak, max_rss_mb=300.0, extra=extra,
    )


def steps(ctx: BenchContext):
    Lender.objects.get_or_create(code=LENDER, defaults={"name": "Benchmark lender"})
    loans_path = os.path.join(ctx.workdir, f"loans-{ctx.rows}.csv")
    payments_path = os.path.join(ctx.workdir, f"payments-{ctx.rows}.csv")
    if not os.path.exists(loans_path):
        write_loans(loans_path, ctx.rows)
    if not os.path.exists(payments_path):
        write_payments(payments_path, ctx.rows)

    baseline = baseline_load(loans_path, LOAN_HEADER)
    job, result = _measure(loans_path, "loans", ctx.rows, baseline, "import loans (first load)")
    yield result
    again, result = _measure(loans_path, "loans", ctx.rows, baseline, "import loans (same file again)")
    result.extra += f", created {again.created_rows}, updated {again.updated_rows}"
    yield result

    baseline = baseline_load(payments_path, PAYMENT_HEADER)
    job, result = _measure(payments_path, "payments", ctx.rows, baseline, "import payments")
    yield result
    stored = Payment.objects.filter(lender__code=LENDER).count()
    loans = Loan.objects.filter(lender__code=LENDER).count()
    yield BenchResult(name="check", rows=stored, seconds=0.0, extra=f"{loans} loans, {stored} payments stored")
