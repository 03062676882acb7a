"""An admin imports a loan book in a real browser (Debian chromium through Playwright)."""
from pathlib import Path

import pytest

from collections_app.models import ImportJob, Loan
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_uploads_a_book_with_a_bad_row_and_downloads_the_report(live_server, browser_page, shots, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    f.LenderFactory(code="acme", name="Acme Finance")
    f.AdminFactory(username="boss")
    lines = ["贷款编号,客户编号,客户姓名,贷款本金,放款日期,联系电话,逾期起始日,逾期金额"]
    lines += [f"L{i},B{i},客户{i},\"1{i:02d},000.00\",2025-01-{i % 28 + 1:02d},1380000{i:04d},2025/06/01,\"2,000\""
              for i in range(40)]
    lines.append("L99,B99,坏行,-100,2025-13-45,13800009999,,")
    book = tmp_path / "book.csv"
    book.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")

    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/?next=/imports/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", f.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/imports/")
    page.select_option("#id_kind", "loans")
    page.select_option("#id_lender", "acme")
    page.set_input_files("#id_file", str(book))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-result")
    assert page.get_attribute("[role=progressbar]", "aria-valuenow") == "100"
    assert "41 of 41 rows processed (100%)" in page.inner_text("#import-counts")
    result = page.inner_text("#import-result")
    assert "40" in result and "1" in result
    page.screenshot(path=str(shots / "imports.png"), full_page=True)

    with page.expect_download() as info:
        page.click("#error-report-link")
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "L99,B99,坏行,-100,2025-13-45" in text
    assert "42,贷款本金,must not be negative" not in text  # columns are named by their canonical name
    assert "42,贷款本金 (principal),must not be negative" in text
    assert "42,放款日期 (disbursed_on),not a valid calendar date" in text
    assert Loan.objects.count() == 40
    assert ImportJob.objects.get().rejected_rows == 1
