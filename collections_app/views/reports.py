"""/supervisor/reports/: the stored weekly and monthly reports (generated on beat, services.reports)
the user may see, each downloadable as XLSX and PDF; and, on demand, any week or month as one
CSV/XLSX with a row per team and per lender — the KPIs of ``selectors.dashboard.kpis``
(docs/kpis.md, "Reports")."""
from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.models import Role
from accounts.roles import role_required
from collections_app import report_files, spreadsheet
from collections_app.domain.kpis import api_rate
from collections_app.domain.targets import MONTH, WEEK, period_bounds
from collections_app.models import ReportKind, ReportScope, ReportStatus
from collections_app.selectors import dashboard as dash
from collections_app.selectors.loan_figures import business_date
from collections_app.selectors.reconciliation import lenders_for
from collections_app.selectors.reports import COLUMNS, RATES, reports_visible_to

PAGE_SIZE = 100


def report_period(kind: str, day: dt.date | None) -> tuple[dt.date, dt.date]:
    """The ISO week or calendar month containing ``day`` (default: the last complete one before the
    business date)."""
    if day is None:
        today = business_date()
        day = today - dt.timedelta(days=7) if kind == WEEK else today.replace(day=1) - dt.timedelta(days=1)
    return period_bounds(kind, day)


def report_rows(user, date_from: dt.date, date_to: dt.date) -> list[list]:
    """One row per team of the user and per lender they may read: scope, then each KPI."""
    rows = []
    scopes = [(_("Team"), t.name, {"team_id": t.id}) for t in dash.teams_for(user).order_by("name")]
    scopes += [(_("Lender"), lnd.name, {"lender_id": lnd.id}) for lnd in lenders_for(user)]
    for kind, name, kw in scopes:
        k = dash.kpis(user, dash.DashboardFilters(date_from, date_to, **kw))
        rows.append([kind, name, *[api_rate(k[key]) if key in RATES else k[key] for key, _label in COLUMNS]])
    return rows


@role_required(Role.SUPERVISOR)
@require_safe
def reports_page(request):
    kind = MONTH if request.GET.get("period") == MONTH else WEEK
    try:
        day = dt.date.fromisoformat(request.GET["date"]) if request.GET.get("date") else None
    except ValueError:
        day = None
    date_from, date_to = report_period(kind, day)
    fmt = request.GET.get("export")
    if fmt in spreadsheet.FORMATS:
        header = [_("Scope"), _("Name"), *[str(label) for _key, label in COLUMNS]]
        return spreadsheet.download(fmt, f"report-{kind}-{date_from:%Y%m%d}-{date_to:%Y%m%d}", header,
                                    report_rows(request.user, date_from, date_to), title=_("Report"))
    stored = reports_visible_to(request.user)
    if request.GET.get("kind") in ReportKind.values:
        stored = stored.filter(kind=request.GET["kind"])
    if request.GET.get("scope") in ReportScope.values:
        stored = stored.filter(scope=request.GET["scope"])
    return render(request, "supervisor/reports.html", {
        "kind": kind, "date_from": date_from, "date_to": date_to, "tab": "reports",
        "stored": Paginator(stored, PAGE_SIZE).get_page(request.GET.get("page")), "ready": ReportStatus.READY,
        "kinds": ReportKind.choices, "scopes": ReportScope.choices, "chosen_kind": request.GET.get("kind", ""),
        "chosen_scope": request.GET.get("scope", ""),
    })


@role_required(Role.SUPERVISOR)
@require_safe
def report_file(request, report_id: int, fmt: str):
    """A stored report as XLSX or PDF; 404 for a report the user may not see or not ready."""
    report = reports_visible_to(request.user).filter(pk=report_id, status=ReportStatus.READY).first()
    if report is None or fmt not in ("xlsx", "pdf"):
        raise Http404
    if fmt == "pdf":
        body, content_type = report_files.report_pdf(report), "application/pdf"
    else:
        body, content_type = report_files.report_xlsx(report), spreadsheet.CONTENT_TYPES["xlsx"]
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{report.file_stem}.{fmt}"'
    return response
