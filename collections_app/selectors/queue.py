"""The collector's daily queue (docs/collector.md): one ordered, annotated queryset and a page of rows
with their call verdicts — a fixed number of queries whatever the queue's size.

Order: band, then best-time-to-call, then priority.
  band 0  promises due today (or overdue and not yet judged), broken promises and broken payment plans
          not yet followed up
  left out: cases with an active payment plan, except on the reminder days before each plan date
  band 1  callbacks due now
  band 2  new cases never worked (flagged when past the 2-hour first-contact SLA)
  band 3  the rest
  within a band: borrowers whose preferred call window (or the first 15 minutes of their working
  day, or the 3 days before their income day) holds now come first, then priority =
  overdue × bucket risk × (1.5 when they keep less than half of what they promise)
  × (1 + 0.2 per broken promise, at most 5).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Least, NullIf, TruncDate
from django.utils import timezone

from collections_app.domain import compliance as rules_mod
from collections_app.domain.buckets import DEFAULT_BUCKETS
from collections_app.models import (
    Borrower,
    Bucket,
    CaseStatus,
    CollectionCase,
    ContactKind,
    ContactPoint,
    ContactStatus,
    Lender,
    Loan,
    PromiseStatus,
    PromiseToPay,
    Relation,
    StrategyStatus,
)
from collections_app.selectors.agency import not_placed
from collections_app.selectors.contact_verdicts import verdicts_for_cases
from collections_app.selectors.settlements import broken_plan_followup, queue_hold

PAGE_SIZE = 50
MAX_PAGE = 1_000_000  # beyond it an offset is no page of any queue: the last page is shown
BAND_PROMISE, BAND_CALLBACK, BAND_NEW, BAND_REST = 0, 1, 2, 3
UNRELIABLE_FACTOR = 1.5
BROKEN_STEP = 0.2
BROKEN_MAX = 5
FIRST_MINUTES = dt.timedelta(minutes=15)


@dataclass
class QueueFilters:
    bucket: str = ""
    status: str = CaseStatus.OPEN
    promise_due: bool = False
    q: str = ""

    @classmethod
    def from_params(cls, params) -> QueueFilters:
        status = params.get("status", CaseStatus.OPEN)
        if status not in (CaseStatus.OPEN, CaseStatus.SUSPENDED, "all"):
            status = CaseStatus.OPEN
        def text(name, limit):  # a NUL can match nothing and PostgreSQL refuses it in a query
            return (params.get(name) or "").replace("\x00", "").strip()[:limit]

        return cls(
            bucket=text("bucket", 10),
            status=status,
            promise_due=params.get("promise_due") in ("1", "on", "true"),
            q=text("q", 100),
        )


def risk_weights() -> dict[str, float]:
    """Bucket risk weights from the active strategy version (one query), else the default table."""
    rows = list(
        Bucket.objects.filter(version__status=StrategyStatus.ACTIVE).values_list("code", "risk_weight")
    )
    if rows:
        return {code: float(w) for code, w in rows}
    return {b.code: float(b.risk_weight) for b in DEFAULT_BUCKETS}


def _zones() -> set[str]:
    """Every time zone of the book's borrowers and lenders — a superset of those the queue holds
    (a CASE branch for a zone nobody in the queue has costs nothing). One query that walks the
    index on the borrower's time zone from one distinct value to the next (a handful of probes
    however many borrowers), where reading the queue's own rows for this took as long as the page's
    main query at 1,000,000 loans."""
    borrower, lender = Borrower._meta.db_table, Lender._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE z(tz) AS (
                SELECT MIN(timezone) FROM {borrower}
                UNION ALL
                SELECT (SELECT MIN(b.timezone) FROM {borrower} b WHERE b.timezone > z.tz) FROM z WHERE z.tz IS NOT NULL
            )
            SELECT tz FROM z WHERE tz IS NOT NULL UNION SELECT timezone FROM {lender}
            """
        )
        return {tz for (tz,) in cursor.fetchall() if tz} | {settings.TIME_ZONE}


