"""Daily figures (docs/kpis.md, "Daily figures"): one DailyFigures row per business day, lender,
team, collector and bucket, built from the raw tables by a handful of aggregate queries and replaced
whole for the day in one transaction — rebuilding a day twice gives the same rows.

The nightly run rebuilds the day before its date, the last whole day (``finish_run``); the command
``build_daily_figures --from … --to …`` backfills a range. Credit goes to the holder of the time, as
on the dashboard (``selectors.attribution``); money and bucket moves are in the loan's bucket, work
on a case (calls, promises, cases opened and closed) in the case's bucket at the time.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from collections_app.models import (
    BucketHistory,
    CollectionCase,
    ContactLog,
    DailyFigures,
    FiguresChange,
    FiguresDay,
    Loan,
    Payment,
    PromiseStatus,
    PromiseToPay,
)
from collections_app.selectors import kpis as data
from collections_app.selectors.attribution import bucket_on, holder_exprs
from collections_app.selectors.buckets import bucket_order

ZERO = Decimal("0")
KEY = ("_lender", "_holder_team", "_holder", "_bucket")


def _case_bucket(case_ref: str, case_path: str, instant: str):
    """The case's bucket at an instant of the outer row: its history's last version by then, else now."""
    hist = CollectionCase.history.model.objects.filter(id=OuterRef(case_ref), history_date__lte=OuterRef(instant))
    return Coalesce(Subquery(hist.order_by("-history_date").values("bucket")[:1]), F(f"{case_path}__bucket"))


def _rows(qs, aggregates: dict) -> list[dict]:
    return list(qs.values(*KEY).annotate(**aggregates).order_by())


def _money_rows(day: dt.date, first: str) -> list[tuple[str, list[dict]]]:
    paid = Payment.objects.filter(loan__case__isnull=False, paid_on=day).exclude(
        source=Payment.Source.ADJUSTMENT).annotate(
        **holder_exprs("loan__case_id", "loan__case", day="paid_on"), _lender=F("loan__lender_id"),
        _bucket=bucket_on("loan_id", first, before_day=day))
    # each loan's overdue at the day's end read from its row where its stored figures hold then (the
    # night builds the day before its date: they hold from the next day for most loans), else computed
    overdue = Loan.objects.filter(case__isnull=False).annotate(_how=data.stored_or_raw(day, first)).exclude(
        data.nothing_due_at_end(day)).annotate(_od=data.overdue_at_end(day)).filter(_od__gt=0).annotate(
        **holder_exprs("case_id", "case", day_value=day), _lender=F("lender_id"),
        _bucket=data.bucket_at_end(day, first))
    return [("paid", _rows(paid, {"collected": Sum("amount")})),
            ("overdue", _rows(overdue, {"overdue": Sum("_od"), "overdue_loans": Count("id")}))]


def _work_rows(day: dt.date) -> list[tuple[str, list[dict]]]:
    start, end = data.day_start(day), data.day_start(day + dt.timedelta(days=1))
    calls = ContactLog.objects.filter(occurred_at__gte=start, occurred_at__lt=end).annotate(
        **holder_exprs("case_id", "case", instant="occurred_at"), _lender=F("case__lender_id"),
        _bucket=_case_bucket("case_id", "case", "occurred_at"))
    made = Q(created_at__gte=start, created_at__lt=end) & ~Q(status=PromiseStatus.REPLACED)
    due = Q(promised_date=day) & ~Q(status__in=data.NOT_JUDGED)
    promises = PromiseToPay.objects.filter(made | due).annotate(
        **holder_exprs("case_id", "case", instant="created_at"), _lender=F("case__lender_id"),
        _bucket=_case_bucket("case_id", "case", "created_at"))
    c = data.contact_counts()
    p = {
        "promises_made": Count("id", filter=made),
        "promised_amount": Coalesce(Sum("amount", filter=made), Value(ZERO), output_field=data.MONEY),
        "promises_due": Count("id", filter=due),
        "promises_kept": Count("id", filter=due & Q(status=PromiseStatus.KEPT)),
        "promises_broken": Count("id", filter=due & Q(status=PromiseStatus.BROKEN)),
        "promises_partial": Count("id", filter=due & Q(status=PromiseStatus.PARTIALLY_KEPT)),
        "promises_open_due": Count("id", filter=due & Q(status=PromiseStatus.PENDING)),
    }
    return [("calls", _rows(calls, {"attempts": c["attempts"], "contacts": c["reached"], "rpc": c["rpc"]})),
            ("promises", _rows(promises, p)), ("cases", _cases_in_out(day, start, end))]


def _cases_in_out(day: dt.date, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Cases opened and closed on the day, credited to the holder at its end, in the case's bucket."""
    opened = Q(opened_at__gte=start, opened_at__lt=end)
    closed = Q(closed_at__gte=start, closed_at__lt=end)
    qs = CollectionCase.objects.filter(opened | closed).annotate(
        **holder_exprs("pk", "", day_value=day), _lender=F("lender_id"), _bucket=F("bucket"))
    return _rows(qs, {"cases_in": Count("id", filter=opened), "cases_out": Count("id", filter=closed)})


