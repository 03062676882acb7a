"""Benchmark of the web tier on the delinquency benchmark's book (PostgreSQL only).

Steps (docs/performance.md has the targets and the measured figures):
1. setup (not a target): the delinquency bench's book and its first night (if the ``delinquency``
   area did not just build it), ``CONTACTS_PER_LOAN`` contact logs per loan spread over the open
   cases (10,000,000 at 1,000,000 loans), one team with a supervisor and ``COLLECTORS`` collectors.
2. ``allocation``: ``auto_allocate`` of min(50,000, open cases) unassigned cases; target under 30 s
   per 50,000.
3. ``queue_page``, ``case_page``: in-process requests through Django's test client (server time: URL
   routing, middleware, queries, templates; no network), bounded in count; p95 targets 100 ms
   (queue) and 150 ms (case page); the queue page's query count must not depend on the queue's
   length (the step fails when two collectors' counts differ); ``dashboard``: the computation a
   Celery worker does for the page (services.dashboard_cache; reported, no target) and the page
   served from the figures it kept; then ``dashboard_panels``
   (each panel's selectors alone, the slowest against 300 ms) and ``reconciliation`` (a lender's
   month, under 30 s): ``_panels.py``.
4. ``web_mix``: gunicorn (``WEB_WORKERS`` workers, as the README documents) on this database and
   Redis, and locust headless for ``WEB_MIX_SECONDS`` with ``WEB_MIX_USERS`` users (collectors
   opening their queue and case pages and logging contacts; supervisors on the dashboard) while a
   payment import and a nightly run go on; targets: at least 150 requests/s, no error. Needs
   REDIS_URL; skipped (with a line saying why) otherwise.

Like the delinquency bench it wipes the loan book: run it on a dedicated database.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import time

from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, Team, User
from collections_app.models import AssignmentHistory, CollectionCase, DelinquencyRun, Lender, Loan
from collections_app.models.choices import CaseStatus
from collections_app.selectors.dashboard import DashboardFilters
from collections_app.services import daily_figures, dashboard_cache
from collections_app.services.allocation import auto_allocate
from collections_app.services.nightly import run_delinquency

from . import delinquency
from ._load import web_mix
from ._panels import nights_figures, panel_steps
from .common import BenchContext, BenchResult, p95

COLLECTORS = 200
CONTACTS_PER_LOAN = 10
CONTACT_DAYS = 365
PAGE_REQUESTS = 200  # per page step
# CI measures a few dashboard computations (each computes the KPIs from the raw tables: seconds at 10,000 loans)
DASHBOARD_REQUESTS = int(os.environ.get("BENCH_DASHBOARD_REQUESTS", "20"))
ALLOCATE_AT_MOST = 50_000
PASSWORD = "bench-pass-not-a-secret"  # bench users live only in the bench's dedicated database


def _book(ctx: BenchContext) -> dict[str, int]:
    """The delinquency bench's book with its cases; built here when that area did not run."""
    lender = Lender.objects.filter(code=delinquency.LENDER).first()
    if lender is None or not CollectionCase.objects.filter(lender=lender).exists():
        counts = delinquency.generate(ctx.rows, delinquency.AS_OF)
        run_delinquency(as_of=delinquency.AS_OF, triggered_by="bench")
    else:
        counts = {"loans": lender.loans.count()}
    counts["contacts"] = _contacts(ctx.rows)
    return counts


