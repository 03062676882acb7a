"""Reads for the stored weekly and monthly reports (docs/kpis.md, "Reports").

    COLUMNS                                   the KPIs of a report, in order, with their labels
    report_periods(kind, today)               the last complete ISO week / calendar month
    report_scopes()                           every collector, team and lender a report is made for
    scope_figures(scope, obj, first, last)    a report's KPIs, from ``selectors.dashboard.kpis``
    reports_visible_to(user)                  the stored reports a user may list and download
    recipients(report)                        who a report is e-mailed to

The figures are those of ``GET /api/kpis/`` for the scope as an admin sees the book (the team, the
collector or the lender chosen as the filter), so every KPI keeps its single definition.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from accounts.models import Role, Team, User
from accounts.roles import is_admin
from collections_app.domain.kpis import api_rate
from collections_app.domain.targets import MONTH, WEEK, period_bounds
from collections_app.models import Lender, Report, ReportScope
from collections_app.selectors import dashboard as dash
from collections_app.selectors.reconciliation import lenders_for

COLUMNS = (("collected", gettext_lazy("Collected")), ("target", gettext_lazy("Target")),
           ("target_achieved", gettext_lazy("Target achieved")),
           ("overdue_at_start", gettext_lazy("Overdue at the start or at entry")),
           ("recovered", gettext_lazy("Recovered")), ("recovery_rate", gettext_lazy("Recovery rate")),
           ("promises_made", gettext_lazy("Promises made")), ("promises_due", gettext_lazy("Promises due")),
           ("promises_kept", gettext_lazy("Promises kept")), ("promise_keep_rate", gettext_lazy("Promise keep rate")),
           ("call_attempts", gettext_lazy("Call attempts")),
           ("right_party_contacts", gettext_lazy("Right-party contacts")), ("rpc_rate", gettext_lazy("RPC rate")),
           ("cure_rate", gettext_lazy("Cure rate")), ("non_performing_ratio", gettext_lazy("Non-performing ratio")))
RATES = {"target_achieved", "recovery_rate", "promise_keep_rate", "rpc_rate", "cure_rate", "non_performing_ratio"}
COUNTS = {"promises_made", "promises_due", "promises_kept", "call_attempts", "right_party_contacts"}


@dataclass(frozen=True)
class _WholeBook:
    """The reader a scheduled report is computed for: the whole book, as an admin sees it."""

    is_authenticated: bool = True
    is_superuser: bool = True
    role: str = Role.ADMIN
    pk: None = None
    id: None = None


WHOLE_BOOK = _WholeBook()


def report_periods(kind: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The last complete ISO week (``week``) or calendar month (``month``) before ``today``."""
    day = today - dt.timedelta(days=7) if kind == WEEK else today.replace(day=1) - dt.timedelta(days=1)
    return period_bounds(WEEK if kind == WEEK else MONTH, day)


def report_scopes() -> list[tuple[str, object, str]]:
    """(scope, object, name) for every active collector, every team and every lender (three queries)."""
    out = [(ReportScope.COLLECTOR, u, u.get_full_name() or u.username)
           for u in User.objects.filter(role=Role.COLLECTOR, is_active=True).order_by("username")]
    out += [(ReportScope.TEAM, t, t.name) for t in Team.objects.order_by("name")]
    out += [(ReportScope.LENDER, lnd, lnd.name) for lnd in Lender.objects.order_by("code")]
    return out


def scope_figures(scope: str, obj, date_from: dt.date, date_to: dt.date) -> dict:
    """The report's KPIs as JSON-safe text (money to the cent, rates as fractions to 4 places,
    counts as integers; None when a rate is undefined)."""
    key = {ReportScope.COLLECTOR: "collector_id", ReportScope.TEAM: "team_id", ReportScope.LENDER: "lender_id"}[scope]
    k = dash.kpis(WHOLE_BOOK, dash.DashboardFilters(date_from, date_to, **{key: obj.pk}))
    out = {}
    for name, _label in COLUMNS:
        value = api_rate(k[name]) if name in RATES else k[name]
        out[name] = value if name in COUNTS or value is None else str(value)
    return out


def reports_visible_to(user) -> QuerySet:
    """An admin: every report. A supervisor: their teams', their teams' collectors' and the reports
    of the lenders whose statements they may read. Anyone else: their own collector reports."""
    reports = Report.objects.select_related("team", "lender", "collector")
    if is_admin(user):
        return reports
    if user.role != Role.SUPERVISOR:
        return reports.filter(scope=ReportScope.COLLECTOR, collector=user)
    teams = dash.teams_for(user).values("id")
    return reports.filter(Q(scope=ReportScope.TEAM, team__in=teams)
                          | Q(scope=ReportScope.COLLECTOR, collector__team__in=teams)
                          | Q(scope=ReportScope.LENDER, lender__in=lenders_for(user).values("id")))


def recipients(report: Report) -> list[str]:
    """The e-mail addresses a report goes to: ``REPORT_RECIPIENTS`` (every report), plus for a
    collector's report the collector and their team's supervisor, for a team's its supervisor, for a
    lender's the supervisors of the teams that work that lender's cases. Sorted, no duplicates."""
    emails = set(getattr(settings, "REPORT_RECIPIENTS", []) or [])
    if report.scope == ReportScope.COLLECTOR:
        people = User.objects.filter(Q(id=report.collector_id) | Q(supervised_teams__members=report.collector_id))
    elif report.scope == ReportScope.TEAM:
        people = User.objects.filter(supervised_teams=report.team_id)
    else:
        people = User.objects.filter(Q(supervised_teams__lender=report.lender_id)
                                     | Q(supervised_teams__lender__isnull=True, supervised_teams__isnull=False))
    emails |= set(people.filter(is_active=True).exclude(email="").values_list("email", flat=True))
    return sorted(emails)
