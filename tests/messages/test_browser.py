"""In a real browser: a collector sends an SMS from the case page and sees it on the timeline; a
supervisor previews a template on that case. Screenshots in docs/screenshots."""
import importlib
import os
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from collections_app import models as m
from tests import factories as f
from tests.browser import SHOTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def daytime_zone():
    """A time zone in which it is now between 10:00 and 18:00."""
    now = timezone.now()
    for offset in range(-12, 15):
        name = f"Etc/GMT{'+' if offset <= 0 else '-'}{abs(offset)}" if offset else "UTC"
        if 10 <= now.astimezone(ZoneInfo(name)).hour < 18:
            return name
    raise AssertionError("no zone found")


def shipped_templates():
    """The migration's templates (a transactional test flushes them between tests)."""
    migration = importlib.import_module("collections_app.migrations.0019_default_message_templates")
    for code, channel, language, name, subject, body in migration.TEMPLATES:
        m.MessageTemplate.objects.get_or_create(code=code, lender=None, stage="any", language=language,
                                                defaults={"channel": channel, "name": name, "subject": subject,
                                                          "body": body})


def test_send_an_sms_from_the_case_page_and_preview_a_template(live_server, browser_page, settings, tmp_path):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MESSAGE_FILE_DIR = str(tmp_path)
    shipped_templates()
    lender = f.LenderFactory(code="acme", name="Acme Finance", payment_account="ICBC 6222 0000 1111",
                             collection_phone="400-800-1234")
    collector = f.CollectorFactory(username="li", first_name="Li", last_name="Ming")
    borrower = f.BorrowerFactory(lender=lender, name="王小明", timezone=daytime_zone(), preferred_language="en")
    case = f.CaseFactory(lender=lender, borrower=borrower, assigned_to=collector)
    f.ContactPointFactory(borrower=borrower, value="13800000001", is_primary=True)
    page = browser_page
    base = live_server.url
    login(page, base, "li")
    page.goto(f"{base}/cases/{case.pk}/")
    page.wait_for_selector("#m-template")
    page.select_option("#m-template", "sms:polite_reminder")
    page.click("#case-messages button[type=submit]")
    page.wait_for_selector(".message-row .pill.ok")
    assert page.locator(".message-row").count() == 1
    page.screenshot(path=str(SHOTS / "messages-case-send.png"), full_page=True)
    message = m.Message.objects.get(case=case)
    assert message.status == m.MessageStatus.SENT and "Dear 王小明" in message.body
    assert len(list(tmp_path.iterdir())) == 1
    page.reload()
    timeline = page.locator("#timeline").inner_text()
    assert "Sent (letter or message)" in timeline and "Dear 王小明" in timeline

    f.AdminFactory(username="boss")
    page.context.clear_cookies()
    login(page, base, "boss")
    template = m.MessageTemplate.objects.get(code="polite_reminder", language="zh-hans")
    page.goto(f"{base}/messages/templates/")
    page.click(f"a[href='/messages/templates/{template.pk}/']")
    page.fill("#p-case", str(case.pk))
    page.click("form.row-inline button[type=submit]")
    page.wait_for_selector("#preview-body")
    body = page.locator("#preview-body").inner_text()
    assert body.startswith("王小明您好") and "ICBC 6222 0000 1111" in body
    page.screenshot(path=str(SHOTS / "messages-template-preview.png"), full_page=True)
    assert page.violations == [] and page.script_errors == []


def test_a_supervisor_sends_a_campaign_and_the_collector_sees_it_and_downloads_a_letter(
        live_server, browser_page, settings, tmp_path):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MESSAGE_FILE_DIR = str(tmp_path / "sms")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    shipped_templates()
    supervisor = f.SupervisorFactory(username="zhang")
    team = f.TeamFactory(supervisor=supervisor)
    collector = f.CollectorFactory(username="li", team=team)
    lender = f.LenderFactory(code="acme", name="Acme Finance", payment_account="ICBC 6222 0000 1111")
    zone = daytime_zone()
    cases = []
    for i, bucket in enumerate(["M1", "M1", "M1", "M2"]):
        borrower = f.BorrowerFactory(lender=lender, timezone=zone, cease_contact=(i == 2))
        case = f.CaseFactory(lender=lender, borrower=borrower, bucket=bucket, stage=bucket, assigned_to=collector)
        f.ContactPointFactory(borrower=borrower, value=f"1380000{i:04d}", is_primary=True)
        cases.append(case)
    page = browser_page
    base = live_server.url
    login(page, base, "zhang")
    page.goto(f"{base}/supervisor/campaigns/")
    page.select_option("#c-bucket", "M1")
    page.select_option("#c-template", "sms:polite_reminder")
    page.click("#c-preview")
    page.wait_for_selector("#campaign-preview")
    assert [page.inner_text(f"#pv-{k}") for k in ("total", "now", "later", "never")] == ["3", "2", "0", "1"]
    page.screenshot(path=str(SHOTS / "messages-campaign-preview.png"), full_page=True)
    page.click("#c-send")
    page.wait_for_url(f"{base}/supervisor/campaigns/*/")
    page.wait_for_function("document.querySelector('#cp-status').innerText.includes('Done')")
    assert page.inner_text("#cp-now") == "2" and page.inner_text("#cp-never") == "1"
    page.screenshot(path=str(SHOTS / "messages-campaign-progress.png"), full_page=True)
    assert m.Message.objects.filter(status=m.MessageStatus.SENT).count() == 2

    page.context.clear_cookies()
    login(page, base, "li")
    page.goto(f"{base}/cases/{cases[0].pk}/")
    assert "Sent (letter or message)" in page.locator("#timeline").inner_text()
    page.wait_for_selector("#l-kind")
    page.select_option("#l-kind", "overdue_notice")
    page.click("#case-letters button[type=submit]")
    page.wait_for_selector("a.letter-pdf")
    with page.expect_download() as download:
        page.click("a.letter-pdf")
    saved = tmp_path / "letter.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    page.screenshot(path=str(SHOTS / "messages-case-letters.png"), full_page=True)
    assert page.violations == [] and page.script_errors == []
