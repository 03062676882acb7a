"""The targets, complaints and strategy pages in a real browser (Debian chromium through
Playwright), with screenshots in both languages."""
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from collections_app import models as m
from collections_app.selectors.loan_figures import business_date
from collections_app.services import strategy
from tests import factories as f
from tests.browser import login, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_as(browser, base, username, lang):
    page = new_page(browser, lang)
    login(page, base, username)
    return page


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_supervisor_sets_a_weekly_target_and_resolves_a_complaint(live_server, browser, shots, lang):
    base = live_server.url
    lender = f.LenderFactory(code="demo", name="示范小贷")
    boss = f.SupervisorFactory(username="boss", first_name="伟", last_name="刘", language=lang)
    team = f.TeamFactory(name="电催一组", supervisor=boss)
    zhang = f.CollectorFactory(username="zhang", first_name="敏", last_name="张", team=team, language=lang)
    f.CollectorFactory(username="li", first_name="娜", last_name="李", team=team)
    today = timezone.localdate()
    m.Target.objects.create(period="month", period_start=today.replace(day=1), team=team, amount=Decimal("300000"),
                            set_by=boss)
    m.Target.objects.create(period="day", period_start=today, collector=zhang, amount=Decimal("5000"), set_by=boss)
    cases = [f.CaseFactory(lender=lender, assigned_to=zhang, team=team, bucket=b) for b in ("M1", "M2", "M3")]
    for i, (case, text, days) in enumerate(zip(cases, ["客户投诉催收频率过高", "称催收员语气不当", "要求停止联系其单位"],
                                                  [2, 20, 6], strict=True)):
        received = timezone.now() - dt.timedelta(days=days)
        m.Complaint.objects.create(case=case, borrower=case.borrower, against_user=zhang if i < 2 else None,
                                   channel="电话", description=text, received_at=received, owner=boss,
                                   due_on=timezone.localdate(received) + dt.timedelta(days=15), logged_by=zhang)

    page = open_as(browser, base, "boss", lang)
    page.goto(f"{base}/supervisor/targets/")
    page.select_option("#t-subject", f"team:{team.id}")
    page.select_option("#t-period", "week")
    page.fill("#t-day", today.isoformat())
    page.fill("#t-amount", "70000")
    page.click("#target-form button[type=submit]")
    page.wait_for_load_state()
    monday = today - dt.timedelta(days=today.isoweekday() - 1)
    target = m.Target.objects.get(period="week", team=team)
    assert (target.period_start, target.amount) == (monday, Decimal("70000.00"))
    assert page.locator("tr.target-row").count() == 3
    page.screenshot(path=str(shots / f"targets-{lang}.png"), full_page=True)

    page.click("nav.mainnav a[href='/supervisor/complaints/']")
    page.wait_for_url(f"{base}/supervisor/complaints/")
    assert page.locator("tr.complaint-row").count() == 3
    page.screenshot(path=str(shots / f"complaints-{lang}.png"), full_page=True)
    late = m.Complaint.objects.get(description="称催收员语气不当")
    page.goto(f"{base}/supervisor/complaints/{late.id}/")
    page.fill("#c-note", "已回电致歉，并对该催收员进行了提醒")
    page.click("form:has(input[value=resolve]) button[type=submit]")
    page.wait_for_load_state()
    late.refresh_from_db()
    assert late.status == "resolved" and late.resolved_by == boss
    assert page.locator("tr.history-row").count() == 2
    page.screenshot(path=str(shots / f"complaint-{lang}.png"), full_page=True)
    page.context.close()

    page = open_as(browser, base, "zhang", lang)
    page.goto(f"{base}/cases/{cases[0].id}/complaint/")
    page.fill("#cf-description", "借款人称周末也被来电打扰")
    page.click("#complaint-form button[type=submit]")
    page.wait_for_url(f"{base}/cases/{cases[0].id}/")
    assert m.Complaint.objects.filter(description="借款人称周末也被来电打扰", owner=boss).exists()
    page.context.close()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_strategy_change_by_two_admins(live_server, browser, shots, lang):
    base = live_server.url
    active = strategy.ensure_default_strategy()
    f.AdminFactory(username="maker", first_name="芳", last_name="陈", language=lang)
    f.AdminFactory(username="checker", first_name="军", last_name="周", language=lang)
    page = open_as(browser, base, "maker", lang)
    page.goto(f"{base}/strategy/")
    page.fill("#v-note", "M1 提醒电话改为每 2 天一次")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    draft = m.StrategyVersion.objects.get(status="draft")
    row = page.locator("#edit-form tr", has=page.locator("input[value='m1-reminder-calls']"))
    row.locator("input[name$='repeat_every_days']").fill("2")
    page.click("#edit-form button.primary")
    page.wait_for_load_state()
    assert draft.rules.get(code="m1-reminder-calls").repeat_every_days == 2
    page.click("button[value=submit]")
    page.wait_for_load_state()
    page.context.close()
    assert m.StrategyVersion.objects.get(id=draft.id).status == "pending"

    page = open_as(browser, base, "checker", lang)
    page.goto(f"{base}/strategy/{draft.id}/")
    assert page.locator("#diff tr.diff-changed").count() == 1
    page.screenshot(path=str(shots / f"strategy-version-{lang}.png"), full_page=True)
    later = business_date() + dt.timedelta(days=7)
    page.fill("#v-eff", later.isoformat())
    page.click("#decide-form button[value=approve]")
    page.wait_for_load_state()
    draft.refresh_from_db()
    assert (draft.status, draft.effective_from) == ("approved", later)
    page.goto(f"{base}/strategy/")
    page.screenshot(path=str(shots / f"strategy-{lang}.png"), full_page=True)
    page.goto(f"{base}/strategy/{active.id}/")
    assert page.locator("#read-only-note").count() == 1 and page.locator("#edit-form").count() == 0
    page.context.close()
