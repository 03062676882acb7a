"""/queue/: ordering, filters, search, permissions and a fixed number of queries."""
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from collections_app import models as m
from collections_app.selectors import contact_verdicts as verdict_reads
from collections_app.selectors.queue import QueueFilters, next_case_id, queue_cases
from collections_app.services import contacts as svc
from tests import factories as f

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def now():
    return timezone.now().astimezone(SH).replace(hour=10, minute=0, second=0, microsecond=0)


def mk(lender, collector, **kw):
    kw.setdefault("first_worked_at", timezone.now() - dt.timedelta(days=3))
    kw.setdefault("overdue_amount", Decimal("1000"))
    return f.CaseFactory(lender=lender, assigned_to=collector, **kw)


def ids(qs):
    return [c.pk for c in qs]


def test_queue_order_bands_then_priority(lender, collector, now):
    today = now.date()
    low = mk(lender, collector, overdue_amount=Decimal("100"), bucket="M1")
    high = mk(lender, collector, overdue_amount=Decimal("100"), bucket="M3")  # same amount, riskier bucket
    big = mk(lender, collector, overdue_amount=Decimal("50000"), bucket="M1")
    new = mk(lender, collector, first_worked_at=None, first_contact_due_at=now - dt.timedelta(minutes=5))
    callback = mk(lender, collector, callback_at=now - dt.timedelta(minutes=1))
    future_callback = mk(lender, collector, overdue_amount=Decimal("1"), callback_at=now + dt.timedelta(hours=3))
    promised = mk(lender, collector, overdue_amount=Decimal("1"))
    f.PromiseFactory(case=promised, promised_date=today)
    broken = mk(lender, collector, overdue_amount=Decimal("2"), last_contact_at=now - dt.timedelta(days=5))
    f.PromiseFactory(case=broken, promised_date=today - dt.timedelta(days=1), status="broken", resolved_on=today)
    broken_followed = mk(lender, collector, overdue_amount=Decimal("3"), last_contact_at=now - dt.timedelta(hours=1))
    f.PromiseFactory(
        case=broken_followed, promised_date=today - dt.timedelta(days=9), status="broken",
        resolved_on=today - dt.timedelta(days=8),
    )
    f.CaseFactory(lender=lender, assigned_to=collector, status="suspended")
    f.CaseFactory(lender=lender)  # someone else's

    qs = list(queue_cases(collector, now=now))
    order = ids(qs)
    assert order[:2] == [broken.pk, promised.pk]  # both band 0; the larger overdue first
    assert order[2] == callback.pk
    assert order[3] == new.pk
    assert qs[3].sla_late is True
    assert order[4:] == [big.pk, high.pk, low.pk, broken_followed.pk, future_callback.pk]


def test_low_promise_reliability_raises_priority(lender, collector, now):
    steady = mk(lender, collector, overdue_amount=Decimal("1000"))
    shaky = mk(lender, collector, overdue_amount=Decimal("800"))
    shaky.borrower.promised_amount_total = Decimal("1000")
    shaky.borrower.kept_amount_total = Decimal("100")
    shaky.borrower.save()
    assert ids(queue_cases(collector, now=now)) == [shaky.pk, steady.pk]


def test_preferred_window_first_within_band_in_borrowers_time(lender, collector, now):
    plain = mk(lender, collector, overdue_amount=Decimal("9000"))
    in_window = mk(lender, collector, overdue_amount=Decimal("10"))
    in_window.borrower.preferred_call_start = dt.time(9, 30)
    in_window.borrower.preferred_call_end = dt.time(11, 0)
    in_window.borrower.save()
    # Same window but the borrower lives in Urumqi, where it is 08:00 now: not in the window
    far = mk(lender, collector, overdue_amount=Decimal("20"))
    far.borrower.timezone = "Asia/Urumqi"
    far.borrower.preferred_call_start = dt.time(9, 30)
    far.borrower.preferred_call_end = dt.time(11, 0)
    far.borrower.save()
    assert ids(queue_cases(collector, now=now)) == [in_window.pk, plain.pk, far.pk]


def test_filters_and_search(lender, collector, now):
    a = mk(lender, collector, bucket="M2")
    a.borrower.name = "张三丰"
    a.borrower.save()
    b = mk(lender, collector, bucket="M1")
    f.LoanFactory(lender=lender, borrower=b.borrower, case=b, external_id="LN-777")
    c = mk(lender, collector, bucket="M1")
    f.ContactPointFactory(borrower=c.borrower, value="13912345678")
    f.PromiseFactory(case=c, promised_date=now.date())
    assert ids(queue_cases(collector, now=now, filters=QueueFilters(bucket="M2"))) == [a.pk]
    assert ids(queue_cases(collector, now=now, filters=QueueFilters(q="三丰"))) == [a.pk]
    assert ids(queue_cases(collector, now=now, filters=QueueFilters(q="LN-777"))) == [b.pk]
    assert ids(queue_cases(collector, now=now, filters=QueueFilters(q="1234 5678"))) == [c.pk]
    assert ids(queue_cases(collector, now=now, filters=QueueFilters(promise_due=True))) == [c.pk]


