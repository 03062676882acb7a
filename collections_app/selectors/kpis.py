"""The data behind every KPI (docs/kpis.md): aggregate queries, a fixed number whatever the size of
the book. The formulas that turn these counts into rates are in ``collections_app.domain.kpis``.

Work and money are credited to whoever held the case at the time (``selectors.attribution``): a
payment to the holder at the end of its day, a contact to the holder when it happened, a promise to
the holder when it was taken. Team and collector filters select by that holder; a supervisor sees
what their teams held.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from collections_app.domain import kpis as formulas
from collections_app.models import (
    BucketHistory,
    ContactLog,
    DailyFigures,
    FiguresChange,
    FiguresDay,
    Installment,
    Loan,
    Payment,
    PromiseStatus,
    PromiseToPay,
)

from .attribution import bucket_on, holder_exprs
from .loan_figures import figures_hold_q

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=18, decimal_places=2)
NOT_JUDGED = (PromiseStatus.REPLACED, PromiseStatus.CANCELLED)


def money(value) -> Decimal:
    """Sums to the cent (SQLite hands back ``10`` or ``10.000000000``)."""
    return Decimal(value or 0).quantize(Decimal("0.01"))


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


@dataclass(frozen=True)
class Scope:
    """Whose figures: ``team_ids`` None means every team (and work no team held). ``pool``: the
    roll-rate book also holds the loans without a case of ``lender_ids`` (None: every lender)."""

    date_from: dt.date
    date_to: dt.date
    team_ids: tuple[int, ...] | None = None
    collector_id: int | None = None
    lender_id: int | None = None
    lender_ids: tuple[int, ...] | None = None
    pool: bool = False

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        return self.date_from, self.date_to

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return day_start(self.date_from), day_start(self.date_to + dt.timedelta(days=1))


def _by_holder(qs: QuerySet, scope: Scope, case_lender: str) -> QuerySet:
    if scope.team_ids is not None:
        qs = qs.filter(_holder_team__in=scope.team_ids)
    if scope.collector_id:
        qs = qs.filter(_holder=scope.collector_id)
    if scope.lender_id:
        qs = qs.filter(**{case_lender: scope.lender_id})
    return qs


def payments(scope: Scope, date_from: dt.date | None = None, date_to: dt.date | None = None) -> QuerySet:
    """Payments on loans in collections (with a case) dated in the period, with their holder. A
    correction after an upheld dispute (source ``adjustment``) is not money received: left out."""
    period = (date_from or scope.date_from, date_to or scope.date_to)
    qs = Payment.objects.filter(loan__case__isnull=False, paid_on__range=period).exclude(
        source=Payment.Source.ADJUSTMENT).annotate(
        **holder_exprs("loan__case_id", "loan__case", day="paid_on"))
    return _by_holder(qs, scope, "loan__case__lender_id")


def contacts(scope: Scope) -> QuerySet:
    start, end = scope.bounds
    qs = ContactLog.objects.filter(occurred_at__gte=start, occurred_at__lt=end).annotate(
        **holder_exprs("case_id", "case", instant="occurred_at"))
    return _by_holder(qs, scope, "case__lender_id")


def promises(scope: Scope) -> QuerySet:
    """Promises taken or falling due in the period, with the holder when they were taken."""
    start, end = scope.bounds
    qs = PromiseToPay.objects.filter(Q(created_at__gte=start, created_at__lt=end)
                                     | Q(promised_date__range=scope.period)).annotate(
        **holder_exprs("case_id", "case", instant="created_at"))
    return _by_holder(qs, scope, "case__lender_id")


def contact_counts() -> dict:
    """Aggregates of call attempts, contacts reached and right-party contacts (the borrower only)."""
    attempt = Q(is_attempt=True)
    return {
        "attempts": Count("id", filter=attempt),
        "reached": Count("id", filter=attempt & (Q(is_conversation=True) | Q(is_third_party=True))),
        "rpc": Count("id", filter=attempt & Q(is_conversation=True, is_third_party=False)),
    }


def promise_counts(scope: Scope) -> dict:
    start, end = scope.bounds
    made = Q(created_at__gte=start, created_at__lt=end) & ~Q(status=PromiseStatus.REPLACED)
    due = Q(promised_date__range=scope.period) & ~Q(status__in=NOT_JUDGED)
    return {
        "made": Count("id", filter=made),
        "made_amount": Coalesce(Sum("amount", filter=made), Value(ZERO), output_field=MONEY),
        "due": Count("id", filter=due),
        "kept": Count("id", filter=due & Q(status=PromiseStatus.KEPT)),
        "partial": Count("id", filter=due & Q(status=PromiseStatus.PARTIALLY_KEPT)),
        "broken": Count("id", filter=due & Q(status=PromiseStatus.BROKEN)),
        "open_due": Count("id", filter=due & Q(status=PromiseStatus.PENDING)),
    }


def collected(scope: Scope, date_from: dt.date | None = None, date_to: dt.date | None = None) -> Decimal:
    return money(payments(scope, date_from, date_to).aggregate(
        v=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY))["v"])


def _overdue_before(bound: str | dt.date, *, inclusive: bool = False):
    """max(0, Σ instalments due before the bound − Σ payments before it): a loan's overdue amount at
    the start of that date (``inclusive``: at its end). ``bound`` is an outer field or a date."""
    ref = OuterRef(bound) if isinstance(bound, str) else bound
    op = "lte" if inclusive else "lt"
    due = Installment.objects.filter(loan=OuterRef("pk"), **{f"due_date__{op}": ref}).values("loan").annotate(
        s=Sum("amount_due")).values("s")
    paid = Payment.objects.filter(loan=OuterRef("pk"), **{f"paid_on__{op}": ref}).values("loan").annotate(
        s=Sum("amount")).values("s")
    return Greatest(
        Coalesce(Subquery(due, output_field=MONEY), Value(ZERO), output_field=MONEY)
        - Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO), output_field=MONEY),
        Value(ZERO), output_field=MONEY)


def _paid_between(since, until: dt.date):
    """Σ of a loan's payments from ``since`` (an outer field or a date) to ``until``, corrections
    after an upheld dispute left out (they are not money received)."""
    since = OuterRef(since) if isinstance(since, str) else since
    paid = Payment.objects.filter(loan=OuterRef("pk"), paid_on__gte=since, paid_on__lte=until).exclude(
        source=Payment.Source.ADJUSTMENT).values("loan").annotate(s=Sum("amount")).values("s")
    return Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _held(qs: QuerySet, scope: Scope, case_ref: str, case_path: str, case_lender: str, **when) -> QuerySet:
    """``qs`` in the scope by the holder of the case at ``when`` (``holder_exprs``), looked up only when a
    team or collector filter needs it."""
    if scope.team_ids is not None or scope.collector_id:
        qs = qs.annotate(**holder_exprs(case_ref, case_path, **when))
    return _by_holder(qs, scope, case_lender)


def _recovery_rows(loans: QuerySet, scope: Scope, **when) -> QuerySet:
    """One row a loan: the bucket of its base, the base and its payments since the base date."""
    return _held(loans, scope, "case_id", "case", "lender_id", **when).values(
        b=F("_base_bucket"), base=F("_base"), paid=F("_paid")).order_by()


def recovery_by_bucket(scope: Scope, codes: list[str]) -> list[dict]:
    """Per bucket: the base (each loan's overdue at the start of the period, or — a loan that owed
    nothing then — at its entry into a delinquent bucket during it, and that bucket), what the loan's
    payments from that date to the period's end recovered of it (at most the base), and the loans.
    A loan counts for the holder of its case at the end of its base date.

    Two flat parts — the loans of cases at the period's start (base date: the first day, a constant)
    and those that owed nothing then and entered during the period (base date: their first entry) —
    each loan's base and payments computed once, in a materialised set the sums are taken over: an
    expression named twice in one query is computed twice (the filter on the base, its sum, and the
    lesser of it and the payments were three lookups of the same instalments and payments)."""
    first, start = codes[0], scope.date_from
    in_cases = Loan.objects.filter(case__isnull=False)
    at_start = in_cases.annotate(
        _base=_overdue_before(start), _base_bucket=bucket_on("pk", first, before_day=start),
        _paid=_paid_between(start, scope.date_to))
    entry = BucketHistory.objects.filter(loan=OuterRef("pk"), on_date__range=scope.period).exclude(
        to_bucket=first).order_by("on_date")
    entered = in_cases.annotate(_open=_overdue_before(start)).filter(_open__lte=0).annotate(
        _base_date=Subquery(entry.values("on_date")[:1])).filter(_base_date__isnull=False).annotate(
        _base=_overdue_before("_base_date"), _base_bucket=Subquery(entry.values("to_bucket")[:1]),
        _paid=_paid_between("_base_date", scope.date_to))
    rows = _recovery_rows(at_start, scope, day_value=start).union(
        _recovery_rows(entered, scope, day="_base_date"), all=True)
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # a scope that holds nothing (a supervisor without a team)
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH x AS MATERIALIZED ({sql}) SELECT x.b, COUNT(*), SUM(x.base), "
            "SUM(CASE WHEN x.paid < x.base THEN x.paid ELSE x.base END) FROM x WHERE x.base > 0 GROUP BY x.b", params)
        # sums of cents, to the cent (SQLite hands back floats)
        totals = {b: {"loans": n, "base": money(Decimal(str(base or 0))), "recovered": money(Decimal(str(rec or 0)))}
                  for b, n, base, rec in cursor.fetchall()}
    ordered = [c for c in codes if c in totals] + sorted(set(totals) - set(codes))
    return [{"bucket": c, "loans": totals[c]["loans"], "base": totals[c]["base"], "recovered": totals[c]["recovered"],
             "recovery_rate": formulas.recovery_rate(totals[c]["recovered"], totals[c]["base"])} for c in ordered]


def book_loans(scope: Scope) -> QuerySet:
    """The loans of the roll-rate and non-performing figures: every loan disbursed by the period's end
    and not settled before it began — an admin's whole book; a supervisor's, the loans whose case their
    teams held at the end of the period plus the loans without a case of their teams' lenders; with a
    team or collector chosen, the loans whose case that team or collector held at the end."""
    qs = Loan.objects.filter(disbursed_on__lte=scope.date_to).exclude(settled_on__lt=scope.date_from)
    if scope.lender_id:
        qs = qs.filter(lender_id=scope.lender_id)
    if not scope.collector_id and scope.team_ids is None:
        return qs
    qs = qs.annotate(**holder_exprs("case_id", "case", day_value=scope.date_to))
    held = Q(case__isnull=False)
    if scope.team_ids is not None:
        held &= Q(_holder_team__in=scope.team_ids)
    if scope.collector_id:
        held &= Q(_holder=scope.collector_id)
    if scope.pool:
        pool = Q(case__isnull=True)
        if scope.lender_ids is not None:
            pool &= Q(lender_id__in=scope.lender_ids)
        held |= pool
    return qs.filter(held)


def roll_counts(scope: Scope, codes: list[str]) -> dict[str, dict[str, int]]:
    """{bucket at the start: {bucket at the end: loans}} from the bucket history by date: a loan's
    bucket at the start is its last change before the first day, at the end its last change on or
    before the last day (the first bucket when it has none), whatever nights the run skipped; the
    bucket at the end is read from the loan's row where its stored figures hold then (docs/kpis.md,
    "The loans' own figures")."""
    first = codes[0]
    rows = book_loans(scope).annotate(
        b0=bucket_on("pk", first, before_day=scope.date_from),
        _how=stored_or_raw(scope.date_to, first), b1=bucket_at_end(scope.date_to, first),
    ).values("b0", "b1").annotate(n=Count("id")).order_by()
    matrix: dict[str, dict[str, int]] = {}
    for r in rows:
        matrix.setdefault(r["b0"], {})
        matrix[r["b0"]][r["b1"]] = matrix[r["b0"]].get(r["b1"], 0) + r["n"]
    return matrix


def roll_table(scope: Scope, codes: list[str]) -> list[dict]:
    matrix = roll_counts(scope, codes)
    position = {code: i for i, code in enumerate(codes)}
    return [formulas.roll_row(b0, matrix[b0], codes) for b0 in sorted(matrix, key=lambda c: position.get(c, len(codes)))]


def _outstanding_at(end: dt.date):
    """max(0, Σ all of a loan's instalments − Σ its payments on or before ``end``)."""
    all_due = Installment.objects.filter(loan=OuterRef("pk")).values("loan").annotate(s=Sum("amount_due")).values("s")
    paid = Payment.objects.filter(loan=OuterRef("pk"), paid_on__lte=end).values("loan").annotate(
        s=Sum("amount")).values("s")
    return Greatest(Coalesce(Subquery(all_due, output_field=MONEY), Value(ZERO), output_field=MONEY)
                    - Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO), output_field=MONEY),
                    Value(ZERO), output_field=MONEY)


