"""The dashboard's trends in a real browser on the demo book, in both languages: the trend and aging
charts draw, the page's recovery rate equals the API's, the trend table exports as XLSX, the period
picker switches to the previous month (figures again equal to the API's), a stored report and a
case's evidence pack download; screenshots in docs/screenshots/dashboard-trends-*.png."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from accounts.models import User
from collections_app import models as m
from collections_app.management.commands.seed_demo import DEMO_PASSWORD
from collections_app.tasks import generate_reports
from tests.browser import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_dashboard_trends(live_server, browser, lang):
    call_command("seed_demo", "--loans", "120", stdout=open("/dev/null", "w"))
    today = m.DelinquencyRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    start = today - dt.timedelta(weeks=9)
    call_command("build_daily_figures", "--from", start.isoformat(), "--to", today.isoformat(), verbosity=0)
    assert m.DailyFigures.objects.exists()
    User.objects.filter(username="admin1").update(language=lang)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True,
                                  locale="zh-CN" if lang == "zh-hans" else "en-US")
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "admin1")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    period = f"from={today.replace(day=1)}&to={today}"
    page.goto(f"{live_server.url}/supervisor/?{period}")
    page.locator("#trend-chart").wait_for()
    assert "Traceback" not in page.content()
    drawn = page.evaluate("""() => ['trend-chart', 'aging-chart'].map(id => {
        const c = Chart.getChart(document.getElementById(id));
        return c ? c.data.datasets.map(s => s.data.length) : null; })""")
    assert drawn[0] and all(n == 8 for n in drawn[0]) and drawn[1]
    weekly = page.evaluate("() => Chart.getChart(document.getElementById('trend-chart')).data.datasets[0].data")
    assert sum(weekly) > 0
    api = page.request.get(f"{live_server.url}/api/kpis/?{period}").json()
    shown = page.inner_text("#recovery-rate")
    assert api["recovery_rate"] is not None
    assert abs(D(shown.rstrip("%")) - D(str(api["recovery_rate"])) * 100) <= D("0.01")
    with page.expect_download() as info:
        page.click("#trends a[href*='export=xlsx']")
    assert info.value.suggested_filename.startswith("trends-") and info.value.suggested_filename.endswith(".xlsx")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#trends").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"dashboard-trends-{lang}.png"), full_page=True)

    # the period picker: the previous month, and the page's figures follow the API's for it
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    page.fill("#f-from", last_month_end.replace(day=1).isoformat())
    page.fill("#f-to", last_month_end.isoformat())
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state()
    assert f"to={last_month_end}" in page.url
    page.locator("#trend-chart").wait_for()
    assert page.evaluate("() => !!Chart.getChart(document.getElementById('aging-chart'))")
    before = f"from={last_month_end.replace(day=1)}&to={last_month_end}"
    api = page.request.get(f"{live_server.url}/api/kpis/?{before}").json()
    shown = page.inner_text("#recovery-rate").rstrip("%")
    if api["recovery_rate"] is None:
        assert shown == "—"
    else:
        assert abs(D(shown) - D(str(api["recovery_rate"])) * 100) <= D("0.01")

    # a stored report, generated on beat, downloaded from the reports page
    generate_reports.delay("week")
    page.goto(f"{live_server.url}/supervisor/reports/")
    with page.expect_download() as info:
        page.locator("#stored-reports a", has_text="XLSX").first.click()
    assert info.value.suggested_filename.endswith(".xlsx")

    # an evidence pack from a case page
    case = m.CollectionCase.objects.filter(status=m.CaseStatus.OPEN).order_by("id").first()
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    with page.expect_download() as info:
        page.locator("#evidence-pack a").click()
    assert info.value.suggested_filename.startswith(f"evidence-pack-case-{case.pk}-")
    assert m.PersonalDataAccess.objects.filter(what="evidence pack").exists()
    context.close()
