"""A dispute opened and resolved in a real browser (Debian chromium through Playwright), with
screenshots in docs/screenshots."""
import datetime as dt

import pytest

from collections_app import models as m
from collections_app.services import nightly as engine
from tests import factories as f
from tests.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_open_and_resolve_a_dispute(live_server, browser_page, shots, tmp_path):
    supervisor = f.SupervisorFactory(username="wang")
    team = f.TeamFactory(supervisor=supervisor)
    collector = f.CollectorFactory(username="li", team=team)
    lender = f.LenderFactory(code="acme", name="Acme Finance")
    borrower = f.BorrowerFactory(lender=lender, name="张伟")
    f.ContactPointFactory(borrower=borrower, value="13800138000", is_primary=True)
    loan = f.LoanFactory(lender=lender, borrower=borrower)
    today = dt.date.today()
    f.InstallmentFactory(loan=loan, seq=1, due_date=today - dt.timedelta(days=40))
    f.InstallmentFactory(loan=loan, seq=2, due_date=today - dt.timedelta(days=10))
    engine.recalculate_loans(loan_ids=[loan.id])
    case = m.CollectionCase.objects.get(borrower=borrower)
    m.CollectionCase.objects.filter(pk=case.pk).update(assigned_to=collector, team=team)
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(b"%PDF-1.4\n%%EOF\n")

    page = browser_page
    base = live_server.url
    login(page, base, "li", lands_on="/queue/")
    page.goto(f"{base}/cases/{case.pk}/")
    page.click("#open-dispute summary")
    page.fill("#open-dispute input[name=reason]", "Says the March instalment was paid at the branch")
    page.fill("#open-dispute textarea[name=details]", "Bank counter receipt no. 0042, 2 March")
    page.set_input_files("#open-dispute input[name=files]", str(receipt))
    page.click("#open-dispute button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#disputes .dispute-open").count() == 1
    assert page.locator('#call-verdict [data-rule="dispute"]').count() == 1
    page.screenshot(path=str(shots / "dispute-open-en.png"), full_page=True)
    # a call is refused with the dispute as the rule, nothing saved
    page.select_option("select[name=outcome]", "no_answer")
    page.locator("#contact-form button[type=submit]").first.click()
    page.wait_for_timeout(500)
    assert page.locator('#call-verdict [data-rule="dispute"]').count() == 1
    assert not m.ContactLog.objects.filter(case=case).exists()

    page.context.clear_cookies()
    login(page, base, "wang", lands_on="/supervisor/")
    page.goto(f"{base}/supervisor/disputes/")
    assert page.locator(".dispute-row").count() == 1
    page.screenshot(path=str(shots / "dispute-warnings-en.png"), full_page=True)
    page.click(".dispute-row a")
    page.wait_for_load_state()
    page.check("#resolve-form input[value=rejected]")
    page.fill("#resolve-form textarea[name=note]", "The receipt is for loan L2, not this one.")
    page.click("#resolve-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#disputes .dispute-rejected").count() == 1
    assert page.locator("#call-verdict").get_attribute("data-allowed") in ("0", "1")
    page.screenshot(path=str(shots / "dispute-rejected-en.png"), full_page=True)
    dispute = m.Dispute.objects.get(case=case)
    assert dispute.status == m.DisputeStatus.REJECTED
    assert m.ContactLog.objects.filter(case=case, channel="letter", outcome="sent").count() == 1
    case.refresh_from_db()
    assert case.status == m.CaseStatus.OPEN
    assert page.violations == [] and page.script_errors == []
