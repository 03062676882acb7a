"""What the first users hit in imports: future and zero payments refused, every error of a row, columns
named as the file names them, errors in file order, wording that says what happened."""
import csv
import io

import pytest
from django.core.management import call_command

from collections_app.models import ImportJob, ImportStatus, Payment
from collections_app.services.imports import import_file
from tests import factories as f

pytestmark = pytest.mark.django_db

PAY = ["payment_id", "loan_id", "paid_on", "amount"]


def test_a_payment_in_the_future_or_of_zero_is_refused_with_the_reason(write_csv, lender, settings):
    settings.BUSINESS_DATE = "2025-06-30"
    f.LoanFactory(lender=lender, external_id="L1")
    rows = [PAY, ["P1", "L1", "2025-06-30", "10"], ["P2", "L1", "2025-07-01", "10"], ["P3", "L1", "2025-06-01", "0"],
            ["P4", "L1", "2025-06-01", "0.00"]]
    job = import_file(path=write_csv(rows), kind="payments", lender=lender)
    assert (job.stored_rows, job.rejected_rows) == (1, 3)
    assert job.errors == [
        {"row": 3, "column": "paid_on", "error": "in the future (today is 2025-06-30)"},
        {"row": 4, "column": "amount", "error": "must be more than 0"},
        {"row": 5, "column": "amount", "error": "must be more than 0"},
    ]
    assert list(Payment.objects.values_list("external_id", flat=True)) == ["P1"]


def test_every_error_of_a_row_is_reported_with_the_file_column_names(write_csv, lender):
    header = ["贷款编号", "客户编号", "客户姓名", "贷款本金", "放款日期"]
    rows = [header, ["L1", "B1", "甲", "100", "2025-01-01"], ["L1", "B2", "", "-5", "2025-13-01"]]
    job = import_file(path=write_csv(rows), kind="loans", lender=lender)
    assert job.errors == [
        {"row": 3, "column": "客户姓名 (borrower_name)", "error": "required value missing"},
        {"row": 3, "column": "贷款本金 (principal)", "error": "must not be negative"},
        {"row": 3, "column": "放款日期 (disbursed_on)", "error": "not a valid calendar date"},
        {"row": 3, "column": "贷款编号 (loan_id)", "error": "duplicate: an earlier row of this file has the same key"},
    ]
    assert job.rejected_rows == 1
    report = list(csv.reader(io.StringIO(job.error_report.read().decode("utf-8-sig"))))
    assert report[0][-3:] == ["row", "column", "error"] and len(report) == 5


def test_errors_are_in_file_order(write_csv, lender):
    f.LoanFactory(lender=lender, external_id="L1")
    rows = [PAY, ["P1", "L1", "2025-01-01", "1"], ["P2", "NOPE", "2025-01-01", "1"], ["P3", "L1", "bad", "1"],
            ["P4", "NOPE", "2025-01-01", "1"], ["P5", "L1", "2025-01-01", "-1"]]
    job = import_file(path=write_csv(rows), kind="payments", lender=lender)
    assert [e["row"] for e in job.errors] == [3, 4, 5, 6]
    report = list(csv.reader(io.StringIO(job.error_report.read().decode("utf-8-sig"))))[1:]
    assert [r[-3] for r in report] == ["3", "4", "5", "6"]


def test_a_rejected_file_and_a_dry_run_say_what_happened(client, admin_user, lender, write_csv, capsys):
    client.force_login(admin_user)
    rejected = import_file(path=write_csv([["loan_id"], ["L1"]]), kind="loans", lender=lender)
    page = client.get(f"/imports/{rejected.pk}/").content.decode()
    assert "The file was rejected whole: nothing was stored." in page and "0 of 0 rows" not in page

    header = ["loan_id", "borrower_id", "borrower_name", "principal", "disbursed_on"]
    path = write_csv([header] + [[f"L{i}", f"B{i}", "甲", "100", "2025-01-01"] for i in range(3)])
    dry = import_file(path=path, kind="loans", lender=lender, dry_run=True)
    page = client.get(f"/imports/{dry.pk}/").content.decode()
    assert "Dry run: 3 rows would be stored; nothing was stored." in page and "Would be stored" in page
    call_command("import_loans", path, "--lender", "acme", "--dry-run")
    out = capsys.readouterr().out
    assert "dry run: would store 3 (create 3, update 0), reject 0; nothing was stored" in out
    assert ImportJob.objects.filter(status=ImportStatus.DONE).count() == 2
