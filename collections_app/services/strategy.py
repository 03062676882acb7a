"""Buckets and the treatment strategy as versioned data, with maker-checker approval.

A change to buckets or rules is a new version (draft → pending) that a second admin approves
before it takes effect; exactly one version is active; every run records the version it used.
Which version and buckets are in force is a read: selectors.buckets.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_admin
from collections_app.domain.buckets import DEFAULT_BUCKETS, BucketConfigError, validate
from collections_app.models import Bucket, StrategyRule, StrategyVersion
from collections_app.models.choices import ActionKind, Channel, StrategyStatus
from collections_app.selectors.buckets import active_version, bucket_ranges

# The default ladder (docs/strategy.md) and the meaning of each bucket (docs/delinquency.md).
# (code, description, bucket, dpd_min, dpd_max, action, channel, repeat_every_days, needs_approval, condition)
DEFAULT_RULES = [
    # M0 (days 1–30) means reminders only, no collector time: robot calls and SMS, then a letter
    ("days1-3-robot-call", "Days 1–3: a robot call every day", "M0", 1, 3, ActionKind.ROBOT_CALL, Channel.PHONE, 1,
     False, {}),
    ("m0-sms-reminder", "M0: SMS reminder every 7 days", "M0", None, None, ActionKind.SMS_REMINDER, Channel.SMS, 7, False, {}),
    ("day7-notice-letter", "Day 7: overdue notice letter (逾期催收函); ask the guarantor to pay", "", 7, 7,
     ActionKind.LETTER, Channel.LETTER, None, False, {}),
    ("m1-reminder-calls", "M1: polite reminder calls every 3 days", "M1", None, None, ActionKind.CALL, Channel.PHONE, 3,
     False, {}),
    ("m2-firm-calls", "M2: firmer calls every 2 days; emergency contacts may be asked to remind", "M2", None, None,
     ActionKind.CALL, Channel.PHONE, 2, False, {}),
    ("m3-lawyer-letter", "M3: lawyer's letter (律师函) to household and employer addresses", "M3", None, None,
     ActionKind.LAWYER_LETTER, Channel.LETTER, None, True, {}),
    ("m3-daily-calls", "M3: strong pressure, daily calls", "M3", None, None, ActionKind.CALL, Channel.PHONE, 1, False, {}),
    ("m4-agency", "M4: small balance → outside agency (委外)", "M4", None, None, ActionKind.AGENCY, "", None, True,
     {"max_overdue_amount": "20000"}),
    ("m4-litigation", "M4: large balance → litigation (起诉)", "M4", None, None, ActionKind.LITIGATION, "", None, True,
     {"min_overdue_amount": "20000"}),
    ("m4plus-write-off", "M4+: write-off review (核销, 账销案存)", "M4+", None, None, ActionKind.WRITE_OFF, "", None, True, {}),
]


def ensure_default_strategy() -> StrategyVersion:
    """The active version, creating version 1 (default buckets and ladder) on a fresh database."""
    version = active_version()
    if version:
        return version
    try:
        return _create_default_strategy()
    except IntegrityError:
        # two first runs at once: the other created it (version numbers are unique); use that one
        version = active_version()
        if version is None:
            raise
        return version


def _create_default_strategy() -> StrategyVersion:
    with transaction.atomic():
        version = StrategyVersion.objects.select_for_update().filter(status=StrategyStatus.ACTIVE).first()
        if version:
            return version
        number = (StrategyVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        version = StrategyVersion.objects.create(
            number=number, status=StrategyStatus.ACTIVE, note="Default buckets and ladder (docs/delinquency.md and docs/strategy.md).",
            approved_at=timezone.now(), effective_from=timezone.localdate(),
        )
        Bucket.objects.bulk_create(
            Bucket(version=version, code=b.code, name=b.code, min_dpd=b.min_dpd, max_dpd=b.max_dpd,
                   position=b.position, risk_weight=b.risk_weight)
            for b in DEFAULT_BUCKETS
        )
        StrategyRule.objects.bulk_create(
            StrategyRule(version=version, code=code, description=desc, bucket=bucket, dpd_min=lo, dpd_max=hi,
                         action=action, channel=channel, repeat_every_days=rep, needs_approval=appr,
                         condition=cond, position=n)
            for n, (code, desc, bucket, lo, hi, action, channel, rep, appr, cond) in enumerate(DEFAULT_RULES)
        )
    return version


def propose_version(*, user, note: str, based_on: StrategyVersion | None = None) -> StrategyVersion:
    """A new draft copying ``based_on`` (default: the active version) for editing in the admin."""
    if not is_admin(user):
        raise PermissionDenied(_("Only an admin can change the strategy."))
    base = based_on or ensure_default_strategy()
    with transaction.atomic():
        number = StrategyVersion.objects.order_by("-number").values_list("number", flat=True).first() + 1
        draft = StrategyVersion.objects.create(number=number, status=StrategyStatus.DRAFT, note=note, created_by=user)
        Bucket.objects.bulk_create(
            Bucket(version=draft, code=b.code, name=b.name, min_dpd=b.min_dpd, max_dpd=b.max_dpd, position=b.position,
                   risk_weight=b.risk_weight)
            for b in base.buckets.all()
        )
        StrategyRule.objects.bulk_create(
            StrategyRule(version=draft, code=r.code, description=r.description, product=r.product, bucket=r.bucket,
                         dpd_min=r.dpd_min, dpd_max=r.dpd_max, condition=r.condition, action=r.action,
                         channel=r.channel, repeat_every_days=r.repeat_every_days, needs_approval=r.needs_approval,
                         position=r.position)
            for r in base.rules.all()
        )
    return draft


def submit_version(*, version: StrategyVersion, user: User) -> StrategyVersion:
    if version.status != StrategyStatus.DRAFT:
        raise ValidationError(_("Only a draft can be submitted for approval."))
    try:
        validate(bucket_ranges(version))
    except BucketConfigError as exc:
        raise ValidationError(str(exc)) from exc
    version.status = StrategyStatus.PENDING
    version.save(update_fields=["status"])
    return version


def approve_version(*, version: StrategyVersion, user: User) -> StrategyVersion:
    """Maker-checker: a second admin activates a pending version; the old one is retired."""
    if not is_admin(user):
        raise PermissionDenied(_("Only an admin can approve a strategy version."))
    if version.created_by_id == user.id:
        raise PermissionDenied(_("The admin who made a change cannot approve it."))
    if version.status != StrategyStatus.PENDING:
        raise ValidationError(_("Only a version awaiting approval can be approved."))
    with transaction.atomic():
        StrategyVersion.objects.filter(status=StrategyStatus.ACTIVE).update(status=StrategyStatus.RETIRED)
        version.status = StrategyStatus.ACTIVE
        version.approved_by = user
        version.approved_at = timezone.now()
        version.effective_from = timezone.localdate()
        version.save(update_fields=["status", "approved_by", "approved_at", "effective_from"])
    return version


def reject_version(*, version: StrategyVersion, user: User) -> StrategyVersion:
    if not is_admin(user) or version.created_by_id == user.id:
        raise PermissionDenied(_("A second admin must decide on a strategy change."))
    version.status = StrategyStatus.REJECTED
    version.approved_by = user
    version.save(update_fields=["status", "approved_by"])
    return version
