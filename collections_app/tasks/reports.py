"""Tasks of the weekly and monthly reports: thin wrappers over services.reports."""
from __future__ import annotations

from celery import shared_task

__all__ = ["generate_reports"]


@shared_task(name="collections_app.tasks.generate_reports")
def generate_reports(kind: str) -> str:
    """Beat: Monday for last week (``week``), the 1st for last month (``month``). Safe to deliver
    twice: one report per kind, period and scope, each e-mailed once."""
    from django.utils import timezone

    from collections_app.models import ReportKind
    from collections_app.selectors.loan_figures import business_date
    from collections_app.services.reports import generate_reports as run

    result = run(kind=ReportKind(kind), today=business_date(), now=timezone.now())
    return f"{result['generated']} generated, {result['failed']} failed, {result['emailed']} e-mailed"
