"""The overdue actions page and a case's actions in a real browser, screenshots in both languages."""
import datetime as dt
from decimal import Decimal

import pytest

from collections_app import models as m
from collections_app.selectors.loan_figures import business_date
from collections_app.services.actions import refresh_next_actions
from tests import factories as f
from tests.browser import login, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_supervisor_sees_overdue_actions_by_team_and_collector(live_server, browser, shots, lang):
    base = live_server.url
    today = business_date()
    lender = f.LenderFactory(code="demo", name="示范小贷")
    boss = f.SupervisorFactory(username="boss", first_name="伟", last_name="刘", language=lang)
    team = f.TeamFactory(name="电催一组", supervisor=boss)
    zhang = f.CollectorFactory(username="zhang", first_name="敏", last_name="张", team=team, language=lang)
    li = f.CollectorFactory(username="li", first_name="娜", last_name="李", team=team)
    kinds = [m.ActionKind.CALL, m.ActionKind.LETTER, m.ActionKind.SMS_REMINDER]
    for n, (who, late) in enumerate([(zhang, 2), (zhang, 5), (li, 1), (zhang, 9), (li, 4)]):
        case = f.CaseFactory(lender=lender, assigned_to=who, team=team, overdue_amount=Decimal("1200"))
        m.CaseAction.objects.create(case=case, rule_code="r", kind=kinds[n % 3], occurrence_key=str(n),
                                    due_on=today - dt.timedelta(days=late))
        m.CaseAction.objects.create(case=case, rule_code="r2", kind=m.ActionKind.ROBOT_CALL, occurrence_key=str(n),
                                    due_on=today + dt.timedelta(days=2))
        refresh_next_actions(case_ids=[case.pk])
    page = new_page(browser, lang)
    login(page, base, "boss")
    page.goto(f"{base}/supervisor/approvals/")
    page.click("nav.filters a[href='/supervisor/actions/']")
    page.wait_for_url(f"{base}/supervisor/actions/")
    assert page.locator("#overdue-by-collector tbody tr").count() == 2
    assert page.locator("#overdue-rows tbody tr").count() == 5
    page.screenshot(path=str(shots / f"overdue-actions-{lang}.png"), full_page=True)
    page.click("#overdue-rows tbody tr:first-child a")
    page.wait_for_load_state()
    assert page.locator("#open-actions li").count() == 2
    page.locator("#open-actions").screenshot(path=str(shots / f"case-actions-{lang}.png"))
    page.context.close()