def test_next_case_skips_current_and_cases_called_today(lender, collector, now):
    first = mk(lender, collector, overdue_amount=Decimal("900"))
    called = mk(lender, collector, overdue_amount=Decimal("800"), last_contact_at=now - dt.timedelta(minutes=30))
    third = mk(lender, collector, overdue_amount=Decimal("700"))
    assert next_case_id(collector, after_id=first.pk, now=now) == third.pk
    assert called.pk != third.pk


# --- the page ----------------------------------------------------------------------------


def test_queue_page_lists_own_cases_with_masked_phone_and_call_state(client, lender, collector, other_collector):
    mine = mk(lender, collector)
    f.ContactPointFactory(borrower=mine.borrower, value="13812345678")
    theirs = mk(lender, other_collector)
    blocked = mk(lender, collector)
    blocked.borrower.cease_contact = True
    blocked.borrower.save()
    client.force_login(collector)
    r = client.get("/queue/")
    assert r.status_code == 200
    body = r.content.decode()
    assert f"/cases/{mine.pk}/" in body and f"/cases/{theirs.pk}/" not in body
    assert "138****5678" in body and "13812345678" not in body
    assert "stop_flag" in body


def test_supervisor_may_view_team_members_queue_but_not_others(client, lender, supervisor, collector):
    mine = mk(lender, collector)
    outsider = f.CollectorFactory(username="outsider")
    client.force_login(supervisor)
    r = client.get(f"/queue/?collector={collector.pk}")
    assert r.status_code == 200 and f"/cases/{mine.pk}/" in r.content.decode()
    assert client.get(f"/queue/?collector={outsider.pk}").status_code == 404
    assert client.get("/queue/?collector=abc").status_code == 404


def test_collector_cannot_view_another_queue(client, collector, other_collector):
    client.force_login(collector)
    assert client.get(f"/queue/?collector={other_collector.pk}").status_code == 404


def test_field_agent_and_anonymous_cannot_open_queue(client):
    assert client.get("/queue/").status_code == 302
    client.force_login(f.FieldAgentFactory())
    assert client.get("/queue/").status_code == 403


def _fill(lender, collector, n, now):
    for i in range(n):
        case = mk(lender, collector, bucket=["M1", "M2", "M3"][i % 3], first_worked_at=None if i % 4 == 0 else now)
        b = case.borrower
        b.timezone = ["", "Asia/Urumqi", "America/New_York"][i % 3]
        b.save()
        f.ContactPointFactory(borrower=b)
        f.PromiseFactory(case=case, promised_date=now.date())
        m.ContactLog.objects.create(
            case=case, borrower=b, channel="phone", outcome="no_answer", is_attempt=True,
            occurred_at=now - dt.timedelta(hours=1),
        )


def test_queue_query_count_does_not_grow_with_the_queue(client, lender, collector, django_assert_max_num_queries):
    now = timezone.now()
    client.force_login(collector)
    _fill(lender, collector, 10, now)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get("/queue/").status_code == 200
    _fill(lender, collector, 190, now)
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = client.get("/queue/?page=2")
    assert r.status_code == 200
    assert r.content.decode().count('class="qrow') == 50
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/queue/?q=B0&bucket=M2&promise_due=1").status_code == 200
    assert len(small.captured_queries) <= 12


def test_verdict_matches_service(lender, collector, now):
    case = mk(lender, collector)
    for h in (1, 2, 3):
        svc.log_contact(case=case, user=collector, channel="phone", outcome="busy", now=now - dt.timedelta(minutes=h))
    page_case = queue_cases(collector, now=now).get(pk=case.pk)
    assert verdict_reads.verdicts_for_cases([page_case], now=now)[case.pk].rule == "daily_cap"


def test_new_case_assigned_at_night_is_due_inside_contact_hours(client, lender, collector):
    """Assigned at 03:44 the first contact is due by 10:00 (two hours of the 08:00–21:00 window)."""
    from collections_app.services.allocation import assign_cases

    tomorrow = timezone.now().astimezone(SH).date() + dt.timedelta(days=1)
    assigned = dt.datetime.combine(tomorrow, dt.time(3, 44), tzinfo=SH)
    case = f.CaseFactory(lender=lender, first_worked_at=None)
    assign_cases(case_ids=[case.pk], to_user=collector, now=assigned)
    client.force_login(collector)
    html = client.get("/queue/").content.decode()
    assert f"first contact due by {tomorrow:%m-%d} 10:00" in html
    assert "05:44" not in html
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"first contact due by {tomorrow:%Y-%m-%d} 10:00" in html


