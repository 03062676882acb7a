"""The reports list and the lender's monthly statement in a real browser, in both languages, with
screenshots: a supervisor downloads a stored report's PDF and the rows behind a reconciliation figure."""
import pytest

from collections_app import models as m
from collections_app import tasks
from tests import factories as f
from tests.browser import login, new_page

from .book import make_book

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_supervisor_lists_reports_and_reads_the_statement(live_server, browser, shots, settings, lang):
    settings.BUSINESS_DATE = "2026-11-03"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    lender = f.LenderFactory(code="demo", name="示范小贷")
    boss = f.SupervisorFactory(username="boss", first_name="伟", last_name="刘", language=lang)
    team = f.TeamFactory(name="电催一组", supervisor=boss, lender=lender)
    f.CollectorFactory(username="zhang", first_name="敏", last_name="张", team=team)
    make_book(lender)
    tasks.generate_reports.delay("week")
    tasks.generate_reports.delay("month")
    assert m.Report.objects.filter(status=m.ReportStatus.READY).count() == 8  # zhang, the team, two lenders × 2

    page = new_page(browser, lang)
    login(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/supervisor/reports/")
    rows = page.locator("#stored-reports tbody tr")
    assert rows.count() == 6  # not the other lender's
    with page.expect_download() as download:
        page.locator("#stored-reports a", has_text="PDF").first.click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.screenshot(path=str(shots / f"reports-{lang}.png"), full_page=True)

    page.goto(f"{live_server.url}/supervisor/reconciliation/?lender=demo&month=2026-10")
    assert page.locator("#reconciliation-month").is_visible()
    assert "1,400.00" in page.locator("#reconciliation-month").inner_text()
    with page.expect_download() as download:
        page.locator("#reconciliation-month a[href*='table=write_offs'][href*='xlsx']").click()
    assert download.value.suggested_filename == "reconciliation-demo-2026-10-write_offs.xlsx"
    page.screenshot(path=str(shots / f"reconciliation-{lang}.png"), full_page=True)
    page.context.close()