def _move_rows(day: dt.date, codes: list[str]) -> list[dict]:
    """Loans whose bucket changed on the day: cured (to the first bucket) or rolled forward (to a
    later one), in the bucket they left, credited to the holder of their case at the day's end."""
    position = {code: i for i, code in enumerate(codes)}
    later = Q()
    for code, i in position.items():
        later |= Q(from_bucket=code, to_bucket__in=[c for c, j in position.items() if j > i])
    qs = BucketHistory.objects.filter(on_date=day).annotate(
        **holder_exprs("loan__case_id", "loan__case", day_value=day), _lender=F("lender_id"),
        _bucket=F("from_bucket"))
    return _rows(qs, {"loans_cured": Count("id", filter=Q(to_bucket=codes[0])), "loans_rolled": Count("id", filter=later)})


FIELDS = ("collected", "overdue", "overdue_loans", "promises_made", "promised_amount", "promises_due", "promises_kept",
          "promises_broken", "promises_partial", "promises_open_due", "attempts", "contacts", "rpc", "cases_in", "cases_out", "loans_cured", "loans_rolled")


def rebuild_day(*, day: dt.date, codes: list[str] | None = None) -> int:
    """Replace the day's DailyFigures rows by a fresh build from the raw tables; returns the rows
    written. Idempotent; the rows are replaced in one transaction (readers see the old rows or the
    new, never a mix). The day's change marks are read before the raw tables and only those are
    cleared: a write that commits while the day is built leaves its mark, and the day stays stale
    (read raw) rather than wrongly fresh."""
    if codes is None:
        codes = bucket_order()
    seen = list(FiguresChange.objects.filter(day=day).values_list("id", flat=True))
    merged: dict[tuple, dict] = defaultdict(dict)
    parts = [*_money_rows(day, codes[0]), *_work_rows(day), ("moves", _move_rows(day, codes))]
    for _name, rows in parts:
        for r in rows:
            key = tuple(r[k] for k in KEY)
            for name in FIELDS:
                if name in r and r[name]:
                    merged[key][name] = merged[key].get(name, 0) + r[name]
    objs = [DailyFigures(day=day, lender_id=lender, team_id=team, collector_id=collector, bucket=bucket or "",
                         **{k: (data.money(v) if k in ("collected", "overdue", "promised_amount") else v)
                            for k, v in values.items()})
            for (lender, team, collector, bucket), values in merged.items() if values and lender is not None]
    with transaction.atomic():
        DailyFigures.objects.filter(day=day).delete()
        DailyFigures.objects.bulk_create(objs, batch_size=2000)
        for start in range(0, len(seen), 5000):
            FiguresChange.objects.filter(id__in=seen[start:start + 5000]).delete()
        FiguresDay.objects.update_or_create(day=day, defaults={"built_at": timezone.now()})
    return len(objs)


def mark_changed(days) -> None:
    """Record that the work or money of these business days changed after the day was over: their
    stored figures no longer stand for them (the dashboard reads them raw) until a build includes the
    change. Call it in the transaction of the write. Days not over yet (today, the future) need no
    mark: the dashboard never reads them from stored figures."""
    today = timezone.localdate()
    days = sorted({d for d in days if d is not None and d < today})
    if days:
        FiguresChange.objects.bulk_create([FiguresChange(day=d) for d in days], batch_size=1000)


def mark_changed_payment_days(loan_ids) -> None:
    """The days of these loans' payments (they just entered collections: their earlier payments now
    count as collected), set-based."""
    ids = sorted(set(loan_ids))
    for start in range(0, len(ids), 5000):
        mark_changed(Payment.objects.filter(loan_id__in=ids[start:start + 5000]).values_list("paid_on", flat=True)
                     .distinct().order_by())


def rebuild_range(*, date_from: dt.date, date_to: dt.date) -> int:
    """Rebuild every day of [date_from, date_to]; returns the rows written."""
    codes, total, day = bucket_order(), 0, date_from
    while day <= date_to:
        total += rebuild_day(day=day, codes=codes)
        day += dt.timedelta(days=1)
    return total