def _the_next_day(day: dt.date) -> tuple[Q, Q]:
    """(no payment dated the day after ``day``, no bucket change on it) for a loan: a loan whose stored
    figures hold at the end of the day after and that was paid nothing then has the same amounts at the
    end of ``day`` (what is due by the end of ``day`` is what is due before the day after); unmoved, the
    same bucket too. Each is one probe of an index on (loan, date) — correlated on purpose: as
    ``NOT IN (a day's payments or moves)`` PostgreSQL hashed the set only when it expected it small; a
    first night moves every late loan on one date, and unhashed the test ran for minutes."""
    after = day + dt.timedelta(days=1)
    return (Q(~Exists(Payment.objects.filter(loan=OuterRef("pk"), paid_on=after))),
            Q(~Exists(BucketHistory.objects.filter(loan=OuterRef("pk"), on_date=after))))


def stored_or_raw(end: dt.date, first: str, *, skip_first: bool = False):
    """Per loan, where its figures at the end of ``end`` come from (docs/kpis.md, "The loans' own
    figures"): 1 when its stored figures hold then (``figures_hold_q``); 3 when they hold at the end of
    the day after and nothing of that day changed them (``_the_next_day``: a period ending the day
    before the last run's date); 4 the same, but its bucket changed that day (its amounts from its row,
    its bucket from the history); else 2 (the raw tables); with ``skip_first``, 0 for a loan whose
    stored bucket then is the first (no need to read anything else about it)."""
    holds = figures_hold_q(end)
    unpaid, unmoved = _the_next_day(end)
    next_day = figures_hold_q(end + dt.timedelta(days=1)) & unpaid
    whens = [When((holds | (next_day & unmoved)) & Q(bucket=first), then=Value(0))] if skip_first else []
    return Case(*whens, When(holds, then=Value(1)), When(next_day & unmoved, then=Value(3)),
                When(next_day, then=Value(4)), default=Value(2), output_field=IntegerField())


