"""A collector's day in a real browser (Debian chromium through Playwright), with screenshots."""
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from collections_app import models as m
from tests import factories as f
from tests.browser import login as browser_login
from tests.browser import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def out_of_hours_zone(now):
    """A time zone in which ``now`` is well outside 08:00–21:00."""
    for offset in range(-12, 15):
        name = f"Etc/GMT{'+' if offset <= 0 else '-'}{abs(offset)}" if offset else "UTC"
        local = now.astimezone(ZoneInfo(name))
        minutes = local.hour * 60 + local.minute
        if 60 <= minutes <= 7 * 60 or 22 * 60 <= minutes <= 23 * 60:
            return name
    raise AssertionError("no zone found")


def make_day(collector, lender):
    """A small realistic queue: a promise due today, a callback, new cases, worked cases."""
    now = timezone.now()
    today = timezone.localdate()
    specs = [
        ("M1", 38, "3200.00", {}),
        ("M2", 74, "15800.00", {"first_worked_at": None, "first_contact_due_at": now - dt.timedelta(minutes=40)}),
        ("M3", 102, "42100.00", {"callback_at": now - dt.timedelta(minutes=5)}),
        ("M1", 45, "2100.00", {}),
        ("M0", 12, "980.00", {"first_worked_at": None, "first_contact_due_at": now + dt.timedelta(minutes=70)}),
        ("M4", 133, "67000.00", {}),
    ]
    cases = []
    for i, (bucket, dpd, overdue, extra) in enumerate(specs):
        extra.setdefault("first_worked_at", now - dt.timedelta(days=4))
        extra.setdefault("last_contact_at", now - dt.timedelta(days=1, hours=i) if extra["first_worked_at"] else None)
        extra.setdefault("last_outcome", "no_answer" if extra["last_contact_at"] else "")
        case = f.CaseFactory(
            lender=lender, assigned_to=collector, bucket=bucket, stage=bucket, dpd=dpd,
            overdue_amount=Decimal(overdue), outstanding_amount=Decimal(overdue) * 3, **extra,
        )
        b = case.borrower
        b.employer = ["深圳市华强电子有限公司", "个体经营", "杭州某物流公司", "", "成都餐饮店", "外卖骑手"][i]
        b.save()
        f.ContactPointFactory(borrower=b, value=f"1381234{i:04d}", is_primary=True)
        if i == 1:
            f.ContactPointFactory(borrower=b, value="13987654321", relation="emergency", name="李四")
        loan = f.LoanFactory(
            lender=lender, borrower=b, case=case, external_id=f"LN2026{i:05d}", dpd=dpd, bucket=bucket,
            overdue_amount=Decimal(overdue), outstanding_amount=Decimal(overdue) * 3, principal=Decimal("60000"),
        )
        for seq in range(1, 5):
            f.InstallmentFactory(
                loan=loan, seq=seq, due_date=today - dt.timedelta(days=dpd) + dt.timedelta(days=30 * (seq - 1)),
                principal_due=Decimal(overdue) / 2, interest_due=Decimal("120.00"),
            )
        if extra["last_contact_at"]:
            m.ContactLog.objects.create(
                case=case, borrower=b, user=collector, channel="phone", outcome="no_answer", is_attempt=True,
                occurred_at=extra["last_contact_at"], note="无人接听",
            )
        cases.append(case)
    f.PromiseFactory(case=cases[3], promised_date=today, amount=Decimal("2100.00"))
    return cases


def login(page, base, username):
    """A collector signs in and lands on the queue."""
    browser_login(page, base, username, lands_on="/queue/")


def test_collector_works_the_queue(live_server, browser_page):
    lender = f.LenderFactory(code="demo", name="示范小贷", contact_start=dt.time(0, 0), contact_end=dt.time(23, 59, 59))
    collector = f.CollectorFactory(username="zhang", first_name="张", last_name="敏", language="en")
    cases = make_day(collector, lender)
    page = browser_page
    base = live_server.url

    login(page, base, "zhang")
    rows = page.locator("tr.qrow")
    assert rows.count() == 6
    first_href = rows.first.locator("a.case-link").get_attribute("href")
    assert first_href == f"/cases/{cases[3].pk}/"  # the promise due today leads
    rows.first.locator("a.case-link").click()
    page.wait_for_url(f"{base}{first_href}")

    page.select_option("#f-outcome", "promise")
    page.fill("#f-pamount", "2100")
    page.fill("#f-pdate", (timezone.localdate() + dt.timedelta(days=2)).isoformat())
    page.fill("#f-note", "Promised to transfer on payday")
    url_before = page.url
    page.click("#contact-form button[type=submit]")
    page.locator("#next-case").wait_for()
    assert page.url == url_before  # htmx swap, no reload
    assert "Promised to transfer on payday" in page.locator("#timeline").inner_text()
    assert m.PromiseToPay.objects.filter(case=cases[3], amount=Decimal("2100")).exists()
    next_href = page.locator("#next-case").get_attribute("href")
    assert next_href == f"/cases/{cases[2].pk}/"  # the callback due now
    page.click("#next-case")
    page.wait_for_url(f"{base}{next_href}")


