"""One case through its life in a real browser: a promise broken → a payment plan below the overdue
amount, approved by the supervisor → the plan broken → a settlement offer → paid → closed as settled
with a discount. Days pass through the nightly run (BUSINESS_DATE moves); screenshots go to the test's
temporary directory."""
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from collections_app import models as m
from collections_app.models.choices import CaseCloseReason, CaseStatus, PlanStatus, PromiseStatus
from collections_app.services import nightly
from collections_app.services.payments import record_payment
from tests import factories as f
from tests.e2e.test_walkthroughs import ALL_DAY, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
M = Decimal
DAY = dt.timedelta(days=1)


def night(settings, day):
    settings.BUSINESS_DATE = day.isoformat()
    nightly.run_delinquency(as_of=day)


def _case_with_a_broken_promise(settings):
    """A case of 王小明 with 1,020 overdue, its promise broken by tonight's run."""
    today = timezone.localdate()
    lender = f.LenderFactory(code="walk", name="示范小贷", **ALL_DAY)
    supervisor = f.SupervisorFactory(username="li", language="en")
    team = f.TeamFactory(name="M1 team", supervisor=supervisor)
    collector = f.CollectorFactory(username="zhang", team=team, language="en")
    borrower = f.BorrowerFactory(lender=lender, name="王小明")
    f.ContactPointFactory(borrower=borrower, value="13812340000", is_primary=True)
    loan = f.LoanFactory(lender=lender, borrower=borrower, external_id="LN-PLAN-1")
    f.InstallmentFactory(loan=loan, seq=1, due_date=today - 40 * DAY, principal_due=M("1000"), interest_due=M("20"))
    f.InstallmentFactory(loan=loan, seq=2, due_date=today + 20 * DAY, principal_due=M("1000"), interest_due=M("20"))
    night(settings, today - 5 * DAY)
    case = m.CollectionCase.objects.get(borrower=borrower)
    case.assigned_to, case.team = collector, team
    case.save()
    # a promise taken five days ago for yesterday, never paid: tonight's run breaks it
    promise = m.PromiseToPay.objects.create(case=case, borrower=borrower, amount=M("500"),
                                            promised_date=today - DAY, created_by=collector)
    m.PromiseToPay.objects.filter(pk=promise.pk).update(created_at=timezone.now() - 5 * DAY)
    night(settings, today)
    assert m.PromiseToPay.objects.get(pk=promise.pk).status == PromiseStatus.BROKEN
    return case, loan, lender, today


def test_promise_broken_plan_approved_then_broken_offer_paid_case_closed(live_server, browser_page, tmp_path,
                                                                        settings):
    case, loan, lender, today = _case_with_a_broken_promise(settings)

    page = browser_page
    base = live_server.url
    login(page, base, "zhang", "/queue/")
    page.goto(f"{base}/cases/{case.pk}/")
    page.locator("#promises-card li[data-status=broken]").wait_for()
    # a plan of 2 × 400 for the 1,020 overdue: below it, so a supervisor must approve
    page.click("#plan-details summary")
    page.fill("input[name=due_date_0]", (today + 3 * DAY).isoformat())
    page.fill("input[name=amount_0]", "400")
    page.fill("input[name=due_date_1]", (today + 10 * DAY).isoformat())
    page.fill("input[name=amount_1]", "400")
    page.click("#plan-form button[type=submit]")
    page.locator("#open-plan[data-status=pending_approval]").wait_for()
    page.screenshot(path=str(tmp_path / "1-plan-proposed.png"), full_page=True)

    page.context.clear_cookies()
    login(page, base, "li", "/supervisor/")
    page.goto(f"{base}/supervisor/approvals/")
    row = page.locator("tr", has_text="王小明")
    assert "800.00" in row.inner_text()
    page.screenshot(path=str(tmp_path / "2-approval-inbox.png"), full_page=True)
    row.locator("button[value=approve]").click()
    page.wait_for_load_state()
    plan = m.PaymentPlan.objects.get(case=case)
    assert plan.status == PlanStatus.ACTIVE and plan.activated_on == today
    assert m.AgingPause.objects.filter(loan=loan, kind="payment_plan", ends_on=None).count() == 1

    # nobody pays: 3 days' grace after the first date, the plan breaks on today + 7
    for k in range(1, 8):
        night(settings, today + k * DAY)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.BROKEN and plan.ended_on == today + 7 * DAY
    assert m.AgingPause.objects.get(loan=loan).ends_on == today + 6 * DAY

    page.context.clear_cookies()
    login(page, base, "zhang", "/queue/")
    assert page.locator(f"a[href='/cases/{case.pk}/']").count() >= 1  # back in the queue, at the top
    assert page.locator("text=Broken payment plan").count() == 1
    page.screenshot(path=str(tmp_path / "3-queue-after-broken-plan.png"), full_page=True)
    page.goto(f"{base}/cases/{case.pk}/")
    page.locator("#settlement-history li[data-kind=plan][data-status=broken]").wait_for()
    page.click("#offer-details summary")
    page.fill("#offer-form input[name=amount]", "1900")
    page.fill("#offer-form input[name=valid_until]", (today + 10 * DAY).isoformat())
    page.click("#offer-form button[type=submit]")
    page.locator("#open-offer[data-status=active]").wait_for()
    page.screenshot(path=str(tmp_path / "4-offer-active.png"), full_page=True)
    page.reload()
    assert page.locator("#payoff-today").inner_text() == "1900.00"  # what is left of the accepted offer

    settings.BUSINESS_DATE = (today + 8 * DAY).isoformat()
    record_payment(loan=loan, external_id="PAY-1", paid_on=today + 8 * DAY, amount=M("1900"), source="api",
                   as_of=today + 8 * DAY)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.close_reason == CaseCloseReason.DISCOUNTED
    offer = m.SettlementOffer.objects.get(case=case)
    assert offer.forgiven_amount > 0 and offer.status == "paid"
    page.reload()
    page.locator("#case-closed").wait_for()
    assert "Settled with a discount" in page.locator("#case-closed").inner_text()
    assert page.locator("#settlement-history li[data-kind=offer][data-status=paid]").count() == 1
    assert page.locator("#payoff-today").inner_text() == "0.00"  # the discounted loan owes nothing
    assert page.script_errors == [] and page.violations == []
    page.screenshot(path=str(tmp_path / "5-closed-settled.png"), full_page=True)
    print("screenshots:", tmp_path)