STORED = Q(_how__in=(1, 3, 4))  # the outstanding amount at the period's end read from the loan's row
STORED_BUCKET = Q(_how__in=(1, 3))  # and the bucket


def overdue_at_end(end: dt.date):
    """A loan's overdue amount at the end of ``end`` (instalments due on or before it less payments),
    for a queryset annotated with ``_how`` (``stored_or_raw``): evaluated for the day itself, the
    stored overdue (due before the day) plus what falls due on the day, looked up only for loans whose
    figures next change the day after (every loan with an instalment due that day is one); held from
    the next day, the stored overdue as it is; else from the raw tables. A stored overdue of zero on
    the day itself is not read (what fell due that day may be covered by earlier payments)."""
    due_that_day = Installment.objects.filter(loan=OuterRef("pk"), due_date=end).values("loan").annotate(
        s=Sum("amount_due")).values("s")
    due_that_day = Case(When(next_change_on=end + dt.timedelta(days=1),
                             then=Coalesce(Subquery(due_that_day, output_field=MONEY), Value(ZERO), output_field=MONEY)),
                        default=Value(ZERO), output_field=MONEY)
    return Case(When(Q(_how=1, overdue_amount__gt=0), then=F("overdue_amount") + due_that_day),
                When(_how__in=(3, 4), then=F("overdue_amount")),
                default=_overdue_before(end, inclusive=True), output_field=MONEY)


