"""The supervisor's dashboard in a real browser on the demo book (several months of history), in
both languages: every panel shows figures, the aging chart draws, and the screenshots in
docs/screenshots/ are refreshed."""
import datetime as dt

import pytest
from django.core.management import call_command

from accounts.models import User
from collections_app import models as m
from collections_app.management.commands.seed_demo import DEMO_PASSWORD
from tests.supervisor.test_browser_pages import SHOTS, browser  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_dashboard_shows_last_months_figures(live_server, browser, lang):  # noqa: F811
    call_command("seed_demo", "--loans", "150", stdout=open("/dev/null", "w"))
    today = m.DelinquencyRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    User.objects.filter(username="admin1").update(language=lang)
    context = browser.new_context(viewport={"width": 1366, "height": 900},
                                  locale="zh-CN" if lang == "zh-hans" else "en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "admin1")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/supervisor/?from={last_month_end.replace(day=1)}&to={last_month_end}")
    page.locator("canvas").first.wait_for()
    html = page.content()
    assert "Traceback" not in html
    assert page.locator("table").count() >= 4  # summary, aging, roll rates, SLA / league
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"dashboard-{lang}.png"), full_page=True)
    context.close()
