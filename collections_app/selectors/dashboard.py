"""The supervisor's dashboard: recovery KPIs computed with aggregate queries (a fixed number of
queries whatever the size of the book).

Definitions (period = business dates ``date_from``..``date_to`` inclusive, in TIME_ZONE):

- scope: the cases the user may see (collections_app.selectors.visibility.cases_visible_to), optionally one team, one
  lender and one collector (the cases now assigned to them); money and work are counted through
  those cases' loans.
- collected: payments with ``paid_on`` in the period on the scope's loans.
- opening overdue: Σ over the scope's loans of max(0, Σ amount_due of installments due before
  ``date_from`` − Σ payments paid before ``date_from``) — the overdue amount at the start of the
  first day (docs/delinquency.md rule 5 with oldest-first allocation).
- recovered: Σ over the scope's loans of min(collected on the loan in the period, its opening
  overdue) — payments fill the oldest installments first, so this is what the period's payments
  recovered of the amounts overdue at its start (a payment on a loan that owed nothing then, or
  beyond what it owed then, is collected but not recovered).
- recovery rate: recovered ÷ opening overdue (between 0 and 1).
- target: the day / week / month targets overlapping the period, each pro-rated to the days it
  shares with the period (domain.targets, docs/targets.md): the team targets (with a collector
  chosen, that collector's targets); collector targets for the league table.
- promises made: taken in the period (a promise replaced by a newer one counts once, as the newer); kept / partially kept / broken: resolved in the period;
  keep rate = kept ÷ (kept + partially kept + broken).
- contact rate: attempts that reached someone (a conversation or a third party) ÷ attempts;
  RPC rate: conversations (right party) ÷ attempts.
- roll rates: each loan's bucket at the start (its last bucket change before ``date_from``) against
  its bucket at the end (last change on or before ``date_to``); CURRENT when it has none.
- cure rate: loans that started the period in a delinquent bucket (not CURRENT) and ended it
  CURRENT ÷ loans that started it delinquent (per start bucket in the roll table, overall in the
  summary).
- SLA: open cases assigned but not worked by their first-contact deadline; open cases not
  allocated one day after they were opened.
- league table: per collector, collected on the loans of the cases now assigned to them.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from accounts.models import Role, Team, User
from accounts.roles import is_admin
from collections_app.domain.targets import LONGEST_PERIOD_DAYS, prorated_target
from collections_app.models import (
    BucketHistory,
    CaseStatus,
    CollectionCase,
    Complaint,
    ComplaintStatus,
    ContactLog,
    Installment,
    Loan,
    Payment,
    PromiseStatus,
    PromiseToPay,
    Target,
)
from collections_app.selectors.buckets import bucket_order
from collections_app.selectors.targets import spans
from collections_app.selectors.visibility import cases_visible_to

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=18, decimal_places=2)
RATE_PLACES = Decimal("0.0001")
SLA_LIST_LIMIT = 50
# The dates a period may use (a day boundary past year 9999 cannot be computed).
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)
UNALLOCATED_AFTER = dt.timedelta(days=1)


def money(value) -> Decimal:
    """Sums to the cent (SQLite hands back ``10`` or ``10.000000000``)."""
    return Decimal(value or 0).quantize(Decimal("0.01"))


def ratio(part, whole) -> Decimal | None:
    """part ÷ whole to 4 places; None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


@dataclass
class DashboardFilters:
    date_from: dt.date
    date_to: dt.date
    team_id: int | None = None
    lender_id: int | None = None
    collector_id: int | None = None

    @classmethod
    def month_to_date(cls, today: dt.date | None = None, **kw) -> DashboardFilters:
        today = today or timezone.localdate()
        return cls(date_from=today.replace(day=1), date_to=today, **kw)


@dataclass
class Dashboard:
    filters: DashboardFilters
    summary: dict = field(default_factory=dict)
    aging: list = field(default_factory=list)
    roll: list = field(default_factory=list)
    roll_codes: list = field(default_factory=list)
    sla: dict = field(default_factory=dict)
    league: list = field(default_factory=list)


def teams_for(user) -> QuerySet:
    """Teams whose figures ``user`` may see: an admin every team, a supervisor their own."""
    if is_admin(user):
        return Team.objects.all()
    return Team.objects.filter(supervisor=user)