def nothing_due_at_end(end: dt.date) -> Q:
    """Loans annotated with ``_how`` that provably owe nothing at the end of ``end`` without a lookup:
    evaluated for the day with nothing overdue and no instalment due on it (their figures would then
    change the day after), or held from the next day with nothing overdue."""
    return ((Q(_how=1, overdue_amount=0) & ~Q(next_change_on=end + dt.timedelta(days=1)))
            | Q(_how__in=(3, 4), overdue_amount=0))


def outstanding_at_end(end: dt.date):
    """A loan's outstanding amount at the end of ``end``: from its row where its stored amounts hold then
    (``_how`` 1, 3 or 4), else from the raw tables."""
    return Case(When(STORED, then=F("outstanding_amount")), default=_outstanding_at(end), output_field=MONEY)


def bucket_at_end(end: dt.date, first: str):
    """A loan's bucket at the end of ``end``: from its row where the stored figures hold then and it did
    not move the next day (``_how`` 1 or 3), else its bucket history."""
    return Case(When(STORED_BUCKET, then=F("bucket")), default=bucket_on("pk", first, through_day=end),
                output_field=CharField())


def aging_as_of(scope: Scope, codes: list[str]) -> list[dict]:
    """Delinquent loans of cases in scope by their own bucket at the end of the period's last day:
    loans, cases, overdue (instalments due on or before that day less payments) and outstanding
    (scheduled amounts less payments) as of that day.

    A loan whose stored figures hold at the end of the day, or at the end of the next day with nothing
    of that day changing them (docs/kpis.md, "The loans' own figures"), is read from its row
    (``overdue_at_end``, ``bucket_at_end``); the other loans are computed from the raw tables in the
    same pass (``CASE``: their lookups run for them only)."""
    first, end = codes[0], scope.date_to
    loans = Loan.objects.filter(case__isnull=False).annotate(_how=stored_or_raw(end, first, skip_first=True)).exclude(
        _how=0).annotate(_bucket=bucket_at_end(end, first)).exclude(_bucket=first)
    loans = _held(loans, scope, "case_id", "case", "lender_id", day_value=end).annotate(
        _overdue=overdue_at_end(end),
        _outstanding=outstanding_at_end(end),
    )
    rows = {r["_bucket"]: r for r in loans.values("_bucket").annotate(
        loans=Count("id"), cases=Count("case", distinct=True), overdue=Sum("_overdue"),
        outstanding=Sum("_outstanding")).order_by()}
    ordered = [c for c in codes if c in rows] + sorted(set(rows) - set(codes))
    return [{"bucket": c, "count": rows[c]["loans"], "cases": rows[c]["cases"], "overdue": money(rows[c]["overdue"]),
             "outstanding": money(rows[c]["outstanding"])} for c in ordered]


