"""In a real browser (Debian chromium through Playwright), with screenshots in docs/screenshots: a
supervisor draws a sample, scores a contact, sees the collector's score, and downloads a case's
evidence pack."""
import datetime as dt
import io
import zipfile

import pytest
from django.utils import timezone

from collections_app import models as m
from tests import factories as f
from tests.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sample_score_and_download_an_evidence_pack(live_server, browser_page, shots, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    supervisor = f.SupervisorFactory(username="wang", first_name="Wang", last_name="Fang")
    team = f.TeamFactory(name="Team East", supervisor=supervisor)
    collector = f.CollectorFactory(username="li", first_name="Li", last_name="Na", team=team)
    lender = f.LenderFactory(code="acme", name="Acme Finance")
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=team, borrower__name="张伟")
    now = timezone.now()
    f.ContactLogFactory(case=case, user=collector, occurred_at=now - dt.timedelta(minutes=30), outcome=m.Outcome.PROMISE,
                        is_conversation=True, number_used="13800138000",
                        note="Borrower promised 500 on Friday; wife overheard the amount.")

    page, base = browser_page, live_server.url
    login(page, base, "wang", lands_on="/supervisor/")
    page.goto(f"{base}/supervisor/quality/")
    page.fill("#s-from", (timezone.localdate(now) - dt.timedelta(days=2)).isoformat())
    page.select_option("#s-rule", "random")
    page.click("#sample-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".review-row").count() == 1
    page.screenshot(path=str(shots / "quality-sample-en.png"), full_page=True)

    page.click(".review-row a")
    page.wait_for_load_state()
    assert "13800138000" in page.inner_text("#review-contact")
    page.check('.item-row[data-code="third_party"] input[value="fail"]')
    page.check('.item-row[data-code="next_step"] input[value="na"]')
    page.fill("#r-comment", "Told the wife the amount owed.")
    page.screenshot(path=str(shots / "quality-review-en.png"), full_page=True)
    page.click("#review-form button[type=submit]")
    page.wait_for_url(f"{base}/supervisor/quality/")
    # weights 1+2+3+2+3+1 apply (next_step n/a), 3 not met: 9 / 12 = 75.00 %
    row = page.locator('.score-row[data-collector="li"]')
    assert row.locator(".score").inner_text() == "75.00%"
    assert "Discloses nothing of the debt to a third party (1)" in row.inner_text()
    page.screenshot(path=str(shots / "quality-scores-en.png"), full_page=True)
    review = m.QualityReview.objects.get()
    assert review.status == m.ReviewStatus.DONE and review.reviewer == supervisor

    page.goto(f"{base}/cases/{case.pk}/")
    page.locator("#evidence-pack").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "evidence-pack-card-en.png"))
    with page.expect_download() as info:
        page.click("#evidence-pack a")
    download = info.value
    assert download.suggested_filename.startswith(f"evidence-pack-case-{case.pk}-")
    with open(download.path(), "rb") as fh:
        zf = zipfile.ZipFile(io.BytesIO(fh.read()))
    assert {"summary.pdf", "contacts.csv", "personal_data_views.csv"} <= set(zf.namelist())
    (tmp_path / "summary.pdf").write_bytes(zf.read("summary.pdf"))  # looked at as a picture by hand
    assert m.PersonalDataAccess.objects.filter(user=supervisor, what="evidence pack").count() == 1
    assert page.violations == [] and page.script_errors == []