def collectors_for(user) -> QuerySet:
    """Collectors whose figures ``user`` may see: those of the teams in :func:`teams_for`."""
    return User.objects.filter(role=Role.COLLECTOR, team__in=teams_for(user))


def scope_cases(user, filters: DashboardFilters) -> QuerySet:
    qs = cases_visible_to(user, CollectionCase.objects.all())
    if filters.team_id:
        qs = qs.filter(team_id=filters.team_id)
    if filters.lender_id:
        qs = qs.filter(lender_id=filters.lender_id)
    if filters.collector_id:
        qs = qs.filter(assigned_to_id=filters.collector_id)
    return qs


def bucket_codes() -> list[str]:
    """Bucket codes in order, from the active strategy version (default table without one)."""
    return bucket_order()


def _sum(qs, expr) -> Decimal:
    return money(qs.aggregate(v=Coalesce(Sum(expr), Value(ZERO), output_field=MONEY))["v"])


def _with_opening_overdue(loans: QuerySet, start: dt.date) -> QuerySet:
    """``loans`` annotated with ``_open``: each loan's overdue amount at the start of ``start``."""
    due = (
        Installment.objects.filter(loan=OuterRef("pk"), due_date__lt=start)
        .values("loan")
        .annotate(s=Sum("amount_due"))
        .values("s")
    )
    paid = (
        Payment.objects.filter(loan=OuterRef("pk"), paid_on__lt=start).values("loan").annotate(s=Sum("amount")).values("s")
    )
    annotated = loans.annotate(
        _due=Coalesce(Subquery(due, output_field=MONEY), Value(ZERO), output_field=MONEY),
        _paid=Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO), output_field=MONEY),
    ).annotate(_open=Greatest(F("_due") - F("_paid"), Value(ZERO), output_field=MONEY))
    return annotated