def non_performing(scope: Scope, codes: list[str], npl_codes: list[str]) -> dict:
    """Outstanding (scheduled amounts less payments, at the end of the period) of the book's loans,
    all and in the non-performing buckets: from the loan's row where its stored figures hold at the
    end of the period (docs/kpis.md, "The loans' own figures"), else from the raw tables, in one pass."""
    end = scope.date_to
    totals = book_loans(scope).annotate(_how=stored_or_raw(end, codes[0])).annotate(
        _bucket=bucket_at_end(end, codes[0]),
        _outstanding=outstanding_at_end(end),
    ).aggregate(
        balance=Coalesce(Sum("_outstanding"), Value(ZERO), output_field=MONEY),
        npl=Coalesce(Sum("_outstanding", filter=Q(_bucket__in=npl_codes)), Value(ZERO), output_field=MONEY),
    )
    balance, npl = money(totals["balance"]), money(totals["npl"])
    return {"balance": balance, "non_performing_balance": npl,
            "non_performing_ratio": formulas.non_performing_ratio(npl, balance)}


WORK_FIELDS = ("collected", "attempts", "reached", "rpc", "made", "made_amount", "due", "kept", "partial",
               "broken", "open_due")


def fresh_days(date_from: dt.date, date_to: dt.date) -> set[dt.date]:
    """The days of the period whose stored daily figures stand for them: over, built, and not changed
    since their build read the raw tables (docs/kpis.md, "Stored and live days")."""
    last = min(date_to, timezone.localdate() - dt.timedelta(days=1))
    if last < date_from:
        return set()
    changed = FiguresChange.objects.filter(day__range=(date_from, last)).values("day")
    return set(FiguresDay.objects.filter(day__range=(date_from, last)).exclude(day__in=changed)
               .values_list("day", flat=True))


def stale_days(*, since: dt.date, until: dt.date) -> list[dt.date]:
    """Built days of the range that a later write changed, the most recent first."""
    changed = FiguresChange.objects.filter(day__range=(since, until)).values("day")
    return list(FiguresDay.objects.filter(day__range=(since, until), day__in=changed).order_by("-day")
                .values_list("day", flat=True))


