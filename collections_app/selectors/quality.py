"""Quality review's reads (docs/quality.md): the contacts a sample rule finds, the reviews a user may
see, one review's page, and the scores per collector.

    sample_candidates(user, *, rule, date_from, date_to, team_id=None, long_minutes, first_calls,
                      new_within_days, now) -> QuerySet[ContactLog]
    reviews_visible_to(user) -> QuerySet[QualityReview]
    review_page(review, user) -> dict
    collector_scores(user, *, date_from, date_to, team_id=None) -> list[dict]
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.roles import can_see_full_pii, mask_phone, visible_users
from collections_app.domain import quality as rules
from collections_app.models import (
    Channel,
    ContactLog,
    ItemResult,
    Outcome,
    QualityItem,
    QualityReview,
    QualityScore,
    ReviewStatus,
    SampleRule,
)
from collections_app.selectors.visibility import contacts_visible_to

# a call nobody answered has nothing to review
UNANSWERED = (Outcome.NO_ANSWER, Outcome.BUSY, Outcome.SWITCHED_OFF)
REVIEWED_CHANNELS = (Channel.PHONE, Channel.VISIT)
TOP_FAILED = 3


def day_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of ``date_from``, start of the day after ``date_to``) in the product's time zone."""
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(date_from, dt.time(0), tzinfo=tz),
            dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=tz))


def _reviewable(user) -> QuerySet:
    """Contacts made by a person, by phone or on a visit, that the user may see and that are not
    waiting in, or already scored by, a review."""
    return (contacts_visible_to(user, ContactLog.objects.filter(user__isnull=False, channel__in=REVIEWED_CHANNELS))
            .exclude(id__in=QualityReview.objects.exclude(status=ReviewStatus.CANCELLED).values("contact_id")))


def sample_candidates(user, *, rule: str, date_from: dt.date, date_to: dt.date, team_id: int | None = None,
                      long_minutes: int = rules.LONG_CALL_MINUTES, first_calls: int = rules.NEW_COLLECTOR_CALLS,
                      new_within_days: int = rules.NEW_COLLECTOR_DAYS, now: dt.datetime | None = None) -> QuerySet:
    """The contacts ``rule`` finds in the period (one query when evaluated)."""
    start, end = day_bounds(date_from, date_to)
    qs = _reviewable(user).filter(occurred_at__gte=start, occurred_at__lt=end)
    if team_id:
        qs = qs.filter(user__team_id=team_id)
    answered = ~Q(outcome__in=UNANSWERED)
    if rule == SampleRule.RANDOM:
        return qs.filter(answered)
    if rule == SampleRule.REFUSAL_OVERRIDDEN:
        # the contacts the compliance rules refused but which happened (each raised a RULE_BREACH review)
        return qs.exclude(breach_rule="")
    if rule == SampleRule.COMPLAINTS:
        return qs.filter(complaints__isnull=False).distinct()
    if rule == SampleRule.LONG_CALLS:
        return qs.filter(channel=Channel.PHONE, duration_seconds__gt=long_minutes * 60)
    if rule == SampleRule.NEW_COLLECTORS:
        now = now or timezone.now()
        calls = ContactLog.objects.filter(
            channel=Channel.PHONE, user__date_joined__gte=now - dt.timedelta(days=new_within_days),
        ).filter(answered)
        firsts = (calls.annotate(n=Window(RowNumber(), partition_by=[F("user_id")], order_by=[F("occurred_at"), F("id")]))
                  .filter(n__lte=first_calls).values("id"))
        return qs.filter(id__in=firsts)
    raise ValueError(f"unknown sample rule {rule!r}")


def reviews_visible_to(user) -> QuerySet:
    """The reviews of the contacts ``user`` may see."""
    return QualityReview.objects.filter(contact__in=contacts_visible_to(user).values("id"))


