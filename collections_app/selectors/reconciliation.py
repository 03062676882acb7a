"""Monthly reconciliation with a lender (docs/kpis.md, "Reconciliation"): the month's payments on the
lender's loans per bucket — what the lender's payment files reported against what entered otherwise,
and how much of it is credited to a collector (the holder of the case that day) or to no one (loans
outside collections, or cases with no collector). Any past month can be reproduced: it reads only
payments, bucket history and assignment history, all dated.

``month_statement`` adds the rest of the month with the lender — cases received, closed (returned)
and open, collected by channel, settlements' forgiven amounts, write-offs and recoveries after them,
agency commission, legal costs — each from dated rows (case history, offers' end dates, approvals'
decision times, payment dates, cost dates), each with the rows behind it."""
from __future__ import annotations

import calendar
import datetime as dt

from django.db.models import Case, Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest, TruncDate

from accounts.models import User
from accounts.roles import is_admin
from collections_app.domain.agency import commission
from collections_app.models import (
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    CaseCloseReason,
    CaseStatus,
    CollectionCase,
    Installment,
    LegalCost,
    LegalCostKind,
    Lender,
    OfferStatus,
    Payment,
    PlacementPayment,
    SettlementOffer,
)
from collections_app.selectors import kpis as data
from collections_app.selectors.attribution import bucket_on, holder_exprs
from collections_app.selectors.dashboard import teams_for
from collections_app.selectors.legal import after_write_off

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
    return Payment.objects.filter(loan__lender_id=lender_id, paid_on__range=month_bounds(month)).exclude(
        source=Payment.Source.ADJUSTMENT).annotate(
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


# --- The rest of the lender's month (docs/kpis.md, "Monthly reconciliation with a lender") ---------
# Each figure is one aggregate query over dated rows, and each has ``*_rows`` giving the rows behind it.

HistoricalCase = CollectionCase.history.model
LIVE = (CaseStatus.OPEN, CaseStatus.SUSPENDED)


def _instants(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    first, last = month_bounds(month)
    return data.day_start(first), data.day_start(last + dt.timedelta(days=1))


def _sum(field: str, **filters):
    return Coalesce(Sum(field, filter=Q(**filters) if filters else None), Value(data.ZERO), output_field=data.MONEY)


def month_payments(lender_id: int, month: dt.date) -> QuerySet:
    """The month's payments on the lender's loans (corrections after an upheld dispute left out)."""
    return Payment.objects.filter(loan__lender_id=lender_id, paid_on__range=month_bounds(month)).exclude(
        source=Payment.Source.ADJUSTMENT)


def by_channel(lender_id: int, month: dt.date) -> list[dict]:
    """Collected per payment channel (an empty channel as ""): amount and payments."""
    rows = month_payments(lender_id, month).values("channel").annotate(
        amount=_sum("amount"), payments=Count("id")).order_by("channel")
    return [{"channel": r["channel"], "amount": data.money(r["amount"]), "payments": r["payments"]} for r in rows]


def _status_at(instant: dt.datetime):
    """A case's status at ``instant`` from its history (open when it has none yet)."""
    last = HistoricalCase.objects.filter(id=OuterRef("pk"), history_date__lt=instant).order_by(
        "-history_date", "-history_id").values("status")[:1]
    return Coalesce(Subquery(last), Value(CaseStatus.OPEN))


def _cases(lender_id: int, month: dt.date) -> QuerySet:
    start, end = _instants(month)
    return CollectionCase.objects.filter(lender_id=lender_id, opened_at__lt=end).annotate(
        _at_start=Case(When(opened_at__lt=start, then=_status_at(start)), default=Value("")),
        _at_end=_status_at(end))


def _closings(lender_id: int, month: dt.date) -> QuerySet:
    """History rows of the lender's cases closed in the month (a closing is its ``closed_at``)."""
    start, end = _instants(month)
    return HistoricalCase.objects.filter(lender_id=lender_id, status=CaseStatus.CLOSED, closed_at__gte=start,
                                         closed_at__lt=end)


def case_figures(lender_id: int, month: dt.date) -> dict:
    """Cases open at the start of the month, received (opened) in it, closed in it by reason —
    returned to the lender is the reason ``recalled`` — and open at its end (two queries)."""
    start, end = _instants(month)
    counts = _cases(lender_id, month).aggregate(
        open_at_start=Count("id", filter=Q(_at_start__in=LIVE)),
        received=Count("id", filter=Q(opened_at__gte=start)),
        open_at_end=Count("id", filter=Q(_at_end__in=LIVE)))
    closed = {r["close_reason"]: r["n"] for r in _closings(lender_id, month).values("close_reason").annotate(
        n=Count("id", distinct=True)).order_by()}
    return {**counts, "closed": sum(closed.values()), "returned": closed.get(CaseCloseReason.RECALLED, 0),
            "closed_by_reason": [{"reason": r, "label": CaseCloseReason(r).label if r in CaseCloseReason.values
                                  else r, "cases": closed[r]} for r in sorted(closed)]}


def settlement_figures(lender_id: int, month: dt.date) -> dict:
    """Settlement offers paid in the month: how many, agreed, paid and forgiven (减免)."""
    r = _settled(lender_id, month).aggregate(offers=Count("id"), agreed=_sum("amount"), paid=_sum("paid_amount"),
                                              forgiven=_sum("forgiven_amount"))
    return {"offers": r["offers"], **{k: data.money(r[k]) for k in ("agreed", "paid", "forgiven")}}


def _settled(lender_id: int, month: dt.date) -> QuerySet:
    return SettlementOffer.objects.filter(case__lender_id=lender_id, status=OfferStatus.PAID,
                                          ended_on__range=month_bounds(month))


def _write_offs(lender_id: int, month: dt.date) -> QuerySet:
    """Write-offs approved in the month, each with its day and the balance written off: the case's
    scheduled amounts less its payments before that day."""
    start, end = _instants(month)
    due = Installment.objects.filter(loan__case_id=OuterRef("case_id")).values("loan__case_id").annotate(
        s=Sum("amount_due")).values("s")
    paid = Payment.objects.filter(loan__case_id=OuterRef("case_id"), paid_on__lt=OuterRef("_day")).values(
        "loan__case_id").annotate(s=Sum("amount")).values("s")
    return ApprovalRequest.objects.filter(
        case__lender_id=lender_id, kind=ApprovalKind.WRITE_OFF, status=ApprovalStatus.APPROVED,
        decided_at__gte=start, decided_at__lt=end).annotate(_day=TruncDate("decided_at")).annotate(
        _balance=Greatest(Coalesce(Subquery(due, output_field=data.MONEY), Value(data.ZERO), output_field=data.MONEY)
                          - Coalesce(Subquery(paid, output_field=data.MONEY), Value(data.ZERO), output_field=data.MONEY),
                          Value(data.ZERO), output_field=data.MONEY))


def _recoveries(lender_id: int, month: dt.date) -> QuerySet:
    return after_write_off(Payment.objects.filter(loan__lender_id=lender_id, paid_on__range=month_bounds(month)))


def _placement_payments(lender_id: int, month: dt.date) -> QuerySet:
    return PlacementPayment.objects.filter(placement__case__lender_id=lender_id,
                                           payment__paid_on__range=month_bounds(month))


def _legal_costs(lender_id: int, month: dt.date) -> QuerySet:
    return LegalCost.objects.filter(legal_case__case__lender_id=lender_id, incurred_on__range=month_bounds(month))


def commission_lines(lender_id: int, month: dt.date) -> list[dict]:
    """Per agency, bucket and rate fixed at placement: the placed cases' payments in the month and the
    commission on them (``domain.agency.commission`` of the line's sum, as the agency's statement)."""
    rows = _placement_payments(lender_id, month).values(
        "placement__agency__name", "placement__bucket", "placement__commission_rate").annotate(
        n=Count("id"), total=_sum("payment__amount")).order_by(
        "placement__agency__name", "placement__bucket", "placement__commission_rate")
    return [{"agency": r["placement__agency__name"], "bucket": r["placement__bucket"],
             "rate": r["placement__commission_rate"], "payments": r["n"], "collected": data.money(r["total"]),
             "commission": commission(data.money(r["total"]), r["placement__commission_rate"])} for r in rows]


def month_statement(lender_id: int, month: dt.date, codes: list[str]) -> dict:
    """The whole monthly statement of one lender: payments by bucket and by channel, cases, settlements,
    write-offs and recoveries after them, agency commission and legal costs — a fixed number of
    queries (nine) whatever the size of the book."""
    w = _write_offs(lender_id, month).aggregate(cases=Count("case_id", distinct=True), balance=_sum("_balance"))
    rec = _recoveries(lender_id, month).aggregate(payments=Count("id"), amount=_sum("amount"))
    lines = commission_lines(lender_id, month)
    legal = list(_legal_costs(lender_id, month).values("kind").annotate(costs=Count("id"), amount=_sum("amount"))
                 .order_by("kind"))
    return {
        **statement(lender_id, month, codes),
        "channels": by_channel(lender_id, month),
        "cases": case_figures(lender_id, month),
        "settlements": settlement_figures(lender_id, month),
        "write_offs": {"cases": w["cases"], "balance": data.money(w["balance"])},
        "recoveries": {"payments": rec["payments"], "amount": data.money(rec["amount"])},
        "commission": {"lines": lines, "collected": sum((x["collected"] for x in lines), data.ZERO),
                       "commission": sum((x["commission"] for x in lines), data.ZERO)},
        "legal_costs": {"lines": [{"kind": r["kind"], "label": LegalCostKind(r["kind"]).label, "costs": r["costs"],
                                   "amount": data.money(r["amount"])} for r in legal],
                        "amount": sum((data.money(r["amount"]) for r in legal), data.ZERO)},
    }


# --- The rows behind each figure (one query each) --------------------------------------------------

def channel_rows(lender_id: int, month: dt.date) -> list[list]:
    return [list(r) for r in month_payments(lender_id, month).order_by("channel", "paid_on", "id").values_list(
        "channel", "external_id", "loan__external_id", "paid_on", "amount", "source")]


def case_rows(lender_id: int, month: dt.date) -> list[list]:
    """The cases behind the case counts — open at the start, received, or open at the end: opened
    at, status at the start (empty when received in the month) and at the end."""
    start, _end = _instants(month)
    return [list(r) for r in _cases(lender_id, month).filter(
        Q(_at_start__in=LIVE) | Q(opened_at__gte=start) | Q(_at_end__in=LIVE)).order_by("opened_at", "id").values_list(
        "id", "borrower__external_id", "opened_at", "_at_start", "_at_end")]


def closing_rows(lender_id: int, month: dt.date) -> list[list]:
    return [list(r) for r in _closings(lender_id, month).order_by("closed_at", "id").values_list(
        "id", "close_reason", "closed_at").distinct()]


def settlement_rows(lender_id: int, month: dt.date) -> list[list]:
    return [list(r) for r in _settled(lender_id, month).order_by("ended_on", "id").values_list(
        "id", "case_id", "offered_on", "ended_on", "payoff_amount", "amount", "paid_amount", "forgiven_amount")]


def write_off_rows(lender_id: int, month: dt.date) -> list[list]:
    return [list(r) for r in _write_offs(lender_id, month).order_by("decided_at", "id").values_list(
        "id", "case_id", "_day", "_balance")]


def recovery_rows(lender_id: int, month: dt.date) -> list[list]:
    return [list(r) for r in _recoveries(lender_id, month).order_by("paid_on", "id").values_list(
        "external_id", "loan__case_id", "loan__external_id", "written_off_on", "paid_on", "amount", "channel")]


def commission_rows(lender_id: int, month: dt.date) -> list[list]:
    return [list(r) for r in _placement_payments(lender_id, month).order_by("payment__paid_on", "id").values_list(
        "placement__agency__name", "placement__case_id", "placement__bucket", "placement__commission_rate",
        "payment__external_id", "payment__paid_on", "payment__amount")]


def legal_cost_rows(lender_id: int, month: dt.date) -> list[list]:
    return [list(r) for r in _legal_costs(lender_id, month).order_by("incurred_on", "id").values_list(
        "id", "legal_case__case_id", "legal_case__case_number", "kind", "incurred_on", "amount")]
