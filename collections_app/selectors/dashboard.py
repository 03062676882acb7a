"""The supervisor's dashboard and ``GET /api/kpis/``: every figure from ``selectors.kpis`` (the data)
and ``domain.kpis`` (the formulas), in a fixed number of queries whatever the size of the book.
Each definition is written out in docs/kpis.md.

Period = business dates ``date_from``..``date_to`` inclusive, in TIME_ZONE (default: the 1st of the
business date's month to the business date). Work and money go to whoever held the case at the
time; "now" figures (open cases, SLA, complaints open) read the cases the user may see now.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Role, Team, User
from accounts.roles import is_admin
from collections_app.domain import kpis as formulas
from collections_app.domain.buckets import DEFAULT_BUCKETS
from collections_app.domain.targets import LONGEST_PERIOD_DAYS, prorated_target
from collections_app.models import (
    Bucket,
    CaseStatus,
    CollectionCase,
    Complaint,
    ComplaintStatus,
    PromiseStatus,
    PromiseToPay,
    StrategyStatus,
    Target,
)
from collections_app.selectors import kpis as data
from collections_app.selectors import trends
from collections_app.selectors.loan_figures import business_date
from collections_app.selectors.targets import spans
from collections_app.selectors.visibility import cases_visible_to

ZERO = Decimal("0")
MONEY = data.MONEY
SLA_LIST_LIMIT = 50
# The dates a period may use (a day boundary past year 9999 cannot be computed).
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)
UNALLOCATED_AFTER = dt.timedelta(days=1)
money = data.money
ratio = formulas.ratio


@dataclass
class DashboardFilters:
    date_from: dt.date
    date_to: dt.date
    team_id: int | None = None
    lender_id: int | None = None
    collector_id: int | None = None

    @classmethod
    def month_to_date(cls, today: dt.date | None = None, **kw) -> DashboardFilters:
        """The 1st of the business date's month to the business date (the BUSINESS_DATE setting)."""
        today = today or business_date()
        return cls(date_from=today.replace(day=1), date_to=today, **kw)


@dataclass
class Dashboard:
    filters: DashboardFilters
    summary: dict = field(default_factory=dict)
    aging: list = field(default_factory=list)
    roll: list = field(default_factory=list)
    roll_codes: list = field(default_factory=list)
    recovery: list = field(default_factory=list)
    sla: dict = field(default_factory=dict)
    league: list = field(default_factory=list)
    trends: dict = field(default_factory=dict)
    comparisons: list = field(default_factory=list)
    forecast: dict = field(default_factory=dict)


def teams_for(user) -> QuerySet:
    """Teams whose figures ``user`` may see: an admin every team, a supervisor their own."""
    if is_admin(user):
        return Team.objects.all()
    return Team.objects.filter(supervisor=user)


def collectors_for(user) -> QuerySet:
    """Collectors whose figures ``user`` may see: those of the teams in :func:`teams_for`."""
    return User.objects.filter(role=Role.COLLECTOR, team__in=teams_for(user))


def scope_cases(user, filters: DashboardFilters) -> QuerySet:
    """The cases the user may see now, narrowed by the filters (for the "now" figures)."""
    qs = cases_visible_to(user, CollectionCase.objects.all())
    if filters.team_id:
        qs = qs.filter(team_id=filters.team_id)
    if filters.lender_id:
        qs = qs.filter(lender_id=filters.lender_id)
    if filters.collector_id:
        qs = qs.filter(assigned_to_id=filters.collector_id)
    return qs


def scope_for(user, filters: DashboardFilters) -> data.Scope:
    """Whose work counts (one query for a supervisor): the teams the user may see (an admin without a
    team chosen: all work, held by a team or not), and the lenders of their book for roll rates."""
    team_ids = lender_ids = None
    if filters.team_id:
        team_ids = (filters.team_id,)
    if not is_admin(user):
        teams = list(teams_for(user).values_list("id", "lender_id"))
        if team_ids is None:
            team_ids = tuple(t for t, _lender in teams)
        lenders = {lender for _t, lender in teams}
        lender_ids = None if None in lenders else tuple(sorted(lenders))
    pool = not is_admin(user) and not filters.team_id and not filters.collector_id
    return data.Scope(filters.date_from, filters.date_to, team_ids=team_ids, collector_id=filters.collector_id,
                      lender_id=filters.lender_id, lender_ids=lender_ids, pool=pool)


def bucket_ranges() -> list[tuple[str, int]]:
    """(code, first aging day) of each bucket in order, from the active strategy version (the default
    table without one)."""
    rows = list(Bucket.objects.filter(version__status=StrategyStatus.ACTIVE).order_by("position")
                .values_list("code", "min_dpd"))
    return rows or [(b.code, b.min_dpd) for b in DEFAULT_BUCKETS]


