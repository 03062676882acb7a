"""The supervisor's dashboard in a real browser on the demo book (several months of history), in
both languages: every panel shows figures, the aging chart draws, and the screenshots in
docs/screenshots/ are refreshed."""
import datetime as dt

import pytest
from django.core.management import call_command

from accounts.models import User
from collections_app import models as m
from collections_app.management.commands.seed_demo import DEMO_PASSWORD
from tests.browser import login, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_dashboard_shows_last_months_figures(live_server, browser, shots, lang):
    call_command("seed_demo", "--loans", "150", stdout=open("/dev/null", "w"))
    today = m.DelinquencyRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    User.objects.filter(username="admin1").update(language=lang)
    page = new_page(browser, lang)
    login(page, live_server.url, "admin1", password=DEMO_PASSWORD)
    page.goto(f"{live_server.url}/supervisor/?from={last_month_end.replace(day=1)}&to={last_month_end}")
    page.locator("canvas").first.wait_for()
    html = page.content()
    assert "Traceback" not in html
    assert page.locator("table").count() >= 4  # summary, aging, roll rates, SLA / league
    page.screenshot(path=str(shots / f"dashboard-{lang}.png"), full_page=True)
    page.context.close()