def _window_expression(zones: set[str], now: dt.datetime):
    """1 when now is a good time to call the borrower, else 0 — evaluated in each borrower's own
    time zone: a CASE per zone the queue may hold."""
    whens = []
    for name in sorted(zones):
        tz = rules_mod.zone(name, fallback=settings.TIME_ZONE)
        local = now.astimezone(tz)
        wall = local.time().replace(tzinfo=None, microsecond=0)
        first_from = (local - FIRST_MINUTES).time().replace(tzinfo=None, microsecond=0)
        soon = [(local.date() + dt.timedelta(days=k)).day for k in (1, 2, 3)]
        good = (
            Q(borrower__preferred_call_start__lte=wall, borrower__preferred_call_end__gt=wall)
            | Q(borrower__work_starts_at__lte=wall, borrower__work_starts_at__gt=first_from)
            | Q(borrower__income_day__in=soon)
        )
        whens.append(When(Q(effective_tz=name) & good, then=Value(1)))
    if not whens:
        return Value(0, output_field=IntegerField())
    return Case(*whens, default=Value(0), output_field=IntegerField())


def _filtered(qs: QuerySet, filters: QueueFilters) -> QuerySet:
    """The queue's filters: status, bucket, and a search by name, borrower or loan id, or 4+ digits of a phone."""
    if filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.bucket:
        qs = qs.filter(bucket=filters.bucket)
    if filters.q:
        q = filters.q
        digits = "".join(ch for ch in q if ch.isdigit())
        cond = Q(borrower__name__icontains=q) | Q(borrower__external_id__iexact=q)
        cond |= Exists(Loan.objects.filter(case=OuterRef("pk"), external_id__icontains=q))
        if len(digits) >= 4:
            cond |= Exists(ContactPoint.objects.filter(borrower=OuterRef("borrower_id"), value__contains=digits))
        qs = qs.filter(cond)
    return qs


def _priority():
    """Overdue × the bucket's risk weight (one query for the weights), raised for a borrower who kept
    less than half of what they promised and for each broken promise (up to BROKEN_MAX)."""
    risk = Case(
        *[When(bucket=code, then=Value(w)) for code, w in risk_weights().items()],
        default=Value(1.0),
        output_field=FloatField(),
    )
    unreliable = Case(
        When(
            Q(borrower__promised_amount_total__gt=0)
            & Q(borrower__kept_amount_total__lt=F("borrower__promised_amount_total") * Value(0.5)),
            then=Value(UNRELIABLE_FACTOR),
        ),
        default=Value(1.0),
        output_field=FloatField(),
    )
    broken_factor = Value(1.0) + Value(BROKEN_STEP) * Cast(
        Least(F("borrower__promises_broken"), Value(BROKEN_MAX)), FloatField()
    )
    return Cast("overdue_amount", FloatField()) * risk * unreliable * broken_factor


def _promise_due(today: dt.date) -> Exists:
    return Exists(
        PromiseToPay.objects.filter(case=OuterRef("pk"), status=PromiseStatus.PENDING, promised_date__lte=today)
    )


def _queue_rows(owner, today: dt.date, filters: QueueFilters) -> QuerySet:
    """The cases of the queue, unannotated: what counts them (no join the count does not need)."""
    qs = _filtered(not_placed(CollectionCase.objects.filter(assigned_to=owner)), filters)  # an agency works placed cases
    qs = qs.exclude(queue_hold(today))  # a kept payment plan: only reminders before its dates
    return qs.filter(_promise_due(today)) if filters.promise_due else qs


def queue_cases(owner, *, now: dt.datetime | None = None, filters: QueueFilters | None = None) -> QuerySet:
    """``owner``'s queue, annotated and ordered (costs one query for the time zones it holds)."""
    now = now or timezone.now()
    filters = filters or QueueFilters()
    today = timezone.localdate(now)
    qs = _queue_rows(owner, today, replace(filters, promise_due=False))
    qs = qs.annotate(effective_tz=Coalesce(NullIf("borrower__timezone", Value("")), "lender__timezone"))
    window = _window_expression(_zones(), now)
    promise_due = _promise_due(today)
    broken_since_contact = Exists(
        PromiseToPay.objects.filter(
            case=OuterRef("pk"), status=PromiseStatus.BROKEN, resolved_on__gte=OuterRef("last_contact_day")
        )
    )
    broken_any = Exists(PromiseToPay.objects.filter(case=OuterRef("pk"), status=PromiseStatus.BROKEN))

    qs = qs.annotate(
        last_contact_day=TruncDate("last_contact_at"),
        promise_due=promise_due,
        broken_open=Case(
            When(Q(last_contact_at__isnull=True) & broken_any, then=Value(True)),
            When(last_contact_at__isnull=False, then=broken_since_contact),
            default=Value(False),
        ),
        plan_broken=Case(When(broken_plan_followup(), then=Value(True)), default=Value(False)),
    ).annotate(
        band=Case(
            When(Q(promise_due=True) | Q(broken_open=True) | Q(plan_broken=True), then=Value(BAND_PROMISE)),
            When(callback_at__lte=now, then=Value(BAND_CALLBACK)),
            When(first_worked_at__isnull=True, then=Value(BAND_NEW)),
            default=Value(BAND_REST),
            output_field=IntegerField(),
        ),
        good_time=window,
        priority=_priority(),
        sla_late=Case(
            When(first_worked_at__isnull=True, first_contact_due_at__lt=now, then=Value(True)),
            default=Value(False),
        ),
    )
    if filters.promise_due:
        qs = qs.filter(promise_due=True)
    return qs.select_related("borrower", "lender").order_by("band", "-good_time", "-priority", "id")