def live_span(scope: Scope) -> tuple[dt.date, dt.date] | None:
    """The days of the period read from the raw tables: from its first day whose stored figures do not
    stand for it to its last such day (None: every day is stored). The days outside the span are read
    from the daily figures."""
    fresh = fresh_days(*scope.period)
    one = dt.timedelta(days=1)
    lo, hi = scope.date_from, scope.date_to
    while lo <= hi and lo in fresh:
        lo += one
    if lo > hi:
        return None
    while hi in fresh:
        hi -= one
    return lo, hi


STORED_WORK = {"collected": "collected", "attempts": "attempts", "reached": "contacts", "rpc": "rpc",
               "made": "promises_made", "made_amount": "promised_amount", "due": "promises_due",
               "kept": "promises_kept", "partial": "promises_partial", "broken": "promises_broken",
               "open_due": "promises_open_due"}


def stored_figures(scope: Scope, days: Q) -> QuerySet:
    """The DailyFigures rows of ``days`` that the scope's teams, collector and lender held."""
    qs = DailyFigures.objects.filter(days)
    if scope.team_ids is not None:
        qs = qs.filter(team_id__in=scope.team_ids)
    if scope.collector_id:
        qs = qs.filter(collector_id=scope.collector_id)
    if scope.lender_id:
        qs = qs.filter(lender_id=scope.lender_id)
    return qs


def _stored_work(scope: Scope, ranges: list[tuple[dt.date, dt.date]], row) -> None:
    days = Q()
    for first, last in ranges:
        days |= Q(day__range=(first, last))
    qs = stored_figures(scope, days)
    sums = {k: Sum(v) for k, v in STORED_WORK.items()}
    for r in qs.values("collector_id").annotate(**sums).order_by():
        out = row(r["collector_id"])
        for k in STORED_WORK:
            out[k] += money(r[k]) if k in ("collected", "made_amount") else (r[k] or 0)


def _raw_work(scope: Scope, row) -> None:
    for r in payments(scope).values("_holder").annotate(s=Sum("amount")).order_by():
        row(r["_holder"])["collected"] += money(r["s"])
    for r in contacts(scope).values("_holder").annotate(**contact_counts()).order_by():
        out = row(r["_holder"])
        for k in ("attempts", "reached", "rpc"):
            out[k] += r[k]
    for r in promises(scope).values("_holder").annotate(**promise_counts(scope)).order_by():
        out = row(r["_holder"])
        for k in ("made", "due", "kept", "partial", "broken", "open_due"):
            out[k] += r[k]
        out["made_amount"] += money(r["made_amount"])


def work_by_holder(scope: Scope, *, stored: bool = True) -> dict[int | None, dict]:
    """Per holder of the time (collector id; None: work no collector held): collected, attempts,
    contacts reached, RPC and the promise counts. The summary is their sum, the league table their
    rows: each is computed once per page.

    The days whose daily figures stand for them are read from those (one query); the span of the
    others — today, days not built yet, days changed since their build — from the raw tables (three
    queries), with the same definitions (``stored=False``: every day raw)."""
    out: dict[int | None, dict] = {}

    def row(holder) -> dict:
        return out.setdefault(holder, dict.fromkeys(WORK_FIELDS, 0) | {"collected": ZERO, "made_amount": ZERO})

    span = live_span(scope) if stored else scope.period
    if span is not None:
        _raw_work(replace(scope, date_from=span[0], date_to=span[1]), row)
    one = dt.timedelta(days=1)
    ranges = ([(scope.date_from, scope.date_to)] if span is None else
              [r for r in ((scope.date_from, span[0] - one), (span[1] + one, scope.date_to)) if r[0] <= r[1]])
    if ranges:
        _stored_work(scope, ranges, row)
    return out


def work_total(work: dict[int | None, dict]) -> dict:
    """The sum of :func:`work_by_holder`'s rows (the scope's whole work)."""
    total = dict.fromkeys(WORK_FIELDS, 0) | {"collected": ZERO, "made_amount": ZERO}
    for r in work.values():
        for k in WORK_FIELDS:
            total[k] += r[k]
    return total