def open_reviews(user, *, limit: int = 200) -> list[QualityReview]:
    return list(reviews_visible_to(user).filter(status=ReviewStatus.OPEN)
                .select_related("contact__case__borrower", "collector", "sample")
                .order_by("contact__occurred_at", "id")[:limit])


def recent_reviews(user, *, limit: int = 20) -> list[QualityReview]:
    return list(reviews_visible_to(user).filter(status=ReviewStatus.DONE)
                .select_related("contact__case", "collector", "reviewer").order_by("-reviewed_at", "-id")[:limit])


def contact_number(contact, user) -> str:
    """The number or address the contact used, as the product shows it to this user: phone numbers
    masked for those who may not see them in full (accounts.roles)."""
    value = contact.number_used or (contact.contact_point.value if contact.contact_point_id else "")
    if contact.channel == Channel.PHONE and not can_see_full_pii(user):
        return mask_phone(value)
    return value


def review_page(review: QualityReview, user) -> dict:
    """What the review form shows: the contact (time, collector, number, outcome, notes, recording)
    and the checklist's items with the results already given (for a scored review)."""
    contact = review.contact
    items = list(QualityItem.objects.filter(checklist_id=review.checklist_id).order_by("order", "id"))
    given = dict(QualityScore.objects.filter(review=review).values_list("item_id", "result"))
    for item in items:
        item.result = given.get(item.id, "")
    number = contact_number(contact, user)
    return {
        "review": review, "contact": contact, "number": number, "items": items,
        "results": ItemResult.choices,
        "full_number_shown": bool(number) and contact.channel == Channel.PHONE and can_see_full_pii(user),
        "complaints": list(contact.complaints.order_by("-received_at")[:10]),
    }


def collector_scores(user, *, date_from: dt.date, date_to: dt.date, team_id: int | None = None,
                     with_failed: bool = True) -> list[dict]:
    """Per collector, the reviews scored in the period (by review time): count, average score (the
    plain mean of the reviews' scores, rounded once) and the items most often not met (two queries;
    one without ``with_failed``)."""
    start, end = day_bounds(date_from, date_to)
    done = reviews_visible_to(user).filter(status=ReviewStatus.DONE, reviewed_at__gte=start, reviewed_at__lt=end,
                                           collector__in=visible_users(user))
    if team_id:
        done = done.filter(collector__team_id=team_id)
    rows = (done.values("collector_id", "collector__username", "collector__first_name", "collector__last_name")
            .annotate(n=Count("id"), total=Sum("score")).order_by())
    failed: dict[int, list[tuple[str, int]]] = {}
    for r in [] if not with_failed else (QualityScore.objects.filter(review__in=done.values("id"), result=ItemResult.FAIL)
              .values("review__collector_id", "item__code").annotate(n=Count("id"), label=F("item__label"))
              .order_by("review__collector_id", "-n", "item__code")):
        failed.setdefault(r["review__collector_id"], []).append((r["label"], r["n"]))
    out = []
    for r in rows:
        name = f"{r['collector__first_name']} {r['collector__last_name']}".strip() or r["collector__username"]
        total = Decimal(r["total"] or 0)
        out.append({
            "collector_id": r["collector_id"], "name": name, "username": r["collector__username"],
            "reviews": r["n"],
            "average": (total / r["n"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            "failed": _top(failed.get(r["collector_id"], [])),
        })
    out.sort(key=lambda row: (row["average"], row["username"]))
    return out


def _top(pairs: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The TOP_FAILED items not met most often (labels of one code across checklist versions merged)."""
    merged: dict[str, int] = {}
    for label, n in pairs:
        merged[label] = merged.get(label, 0) + n
    return sorted(merged.items(), key=lambda p: (-p[1], p[0]))[:TOP_FAILED]


def scores_by_collector(user, *, date_from: dt.date, date_to: dt.date) -> dict[int, dict]:
    """{collector id: row} of collector_scores without the items (one query), for the league table."""
    return {r["collector_id"]: r
            for r in collector_scores(user, date_from=date_from, date_to=date_to, with_failed=False)}
