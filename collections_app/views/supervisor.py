"""The supervisor's pages: dashboard (with CSV and XLSX export of each table), allocation, approvals.

Thin views: the figures come from selectors.dashboard, the writes from services.allocation and
services.approvals. Supervisors and admins only (others get 403).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from accounts.models import Role, User
from accounts.roles import is_admin, role_required, visible_users
from collections_app import spreadsheet
from collections_app.domain import kpis as formulas
from collections_app.models import ApprovalStatus, CaseStatus, Lender
from collections_app.selectors import approvals as approval_details
from collections_app.selectors import dashboard as dash
from collections_app.selectors import workload
from collections_app.selectors.disputes import warning_counts
from collections_app.selectors.loan_figures import business_date
from collections_app.selectors.quality import scores_by_collector
from collections_app.services import allocation, approvals, dashboard_cache

supervisor_only = role_required(Role.SUPERVISOR)
PAGE_SIZE = 50
EXPORT_TABLES = ("summary", "recovery", "aging", "roll", "sla", "league", "trends")


pct = formulas.percent


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date(value, default: dt.date, request, label: str) -> dt.date:
    if not value:
        return default
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        day = None
    if day is None or not dash.EARLIEST_DATE <= day <= dash.LATEST_DATE:
        messages.error(request, _("%(label)s must be a date as YYYY-MM-DD; %(default)s was used.")
                       % {"label": label, "default": default.isoformat()})
        return default
    return day


def _messages_from(request, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.error(request, str(exc) or _("You are not allowed to do that."))


# --- dashboard ---------------------------------------------------------------------------------

PENDING_RELOAD_SECONDS = 5


def _filters(request) -> tuple[dash.DashboardFilters, list, list, list]:
    today = business_date()
    date_from = _date(request.GET.get("from"), today.replace(day=1), request, _("From"))
    date_to = _date(request.GET.get("to"), today, request, _("To"))
    if date_to < date_from:
        messages.error(request, _("The period ends before it starts; the dates were swapped."))
        date_from, date_to = date_to, date_from
    teams = list(dash.teams_for(request.user).order_by("name"))
    team_id = _int(request.GET.get("team"))
    if team_id is not None and team_id not in {t.id for t in teams}:
        messages.error(request, _("That team is not one of yours; showing all your teams."))
        team_id = None
    lenders = list(Lender.objects.order_by("code"))
    lender_id = _int(request.GET.get("lender"))
    if lender_id is not None and lender_id not in {lnd.id for lnd in lenders}:
        lender_id = None
    collectors = list(dash.collectors_for(request.user).order_by("username"))
    collector_id = _int(request.GET.get("collector"))
    if collector_id is not None and collector_id not in {u.id for u in collectors}:
        messages.error(request, _("That collector is not in your teams; showing all collectors."))
        collector_id = None
    filters = dash.DashboardFilters(date_from, date_to, team_id=team_id, lender_id=lender_id, collector_id=collector_id)
    return filters, teams, lenders, collectors


RATE_KEYS = frozenset({"recovery_rate", "target_achieved", "promise_keep_rate", "contact_rate", "rpc_rate",
                       "cure_rate", "roll_forward_rate", "improved_rate", "non_performing_ratio"})


def _cell(value):
    """Money with two decimals (SQLite sums may come back as ``10``), None empty; rates (exact
    quotients) go through ``rate`` first: fractions to 4 places, rounded once."""
    if value is None:
        return ""
    if isinstance(value, Decimal) and value.as_tuple().exponent > -2:
        return value.quantize(Decimal("0.01"))
    return value


rate = formulas.api_rate


def _table(table: str, d: dash.Dashboard) -> tuple[str, str, list, list[list]]:
    """One dashboard table as (file name, sheet title, header, rows) for an export."""
    if table == "summary":
        s = d.summary
        return "summary", _("Summary"), [_("Measure"), _("Value")], [[label, rate(s[key]) if key in RATE_KEYS else s[key]]
                                                                     for key, label in _summary_labels()]
    if table == "recovery":
        return (
            "recovery", _("Recovery by bucket"), [_("Bucket"), _("Loans"), _("Overdue at the start or at entry"),
                                                  _("Recovered"), _("Recovery rate")],
            [[r["bucket"], r["loans"], r["base"], r["recovered"], rate(r["recovery_rate"])] for r in d.recovery],
        )
    if table == "trends":
        return (
            "trends", _("Weekly trends"), [_("Week of"), _("Collected"), _("Promises due"), _("Promises kept"),
                                          _("Keep rate"), _("Call attempts"), _("Right-party contacts"),
                                          _("Loans rolled forward")],
            [[w["week"].isoformat(), w["collected"], w["due"], w["kept"], rate(w["keep_rate"]), w["attempts"], w["rpc"],
              w["rolled"]] for w in d.trends["weeks"]],
        )
    if table == "aging":
        return (
            "aging", _("Aging by bucket"), [_("Bucket"), _("Loans"), _("Cases"), _("Overdue"), _("Outstanding")],
            [[r["bucket"], r["count"], r["cases"], r["overdue"], r["outstanding"]] for r in d.aging],
        )
    if table == "roll":
        return (
            "roll-rates", _("Roll rates"),
            [_("From bucket"), _("Loans"), *d.roll_codes, _("Roll-forward rate"), _("Improved rate"), _("Cure rate")],
            [[r["from"], r["total"], *r["to"], rate(r["roll_forward_rate"]), rate(r["improved_rate"]), rate(r["cure_rate"])]
             for r in d.roll],
        )
    if table == "sla":
        return (
            "sla", _("Cases outside the SLA"),
            [_("Case"), _("Borrower"), _("Collector"), _("Team"), _("Bucket"), _("Overdue"), _("Opened at"),
             _("First contact due by")],
            [[c.id, c.borrower.name, c.assigned_to.username if c.assigned_to else "", c.team.name if c.team else "",
              c.bucket, c.overdue_amount, timezone.localtime(c.opened_at).strftime("%Y-%m-%d %H:%M"),
              timezone.localtime(c.first_contact_due_at).strftime("%Y-%m-%d %H:%M") if c.first_contact_due_at else ""]
             for c in d.sla["cases"]],
        )
    return (
        "league", _("Collector league table"),
        [_("Rank"), _("Collector"), _("Team"), _("Open cases"), _("Overdue"), _("Collected"), _("Target"),
         _("Target achieved"), _("Call attempts"), _("Right-party contacts"), _("RPC rate"), _("Promises made"),
         _("Promises kept"), _("Keep rate")],
        [[r["rank"], r["username"], r["team"], r["open_cases"], r["open_overdue"], r["collected"], r["target"],
          rate(r["target_achieved"]), r["attempts"], r["rpc"], rate(r["rpc_rate"]), r["promises_made"],
          r["promises_kept"], rate(r["promise_keep_rate"])] for r in d.league],
    )


def _export(table: str, fmt: str, d: dash.Dashboard) -> HttpResponse:
    """A dashboard table as a CSV (UTF-8 with BOM) or XLSX download, through collections_app.spreadsheet."""
    f = d.filters
    name, title, header, rows = _table(table, d)
    return spreadsheet.download(fmt, f"{name}-{f.date_from:%Y%m%d}-{f.date_to:%Y%m%d}", header,
                                [[_cell(v) for v in row] for row in rows], title=title)


def _summary_labels():
    return [
        ("collected", _("Collected")),
        ("opening_overdue", _("Overdue at the start of the period")),
        ("recovered", _("Recovered of the overdue at the start")),
        ("recovery_rate", _("Recovery rate")),
        ("cure_rate", _("Cure rate")),
        ("target", _("Target")),
        ("target_achieved", _("Target achieved")),
        ("promises_made", _("Promises made")),
        ("promised_amount", _("Amount promised")),
        ("promises_due", _("Promises due")),
        ("promises_kept", _("Promises kept")),
        ("promises_partially_kept", _("Promises partially kept")),
        ("promises_broken", _("Promises broken")),
        ("promises_pending", _("Promises pending")),
        ("promise_keep_rate", _("Promise keep rate")),
        ("attempts", _("Call attempts")),
        ("contacts_reached", _("Contacts reached")),
        ("rpc", _("Right-party contacts")),
        ("contact_rate", _("Contact rate")),
        ("rpc_rate", _("RPC rate")),
        ("open_cases", _("Open cases")),
        ("open_overdue", _("Overdue on open cases")),
        ("non_performing_ratio", _("Non-performing ratio")),
        ("complaints_received", _("Complaints received")),
        ("complaints_open", _("Complaints open")),
    ]


@supervisor_only
@require_safe
def dashboard(request):
    """The figures come from a background computation kept in the cache (services.dashboard_cache):
    the request never computes them itself unless Celery runs in-process (the embedded default)."""
    filters, teams, lenders, collectors = _filters(request)
    snap = dashboard_cache.snapshot(request.user, filters, refresh=request.GET.get("refresh") == "1")
    query = request.GET.copy()
    for name in ("export", "table", "refresh"):
        query.pop(name, None)
    d = snap.dashboard
    if d is None:  # the first computation for these filters is under way (or failed): say so
        return render(request, "supervisor/dashboard_pending.html", {
            "snap": snap, "teams": teams, "lenders": lenders, "collectors": collectors, "filters": filters,
            "query": query.urlencode(), "tab": "dashboard", "reload_seconds": PENDING_RELOAD_SECONDS,
        })
    fmt = request.GET.get("export")
    if fmt is not None:
        table = request.GET.get("table", "")
        if fmt not in spreadsheet.FORMATS:
            messages.error(request, _("Unknown export format: choose CSV or XLSX."))
        elif table not in EXPORT_TABLES:
            messages.error(request, _("Unknown table to export."))
        else:
            return _export(table, fmt, d)
    s = d.summary
    rates = {k: pct(s[k]) for k in ("recovery_rate", "target_achieved", "promise_keep_rate", "contact_rate", "rpc_rate",
                                    "cure_rate", "non_performing_ratio")}
    for row in d.recovery:
        row["rate_pct"] = pct(row["recovery_rate"])
    for row in d.roll:
        row["roll_forward_pct"] = pct(row["roll_forward_rate"])
        row["improved_pct"] = pct(row["improved_rate"])
        row["cure_pct"] = pct(row["cure_rate"])
    quality_scores = scores_by_collector(request.user, date_from=filters.date_from, date_to=filters.date_to)
    for row in d.league:
        row["quality"] = quality_scores.get(row["user"].id)  # quality review (docs/quality.md)
        row["target_pct"] = pct(row["target_achieved"])
        row["rpc_pct"] = pct(row["rpc_rate"])
        row["keep_pct"] = pct(row["promise_keep_rate"])
    chart = {
        "labels": [r["bucket"] for r in d.aging],
        "counts": [r["count"] for r in d.aging],
        "balances": [float(r["overdue"]) for r in d.aging],
        "count_label": _("Loans"),
        "balance_label": _("Overdue balance"),
    }
    for w in d.trends["weeks"]:
        w["keep_pct"] = pct(w["keep_rate"])
    for c in d.comparisons:
        c.update(current_pct=pct(c["current"]), previous_pct=pct(c["previous"]), change_pct=pct(c["change"]),
                 label=_("Week") if c["key"] == "week" else _("Month"))
    trend_chart = {
        "labels": [w["week"].isoformat() for w in d.trends["weeks"]],
        "total": [float(w["collected"]) for w in d.trends["weeks"]],
        "total_label": _("All collectors"),
        "lines": [{"label": c["name"], "values": [float(v) for v in c["values"]]} for c in d.trends["collectors"]],
    }
    return render(request, "supervisor/dashboard.html", {
        "d": d, "s": s, "snap": snap, "rates": rates, "chart": chart, "trend_chart": trend_chart, "teams": teams, "lenders": lenders, "collectors": collectors,
        "filters": filters, "query": query.urlencode(), "tab": "dashboard",
        "warnings": warning_counts(request.user),
    })


# --- allocation --------------------------------------------------------------------------------


def _collectors(user):
    qs = User.objects.filter(role=Role.COLLECTOR, is_active=True)
    if not is_admin(user):
        qs = qs.filter(id__in=visible_users(user).values("id"))
    return qs.select_related("team").order_by("username")


def _name(person) -> str:
    return workload.display_name(person)


def _field_agents(user):
    qs = User.objects.filter(role=Role.FIELD_AGENT, is_active=True)
    if not is_admin(user):
        qs = qs.filter(id__in=visible_users(user).values("id"))
    return qs.order_by("username")


def _allocation_post(request):
    action = request.POST.get("action")
    user = request.user
    try:
        if action == "assign":
            to_user = _collectors(user).filter(id=_int(request.POST.get("to_user"))).first()
            ids = [i for i in (_int(v) for v in request.POST.getlist("cases")) if i is not None]
            if to_user is None or not ids:
                messages.error(request, _("Choose the cases and the collector to assign them to."))
                return
            n = allocation.assign_cases(case_ids=ids, to_user=to_user, by_user=user,
                                        reason=request.POST.get("reason", "")[:200])
            messages.success(request, ngettext("%(n)d case assigned to %(name)s.", "%(n)d cases assigned to %(name)s.", n)
                             % {"n": n, "name": _name(to_user)})
        elif action == "auto":
            pool = workload.assignable_cases(user).filter(status=CaseStatus.OPEN, assigned_to__isnull=True)
            n = allocation.auto_allocate(case_ids=list(pool.values_list("id", flat=True)), by_user=user)
            messages.success(request, ngettext("%(n)d case allocated automatically.",
                                               "%(n)d cases allocated automatically.", n) % {"n": n})
        elif action == "handover":
            people = User.objects.filter(role__in=[Role.COLLECTOR, Role.FIELD_AGENT])
            if not is_admin(user):
                people = people.filter(id__in=visible_users(user).values("id"))
            from_user = people.filter(id=_int(request.POST.get("from_user"))).first()
            to_user = people.filter(id=_int(request.POST.get("to_user")), is_active=True).first()
            if from_user is None or to_user is None:
                messages.error(request, _("Choose who hands over and who takes over."))
                return
            n = allocation.hand_over(from_user=from_user, to_user=to_user, by_user=user)
            messages.success(request, ngettext("%(n)d case handed over from %(a)s to %(b)s.",
                                               "%(n)d cases handed over from %(a)s to %(b)s.", n)
                             % {"n": n, "a": _name(from_user), "b": _name(to_user)})
        elif action == "field":
            agent = _field_agents(user).filter(id=_int(request.POST.get("agent"))).first()
            ids = [i for i in (_int(v) for v in request.POST.getlist("cases")) if i is not None]
            if agent is None or not ids:
                messages.error(request, _("Choose the cases and the field agent."))
                return
            n = allocation.hand_to_field_agent(case_ids=ids, agent=agent, by_user=user)
            messages.success(request, ngettext("%(n)d visit handed to %(name)s.", "%(n)d visits handed to %(name)s.", n)
                             % {"n": n, "name": _name(agent)})
        else:
            messages.error(request, _("Unknown action."))
    except (ValidationError, PermissionDenied) as exc:
        _messages_from(request, exc)


@supervisor_only
@require_http_methods(["GET", "HEAD", "POST"])
def allocation_page(request):
    if request.method == "POST":
        _allocation_post(request)
        return redirect(request.get_full_path())
    user = request.user
    qs = workload.assignable_cases(user).filter(status=CaseStatus.OPEN)
    bucket = request.GET.get("bucket", "").strip()
    lender_id = _int(request.GET.get("lender"))
    collector = request.GET.get("collector", "").strip()
    if bucket:
        qs = qs.filter(bucket=bucket)
    if lender_id:
        qs = qs.filter(lender_id=lender_id)
    if collector == "none":
        qs = qs.filter(assigned_to__isnull=True)
    elif _int(collector):
        qs = qs.filter(assigned_to_id=_int(collector))
    qs = qs.select_related("borrower", "lender", "assigned_to", "team", "field_agent").order_by("-overdue_amount", "id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    unassigned = workload.assignable_cases(user).filter(status=CaseStatus.OPEN, assigned_to__isnull=True).count()
    collectors = workload.collectors_with_load(user)
    field_agents = workload.field_agents_with_load(user)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "supervisor/allocation.html", {
        "page": page, "unassigned": unassigned, "collectors": collectors,
        "field_agents": field_agents, "lenders": list(Lender.objects.order_by("code")),
        "buckets": dash.bucket_codes(), "bucket": bucket, "lender_id": lender_id, "collector": collector,
        "query": query.urlencode(), "tab": "allocation",
        "handover_people": collectors + field_agents,
    })


# --- approvals ---------------------------------------------------------------------------------


@supervisor_only
@require_http_methods(["GET", "HEAD", "POST"])
def approvals_page(request):
    user = request.user
    visible = approval_details.approvals_visible_to(user)
    if request.method == "POST":
        approval = visible.filter(id=_int(request.POST.get("approval"))).first()
        decision = request.POST.get("decision")
        if approval is None or decision not in ("approve", "reject"):
            messages.error(request, _("Choose a request and approve or reject it."))
        else:
            agent_id = _int(request.POST.get("agent"))
            agent = User.objects.filter(id=agent_id).first() if agent_id else None
            try:
                approvals.decide(approval=approval, user=user, approve=decision == "approve", note=request.POST.get("note", "").strip(), agent=agent)
            except (ValidationError, PermissionDenied) as exc:
                _messages_from(request, exc)
            else:
                messages.success(request, _("Request approved.") if decision == "approve" else _("Request rejected."))
        return redirect(request.get_full_path())
    pending = approval_details.pending_with_details(user, visible)
    decided = list(
        visible.exclude(status=ApprovalStatus.PENDING).select_related(*approval_details.RELATED)
        .order_by("-decided_at", "-id")[:20]
    )
    return render(request, "supervisor/approvals.html", {
        "pending": pending, "decided": decided, "tab": "approvals", "user_id": user.id,
    })
