"""The limits and plan days that apply to a case: its lender's row for the case's bucket, else the
lender's default row (empty bucket), else the product defaults."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from collections_app.models import CollectionCase, SettlementTerms
from collections_app.selectors.loan_figures import business_date


@dataclass(frozen=True)
class Terms:
    collector_max: Decimal = Decimal("10")
    supervisor_max: Decimal = Decimal("30")
    grace_days: int = 3
    reminder_days: int = 2


DEFAULT_TERMS = Terms()


def terms_for(case: CollectionCase) -> Terms:
    """One query."""
    rows = {t.bucket: t for t in SettlementTerms.objects.filter(lender_id=case.lender_id, bucket__in=[case.bucket, ""])}
    row = rows.get(case.bucket) or rows.get("")
    if row is None:
        return DEFAULT_TERMS
    return Terms(row.collector_max_discount, row.supervisor_max_discount, row.plan_grace_days, row.plan_reminder_days)


def case_today(case: CollectionCase) -> dt.date:
    """The business date of the case's lender."""
    try:
        return business_date(case.lender.timezone)
    except (ValueError, LookupError):  # a lender's bad time zone never breaks a settlement
        return business_date()
