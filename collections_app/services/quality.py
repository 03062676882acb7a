"""Quality review's writes (docs/quality.md).

    ensure_checklists(*, lender_ids) -> dict[int, int]
        The active checklist of each lender, the default one created for a lender that has none.
    draw_sample(*, user, rule, date_from, date_to, team=None, size=20, long_minutes=..., first_calls=...,
                new_within_days=..., now=None) -> QualitySample
        Up to ``size`` contacts the rule finds, drawn at random, each put in an open review.
    score_review(*, review, user, results, comment="", now=None) -> QualityReview
    cancel_review(*, review, user, now=None) -> QualityReview
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import is_supervisor_or_admin
from collections_app.domain import quality as rules
from collections_app.models import (
    ItemResult,
    QualityChecklist,
    QualityItem,
    QualityReview,
    QualitySample,
    QualityScore,
    ReviewStatus,
    SampleRule,
)
from collections_app.selectors.quality import reviews_visible_to, sample_candidates

MAX_COMMENT = 4000


def ensure_checklists(*, lender_ids) -> dict[int, int]:
    """{lender id: active checklist id}; a lender without one gets the default checklist."""
    lender_ids = set(lender_ids)
    found = dict(QualityChecklist.objects.filter(lender_id__in=lender_ids, is_active=True)
                 .values_list("lender_id", "id"))
    for lender_id in sorted(lender_ids - found.keys()):
        with transaction.atomic():
            version = (QualityChecklist.objects.filter(lender_id=lender_id).order_by("-version")
                       .values_list("version", flat=True).first() or 0) + 1
            checklist = QualityChecklist.objects.create(lender_id=lender_id, version=version, name=rules.DEFAULT_NAME)
            QualityItem.objects.bulk_create([
                QualityItem(checklist=checklist, code=code, label=label, weight=weight, order=i)
                for i, (code, label, weight) in enumerate(rules.DEFAULT_ITEMS)
            ])
        found[lender_id] = checklist.id
    return found


def _check_sample(*, user, rule, date_from, date_to, size, long_minutes, first_calls, new_within_days) -> None:
    if not is_supervisor_or_admin(user):
        raise PermissionDenied(_("Only supervisors and admins draw review samples."))
    errors = {}
    if rule not in SampleRule.values:
        errors["rule"] = [_("Choose how to draw the sample.")]
    if date_to < date_from:
        errors["date_to"] = [_("The period ends before it starts.")]
    if not 1 <= size <= rules.SAMPLE_MAX:
        errors["size"] = [_("A sample holds 1 to %(n)d contacts.") % {"n": rules.SAMPLE_MAX}]
    if long_minutes < 0 or first_calls < 1 or new_within_days < 1:
        errors["params"] = [_("Minutes cannot be negative; calls and days are at least 1.")]
    if errors:
        raise ValidationError(errors)


def draw_sample(*, user, rule: str, date_from: dt.date, date_to: dt.date, team=None, size: int = 20,
                long_minutes: int = rules.LONG_CALL_MINUTES, first_calls: int = rules.NEW_COLLECTOR_CALLS,
                new_within_days: int = rules.NEW_COLLECTOR_DAYS, now: dt.datetime | None = None) -> QualitySample:
    """One query picks the contacts (at random among those the rule finds, none already waiting in
    or scored by a review), one insert queues them; a contact another sample queued at the same
    moment is skipped (the database allows one open review per contact)."""
    _check_sample(user=user, rule=rule, date_from=date_from, date_to=date_to, size=size, long_minutes=long_minutes,
                  first_calls=first_calls, new_within_days=new_within_days)
    now = now or timezone.now()
    params = {}
    if rule == SampleRule.LONG_CALLS:
        params = {"long_minutes": long_minutes}
    elif rule == SampleRule.NEW_COLLECTORS:
        params = {"first_calls": first_calls, "new_within_days": new_within_days}
    picked = list(
        sample_candidates(user, rule=rule, date_from=date_from, date_to=date_to, team_id=team.id if team else None,
                          long_minutes=long_minutes, first_calls=first_calls, new_within_days=new_within_days, now=now)
        .order_by("?").values_list("id", "case__lender_id", "user_id")[:size]
    )
    checklists = ensure_checklists(lender_ids={lender for _id, lender, _u in picked})
    with transaction.atomic():
        sample = QualitySample.objects.create(rule=rule, params=params, date_from=date_from, date_to=date_to,
                                              team=team, created_by=user)
        QualityReview.objects.bulk_create(
            [QualityReview(sample=sample, contact_id=cid, collector_id=uid, checklist_id=checklists[lender])
             for cid, lender, uid in picked],
            ignore_conflicts=True,
        )
    return sample


def _results(review: QualityReview, results: dict) -> list[tuple[QualityItem, str]]:
    items = list(QualityItem.objects.filter(checklist_id=review.checklist_id).order_by("order", "id"))
    missing = [item.label for item in items if results.get(item.id) not in ItemResult.values]
    if missing:
        raise ValidationError({"results": [_("Score every item: %(items)s.")
                                           % {"items": ", ".join(_(label) for label in missing)}]})
    return [(item, results[item.id]) for item in items]


def score_review(*, review: QualityReview, user, results: dict, comment: str = "",
                 now: dt.datetime | None = None) -> QualityReview:
    """Score an open review: ``results`` gives each checklist item's result ({item id: ItemResult})."""
    if not is_supervisor_or_admin(user) or not reviews_visible_to(user).filter(id=review.id).exists():
        raise PermissionDenied(_("You cannot review this contact."))
    if review.collector_id == user.id:
        raise PermissionDenied(_("You cannot review your own contact."))
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError({"comment": [_("At most %(n)d characters.") % {"n": MAX_COMMENT}]})
    given = _results(review, results)
    now = now or timezone.now()
    with transaction.atomic():
        current = QualityReview.objects.select_for_update().get(id=review.id)
        if current.status != ReviewStatus.OPEN:
            raise ValidationError(_("This review is no longer open."))
        QualityScore.objects.bulk_create([QualityScore(review=current, item=item, result=r) for item, r in given])
        current.score = rules.review_score((item.weight, r) for item, r in given)
        current.status, current.comment, current.reviewer, current.reviewed_at = ReviewStatus.DONE, comment, user, now
        current.save(update_fields=["score", "status", "comment", "reviewer", "reviewed_at"])
    return current


def cancel_review(*, review: QualityReview, user, now: dt.datetime | None = None) -> QualityReview:
    """Take an open review out of the queue (a contact with nothing to judge); it can be sampled again."""
    if not is_supervisor_or_admin(user) or not reviews_visible_to(user).filter(id=review.id).exists():
        raise PermissionDenied(_("You cannot change this review."))
    updated = QualityReview.objects.filter(id=review.id, status=ReviewStatus.OPEN).update(
        status=ReviewStatus.CANCELLED, reviewer=user, reviewed_at=now or timezone.now())
    if not updated:
        raise ValidationError(_("This review is no longer open."))
    review.refresh_from_db()
    return review