def bucket_codes() -> list[str]:
    return [code for code, _days in bucket_ranges()]


def _overlapping(targets: QuerySet, filters: DashboardFilters) -> QuerySet:
    """Those of ``targets`` whose day / week / month may overlap the period."""
    earliest = filters.date_from - dt.timedelta(days=LONGEST_PERIOD_DAYS)
    return targets.filter(period_start__range=(earliest, filters.date_to)).only(
        "period", "period_start", "amount", "collector_id", "team_id")


def _prorated(targets: QuerySet, filters: DashboardFilters) -> Decimal:
    """Σ of ``targets``, each pro-rated to the days it shares with the period (docs/targets.md)."""
    return prorated_target(spans(_overlapping(targets, filters)), filters.date_from, filters.date_to)


def _target(user, filters: DashboardFilters) -> Decimal:
    if filters.collector_id:
        return _prorated(Target.objects.filter(collector_id=filters.collector_id), filters)
    teams = teams_for(user)
    if filters.team_id:
        teams = teams.filter(id=filters.team_id)
    if filters.lender_id:
        teams = teams.filter(lender_id=filters.lender_id)
    return _prorated(Target.objects.filter(team__in=teams), filters)


def _now_figures(cases: QuerySet, scope: data.Scope) -> dict:
    start, end = scope.bounds
    open_cases = cases.filter(status=CaseStatus.OPEN).aggregate(
        n=Count("id"),
        overdue=Coalesce(Sum("overdue_amount"), Value(ZERO), output_field=MONEY),
        outstanding=Coalesce(Sum("outstanding_amount"), Value(ZERO), output_field=MONEY),
    )
    complaints = Complaint.objects.filter(case__in=cases.values("id")).aggregate(
        received=Count("id", filter=Q(received_at__gte=start, received_at__lt=end)),
        open=Count("id", filter=Q(status=ComplaintStatus.OPEN)),
    )
    return {"open_cases": open_cases["n"], "open_overdue": money(open_cases["overdue"]),
            "open_outstanding": money(open_cases["outstanding"]), "complaints_received": complaints["received"],
            "complaints_open": complaints["open"]}


def summary(user, filters: DashboardFilters, cases: QuerySet, scope: data.Scope, recovery: list[dict],
            work: dict | None = None) -> dict:
    """The headline figures; ``work``: :func:`selectors.kpis.work_by_holder` when already computed."""
    total = data.work_total(data.work_by_holder(scope) if work is None else work)
    collected = total["collected"]
    base = sum((r["base"] for r in recovery), ZERO)
    recovered = sum((r["recovered"] for r in recovery), ZERO)
    target = _target(user, filters)
    p = c = total
    pending = PromiseToPay.objects.filter(case__in=cases.values("id"), status=PromiseStatus.PENDING).count()
    return {
        "collected": collected,
        "opening_overdue": base,
        "recovered": recovered,
        "recovery_rate": formulas.recovery_rate(recovered, base),
        "target": target,
        "target_achieved": formulas.target_achieved(collected, target),
        "promises_made": p["made"],
        "promised_amount": money(p["made_amount"]),
        "promises_due": p["due"],
        "promises_kept": p["kept"],
        "promises_partially_kept": p["partial"],
        "promises_broken": p["broken"],
        "promises_pending": pending,
        "promise_keep_rate": formulas.promise_keep_rate(p["kept"], p["due"]),
        "attempts": c["attempts"],
        "contacts_reached": c["reached"],
        "rpc": c["rpc"],
        "contact_rate": formulas.contact_rate(c["reached"], c["attempts"]),
        "rpc_rate": formulas.rpc_rate(c["rpc"], c["attempts"]),
        **_now_figures(cases, scope),
    }


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


