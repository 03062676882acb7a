"""Monthly reconciliation with a lender (docs/kpis.md, "Reconciliation"): the month's payments on the
lender's loans per bucket — what the lender's payment files reported against what entered otherwise,
and how much of it is credited to a collector (the holder of the case that day) or to no one (loans
outside collections, or cases with no collector). Any past month can be reproduced: it reads only
payments, bucket history and assignment history, all dated."""
from __future__ import annotations

import calendar
import datetime as dt

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from accounts.roles import is_admin
from collections_app.models import Lender, Payment
from collections_app.selectors import kpis as data
from collections_app.selectors.attribution import bucket_on, holder_exprs
from collections_app.selectors.dashboard import teams_for

FIGURES = ("from_files", "other_sources", "attributed", "unattributed", "total")


def lenders_for(user) -> QuerySet:
    """The lenders whose statements ``user`` may read: an admin all; a supervisor their teams'
    lenders (all when one of their teams takes every lender's cases)."""
    lenders = Lender.objects.order_by("code")
    if is_admin(user):
        return lenders
    ids = set(teams_for(user).values_list("lender_id", flat=True))
    return lenders if None in ids else lenders.filter(id__in=ids)


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    return month.replace(day=1), month.replace(day=calendar.monthrange(month.year, month.month)[1])


def payments(lender_id: int, month: dt.date, first_bucket: str) -> QuerySet:
    """The month's payments on the lender's loans, each with its bucket (the loan's at the start of
    the payment day) and the collector it is credited to."""
    return Payment.objects.filter(loan__lender_id=lender_id, paid_on__range=month_bounds(month)).annotate(
        **holder_exprs("loan__case_id", "loan__case", day="paid_on"),
        _bucket=bucket_on("loan_id", first_bucket, outer_day="paid_on", strictly_before=True))


def statement(lender_id: int, month: dt.date, codes: list[str]) -> dict:
    """Per bucket and in total: from the lender's files, from other sources, attributed to a
    collector, unattributed, total and the number of payments (one query)."""
    money = DecimalField(max_digits=18, decimal_places=2)
    zero = Value(data.ZERO)
    files = Q(source=Payment.Source.IMPORT)
    rows = {r["_bucket"]: r for r in payments(lender_id, month, codes[0]).values("_bucket").annotate(
        from_files=Coalesce(Sum("amount", filter=files), zero, output_field=money),
        other_sources=Coalesce(Sum("amount", filter=~files), zero, output_field=money),
        attributed=Coalesce(Sum("amount", filter=Q(_holder__isnull=False)), zero, output_field=money),
        unattributed=Coalesce(Sum("amount", filter=Q(_holder__isnull=True)), zero, output_field=money),
        total=Coalesce(Sum("amount"), zero, output_field=money), payments=Count("id")).order_by()}
    ordered = [c for c in codes if c in rows] + sorted(set(rows) - set(codes))
    lines = [{"bucket": c, **{k: data.money(rows[c][k]) for k in FIGURES}, "payments": rows[c]["payments"]}
             for c in ordered]
    total = {k: sum((line[k] for line in lines), data.ZERO) for k in FIGURES}
    total.update(bucket="", payments=sum(line["payments"] for line in lines))
    first, last = month_bounds(month)
    return {"lines": lines, "total": total, "date_from": first, "date_to": last}


def payment_rows(lender_id: int, month: dt.date, codes: list[str]) -> list[list]:
    """The rows behind the statement: every payment with its loan, date, amount, source, channel,
    bucket and the collector credited."""
    rows = list(payments(lender_id, month, codes[0]).values_list(
        "external_id", "loan__external_id", "paid_on", "amount", "source", "channel", "_bucket", "_holder")
        .order_by("paid_on", F("id")))
    names = dict(User.objects.filter(id__in={r[7] for r in rows if r[7]}).values_list("id", "username"))
    return [[*r[:7], names.get(r[7], "")] for r in rows]