def _contacts(rows: int) -> int:
    """CONTACTS_PER_LOAN contact logs per loan over the open cases, spread evenly over the CONTACT_DAYS
    before the book's date (a year of calls: a month's dashboard reads a twelfth of them, a day about
    1/365th), set-based (once per book). Each case is called every ``spacing`` days, the cases starting
    on different days of that cycle: until 2026-12-03 they all started on the book's date, so every
    call of a case fell on the same days and the book's date held a tenth of all the calls."""
    wanted = rows * CONTACTS_PER_LOAN
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM collections_app_contactlog")
        have = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM collections_app_collectioncase WHERE status = %s", [CaseStatus.OPEN])
        cases = cursor.fetchone()[0]
        if have >= wanted or not cases:
            return have
        per_case = -(-(wanted - have) // cases)
        spacing = max(CONTACT_DAYS // per_case, 1)  # days between a case's calls; cases start on different days
        cursor.execute(
            """
            INSERT INTO collections_app_contactlog (case_id, borrower_id, channel, outcome, number_used,
                is_third_party, is_attempt, is_conversation, note, overdue_reason, borrower_type, recording,
                recording_ref, occurred_at, created_at, breach_rule, breach_detail, dialer_call_id)
            SELECT c.id, c.borrower_id, 'phone', CASE WHEN g %% 4 = 0 THEN 'rpc' ELSE 'no_answer' END, '',
                   FALSE, TRUE, g %% 4 = 0, '', '', '', '', '',
                   %s - (((g - 1) * %s + c.id %% %s) || ' days')::interval - ((c.id %% 10) || ' hours')::interval,
                   NOW(), '', '', ''
            FROM collections_app_collectioncase c CROSS JOIN generate_series(1, %s) AS g
            WHERE c.status = %s
            LIMIT %s
            """,
            [dt.datetime.combine(delinquency.AS_OF, dt.time(12), tzinfo=dt.UTC), spacing, spacing,
             per_case, CaseStatus.OPEN,
             wanted - have],
        )
        cursor.execute("ANALYZE collections_app_contactlog")
        cursor.execute("SELECT COUNT(*) FROM collections_app_contactlog")
        count = cursor.fetchone()[0]
    # written behind the product's back, like a late import: the days they fall on are no longer what
    # their stored daily figures say (the first night built the day before the book's date)
    last = delinquency.AS_OF
    daily_figures.mark_changed(last - dt.timedelta(days=k) for k in range(CONTACT_DAYS + 2))
    return count


def _users() -> tuple[User, list[User]]:
    """One team, its supervisor and COLLECTORS collectors (created once, in bulk)."""
    lender = Lender.objects.get(code=delinquency.LENDER)
    supervisor = User.objects.filter(username="bench-supervisor").first()
    if supervisor is None:
        supervisor = User(username="bench-supervisor", role=Role.SUPERVISOR)
        supervisor.set_password(PASSWORD)
        supervisor.save()
    team, _created = Team.objects.get_or_create(name="Bench team", defaults={"supervisor": supervisor,
                                                                            "lender": lender})
    if supervisor.team_id != team.id:
        User.objects.filter(pk=supervisor.pk).update(team=team)
        supervisor.team = team
    have = set(User.objects.filter(username__startswith="bench-c").values_list("username", flat=True))
    template = User(role=Role.COLLECTOR)
    template.set_password(PASSWORD)
    User.objects.bulk_create([
        User(username=f"bench-c{i:03d}", role=Role.COLLECTOR, team=team, password=template.password,
             max_open_cases=100_000)
        for i in range(COLLECTORS) if f"bench-c{i:03d}" not in have
    ])
    return supervisor, list(User.objects.filter(username__startswith="bench-c").order_by("username"))


def allocation_step() -> BenchResult:
    open_cases = CollectionCase.objects.filter(lender__code=delinquency.LENDER, status=CaseStatus.OPEN)
    # unassigned behind allocation's back (no history row): their holder is unknown until allocated again
    open_cases.update(assigned_to=None, team=None, holder_since=None)
    ids = list(open_cases.order_by("id").values_list("id", flat=True)[:ALLOCATE_AT_MOST])
    started = time.perf_counter()
    assigned = auto_allocate(case_ids=ids)
    seconds = time.perf_counter() - started
    rest = list(open_cases.filter(assigned_to__isnull=True).values_list("id", flat=True))
    if rest:  # every open case gets a collector so that every queue has its share (not timed)
        auto_allocate(case_ids=rest)
    _date_allocation_before_the_book()
    return BenchResult(name="allocation (auto_allocate of new cases)", rows=len(ids), seconds=seconds,
                       step="allocation", max_seconds=30.0 * max(len(ids), 1) / ALLOCATE_AT_MOST, unit="cases",
                       extra=f"{assigned} assigned to {COLLECTORS} collectors")


def _date_allocation_before_the_book() -> None:
    """The bench allocates at the machine's clock, years after its book's dates: every call of the
    contact log would come before its case's allocation, which no real book has (a case is allocated
    the night it opens, then worked). The allocation's history rows and the cases' ``holder_since``
    are moved to the day before the contact log begins (not timed)."""
    at = dt.datetime.combine(delinquency.AS_OF - dt.timedelta(days=CONTACT_DAYS + 1), dt.time(0), tzinfo=dt.UTC)
    cases = CollectionCase.objects.filter(lender__code=delinquency.LENDER)
    AssignmentHistory.objects.filter(case__in=cases).update(at=at)
    cases.filter(holder_since__isnull=False).update(holder_since=at)


def _time_pages(client: Client, urls: list[str]) -> tuple[list[float], list[int]]:
    times, queries = [], []
    for url in urls:
        connection.queries_log.clear()  # a full log (9,000 entries after a run under DEBUG) captures nothing
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url, HTTP_HOST="127.0.0.1", secure=True)  # DEBUG off: https only
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        queries.append(len(ctx.captured_queries))
    return times, queries


def _page_result(name: str, step: str, times: list[float], queries: list[int], max_p95: float | None,
                 extra: str = "") -> BenchResult:
    return BenchResult(name=name, rows=len(times), seconds=sum(times) / 1000, step=step, unit="requests",
                       p95_ms=p95(times), max_p95_ms=max_p95, rate=len(times) / (sum(times) / 1000),
                       extra=f"queries {min(queries)}-{max(queries)} per request" + (f"; {extra}" if extra else ""))


def _dashboard(client: Client, supervisor: User) -> BenchResult:
    """The dashboard's computation (what a Celery worker does for a supervisor, timed in-process,
    DASHBOARD_REQUESTS times) and then the page served from the figures it kept."""
    filters = DashboardFilters.month_to_date()
    computed, counts = [], []
    for _i in range(DASHBOARD_REQUESTS):
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            dashboard_cache.compute(supervisor, filters)
            computed.append((time.perf_counter() - started) * 1000)
        counts.append(len(ctx.captured_queries))
    client.force_login(supervisor)
    with override_settings(DASHBOARD_FRESH_SECONDS=24 * 3600):
        page_times, page_queries = _time_pages(client, ["/supervisor/"] * 20)
    result = _page_result("dashboard (computed for the page by a Celery worker, in-process)", "dashboard", computed,
                          counts, None, f"the page from the kept figures: p95 {p95(page_times):.1f} ms, "
                                        f"{max(page_queries)} queries")
    return result


def page_steps(supervisor: User, collectors: list[User]):
    rng = random.Random(7)
    by_collector: dict[int, list[int]] = {}
    for case_id, user_id in CollectionCase.objects.filter(assigned_to__in=collectors, status=CaseStatus.OPEN) \
            .values_list("id", "assigned_to"):
        by_collector.setdefault(user_id, []).append(case_id)
    working = [u for u in collectors if by_collector.get(u.id)]
    if not working:
        yield BenchResult(name="pages (skipped: no collector has cases)", rows=0, seconds=0.0)
        return
    client = Client()
    queue_times, queue_queries, per_user_queries = [], [], {}
    for i in range(PAGE_REQUESTS):
        user = working[i % len(working)]
        client.force_login(user)
        times, queries = _time_pages(client, ["/queue/"])
        queue_times += times
        queue_queries += queries
        per_user_queries.setdefault(len(by_collector[user.id]), set()).update(queries)
    lengths = sorted(per_user_queries)
    constant = len(set().union(*per_user_queries.values())) == 1
    result = _page_result("queue page (/queue/, in-process)", "queue_page", queue_times, queue_queries, 100.0,
                          f"queues of {lengths[0]}-{lengths[-1]} cases, query count "
                          f"{'constant' if constant else 'VARIES with the queue length'}")
    if not constant:
        result.max_seconds = 0.0  # fails the step: the count must not depend on the queue's length
    yield result
    case_times, case_queries = [], []
    for i in range(PAGE_REQUESTS):
        user = working[i % len(working)]
        client.force_login(user)
        times, queries = _time_pages(client, [f"/cases/{rng.choice(by_collector[user.id])}/"])
        case_times += times
        case_queries += queries
    yield _page_result("case page (/cases/<id>/, in-process)", "case_page", case_times, case_queries, 150.0)
    yield nights_figures()
    yield _dashboard(client, supervisor)
    yield from panel_steps(supervisor, Loan.objects.filter(lender__code=delinquency.LENDER).count())


def steps(ctx: BenchContext):
    if connection.vendor != "postgresql":
        yield BenchResult(name="web (skipped: needs PostgreSQL)", rows=0, seconds=0.0)
        return
    started = time.perf_counter()
    counts = _book(ctx)
    supervisor, collectors = _users()
    yield BenchResult(name="setup: book, contact log, users (not a target)", rows=counts.get("loans", 0),
                      seconds=time.perf_counter() - started,
                      extra=", ".join(f"{v} {k}" for k, v in counts.items()) + f", {len(collectors)} collectors")
    yield allocation_step()
    yield from page_steps(supervisor, collectors)
    yield web_mix(ctx, night=DelinquencyRun.objects.order_by("-as_of").values_list("as_of", flat=True).first())
