"""The contact panel in a real browser: one verdict that follows the chosen number and channel,
third-party numbers disabled before M2, "this call already happened", and a stop outcome confirmed
and sent to the supervisor — with screenshots in both languages."""
import datetime as dt

import pytest
from django.utils import timezone

from collections_app import models as m
from tests import factories as f
from tests.browser import login, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _book(lang):
    """A case whose daily cap is reached (own number and a relative's), and a case with no calls yet."""
    lender = f.LenderFactory(code="demo", name="示范小贷", contact_start=dt.time(0, 0), contact_end=dt.time(23, 59, 59))
    collector = f.CollectorFactory(username="zhang", first_name="敏", last_name="张", language=lang)
    capped = f.CaseFactory(lender=lender, assigned_to=collector, bucket="M1", stage="M1", dpd=41,
                           first_worked_at=timezone.now() - dt.timedelta(days=3))
    own = f.ContactPointFactory(borrower=capped.borrower, value="13812340001", is_primary=True)
    sister = f.ContactPointFactory(borrower=capped.borrower, value="13987654321", relation="relative", name="李四")
    for minutes in (50, 30, 10):  # the daily cap is reached
        m.ContactLog.objects.create(case=capped, borrower=capped.borrower, user=collector, channel="phone",
                                    outcome="busy", is_attempt=True,
                                    occurred_at=timezone.now() - dt.timedelta(minutes=minutes))
    disputed = f.CaseFactory(lender=lender, assigned_to=collector, bucket="M2", stage="M2", dpd=70)
    f.ContactPointFactory(borrower=disputed.borrower, value="13812340002", is_primary=True)
    return capped, own, sister, disputed


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_one_verdict_breach_and_stop_flag(live_server, browser, shots, lang):
    capped, own, sister, disputed = _book(lang)
    page = new_page(browser, lang)
    base = live_server.url
    login(page, base, "zhang")

    # one verdict, for the chosen number and channel
    page.goto(f"{base}/cases/{capped.pk}/")
    assert page.locator("#call-verdict").count() == 1
    assert page.locator("#call-verdict [data-rule=daily_cap]").count() == 1
    assert page.locator(f"#f-cp option[value='{sister.pk}']").evaluate("o => o.disabled")
    assert "M2" in page.locator(f"#f-cp option[value='{sister.pk}']").inner_text()
    page.select_option("#f-cp", str(own.pk))
    page.select_option("#f-channel", "sms")
    page.locator("#call-verdict[data-allowed='1']").wait_for()  # an SMS is not capped
    page.select_option("#f-channel", "phone")
    page.locator("#call-verdict[data-allowed='0'] [data-rule=daily_cap]").wait_for()
    page.evaluate("document.getElementById('f-cp').setAttribute('size', '3')")
    page.locator(".case-main .card").first.screenshot(path=str(shots / f"contact-verdict-{lang}.png"))
    page.evaluate("document.getElementById('f-cp').removeAttribute('size')")

    # refused by default; "this call already happened" records it as a breach
    page.select_option("#f-outcome", "rpc")
    page.fill("#f-note", "客户主动回电 / he called back")
    page.click("#contact-form button.primary[type=submit]")
    page.locator("#already-happened").wait_for()
    # htmx settles a swapped element's class after a short delay (the old class first, for CSS
    # transitions), so the refusal's class is waited for, not read at once
    page.locator("#call-verdict.refusal [data-rule=daily_cap]").wait_for()
    assert page.locator("#call-verdict").count() == 1
    assert not m.ContactLog.objects.filter(breach_rule="daily_cap").exists()
    page.locator(".case-main .card").first.screenshot(path=str(shots / f"contact-breach-offer-{lang}.png"))
    page.click("#already-happened")
    page.locator("[data-contact-saved]").wait_for()
    breach = m.ContactLog.objects.get(breach_rule="daily_cap")
    assert breach.note == "客户主动回电 / he called back" and breach.is_attempt
    assert m.ApprovalRequest.objects.filter(kind="rule_breach", case=capped).exists()

    # a stop outcome: confirmation step, then the case leaves the open queue
    page.goto(f"{base}/cases/{disputed.pk}/")
    page.locator("#call-verdict[data-allowed='1']").wait_for()
    assert not page.locator("#stop-confirm").is_visible()
    page.select_option("#f-outcome", "dispute")
    page.locator("#stop-confirm").wait_for()  # shown as soon as a stopping outcome is chosen
    page.fill("#f-note", "称已在门店现金还清 / says paid in cash at the branch")
    page.click("#contact-form button.primary[type=submit]")  # not confirmed yet
    page.locator("#stop-confirm .error").wait_for()
    assert not m.ContactLog.objects.filter(case=disputed).exists()
    page.fill("#f-stopreason", "Borrower disputes: paid in cash at the branch")
    page.locator(".case-main .card").first.screenshot(path=str(shots / f"contact-stop-confirm-{lang}.png"))
    page.check("#f-confirmstop")
    page.click("#contact-form button.primary[type=submit]")
    page.locator("[data-contact-saved]").wait_for()
    page.locator("#call-verdict [data-rule=stop_flag]").wait_for()
    assert m.Borrower.objects.get(pk=disputed.borrower_id).dispute is True
    assert m.ApprovalRequest.objects.get(kind="stop_flag", case=disputed).reason == \
        "Borrower disputes: paid in cash at the branch"
    # a case note over the limit is refused with the limit, and the typed text stays
    page.fill("#f-notetext", "长" * 10001)
    page.click(".note-form button[type=submit]")
    page.locator("#timeline .error").wait_for()
    assert "10,000" in page.locator("#timeline .error").inner_text()
    page.wait_for_timeout(200)
    assert len(page.input_value("#f-notetext")) == 10001
    page.fill("#f-notetext", "已转主管复核")
    page.click(".note-form button[type=submit]")
    page.locator("#timeline li", has_text="已转主管复核").wait_for()
    page.wait_for_timeout(200)
    assert page.input_value("#f-notetext") == ""
    page.goto(f"{base}/queue/")
    assert page.locator(f"a.case-link[href='/cases/{disputed.pk}/']").count() == 0
    page.goto(f"{base}/queue/?status=suspended")
    row = page.locator("tr.qrow", has=page.locator(f"a.case-link[href='/cases/{disputed.pk}/']"))
    assert row.locator("[data-rule=stop_flag]").count() == 1
    page.screenshot(path=str(shots / f"queue-suspended-{lang}.png"), full_page=True)
    page.context.close()
