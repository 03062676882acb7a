"""import_loans / import_installments / import_payments: exit status 0, 1, 2 and the summary line."""
import pytest
from django.core.management import call_command

from collections_app.models import ImportJob, Loan, Payment
from tests import factories as f

pytestmark = pytest.mark.django_db

HEADER = ["loan_id", "borrower_id", "borrower_name", "principal", "disbursed_on"]


def run(*args):
    try:
        call_command(*args)
    except SystemExit as exc:
        return exc.code
    return 0


def test_all_rows_stored_exits_0(write_csv, lender, capsys):
    path = write_csv([HEADER, ["L1", "B1", "甲", "100", "2025-01-01"]])
    assert run("import_loans", path, "--lender", "acme") == 0
    out = capsys.readouterr().out
    assert "stored 1 (created 1, updated 0), rejected 0" in out
    assert Loan.objects.count() == 1


def test_some_rows_rejected_exits_1_and_writes_report(write_csv, lender, tmp_path, capsys):
    path = write_csv([HEADER, ["L1", "B1", "甲", "100", "2025-01-01"], ["L2", "B2", "乙", "-100", "2025-01-01"]])
    report = tmp_path / "errs.csv"
    assert run("import_loans", path, "--lender", "acme", "--errors-out", str(report)) == 1
    assert "rejected 1" in capsys.readouterr().out
    text = report.read_bytes().decode("utf-8-sig")
    assert "L2" in text and "must not be negative" in text


@pytest.mark.parametrize("args", [["--lender", "nobody"], []])
def test_file_rejected_exits_2(write_csv, lender, args, capsys):
    path = write_csv([HEADER, ["L1", "B1", "甲", "100", "2025-01-01"]])
    assert run("import_loans", path, *args) == 2
    assert "File rejected" in capsys.readouterr().err
    assert Loan.objects.count() == 0


def test_missing_column_exits_2(write_csv, lender):
    assert run("import_payments", write_csv([["payment_id", "amount"], ["P1", "1"]]), "--lender", "acme") == 2


def test_dry_run_and_encoding_options(write_csv, lender, capsys):
    path = write_csv([["贷款编号", "客户编号", "客户姓名", "贷款本金", "放款日期"], ["L1", "B1", "丙", "1", "20250101"]],
                     encoding="gbk")
    assert run("import_loans", path, "--lender", "acme", "--encoding", "gbk", "--dry-run") == 0
    assert "dry run" in capsys.readouterr().out
    assert Loan.objects.count() == 0
    assert ImportJob.objects.get().dry_run


def test_installments_and_payments_commands(write_csv, lender):
    f.LoanFactory(lender=lender, external_id="L1")
    inst = write_csv([["loan_id", "seq", "due_date", "principal_due", "interest_due"], ["L1", "1", "2025-02-01", "100", "5"]],
                     name="i.csv")
    pay = write_csv([["payment_id", "loan_id", "paid_on", "amount"], ["P1", "L1", "2025-02-01", "105"]], name="p.csv")
    assert run("import_installments", inst, "--lender", "acme") == 0
    assert run("import_payments", pay, "--lender", "acme") == 0
    assert Payment.objects.get().amount == 105
