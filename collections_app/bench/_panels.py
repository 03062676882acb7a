"""The dashboard's panels one by one, and a lender's monthly reconciliation (issue targets: each
panel for a month under 300 ms server time, the reconciliation under 30 s, at 1,000,000 loans).

Run by the ``web`` area after its page steps, on its book, as its supervisor, for the 30 days to the
book's date, once the daily figures of the 29 days before it are built (what the nights before would
have built; the book's date is the live day, read from the raw tables). Each panel is the selector call the dashboard makes (``selectors.dashboard``), timed
alone ``PANEL_REPEATS`` times (the median is reported): the slowest panel is the step
``dashboard_panels``; every panel's time is on its line. The reconciliation is the book's month:
the statement and the rows behind every figure.
"""
from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import connection
from django.utils import timezone

from collections_app.domain import kpis as formulas
from collections_app.models import DelinquencyRun, Lender
from collections_app.selectors import dashboard as desk
from collections_app.selectors import kpis as data
from collections_app.selectors import reconciliation, trends
from collections_app.services import daily_figures

from . import delinquency
from .common import BenchResult

PANEL_REPEATS = int(os.environ.get("BENCH_PANEL_REPEATS", "3"))  # at 1,000,000 loans one is minutes
PERIOD_DAYS = 30  # a month's panels: the 30 days to the book's date (its contact log lies in them)
PANEL_TARGET_S = 0.300
RECONCILIATION_TARGET_S = 30.0
FIGURE_THREADS = 2  # the machine's cores


def _book_date():
    """The date of the book's last night (the bench's business date)."""
    return DelinquencyRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()


def _median_seconds(call: Callable[[], object], repeats: int = PANEL_REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _panels(supervisor) -> dict[str, Callable[[], object]]:
    today = _book_date()
    filters = desk.DashboardFilters(date_from=today - dt.timedelta(days=PERIOD_DAYS - 1), date_to=today)
    cases = desk.scope_cases(supervisor, filters)
    scope = desk.scope_for(supervisor, filters)
    ranges = desk.bucket_ranges()
    codes = [c for c, _days in ranges]
    recovery = data.recovery_by_bucket(scope, codes)
    work = data.work_by_holder(scope)
    return {
        "work by holder (summary and league)": lambda: data.work_by_holder(scope),
        "summary": lambda: desk.summary(supervisor, filters, cases, scope, recovery, work),
        "recovery by bucket": lambda: data.recovery_by_bucket(scope, codes),
        "roll rates": lambda: data.roll_table(scope, codes),
        "non-performing": lambda: data.non_performing(scope, codes, formulas.non_performing_codes(ranges)),
        "aging": lambda: data.aging_as_of(scope, codes),
        "league table": lambda: desk.league(supervisor, filters, cases, scope, work),
        "SLA": lambda: desk.sla(cases, timezone.now()),
        "weekly trends": lambda: trends.weekly(scope, {}),
        "comparisons": lambda: trends.comparisons(scope, codes, recovery),
        "forecast": lambda: trends.forecast(cases, scope, filters.date_to),
    }


def nights_figures(days: int = PERIOD_DAYS) -> BenchResult:
    """The daily figures the nights before the book's date would have built (not a target): every
    day of the panels' period but its last, which is the live day, built with FIGURE_THREADS
    connections at once; days whose stored figures stand for them already are kept."""
    last = _book_date() - dt.timedelta(days=1)
    wanted = [last - dt.timedelta(days=i) for i in range(days - 1)]
    todo = sorted(set(wanted) - data.fresh_days(min(wanted), last))
    started = time.perf_counter()

    def build(day):
        try:
            daily_figures.rebuild_day(day=day)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=FIGURE_THREADS) as pool:
        list(pool.map(build, todo))
    return BenchResult(name=f"setup: daily figures of {len(todo)} days before the book's date (not a target)",
                       rows=len(todo), seconds=time.perf_counter() - started, unit="days")


def panel_steps(supervisor, loans: int):
    timings = {name: _median_seconds(call) for name, call in _panels(supervisor).items()}
    slowest = max(timings, key=timings.get)
    detail = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in timings.items())
    yield BenchResult(name=f"dashboard panels, {PERIOD_DAYS} days (slowest: {slowest})", rows=loans,
                      seconds=timings[slowest], step="dashboard_panels", max_seconds=PANEL_TARGET_S,
                      unit="loans", extra=detail)
    lender_id = Lender.objects.get(code=delinquency.LENDER).pk  # the bench book's lender
    month = delinquency.AS_OF.replace(day=1)  # the book's month: its payments and contacts
    codes = desk.bucket_codes()
    started = time.perf_counter()
    reconciliation.month_statement(lender_id, month, codes)
    rows = reconciliation.payment_rows(lender_id, month, codes)
    for export in (reconciliation.channel_rows, reconciliation.case_rows, reconciliation.closing_rows,
                   reconciliation.settlement_rows, reconciliation.write_off_rows, reconciliation.recovery_rows,
                   reconciliation.commission_rows, reconciliation.legal_cost_rows):
        export(lender_id, month)
    yield BenchResult(name="reconciliation of one lender's month (statement and the rows behind every figure)", rows=len(rows),
                      seconds=time.perf_counter() - started, step="reconciliation",
                      max_seconds=RECONCILIATION_TARGET_S, unit="payments")