def opening_and_recovered(loans: QuerySet, date_from: dt.date, date_to: dt.date) -> tuple[Decimal, Decimal]:
    """(opening overdue, recovered of it in the period) over ``loans``, in one query."""
    collected = (
        Payment.objects.filter(loan=OuterRef("pk"), paid_on__range=(date_from, date_to))
        .values("loan")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    annotated = _with_opening_overdue(loans, date_from).annotate(
        _collected=Coalesce(Subquery(collected, output_field=MONEY), Value(ZERO), output_field=MONEY),
    ).annotate(_recovered=Least(F("_collected"), F("_open"), output_field=MONEY))
    totals = annotated.aggregate(
        opening=Coalesce(Sum("_open"), Value(ZERO), output_field=MONEY),
        recovered=Coalesce(Sum("_recovered"), Value(ZERO), output_field=MONEY),
    )
    return money(totals["opening"]), money(totals["recovered"])


def _overlapping(targets: QuerySet, filters: DashboardFilters) -> QuerySet:
    """Those of ``targets`` whose day / week / month may overlap the period."""
    earliest = filters.date_from - dt.timedelta(days=LONGEST_PERIOD_DAYS)
    return targets.filter(period_start__range=(earliest, filters.date_to)).only(
        "period", "period_start", "amount", "collector_id", "team_id")


def _prorated(targets: QuerySet, filters: DashboardFilters) -> Decimal:
    """Σ of ``targets``, each pro-rated to the days it shares with the period (docs/targets.md)."""
    return prorated_target(spans(_overlapping(targets, filters)), filters.date_from, filters.date_to)


def summary(user, filters: DashboardFilters, cases: QuerySet) -> dict:
    case_ids = cases.values("id")
    loans = Loan.objects.filter(case_id__in=case_ids)
    start, end = _day_start(filters.date_from), _day_start(filters.date_to + dt.timedelta(days=1))
    collected = _sum(Payment.objects.filter(loan__case_id__in=case_ids, paid_on__range=(filters.date_from, filters.date_to)),
                     "amount")
    opening, recovered = opening_and_recovered(loans, filters.date_from, filters.date_to)
    if filters.collector_id:
        targets = Target.objects.filter(collector_id=filters.collector_id)
    else:
        teams = teams_for(user)
        if filters.team_id:
            teams = teams.filter(id=filters.team_id)
        if filters.lender_id:
            teams = teams.filter(lender_id=filters.lender_id)
        targets = Target.objects.filter(team__in=teams)
    target = _prorated(targets, filters)
    made_in_period = Q(created_at__gte=start, created_at__lt=end) & ~Q(status=PromiseStatus.REPLACED)
    promises = PromiseToPay.objects.filter(case_id__in=case_ids).aggregate(
        made=Count("id", filter=made_in_period),
        made_amount=Coalesce(Sum("amount", filter=made_in_period), Value(ZERO), output_field=MONEY),
        kept=Count("id", filter=Q(status=PromiseStatus.KEPT, resolved_on__range=(filters.date_from, filters.date_to))),
        partial=Count("id", filter=Q(status=PromiseStatus.PARTIALLY_KEPT,
                                     resolved_on__range=(filters.date_from, filters.date_to))),
        broken=Count("id", filter=Q(status=PromiseStatus.BROKEN, resolved_on__range=(filters.date_from, filters.date_to))),
        pending=Count("id", filter=Q(status=PromiseStatus.PENDING)),
    )
    contacts = ContactLog.objects.filter(case_id__in=case_ids, occurred_at__gte=start, occurred_at__lt=end).aggregate(
        attempts=Count("id", filter=Q(is_attempt=True)),
        reached=Count("id", filter=Q(is_attempt=True) & (Q(is_conversation=True) | Q(is_third_party=True))),
        rpc=Count("id", filter=Q(is_attempt=True, is_conversation=True)),
        all_contacts=Count("id"),
    )
    open_cases = cases.filter(status=CaseStatus.OPEN).aggregate(
        n=Count("id"),
        overdue=Coalesce(Sum("overdue_amount"), Value(ZERO), output_field=MONEY),
        outstanding=Coalesce(Sum("outstanding_amount"), Value(ZERO), output_field=MONEY),
    )
    complaints = Complaint.objects.filter(case_id__in=case_ids).aggregate(
        received=Count("id", filter=Q(received_at__gte=start, received_at__lt=end)),
        open=Count("id", filter=Q(status=ComplaintStatus.OPEN)),
    )
    resolved = promises["kept"] + promises["partial"] + promises["broken"]
    return {
        "collected": collected,
        "opening_overdue": opening,
        "recovered": recovered,
        "recovery_rate": ratio(recovered, opening),
        "target": target,
        "target_achieved": ratio(collected, target),
        "promises_made": promises["made"],
        "promised_amount": money(promises["made_amount"]),
        "promises_kept": promises["kept"],
        "promises_partially_kept": promises["partial"],
        "promises_broken": promises["broken"],
        "promises_pending": promises["pending"],
        "promise_keep_rate": ratio(promises["kept"], resolved),
        "attempts": contacts["attempts"],
        "contacts_reached": contacts["reached"],
        "rpc": contacts["rpc"],
        "contact_rate": ratio(contacts["reached"], contacts["attempts"]),
        "rpc_rate": ratio(contacts["rpc"], contacts["attempts"]),
        "open_cases": open_cases["n"],
        "open_overdue": money(open_cases["overdue"]),
        "open_outstanding": money(open_cases["outstanding"]),
        "complaints_received": complaints["received"],
        "complaints_open": complaints["open"],
    }


def aging(cases: QuerySet, codes: list[str]) -> list[dict]:
    rows = {
        r["bucket"]: r
        for r in cases.filter(status=CaseStatus.OPEN)
        .values("bucket")
        .annotate(
            count=Count("id"),
            overdue=Coalesce(Sum("overdue_amount"), Value(ZERO), output_field=MONEY),
            outstanding=Coalesce(Sum("outstanding_amount"), Value(ZERO), output_field=MONEY),
        )
        .order_by()
    }
    ordered = [c for c in codes if c in rows] + sorted(set(rows) - set(codes))
    return [
        {"bucket": code, "count": rows[code]["count"], "overdue": money(rows[code]["overdue"]),
         "outstanding": money(rows[code]["outstanding"])}
        for code in ordered
    ]


def roll_rates(cases: QuerySet, filters: DashboardFilters, codes: list[str]) -> list[dict]:
    """Bucket at the start against bucket at the end, per start bucket (loans with a case in scope).
    ``codes`` in order: the first is the bucket of 0 days past due (a version's buckets start at 0),
    a loan's bucket before its first bucket change and the one a cured loan is in."""
    current = codes[0]

    def bucket_on(condition):
        return Coalesce(
            Subquery(
                BucketHistory.objects.filter(loan=OuterRef("pk"), **condition).order_by("-on_date").values("to_bucket")[:1]
            ),
            Value(current),
        )

    rows = (
        Loan.objects.filter(case_id__in=cases.values("id"))
        .annotate(b0=bucket_on({"on_date__lt": filters.date_from}), b1=bucket_on({"on_date__lte": filters.date_to}))
        .values("b0", "b1")
        .annotate(n=Count("id"))
        .order_by()
    )
    position = {code: i for i, code in enumerate(codes)}
    matrix: dict[str, dict[str, int]] = {}
    for r in rows:
        matrix.setdefault(r["b0"], {})
        matrix[r["b0"]][r["b1"]] = matrix[r["b0"]].get(r["b1"], 0) + r["n"]
    result = []
    for b0 in sorted(matrix, key=lambda c: position.get(c, len(codes))):
        to = matrix[b0]
        total = sum(to.values())
        p0 = position.get(b0, len(codes))
        worse = sum(n for b1, n in to.items() if position.get(b1, len(codes)) > p0)
        better = sum(n for b1, n in to.items() if position.get(b1, len(codes)) < p0)
        result.append({
            "from": b0,
            "total": total,
            "to": [to.get(code, 0) for code in codes],
            "stayed": to.get(b0, 0),
            "roll_forward_rate": ratio(worse, total),
            "improved_rate": ratio(better, total),
            "cured": to.get(current, 0) if b0 != current else None,
            "cure_rate": ratio(to.get(current, 0), total) if b0 != current else None,
        })
    return result


def cure_rate(roll: list[dict]) -> Decimal | None:
    """Overall cure rate from the roll table: cured ÷ loans that started in a delinquent bucket."""
    delinquent = [r for r in roll if r["cured"] is not None]  # rows from the current bucket have none
    return ratio(sum(r["cured"] for r in delinquent), sum(r["total"] for r in delinquent))


def roll_matrix(roll: list[dict], codes: list[str]) -> dict[str, dict[str, int]]:
    """The roll table as {from bucket: {to bucket: loans}}, every bucket of ``codes`` as a column."""
    return {r["from"]: dict(zip(codes, r["to"], strict=True)) for r in roll}


def sla(cases: QuerySet, now: dt.datetime) -> dict:
    open_cases = cases.filter(status=CaseStatus.OPEN)
    late = Q(assigned_to__isnull=False, first_worked_at__isnull=True, first_contact_due_at__lt=now)
    unallocated = Q(assigned_to__isnull=True, opened_at__lt=now - UNALLOCATED_AFTER)
    counts = open_cases.aggregate(not_worked=Count("id", filter=late), not_allocated=Count("id", filter=unallocated))
    rows = list(
        open_cases.filter(late | unallocated)
        .select_related("borrower", "assigned_to", "team")
        .order_by("first_contact_due_at", "opened_at", "id")[:SLA_LIST_LIMIT]
    )
    return {"not_worked": counts["not_worked"], "not_allocated": counts["not_allocated"], "cases": rows}


def league(user, filters: DashboardFilters, cases: QuerySet) -> list[dict]:
    collectors = collectors_for(user)
    if filters.team_id:
        collectors = collectors.filter(team_id=filters.team_id)
    if filters.collector_id:
        collectors = collectors.filter(id=filters.collector_id)
    collectors = list(collectors.select_related("team").order_by("username"))
    ids = [u.id for u in collectors]
    start, end = _day_start(filters.date_from), _day_start(filters.date_to + dt.timedelta(days=1))
    period = (filters.date_from, filters.date_to)
    mine = cases.filter(assigned_to__in=ids)
    open_by = {
        r["assigned_to"]: r
        for r in mine.filter(status=CaseStatus.OPEN)
        .values("assigned_to")
        .annotate(n=Count("id"), overdue=Coalesce(Sum("overdue_amount"), Value(ZERO), output_field=MONEY))
        .order_by()
    }
    collected_by = dict(
        Payment.objects.filter(loan__case__in=mine, paid_on__range=period)
        .values("loan__case__assigned_to")
        .annotate(s=Sum("amount"))
        .order_by()
        .values_list("loan__case__assigned_to", "s")
    )
    contacts_by = {
        r["user"]: r
        for r in ContactLog.objects.filter(user__in=ids, case__in=cases, occurred_at__gte=start, occurred_at__lt=end)
        .values("user")
        .annotate(
            attempts=Count("id", filter=Q(is_attempt=True)),
            rpc=Count("id", filter=Q(is_attempt=True, is_conversation=True)),
        )
        .order_by()
    }
    promises_by = {
        r["created_by"]: r
        for r in PromiseToPay.objects.filter(created_by__in=ids, case__in=cases)
        .values("created_by")
        .annotate(
            made=Count("id", filter=Q(created_at__gte=start, created_at__lt=end) & ~Q(status=PromiseStatus.REPLACED)),
            kept=Count("id", filter=Q(status=PromiseStatus.KEPT, resolved_on__range=period)),
            broken=Count("id", filter=Q(status__in=[PromiseStatus.BROKEN, PromiseStatus.PARTIALLY_KEPT],
                                        resolved_on__range=period)),
        )
        .order_by()
    }
    collector_targets: dict[int, list] = {}
    for t in _overlapping(Target.objects.filter(collector__in=ids), filters):
        collector_targets.setdefault(t.collector_id, []).append(t)
    targets_by = {uid: prorated_target(spans(ts), *period) for uid, ts in collector_targets.items()}
    rows = []
    for u in collectors:
        o, c, p = open_by.get(u.id, {}), contacts_by.get(u.id, {}), promises_by.get(u.id, {})
        collected = money(collected_by.get(u.id))
        target = money(targets_by.get(u.id))
        rows.append({
            "user": u,
            "name": u.get_full_name() or u.username,
            "username": u.username,
            "team": u.team.name if u.team else "",
            "open_cases": o.get("n", 0),
            "open_overdue": money(o.get("overdue")),
            "collected": collected,
            "target": target,
            "target_achieved": ratio(collected, target),
            "attempts": c.get("attempts", 0),
            "rpc": c.get("rpc", 0),
            "rpc_rate": ratio(c.get("rpc", 0), c.get("attempts", 0)),
            "promises_made": p.get("made", 0),
            "promises_kept": p.get("kept", 0),
            "promise_keep_rate": ratio(p.get("kept", 0), p.get("kept", 0) + p.get("broken", 0)),
        })
    rows.sort(key=lambda r: (-r["collected"], -r["rpc"], r["username"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def dashboard(user, filters: DashboardFilters, *, now: dt.datetime | None = None) -> Dashboard:
    """Everything the dashboard shows, in a fixed number of queries."""
    now = now or timezone.now()
    cases = scope_cases(user, filters)
    codes = bucket_codes()
    roll = roll_rates(cases, filters, codes)
    figures = summary(user, filters, cases)
    figures["cure_rate"] = cure_rate(roll)
    return Dashboard(
        filters=filters,
        summary=figures,
        aging=aging(cases, codes),
        roll=roll,
        roll_codes=codes,
        sla=sla(cases, now),
        league=league(user, filters, cases),
    )


def kpis(user, filters: DashboardFilters) -> dict:
    """The recovery KPIs of ``GET /api/kpis/``: the dashboard's own figures (same functions, same
    scope), without its lists (SLA cases, league table)."""
    cases = scope_cases(user, filters)
    codes = bucket_codes()
    s = summary(user, filters, cases)
    roll = roll_rates(cases, filters, codes)
    return {
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "collected": s["collected"],
        "overdue_at_start": s["opening_overdue"],
        "recovered": s["recovered"],
        "recovery_rate": s["recovery_rate"],
        "target": s["target"],
        "promises_made": s["promises_made"],
        "promised_amount": s["promised_amount"],
        "promises_kept": s["promises_kept"],
        "promises_partially_kept": s["promises_partially_kept"],
        "promises_broken": s["promises_broken"],
        "promise_keep_rate": s["promise_keep_rate"],
        "call_attempts": s["attempts"],
        "contacts": s["contacts_reached"],
        "right_party_contacts": s["rpc"],
        "contact_rate": s["contact_rate"],
        "rpc_rate": s["rpc_rate"],
        "roll_rates": roll_matrix(roll, codes),
        "cure_rate": cure_rate(roll),
        "open_cases": s["open_cases"],
        "open_overdue": s["open_overdue"],
        "aging": aging(cases, codes),
    }