def _show_phones_and_promises(rows: list) -> None:
    """For the page's rows only (two queries whatever the queue's length): each borrower's own
    phone to dial (primary first, then the oldest valid or unverified one) and each case's next
    pending promise (earliest date), as ``phone``, ``phone_id``, ``promise_date``, ``promise_amount``."""
    phones: dict[int, tuple[int, str]] = {}
    promises: dict[int, tuple] = {}
    if rows:
        for borrower_id, pk, value in ContactPoint.objects.filter(
            borrower_id__in={c.borrower_id for c in rows}, kind=ContactKind.PHONE, relation=Relation.SELF,
            status__in=[ContactStatus.VALID, ContactStatus.UNVERIFIED],
        ).order_by("borrower_id", "-is_primary", "id").values_list("borrower_id", "id", "value"):
            phones.setdefault(borrower_id, (pk, value))
        for case_id, day, amount in PromiseToPay.objects.filter(
            case_id__in=[c.pk for c in rows], status=PromiseStatus.PENDING,
        ).order_by("case_id", "promised_date", "id").values_list("case_id", "promised_date", "amount"):
            promises.setdefault(case_id, (day, amount))
    for case in rows:
        case.phone_id, case.phone = phones.get(case.borrower_id, (None, None))
        case.promise_date, case.promise_amount = promises.get(case.pk, (None, None))


def _page_number(page) -> int | None:
    """The page asked for, or None when it cannot be a page (then the last page is shown, as
    Django's ``Paginator.get_page`` does); anything that is not a whole number is page 1."""
    try:
        number = int(str(page))
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= MAX_PAGE else None


def queue_page(owner, *, now: dt.datetime | None = None, filters: QueueFilters | None = None, page=1):
    """A page of the queue, each case carrying ``verdict`` (may I call now?). Fixed query count:
    zones, weights, the page's rows with the queue's length (a window count, so the queue is read
    once), phones and promises of those rows, call history. An empty queue, or a page past its end,
    costs one more query (the count, to show the last page)."""
    now = now or timezone.now()
    filters = filters or QueueFilters()
    qs = queue_cases(owner, now=now, filters=filters).annotate(queue_length=Window(Count("pk")))
    number = _page_number(page)

    def page_rows(n: int) -> list:
        return list(qs[(n - 1) * PAGE_SIZE:n * PAGE_SIZE])

    rows = page_rows(number) if number else []
    if rows:
        count = rows[0].queue_length
    else:
        # counted without the annotations' joins (borrower, lender): the same rows, a cheaper query
        count = _queue_rows(owner, timezone.localdate(now), filters).count()
        last = max(1, -(-count // PAGE_SIZE))
        if number is None or number > last:  # past the end, or no page at all: the last page
            number = last
            rows = page_rows(number) if count else []
    paginator = Paginator(range(count), PAGE_SIZE)
    page_obj = Page(rows, number, paginator)
    _show_phones_and_promises(rows)
    verdicts = verdicts_for_cases(rows, now=now)
    for case in rows:
        case.verdict = verdicts[case.pk]
        # "good time to call" is the borrower's preference; it never shows while a call is not allowed
        case.good_time = bool(case.good_time) and case.verdict.allowed
    return page_obj, rows


def next_case_id(owner, *, after_id: int, now: dt.datetime | None = None) -> int | None:
    """The next case to work: first in queue order, other than ``after_id``, not contacted today."""
    now = now or timezone.now()
    start_of_day = dt.datetime.combine(timezone.localdate(now), dt.time(0, 0), tzinfo=timezone.get_current_timezone())
    qs = (
        queue_cases(owner, now=now)
        .exclude(pk=after_id)
        .filter(Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=start_of_day))
    )
    return qs.values_list("pk", flat=True).first()
