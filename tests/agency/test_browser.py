"""In a real browser (Debian chromium through Playwright): a collector asks to place a case with an
agency, a supervisor approves it in the inbox, the agency's user works it, the supervisor recalls it
and it is gone from the agency. Screenshots go to the test's temporary directory (and
AGENCY_SHOTS, when set, to look at them)."""
import datetime as dt
import os
import shutil
from decimal import Decimal

import pytest
from django.utils import timezone

from collections_app import models as m
from tests import factories as f
from tests.agency.factories import AgencyFactory, AgencyUserFactory
from tests.browser import login
from tests.e2e.test_walkthroughs import ALL_DAY, delinquent_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def business_day():
    """The real today (the live server and the nightly run use it); overrides tests/agency's fixed day."""
    return timezone.localdate()


def shot(page, tmp_path, name):
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("AGENCY_SHOTS"):
        os.makedirs(os.environ["AGENCY_SHOTS"], exist_ok=True)
        shutil.copy(path, os.environ["AGENCY_SHOTS"])


def switch_user(page, base, username, lands_on):
    page.context.clear_cookies()
    login(page, base, username, lands_on=lands_on)


def test_place_with_an_agency_through_approval_and_recall(live_server, browser_page, tmp_path):
    lender = f.LenderFactory(code="agency-walk", name="示范小贷", **ALL_DAY)
    sup = f.SupervisorFactory(username="wang", first_name="芳", last_name="王", language="en")
    team = f.TeamFactory(supervisor=sup, lender=lender)
    collector = f.CollectorFactory(username="zhang", first_name="敏", last_name="张", language="en", team=team)
    case, _loan = delinquent_case(lender, collector, overdue_days=75)
    agency = AgencyFactory(name="安信催收", contract_start=timezone.localdate() - dt.timedelta(days=30),
                           default_rate=Decimal("0.2000"))
    agency.rates.create(bucket=case.bucket, rate=Decimal("0.2500"))
    AgencyUserFactory(username="ag1", agency=agency, language="en")
    page, base = browser_page, live_server.url

    login(page, base, "zhang", lands_on="/queue/")
    page.goto(f"{base}/cases/{case.pk}/")
    page.select_option("#place-form select[name=agency]", str(agency.pk))
    page.fill("#place-form input[name=reason]", "No contact for 30 days")
    page.click("#place-form button[type=submit]")
    page.locator(".messages").wait_for()
    assert "sent for approval" in page.locator(".messages").inner_text()
    shot(page, tmp_path, "1-collector-asks-to-place")
    assert not m.AgencyPlacement.objects.exists()

    switch_user(page, base, "wang", "/supervisor/")
    page.goto(f"{base}/supervisor/approvals/")
    row = page.locator("tr.approval-row[data-kind=agency]")
    assert "Place 1 case with 安信催收" in row.inner_text()
    shot(page, tmp_path, "2-supervisor-inbox")
    row.locator("button[value=approve]").click()
    page.locator(".messages").wait_for()
    placement = m.AgencyPlacement.objects.get(case=case)
    assert (placement.agency, placement.commission_rate) == (agency, Decimal("0.2500"))
    page.goto(f"{base}/cases/{case.pk}/")
    assert "Placed with 安信催收" in page.locator("#placement-active").inner_text()
    shot(page, tmp_path, "3-case-placed")
    page.goto(f"{base}/supervisor/agencies/")
    assert f"#{case.pk}" in page.locator("#placements").inner_text()
    shot(page, tmp_path, "4-agencies-page")

    switch_user(page, base, "ag1", "/agency/")
    assert "王小明" in page.locator("#agency-cases").inner_text()
    shot(page, tmp_path, "5-agency-user-list")
    page.click(f"#agency-cases a[href='/cases/{case.pk}/']")
    page.wait_for_url(f"{base}/cases/{case.pk}/")
    assert page.locator("#recall-button").count() == 0
    shot(page, tmp_path, "6-agency-user-case")

    switch_user(page, base, "wang", "/supervisor/")
    page.goto(f"{base}/cases/{case.pk}/")
    page.click("#recall-button")
    page.locator(".messages").wait_for()
    assert "recalled" in page.locator(".messages").inner_text()
    assert page.locator("#placement-active").count() == 0
    shot(page, tmp_path, "7-recalled")
    placement.refresh_from_db()
    assert placement.recall_reason == m.RecallReason.BY_HAND and placement.recalled_on == timezone.localdate()

    switch_user(page, base, "ag1", "/agency/")
    assert "王小明" not in page.locator("#agency-cases").inner_text()
    response = page.goto(f"{base}/cases/{case.pk}/")
    assert response.status == 404
