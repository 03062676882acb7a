"""Strategy changes through the strategy page (docs/strategy-versions.md): an admin drafts a new version (a
copy of the active one), edits its buckets and rules, submits it; a SECOND admin approves it for a
date (today: it becomes active at once; later: it waits, status approved, and
``activate_due_versions`` makes it active on that date) or rejects it. Only a draft can be
changed, and only by the admin who made it; the active version is read-only.

    version_draft(*, user, note) -> StrategyVersion
    version_edit(*, version, user, apply) -> None
    version_submit(*, version, user) -> StrategyVersion
    version_approve(*, version, user, effective_from, today=None) -> StrategyVersion
    version_reject(*, version, user) -> StrategyVersion
    activate_due_versions(today=None) -> StrategyVersion | None

The basic steps (copy, submit, reject) are services/strategy.py's.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import is_admin
from collections_app.domain.buckets import BucketConfigError, validate
from collections_app.models import StrategyVersion
from collections_app.models.choices import StrategyStatus
from collections_app.selectors.buckets import bucket_ranges
from collections_app.selectors.loan_figures import business_date
from collections_app.services import strategy


def _require_admin(user) -> None:
    if not is_admin(user):
        raise PermissionDenied(_("Only an admin can change the strategy."))


def _locked(version: StrategyVersion) -> StrategyVersion:
    return StrategyVersion.objects.select_for_update().get(pk=version.pk)


def _require_own_draft(version: StrategyVersion, user) -> None:
    if version.status != StrategyStatus.DRAFT:
        raise ValidationError(_("Version %(n)s is %(status)s: only a draft can be changed.")
                              % {"n": version.number, "status": version.get_status_display().lower()})
    if version.created_by_id != user.id:
        raise PermissionDenied(_("Only the admin who drafted this version can change or submit it."))


def version_draft(*, user, note: str) -> StrategyVersion:
    _require_admin(user)
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Say what this version changes."))
    return strategy.propose_version(user=user, note=note[:2000])


def version_edit(*, version: StrategyVersion, user, apply: Callable[[], None]) -> None:
    """Run ``apply`` (the page's form saves) on the locked draft; undone if the buckets no longer
    form a valid ladder."""
    _require_admin(user)
    with transaction.atomic():
        current = _locked(version)
        _require_own_draft(current, user)
        apply()
        try:
            validate(bucket_ranges(current))
        except BucketConfigError as exc:
            raise ValidationError(str(exc)) from exc


def version_submit(*, version: StrategyVersion, user) -> StrategyVersion:
    _require_admin(user)
    with transaction.atomic():
        current = _locked(version)
        _require_own_draft(current, user)
        return strategy.submit_version(version=current, user=user)


def _activate(version: StrategyVersion) -> None:
    StrategyVersion.objects.filter(status=StrategyStatus.ACTIVE).exclude(pk=version.pk).update(
        status=StrategyStatus.RETIRED)
    version.status = StrategyStatus.ACTIVE
    version.save(update_fields=["status"])


def version_approve(*, version: StrategyVersion, user, effective_from: dt.date,
                    today: dt.date | None = None) -> StrategyVersion:
    """Maker ≠ checker (also a database constraint). Effective today: active now; later: approved
    and waiting for its date."""
    _require_admin(user)
    today = today or business_date()
    if effective_from < today:
        raise ValidationError(_("The date it takes effect cannot be in the past (today is %(today)s).")
                              % {"today": today.isoformat()})
    with transaction.atomic():
        current = _locked(version)
        if current.created_by_id == user.id:
            raise PermissionDenied(_("The admin who made a change cannot approve it."))
        if current.status != StrategyStatus.PENDING:
            raise ValidationError(_("Only a version awaiting approval can be approved."))
        # the newest active/scheduled version is locked too, so two approvals serialize
        list(StrategyVersion.objects.select_for_update().filter(
            status__in=[StrategyStatus.ACTIVE, StrategyStatus.APPROVED]))
        current.approved_by = user
        current.approved_at = timezone.now()
        current.effective_from = effective_from
        current.status = StrategyStatus.APPROVED
        current.save(update_fields=["approved_by", "approved_at", "effective_from", "status"])
        if effective_from <= today:
            _activate(current)
    return current


def version_reject(*, version: StrategyVersion, user) -> StrategyVersion:
    _require_admin(user)
    with transaction.atomic():
        current = _locked(version)
        if current.status != StrategyStatus.PENDING:
            raise ValidationError(_("Only a version awaiting approval can be rejected."))
        return strategy.reject_version(version=current, user=user)


def activate_due_versions(*, today: dt.date | None = None) -> StrategyVersion | None:
    """Make the approved version whose date has come active (the latest date wins; approved ones
    it overtakes are retired). Safe to run twice or concurrently: the rows are locked and
    re-read, a second run finds nothing to do."""
    today = today or business_date()
    with transaction.atomic():
        due = list(StrategyVersion.objects.select_for_update().filter(
            status=StrategyStatus.APPROVED, effective_from__lte=today).order_by("-effective_from", "-number"))
        if not due:
            return None
        winner, overtaken = due[0], due[1:]
        StrategyVersion.objects.filter(pk__in=[v.pk for v in overtaken]).update(status=StrategyStatus.RETIRED)
        list(StrategyVersion.objects.select_for_update().filter(status=StrategyStatus.ACTIVE))
        _activate(winner)
    return winner
