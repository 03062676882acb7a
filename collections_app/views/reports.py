"""/supervisor/reports/: the weekly or monthly report per team and per lender as CSV/XLSX — each row
the KPIs of ``selectors.dashboard.kpis`` for that team or lender (docs/kpis.md, "Reports")."""
from __future__ import annotations

import datetime as dt

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from accounts.models import Role
from accounts.roles import role_required
from collections_app import spreadsheet
from collections_app.domain.kpis import api_rate
from collections_app.domain.targets import MONTH, WEEK, period_bounds
from collections_app.selectors import dashboard as dash
from collections_app.selectors.loan_figures import business_date
from collections_app.selectors.reconciliation import lenders_for

COLUMNS = (("collected", gettext_lazy("Collected")), ("target", gettext_lazy("Target")), ("target_achieved", gettext_lazy("Target achieved")),
           ("overdue_at_start", gettext_lazy("Overdue at the start or at entry")), ("recovered", gettext_lazy("Recovered")),
           ("recovery_rate", gettext_lazy("Recovery rate")), ("promises_made", gettext_lazy("Promises made")), ("promises_due", gettext_lazy("Promises due")),
           ("promises_kept", gettext_lazy("Promises kept")), ("promise_keep_rate", gettext_lazy("Promise keep rate")),
           ("call_attempts", gettext_lazy("Call attempts")), ("right_party_contacts", gettext_lazy("Right-party contacts")),
           ("rpc_rate", gettext_lazy("RPC rate")), ("cure_rate", gettext_lazy("Cure rate")), ("non_performing_ratio", gettext_lazy("Non-performing ratio")))
RATES = {"target_achieved", "recovery_rate", "promise_keep_rate", "rpc_rate", "cure_rate", "non_performing_ratio"}


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
    return render(request, "supervisor/reports.html", {
        "kind": kind, "date_from": date_from, "date_to": date_to, "tab": "reports",
    })
