"""Keeping each case's ``limitation_date`` current (docs/disputes.md, "Limitation").

    refresh_limitation_dates(*, case_ids) -> int
        Recompute the date of these cases from their stored events with a fixed number of queries
        (one aggregate per kind of event) and write the cases whose date changed; returns how many.
        Called after a contact or a promise on a case, after a field visit report, and by the nightly
        run for each chunk (``refresh_for_scope``: the cases touched since the last run).

The rule itself is ``domain.limitation.limitation_date``; what counts as a demand or an
acknowledgement is listed here, once.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models import DateTimeField, Max, Min, OuterRef, Q, QuerySet, Subquery

from collections_app.domain import limitation as rule
from collections_app.domain.compliance import zone
from collections_app.models import (
    CaseStatus,
    Channel,
    CollectionCase,
    ContactLog,
    DelinquencyRun,
    FieldVisit,
    Lender,
    Letter,
    LetterStatus,
    Loan,
    Outcome,
    Payment,
    PromiseToPay,
    RunStatus,
)
from collections_app.services.rows import update_rows

# a conversation with the borrower in which payment was asked for (a demand) or promised (an acknowledgement)
DEMAND_OUTCOMES = (Outcome.RPC, Outcome.PROMISE, Outcome.REFUSED)
# contacts that count: a letter sent to the borrower, or one of those conversations
DEMAND_CONTACTS = Q(is_third_party=False) & (Q(channel=Channel.LETTER) | Q(outcome__in=DEMAND_OUTCOMES))


def is_demand_contact(*, channel: str, outcome: str, is_third_party: bool) -> bool:
    """The same test as DEMAND_CONTACTS, for one contact in memory."""
    return not is_third_party and (channel == Channel.LETTER or outcome in DEMAND_OUTCOMES)


def _latest_by_case(qs, field: str, case_field: str = "case_id") -> QuerySet:
    """Per case, the latest ``field`` of the rows ``qs`` (as ``last``)."""
    return qs.values(case_field).annotate(last=Max(field)).order_by()


def _overdue_since(case_ids) -> QuerySet:
    """Per case, the oldest unpaid due date of its loans (as ``last``: the latest of nothing else)."""
    return Loan.objects.filter(**_of_cases("case_id", case_ids)).values("case_id").annotate(
        last=Min("oldest_unpaid_due_date")).order_by()


def _of_cases(field: str, case_ids) -> dict:
    """The filter on ``field`` for ``case_ids``: ids or a queryset of them, or ``OuterRef`` of a case."""
    return {field: case_ids} if isinstance(case_ids, OuterRef) else {f"{field}__in": case_ids}


def _max_by_case(qs, field: str, case_field: str = "case_id") -> dict[int, object]:
    return {row[case_field]: row["last"] for row in _latest_by_case(qs, field, case_field)}


def _event_sources(case_ids) -> list[tuple[QuerySet, str, str]]:
    """What restarts the period, per kind: (rows of the cases, the field that dates them, the field
    that names their case). Datetimes count on their date in the lender's time zone. ``case_ids``:
    ids or a queryset of them, or ``OuterRef`` of a case (the rows of that one case)."""
    def of(field: str) -> dict:
        return _of_cases(field, case_ids)

    return [
        (ContactLog.objects.filter(DEMAND_CONTACTS, **of("case_id")), "occurred_at", "case_id"),
        (PromiseToPay.objects.filter(**of("case_id")), "created_at", "case_id"),
        (FieldVisit.objects.filter(signed_acknowledgement=True, visited_at__isnull=False, **of("case_id")),
         "visited_at", "case_id"),
        (Letter.objects.filter(status=LetterStatus.SENT, sent_at__isnull=False, **of("case_id")),
         "sent_at", "case_id"),
        (Payment.objects.filter(**of("loan__case_id")).exclude(source=Payment.Source.ADJUSTMENT),
         "paid_on", "loan__case_id"),
    ]


def case_events(case_ids: list[int] | QuerySet) -> dict[int, list]:
    """{case id: [datetime or date of the latest event of each kind]} (one query per kind)."""
    events: dict[int, list] = defaultdict(list)
    for found in (_max_by_case(qs, field, case_field) for qs, field, case_field in _event_sources(case_ids)):
        for case_id, at in found.items():
            if at is not None:
                events[case_id].append(at)
    return events


def _as_date(value, tz) -> dt.date:
    return value.astimezone(tz).date() if isinstance(value, dt.datetime) else value


def refresh_limitation_dates(*, case_ids: Iterable[int] | QuerySet) -> int:
    """``case_ids``: ids, or a queryset of ids (the nightly chunk's: used as a subquery, so that
    tens of thousands of ids never travel as IN lists)."""
    if not isinstance(case_ids, QuerySet):
        case_ids = list({int(i) for i in case_ids})
        if not case_ids:
            return 0
    if connection.vendor == "postgresql":
        return _refresh_in_sql(case_ids)
    cases = list(CollectionCase.objects.filter(id__in=case_ids).select_related("lender")
                 .only("id", "limitation_date", "lender__timezone", "lender__limitation_years"))
    overdue = dict(_overdue_since(case_ids).values_list("case_id", "last"))
    events = case_events(case_ids)
    changed = []
    for case in cases:
        tz = zone(case.lender.timezone)
        new = rule.limitation_date(
            overdue_since=overdue.get(case.id),
            events=[_as_date(e, tz) for e in events.get(case.id, [])],
            years=case.lender.limitation_years or 3,
        )
        if new != case.limitation_date:
            case.limitation_date = new
            changed.append(case)
    if changed:
        update_rows(model=CollectionCase, objs=changed, fields=["limitation_date"])
    return len(changed)


def _refresh_in_sql(case_ids) -> int:
    """PostgreSQL: the same dates as the loop above (``domain.limitation.limitation_date``: the latest
    of the oldest unpaid due date and the events, moved on by the lender's years — a 29 February
    becomes 28 February, as PostgreSQL's date arithmetic does), computed and written by one statement
    instead of reading every case into Python and writing it back (37 s of the first night at
    1,000,000 loans). Each case's latest event of each kind is a lookup of that case's rows (the
    querysets of ``_event_sources``, correlated), not an aggregate of every row joined to the cases
    afterwards. ``tests/disputes/test_limitation.py`` holds both ways equal on random books."""
    lenders = [(pk, zone(tz).key, years or 3) for pk, tz, years in
               Lender.objects.values_list("pk", "timezone", "limitation_years")]
    if not lenders:
        return 0
    case = OuterRef("pk")
    latest = {"o": Subquery(_overdue_since(case).values("last"))}
    dates = ["s.o"]
    for i, (qs, field, case_field) in enumerate(_event_sources(case)):
        latest[f"e{i}"] = Subquery(_latest_by_case(qs, field, case_field).values("last"))
        model_field = qs.model._meta.get_field(field)
        dates.append(f"s.e{i}" if not isinstance(model_field, DateTimeField) else f"(s.e{i} AT TIME ZONE z.tz)::date")
    inner, params = (CollectionCase.objects.filter(id__in=case_ids).order_by().annotate(**latest)
                     .values_list("id", "lender_id", *latest).query.sql_with_params())
    table = connection.ops.quote_name(CollectionCase._meta.db_table)
    values = ", ".join(["(%s, %s, %s)"] * len(lenders))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH x AS MATERIALIZED (  -- computed once per case, not again inside the comparison
                SELECT s.id, (GREATEST({", ".join(dates)}) + make_interval(years => z.years))::date AS new
                FROM ({inner}) s(id, lender_id, {", ".join(latest)})
                JOIN (VALUES {values}) z(lender_id, tz, years) ON z.lender_id = s.lender_id
            )
            UPDATE {table} t SET limitation_date = x.new FROM x
            WHERE x.id = t.id AND x.new IS DISTINCT FROM t.limitation_date
            """,
            list(params) + [v for row in lenders for v in row],
        )
        return cursor.rowcount