def test_refused_call_shows_rule_and_when(live_server, browser_page):
    lender = f.LenderFactory(code="strict", name="Strict Lender")
    collector = f.CollectorFactory(username="li", language="en")
    case = f.CaseFactory(lender=lender, assigned_to=collector, bucket="M1")
    case.borrower.timezone = out_of_hours_zone(timezone.now())
    case.borrower.save()
    page = browser_page
    login(page, live_server.url, "li")
    assert page.locator("tr.qrow [data-rule=contact_hours]").count() == 1
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    assert page.locator("#call-verdict [data-rule=contact_hours]").count() == 1
    page.select_option("#f-outcome", "no_answer")
    page.click("#contact-form button[type=submit]")
    page.locator(".refusal").wait_for()
    text = page.locator(".refusal").inner_text()
    assert "Allowed from" in text and "08:00" in text
    assert not m.ContactLog.objects.exists()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_screenshots(live_server, browser, shots, lang):
    lender = f.LenderFactory(code="demo", name="示范小贷", contact_start=dt.time(0, 0), contact_end=dt.time(23, 59, 59))
    collector = f.CollectorFactory(username="zhang", first_name="敏", last_name="张", language=lang)
    f.FieldAgentFactory(username="wang", first_name="王", last_name="强")
    cases = make_day(collector, lender)
    case = cases[1]
    case.borrower.borrower_type = "evasive"
    case.borrower.save()
    case.overdue_reason = "cash_flow"
    case.save()
    m.CaseNote.objects.create(case=case, author=collector, text="客户称月底资金回笼")
    for minutes in (50, 30, 10):  # the daily cap is reached for one borrower
        m.ContactLog.objects.create(
            case=cases[0], borrower=cases[0].borrower, user=collector, channel="phone", outcome="busy",
            is_attempt=True, occurred_at=timezone.now() - dt.timedelta(minutes=minutes),
        )
    cases[5].borrower.dispute = True
    cases[5].borrower.save()
    page = new_page(browser, lang)
    login(page, live_server.url, "zhang")
    page.screenshot(path=str(shots / f"queue-{lang}.png"), full_page=True)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.locator("#contact-form").wait_for()
    page.screenshot(path=str(shots / f"case-{lang}.png"), full_page=True)
    if lang == "en":
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{live_server.url}/queue/")
        page.screenshot(path=str(shots / "queue-phone-en.png"), full_page=True)
    page.context.close()
    assert (shots / f"case-{lang}.png").stat().st_size > 10000


