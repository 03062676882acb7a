"""Generating and e-mailing the weekly and monthly reports (docs/kpis.md, "Reports").

    generate_reports(*, kind, today, now) -> dict      every scope's report for the last period
    email_report(*, report, now) -> bool               the report's XLSX and PDF to its recipients

Idempotent: a report is one row per (kind, period start, scope) — the database refuses a second —
so a beat delivered twice finds the rows there and only finishes what is not done: a report not yet
ready is generated again, one not yet e-mailed is sent. A scope whose figures fail is recorded as
failed with the reason and does not stop the others.
"""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from collections_app.models import Report, ReportScope, ReportStatus
from collections_app.report_files import report_pdf, report_xlsx
from collections_app.selectors.reports import recipients, report_periods, report_scopes, scope_figures

logger = logging.getLogger(__name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _row(*, kind: str, first: dt.date, last: dt.date, scope: str, obj, name: str) -> Report:
    key = {ReportScope.COLLECTOR: "collector", ReportScope.TEAM: "team", ReportScope.LENDER: "lender"}[scope]
    lookup = {"kind": kind, "period_start": first, "scope": scope, key: obj}
    found = Report.objects.filter(**lookup).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Report.objects.create(**lookup, period_end=last, scope_name=name[:200])
    except IntegrityError:  # another worker made it in between
        return Report.objects.get(**lookup)


def _generate(*, report: Report, obj, now: dt.datetime) -> None:
    try:
        figures = scope_figures(report.scope, obj, report.period_start, report.period_end)
    except Exception as exc:  # recorded on the report, the other scopes go on
        logger.exception("report %s failed", report.pk)
        report.status, report.failure_reason = ReportStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        report.save(update_fields=["status", "failure_reason"])
        return
    report.figures, report.status, report.generated_at, report.failure_reason = figures, ReportStatus.READY, now, ""
    report.save(update_fields=["figures", "status", "generated_at", "failure_reason"])


def email_report(*, report: Report, now: dt.datetime) -> bool:
    """Send a ready report once: the row is claimed (``emailed_at`` set) before sending, and released
    again if the mail backend fails, so two workers never both send it."""
    to = recipients(report)
    if report.status != ReportStatus.READY or not to:
        return False
    if not Report.objects.filter(pk=report.pk, emailed_at__isnull=True).update(emailed_at=now, recipients=to):
        return False
    subject = _("%(kind)s report: %(name)s, %(start)s – %(end)s") % {
        "kind": report.get_kind_display(), "name": report.scope_name, "start": report.period_start,
        "end": report.period_end}
    message = EmailMessage(subject=subject, body=_("The report is attached as XLSX and PDF."),
                           from_email=settings.DEFAULT_FROM_EMAIL, to=to)
    message.attach(f"{report.file_stem}.xlsx", report_xlsx(report), XLSX)
    message.attach(f"{report.file_stem}.pdf", report_pdf(report), "application/pdf")
    try:
        message.send()
    except Exception as exc:
        Report.objects.filter(pk=report.pk).update(emailed_at=None, failure_reason=f"e-mail: {exc}"[:2000])
        logger.exception("report %s could not be e-mailed", report.pk)
        return False
    if report.failure_reason:  # an earlier attempt's mail error, now sent
        Report.objects.filter(pk=report.pk).update(failure_reason="")
    report.emailed_at, report.recipients, report.failure_reason = now, to, ""
    return True


def generate_reports(*, kind: str, today: dt.date, now: dt.datetime) -> dict:
    """Every collector's, team's and lender's report of the last complete week or month before
    ``today``: made where missing, generated where not ready, e-mailed where not yet sent."""
    first, last = report_periods(kind, today)
    counts = {"generated": 0, "failed": 0, "emailed": 0}
    for scope, obj, name in report_scopes():
        report = _row(kind=kind, first=first, last=last, scope=scope, obj=obj, name=name)
        if report.status != ReportStatus.READY:
            _generate(report=report, obj=obj, now=now)
            counts["generated" if report.status == ReportStatus.READY else "failed"] += 1
        if report.emailed_at is None and email_report(report=report, now=now):
            counts["emailed"] += 1
    return counts