def _previous_run_start(run) -> dt.datetime | None:
    """When the last finished run before ``run`` started (None: no such run, or no run given)."""
    if run is None:
        return None
    return DelinquencyRun.objects.filter(as_of__lt=run.as_of, status=RunStatus.DONE).order_by(
        "-as_of", "-started_at").values_list("started_at", flat=True).first()


def refresh_for_scope(scope, *, run=None) -> int:
    """Refresh the working cases of a nightly chunk (``nightly.scope.Scope``) whose inputs may have
    changed since the last finished run started: a case without a date yet (opened tonight), a case
    with a payment recorded since (payments do not refresh on write; they also move the overdue date)
    or with a demand contact since (one written around the services). Contacts, promises, letters and
    visits made through the services refresh their case at once. Without a previous run (the first
    night, or a chunk run outside a run): every working case."""
    ids = scope.on(CollectionCase.objects.filter(status__in=(CaseStatus.OPEN, CaseStatus.SUSPENDED)))
    since = _previous_run_start(run)
    if since is None:  # every working case of the chunk: passed as a subquery, not as a list of ids
        return refresh_limitation_dates(case_ids=ids.values("id"))
    # The cases touched since, found once (as a subquery, each of the refresh's seven queries tested every
    # working case of the chunk again: 17 s of a steady night at 1,000,000 loans), through the rows recorded
    # since and their created_at indexes (a day's worth), in three queries, each a join: OR-ed in one
    # WHERE, each set became a subplan that PostgreSQL hashes only when it expects it small — after a
    # large payment file or contact import, unhashed, it is scanned again for every case of the chunk.
    # The payments' cases are reached through the chunk's own loans (joined to every loan of the book,
    # each chunk read the whole loan table: 6.7 s of a steady night at 1,000,000 loans).
    paid = scope.loans().filter(id__in=Payment.objects.filter(created_at__gte=since).values("loan_id"))
    touched = set(ids.filter(limitation_date__isnull=True).values_list("id", flat=True))
    touched.update(ids.filter(id__in=paid.values("case_id")).values_list("id", flat=True))
    touched.update(ids.filter(id__in=ContactLog.objects.filter(DEMAND_CONTACTS, created_at__gte=since).values(
        "case_id")).values_list("id", flat=True))
    return refresh_limitation_dates(case_ids=sorted(touched))