def league(user, filters: DashboardFilters, cases: QuerySet, scope: data.Scope, work: dict | None = None) -> list[dict]:
    """Per collector of the user's teams: open cases now, and the period's work and money credited to
    them as the holder of the time (a case handed over leaves its past with the first collector)."""
    collectors = collectors_for(user)
    if filters.team_id:
        collectors = collectors.filter(team_id=filters.team_id)
    if filters.collector_id:
        collectors = collectors.filter(id=filters.collector_id)
    collectors = list(collectors.select_related("team").order_by("username"))
    ids = [u.id for u in collectors]
    open_by = {
        r["assigned_to"]: r
        for r in cases.filter(status=CaseStatus.OPEN, assigned_to__in=ids).values("assigned_to")
        .annotate(n=Count("id"), overdue=Coalesce(Sum("overdue_amount"), Value(ZERO), output_field=MONEY)).order_by()
    }
    if work is None:
        work = data.work_by_holder(scope)
    collector_targets: dict[int, list] = {}
    for t in _overlapping(Target.objects.filter(collector__in=ids), filters):
        collector_targets.setdefault(t.collector_id, []).append(t)
    rows = []
    for u in collectors:
        o, w = open_by.get(u.id, {}), work.get(u.id, {})
        collected = w.get("collected", ZERO)
        target = prorated_target(spans(collector_targets.get(u.id, [])), filters.date_from, filters.date_to)
        rows.append({
            "user": u, "name": u.get_full_name() or u.username, "username": u.username,
            "team": u.team.name if u.team else "",
            "open_cases": o.get("n", 0), "open_overdue": money(o.get("overdue")),
            "collected": collected, "target": target, "target_achieved": formulas.target_achieved(collected, target),
            "attempts": w.get("attempts", 0), "rpc": w.get("rpc", 0),
            "rpc_rate": formulas.rpc_rate(w.get("rpc", 0), w.get("attempts", 0)),
            "promises_made": w.get("made", 0), "promises_due": w.get("due", 0),
            "promises_kept": w.get("kept", 0),
            "promise_keep_rate": formulas.promise_keep_rate(w.get("kept", 0), w.get("due", 0)),
        })
    rows.sort(key=lambda r: (-r["collected"], -r["rpc"], r["username"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def dashboard(user, filters: DashboardFilters, *, now: dt.datetime | None = None) -> Dashboard:
    """Everything the dashboard shows, in a fixed number of queries."""
    now = now or timezone.now()
    cases = scope_cases(user, filters)
    scope = scope_for(user, filters)
    ranges = bucket_ranges()
    codes = [c for c, _d in ranges]
    recovery = data.recovery_by_bucket(scope, codes)
    roll = data.roll_table(scope, codes)
    work = data.work_by_holder(scope)
    figures = summary(user, filters, cases, scope, recovery, work)
    figures["cure_rate"] = formulas.cure_rate(roll)
    figures.update(data.non_performing(scope, codes, formulas.non_performing_codes(ranges)))
    rows = league(user, filters, cases, scope, work)
    return Dashboard(filters=filters, summary=figures, aging=data.aging_as_of(scope, codes), roll=roll,
                     roll_codes=codes, recovery=recovery, sla=sla(cases, now), league=rows,
                     trends=trends.weekly(scope, {r["user"].id: r["name"] for r in rows}),
                     comparisons=trends.comparisons(scope, codes, recovery), forecast=trends.forecast(cases, scope, business_date()))


def roll_matrix(roll: list[dict], codes: list[str]) -> dict[str, dict[str, int]]:
    """The roll table as {from bucket: {to bucket: loans}}, every bucket of ``codes`` as a column."""
    return {r["from"]: dict(zip(codes, r["to"], strict=True)) for r in roll}


def kpis(user, filters: DashboardFilters) -> dict:
    """The figures of ``GET /api/kpis/``: the dashboard's own (same functions, same scope), without
    its lists (SLA cases, league table). Rates exact here; the API rounds them once."""
    cases = scope_cases(user, filters)
    scope = scope_for(user, filters)
    ranges = bucket_ranges()
    codes = [c for c, _d in ranges]
    recovery = data.recovery_by_bucket(scope, codes)
    s = summary(user, filters, cases, scope, recovery)
    roll = data.roll_table(scope, codes)
    npl = data.non_performing(scope, codes, formulas.non_performing_codes(ranges))
    return {
        "date_from": filters.date_from, "date_to": filters.date_to,
        "collected": s["collected"], "overdue_at_start": s["opening_overdue"], "recovered": s["recovered"],
        "recovery_rate": s["recovery_rate"], "recovery_by_bucket": recovery,
        "target": s["target"], "target_achieved": s["target_achieved"],
        "promises_made": s["promises_made"], "promised_amount": s["promised_amount"],
        "promises_due": s["promises_due"], "promises_kept": s["promises_kept"],
        "promises_partially_kept": s["promises_partially_kept"], "promises_broken": s["promises_broken"],
        "promise_keep_rate": s["promise_keep_rate"],
        "call_attempts": s["attempts"], "contacts": s["contacts_reached"], "right_party_contacts": s["rpc"],
        "contact_rate": s["contact_rate"], "rpc_rate": s["rpc_rate"],
        "roll_rates": roll_matrix(roll, codes), "cure_rate": formulas.cure_rate(roll),
        "non_performing_ratio": npl["non_performing_ratio"],
        "open_cases": s["open_cases"], "open_overdue": s["open_overdue"],
        "aging": data.aging_as_of(scope, codes),
    }
