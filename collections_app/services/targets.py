"""Setting recovery targets (supervisors for their teams and collectors, admins for all).

    target_set(*, user, period, day, amount, team=None, collector=None) -> tuple[Target, bool]

A target is stored for the whole day / ISO week / calendar month that contains ``day`` (its
``period_start`` is that period's first day); setting it again replaces the amount. See
docs/targets.md.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from collections_app.domain.targets import PERIODS, period_bounds
from collections_app.models import Target
from collections_app.selectors.targets import target_collectors, target_teams

MAX_AMOUNT = Decimal("99999999999999.99")


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(_("The amount must be a number, e.g. 150000.00.")) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError(_("The amount must be zero or more."))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(_("The amount has at most 2 decimals."))
    if amount > MAX_AMOUNT:
        raise ValidationError(_("The amount is too large."))
    return amount


def target_set(*, user, period: str, day: dt.date, amount, team=None, collector=None) -> tuple[Target, bool]:
    """Create or replace the target; returns (target, created)."""
    if period not in PERIODS:
        raise ValidationError(_("Choose a day, a week or a month."))
    if (team is None) == (collector is None):
        raise ValidationError(_("Choose one team or one collector."))
    if team is not None and not target_teams(user).filter(id=team.id).exists():
        raise PermissionDenied(_("You can set targets only for your own teams."))
    if collector is not None and not target_collectors(user).filter(id=collector.id).exists():
        raise PermissionDenied(_("You can set targets only for collectors in your teams."))
    value = _amount(amount)
    start, _end = period_bounds(period, day)
    subject = {"team": team} if team is not None else {"collector": collector}
    with transaction.atomic():
        # update_or_create locks the row and retries the read if a concurrent request created it
        # first (the unique constraints target_unique_team / target_unique_collector).
        target, created = Target.objects.update_or_create(
            period=period, period_start=start, **subject, defaults={"amount": value, "set_by": user},
        )
    return target, created