def test_expired_session_keeps_the_note_and_logs_in_again(live_server, browser_page, tmp_path):
    from django.contrib.sessions.models import Session

    lender = f.LenderFactory(code="demo", name="示范小贷", contact_start=dt.time(0, 0), contact_end=dt.time(23, 59, 59))
    collector = f.CollectorFactory(username="zhao", language="en")
    case = f.CaseFactory(lender=lender, assigned_to=collector, bucket="M1")
    page = browser_page
    base = live_server.url
    login(page, base, "zhao")
    page.goto(f"{base}/cases/{case.pk}/")
    page.select_option("#f-outcome", "no_answer")
    page.fill("#f-note", "Rang twice, wife says he is at work")
    Session.objects.all().delete()  # the session expires while the collector types

    page.click("#contact-form button[type=submit]")
    page.wait_for_url(f"{base}/accounts/login/?next=%2Fcases%2F{case.pk}%2F")
    assert page.locator("#contact-panel").count() == 0  # the whole window, not a panel inside the case page
    page.screenshot(path=str(tmp_path / "session-expired-login.png"))
    assert not m.ContactLog.objects.exists()

    page.fill("#id_username", "zhao")
    page.fill("#id_password", f.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/cases/{case.pk}/")
    assert page.input_value("#f-note") == "Rang twice, wife says he is at work"
    assert "restored" in page.locator(".draft-restored").inner_text()
    page.screenshot(path=str(tmp_path / "note-draft-restored.png"))

    page.select_option("#f-outcome", "no_answer")
    page.click("#contact-form button[type=submit]")
    page.locator("[data-contact-saved]").wait_for()
    assert m.ContactLog.objects.get().note == "Rang twice, wife says he is at work"
    assert page.evaluate("Object.keys(window.localStorage).length") == 0  # the draft is gone once saved
    page.reload()
    assert page.input_value("#f-note") == ""


def test_marking_a_number_wrong_refreshes_the_picker(live_server, browser_page):
    lender = f.LenderFactory(code="demo", name="示范小贷", contact_start=dt.time(0, 0), contact_end=dt.time(23, 59, 59))
    collector = f.CollectorFactory(username="qian", language="en")
    case = f.CaseFactory(lender=lender, assigned_to=collector, bucket="M2")
    bad = f.ContactPointFactory(borrower=case.borrower, value="13811112222", is_primary=True)
    good = f.ContactPointFactory(borrower=case.borrower, value="13933334444")
    page = browser_page
    login(page, live_server.url, "qian")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.select_option("#f-cp", str(good.pk))
    assert page.locator(f"#f-cp option[value='{bad.pk}']").count() == 1
    page.locator("#contact-points li", has_text="2222").locator("button[value=wrong]").click()
    # the wrong number can no longer be chosen: it stays listed, disabled, with the reason
    page.locator(f"#f-cp option[value='{bad.pk}'][disabled]").wait_for(state="attached")
    assert "Wrong number" in page.locator(f"#f-cp option[value='{bad.pk}']").inner_text()
    assert page.input_value("#f-cp") == str(good.pk)


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_supervisor_approves_a_visit_with_an_agent(live_server, browser, shots, lang):
    lender = f.LenderFactory(code="demo", name="示范小贷", contact_start=dt.time(0, 0), contact_end=dt.time(23, 59, 59))
    supervisor = f.SupervisorFactory(username="boss", first_name="伟", last_name="刘", language=lang)
    team = f.TeamFactory(name="电催一组", supervisor=supervisor, region="浦东")
    collector = f.CollectorFactory(username="zhang", first_name="敏", last_name="张", team=team, language=lang)
    busy = f.FieldAgentFactory(username="wang", first_name="强", last_name="王", team=team, region="浦东", language=lang)
    near = f.FieldAgentFactory(username="zhao", first_name="磊", last_name="赵", team=team, region="浦东", language=lang)
    f.FieldAgentFactory(username="sun", first_name="丽", last_name="孙", team=team, region="闵行")
    cases = make_day(collector, lender)
    m.FieldVisit.objects.create(case=cases[0], agent=busy, status="approved", due_on=timezone.localdate())
    case = cases[2]
    case.borrower.region = "浦东"
    case.borrower.address = "上海市浦东新区世纪大道100号"
    case.borrower.save()
    from collections_app.services.visits import request_visit

    visit = request_visit(case=case, user=collector, reason="电话长期无人接听")
    f.PromiseFactory(case=cases[4], amount=Decimal("980.00"), promised_date=timezone.localdate() + dt.timedelta(days=30),
                     approval=m.ApprovalRequest.objects.create(kind="promise_extension", case=cases[4], requested_by=collector,
                                                               reason="发薪日在下月"))
    page = new_page(browser, lang)
    base = live_server.url
    browser_login(page, base, "boss", lands_on="/supervisor/")
    page.click("nav.mainnav a[href='/supervisor/approvals/']")
    page.wait_for_url(f"{base}/supervisor/approvals/")
    picker = page.locator("tr[data-kind=field_visit] select[name=agent]")
    assert picker.input_value() == str(near.pk)  # same region, no open visits
    assert "980.00" in page.locator("tr[data-kind=promise_extension]").inner_text()
    page.screenshot(path=str(shots / f"approvals-{lang}.png"), full_page=True)
    page.locator("tr[data-kind=field_visit] button[value=approve]").click()
    page.wait_for_load_state()
    visit.refresh_from_db()
    assert (visit.status, visit.agent_id) == ("approved", near.pk)
    visit.status, visit.planned_for = "planned", visit.due_on + dt.timedelta(days=3)  # planned too late
    visit.save()
    page.goto(f"{base}/supervisor/allocation/")
    assert page.locator(".workload").count() == 1
    page.screenshot(path=str(shots / f"allocation-{lang}.png"), full_page=True)
    page.context.close()

    page = new_page(browser, viewport={"width": 390, "height": 844})
    browser_login(page, base, "zhao", lands_on="/visits/")
    card = page.locator(f"#visit-{visit.pk}")
    assert card.locator("a.map-link").count() == 1
    assert card.locator(".planned-late").is_visible()
    page.screenshot(path=str(shots / f"visits-{lang}.png"), full_page=True)
    page.context.close()
