"""Trends and tomorrow's forecast for the dashboard (docs/kpis.md, "Trends" and "Forecast").

Weekly series read the small DailyFigures table (kept by the nightly run), never the contact log;
the week-over-week and month-over-month recovery rates are the live KPI over each period. A fixed
number of queries whatever the size of the book.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from collections_app.domain import kpis as formulas
from collections_app.domain.buckets import DEFAULT_BUCKETS
from collections_app.models import (
    Bucket,
    FiguresDay,
    Installment,
    PromiseStatus,
    PromiseToPay,
    StrategyStatus,
)
from collections_app.selectors import kpis as data

WEEKS = 8
ZERO = Decimal("0")


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _figures(scope: data.Scope, date_from: dt.date, date_to: dt.date) -> QuerySet:
    return data.stored_figures(scope, Q(day__range=(date_from, date_to)))


def coverage(date_from: dt.date, date_to: dt.date) -> dict:
    """What the daily figures of [date_from, date_to] leave out or show as built (two queries): days
    not over yet (``live``: today, when in range), days over but not built (``not_built``), built days
    a later write changed (``changed``: they show as built until a build includes the change)."""
    today = timezone.localdate()
    last = min(date_to, today - dt.timedelta(days=1))
    live = max(0, (date_to - max(date_from, today)).days + 1)
    if last < date_from:
        return {"live": live, "not_built": 0, "changed": 0}
    built = FiguresDay.objects.filter(day__range=(date_from, last)).count()
    changed = len(data.stale_days(since=date_from, until=last))
    return {"live": live, "not_built": (last - date_from).days + 1 - built, "changed": changed}


def weekly(scope: data.Scope, names: dict[int, str]) -> dict:
    """The last WEEKS ISO weeks up to the period's end: collected, promises due / kept, RPC and loans
    rolled forward per week, and collected per collector per week (one query each), as the daily
    figures hold them, with what they leave out (``coverage``)."""
    end = scope.date_to
    first = week_start(end) - dt.timedelta(weeks=WEEKS - 1)
    weeks = [first + dt.timedelta(weeks=i) for i in range(WEEKS)]
    index = {}
    for i, w in enumerate(weeks):
        for k in range(7):
            index[w + dt.timedelta(days=k)] = i
    rows = list(_figures(scope, first, end).values("day", "collector").annotate(
        collected=Sum("collected"), due=Sum("promises_due"), kept=Sum("promises_kept"), rpc=Sum("rpc"),
        attempts=Sum("attempts"), rolled=Sum("loans_rolled")).order_by())
    totals = [{"week": w, "collected": ZERO, "due": 0, "kept": 0, "rpc": 0, "attempts": 0, "rolled": 0} for w in weeks]
    per_collector: dict[int, list[Decimal]] = {}
    for r in rows:
        t = totals[index[r["day"]]]
        t["collected"] += Decimal(r["collected"] or 0)
        for k in ("due", "kept", "rpc", "attempts", "rolled"):
            t[k] += r[k] or 0
        if r["collector"] in names:
            series = per_collector.setdefault(r["collector"], [ZERO] * WEEKS)
            series[index[r["day"]]] += Decimal(r["collected"] or 0)
    for t in totals:
        t["collected"] = data.money(t["collected"])
        t["keep_rate"] = formulas.promise_keep_rate(t["kept"], t["due"])
    lines = [{"user_id": uid, "name": names[uid], "values": [data.money(v) for v in series]}
             for uid, series in sorted(per_collector.items(), key=lambda kv: names[kv[0]])]
    return {"weeks": totals, "collectors": lines, "coverage": coverage(first, end)}


def _rate(scope: data.Scope, codes: list[str], date_from: dt.date, date_to: dt.date,
          known: dict | None = None) -> Decimal | None:
    rows = (known or {}).get((date_from, date_to))
    if rows is None:
        rows = data.recovery_by_bucket(replace(scope, date_from=date_from, date_to=date_to), codes)
    return formulas.recovery_rate(sum((r["recovered"] for r in rows), ZERO), sum((r["base"] for r in rows), ZERO))


def comparisons(scope: data.Scope, codes: list[str], recovery: list[dict] | None = None) -> list[dict]:
    """Recovery rate of the week and the month to the period's end against the week and month before.
    ``recovery``: the scope's own period's rows when already computed (not computed twice)."""
    known = {scope.period: recovery} if recovery is not None else {}
    end = scope.date_to
    week = (end - dt.timedelta(days=6), end)
    prev_week = (week[0] - dt.timedelta(days=7), week[0] - dt.timedelta(days=1))
    month = (end.replace(day=1), end)
    prev_end = month[0] - dt.timedelta(days=1)
    prev_month = (prev_end.replace(day=1), min(prev_end, prev_end.replace(day=min(end.day, prev_end.day))))
    out = []
    for key, now, before in (("week", week, prev_week), ("month", month, prev_month)):
        current, previous = _rate(scope, codes, *now, known=known), _rate(scope, codes, *before, known=known)
        out.append({"key": key, "current": current, "previous": previous,
                    "change": formulas.change(current, previous), "period": now, "previous_period": before})
    return out


def forecast(cases: QuerySet, scope: data.Scope, today: dt.date) -> dict:
    """Tomorrow's workload as the book stands on ``today`` (the business date): promises falling due
    tomorrow (count, amount), promises due today and still open (if unpaid they break tonight and call
    for a callback tomorrow), loans in the first bucket with an instalment due today not yet covered
    (they enter collections tonight), and loans at the last day of their bucket (they roll tonight
    unless paid), per bucket."""
    tomorrow = today + dt.timedelta(days=1)
    pending = PromiseToPay.objects.filter(case__in=cases.values("id"), status=PromiseStatus.PENDING).aggregate(
        due_tomorrow=Count("id", filter=Q(promised_date=tomorrow)),
        amount_tomorrow=Coalesce(Sum("amount", filter=Q(promised_date=tomorrow)), Value(ZERO), output_field=data.MONEY),
        callbacks=Count("id", filter=Q(promised_date=today)),
    )
    ranges = list(Bucket.objects.filter(version__status=StrategyStatus.ACTIVE).order_by("position")
                  .values_list("code", "max_dpd"))
    if not ranges:
        ranges = [(b.code, b.max_dpd) for b in DEFAULT_BUCKETS]
    first = ranges[0][0]
    book = data.book_loans(replace(scope, date_from=today, date_to=today))
    due_by_today = Installment.objects.filter(loan=OuterRef("pk"), due_date__lte=today).values("loan").annotate(
        s=Sum("amount_due")).values("s")
    entering = book.filter(bucket=first, installments__due_date=today).annotate(
        _due=Coalesce(Subquery(due_by_today, output_field=data.MONEY), Value(ZERO), output_field=data.MONEY),
    ).filter(_due__gt=Coalesce("paid_total", Value(ZERO), output_field=data.MONEY)).values("id").distinct().count()
    at_edge = Q(pk__in=[])
    for code, max_dpd in ranges[1:]:
        if max_dpd is not None:
            at_edge |= Q(bucket=code, aging_days__gte=max_dpd)
    # the edge first, on the book itself: the holder of the time is then worked out for the loans at
    # an edge only, not for the whole book before a semi-join (docs/kpis.md, "Speed")
    moving = dict(book.filter(at_edge).values("bucket").annotate(n=Count("id")).order_by()
                  .values_list("bucket", "n"))
    nxt = {code: ranges[i + 1][0] for i, (code, _m) in enumerate(ranges[:-1])}
    moves = [{"from": code, "to": nxt[code], "loans": moving[code]} for code, _m in ranges if moving.get(code)]
    return {"day": tomorrow, "promises_due": pending["due_tomorrow"], "promised_amount": data.money(pending["amount_tomorrow"]),
            "callbacks": pending["callbacks"], "entering": entering, "moves": moves}