def test_promise_amount_in_the_queue_has_two_decimals(client, lender, collector, now):
    """SQLite returns a subquery's decimal with the float's digits (439.830000000000)."""
    case = mk(lender, collector)
    f.PromiseFactory(case=case, promised_date=now.date(), amount=Decimal("439.83"))
    client.force_login(collector)
    body = client.get("/queue/").content.decode()
    assert f"{now.date():%m-%d} · 439.83<" in body
    assert "439.830" not in body
    assert ">1000.00</td>" in body  # the overdue amount


def test_every_zone_of_the_book_gets_its_window_and_the_count_matches_the_rows(client, lender, collector, now):
    """The zones come from the whole book (an index walk), not the queue's rows; a borrower in a
    zone only they have still gets the window of their own clock, and the page's count (taken
    without the annotations' joins) is the number of rows it can show, with each filter."""
    from collections_app.selectors.queue import QueueFilters, _zones, queue_page

    lender.timezone = "Europe/London"
    lender.save()
    plain = mk(lender, collector, overdue_amount=Decimal("9000"))
    plain.borrower.timezone = "Asia/Shanghai"
    plain.borrower.save()
    lonely = mk(lender, collector, overdue_amount=Decimal("10"))
    lonely.borrower.timezone = "Asia/Kathmandu"  # 07:45 there when it is 10:00 in Shanghai
    lonely.borrower.preferred_call_start = dt.time(7, 30)
    lonely.borrower.preferred_call_end = dt.time(8, 0)
    lonely.borrower.save()
    assert {"Asia/Shanghai", "Asia/Kathmandu", "Europe/London"} <= _zones()
    assert ids(queue_cases(collector, now=now)) == [lonely.pk, plain.pk]
    f.PromiseFactory(case=plain, promised_date=now.date())
    for filters, expected in ((QueueFilters(), 2), (QueueFilters(promise_due=True), 1),
                              (QueueFilters(bucket="M9"), 0)):
        page, rows = queue_page(collector, now=now, filters=filters)
        assert page.paginator.count == len(rows) == expected


def test_pages_of_the_queue_count_once_and_a_page_past_the_end_shows_the_last(lender, collector, now):
    """The page's rows carry the queue's length (one query reads the queue); a page that is not a
    number is the first, a page past the end or below 1 the last (as Django's paginator does), and
    each row gets its borrower's own primary phone and its case's pending promise."""
    from collections_app.selectors.queue import PAGE_SIZE, queue_page

    cases = [mk(lender, collector, overdue_amount=Decimal(1000 + i)) for i in range(PAGE_SIZE + 3)]
    first = cases[-1]  # the largest overdue heads the queue
    f.ContactPointFactory(borrower=first.borrower, value="13900000001", is_primary=False)
    f.ContactPointFactory(borrower=first.borrower, value="13900000002", is_primary=True)
    f.ContactPointFactory(borrower=first.borrower, value="13900000003", relation=m.Relation.RELATIVE, is_primary=True)
    f.PromiseFactory(case=first, promised_date=now.date() + dt.timedelta(days=9), amount=Decimal("20.00"),
                     status=m.PromiseStatus.REPLACED)
    f.PromiseFactory(case=first, promised_date=now.date() + dt.timedelta(days=2), amount=Decimal("10.00"))
    f.PromiseFactory(case=first, promised_date=now.date() + dt.timedelta(days=1), amount=Decimal("5.00"),
                     status=m.PromiseStatus.CANCELLED)
    expected = ids(queue_cases(collector, now=now))
    for asked, number in ((1, 1), ("1", 1), (2, 2), ("x", 1), (None, 1), (3, 2), (0, 2), (-4, 2), (10**30, 2)):
        page, rows = queue_page(collector, now=now, page=asked)
        assert page.number == number, asked
        assert page.paginator.count == PAGE_SIZE + 3 and page.paginator.num_pages == 2
        assert ids(rows) == expected[(number - 1) * PAGE_SIZE:number * PAGE_SIZE], asked
    page, rows = queue_page(collector, now=now)
    assert (rows[0].pk, rows[0].phone, rows[0].promise_date, rows[0].promise_amount) == (
        first.pk, "13900000002", now.date() + dt.timedelta(days=2), Decimal("10.00"))
    assert (rows[1].phone, rows[1].phone_id, rows[1].promise_date) == (None, None, None)
    assert page.has_next() and not page.has_previous()
    page, rows = queue_page(collector, now=now, filters=QueueFilters(bucket="M9"), page=3)
    assert (page.number, page.paginator.count, rows) == (1, 0, [])
