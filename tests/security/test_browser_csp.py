"""The Content-Security-Policy breaks nothing: every page of every role, the chart, htmx, the
select-all box, the language switch, the admin and the API docs work in a real browser with no
policy violation in the console."""

import pytest

from tests import factories as f
from tests.browser import login as browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, base, username):
    browser_login(page, base, username, wait="networkidle")


def test_pages_work_under_the_policy(live_server, browser_page):
    page, base = browser_page, live_server.url
    lender = f.LenderFactory(code="acme")
    sup = f.SupervisorFactory(username="boss")
    team = f.TeamFactory(supervisor=sup)
    coll = f.CollectorFactory(username="li", team=team)
    case = f.CaseFactory(lender=lender, assigned_to=coll, team=team)
    f.LoanFactory(lender=lender, borrower=case.borrower, case=case)
    f.AdminFactory(username="root")

    login(page, base, "boss")
    page.goto(f"{base}/supervisor/")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('aging-chart'))")
    page.goto(f"{base}/supervisor/allocation/")
    page.check("input[data-select-all]")
    boxes = page.locator("input[name=cases]")
    assert boxes.count() >= 1 and all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.select_option("select[name=language]", "en")
    page.wait_for_load_state("networkidle")

    page.context.clear_cookies()
    login(page, base, "li")
    page.goto(f"{base}/cases/{case.pk}/")
    page.fill("#f-notetext", "called back later")
    page.locator(".note-form button[type=submit]").click()
    page.wait_for_selector("#timeline >> text=called back later")

    page.context.clear_cookies()
    login(page, base, "root")
    page.goto(f"{base}/imports/")
    page.goto(f"{base}/admin/collections_app/collectioncase/{case.pk}/change/")
    page.goto(f"{base}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert not page.violations, page.violations
    assert not page.script_errors, page.script_errors
