"""The import service (collections_app.services.imports): files, rows, identity, batches."""
import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from collections_app.models import (
    Borrower,
    ContactPoint,
    ImportJob,
    ImportStatus,
    Installment,
    Loan,
    LoanRecalc,
    Payment,
    Product,
    Relation,
)
from collections_app.selectors.recalc import is_flagged
from collections_app.services.imports import ImportAborted, import_file
from tests import factories as f

pytestmark = pytest.mark.django_db

LOAN_HEADER = ["loan_id", "borrower_id", "borrower_name", "principal", "disbursed_on", "national_id", "phones",
               "address", "employer", "product", "contact_name", "contact_relation", "contact_phone",
               "guarantor_name", "guarantor_phone", "overdue_since", "overdue_amount"]


def loan_row(i, **over):
    row = {"loan_id": f"L{i}", "borrower_id": f"B{i}", "borrower_name": f"客户{i}", "principal": "10,000.00",
           "disbursed_on": "2025-01-15", "national_id": f"1101011990010{i:05d}", "phones": f"1380000{i:04d};1390000{i:04d}",
           "address": f"北京市朝阳区{i}号", "employer": "某公司", "product": "cash", "contact_name": "王五",
           "contact_relation": "父亲", "contact_phone": f"1370000{i:04d}", "guarantor_name": "赵六",
           "guarantor_phone": f"1360000{i:04d}", "overdue_since": "2025/06/01", "overdue_amount": "1,234.50"}
    row.update(over)
    return [row[c] for c in LOAN_HEADER]


def snapshot(lender=None):
    def q(model, prefix=""):
        qs = model.objects.all()
        return qs.filter(**{f"{prefix}lender": lender}) if lender else qs

    return {
        "borrowers": sorted(q(Borrower).values_list("external_id", "name", "national_id", "address")),
        "loans": sorted(q(Loan).values_list("external_id", "borrower__external_id", "principal", "product__code")),
        "contacts": sorted(q(ContactPoint, "borrower__").values_list("borrower__external_id", "kind", "value", "relation",
                                                                      "name", "is_primary")),
        "installments": sorted(q(Installment, "loan__").values_list("loan__external_id", "seq", "due_date",
                                                                     "principal_due", "interest_due")),
        "payments": sorted(q(Payment).values_list("external_id", "loan__external_id", "paid_on", "amount")),
        "products": sorted(q(Product).values_list("code", flat=True)),
    }


def test_loans_file_creates_borrowers_loans_contacts_products_and_schedule(write_csv, lender):
    path = write_csv([LOAN_HEADER, loan_row(1), loan_row(2)])
    job = import_file(path=path, kind="loans", lender="acme", recalculate=False)
    assert job.status == ImportStatus.DONE, job.message
    assert (job.total_rows, job.processed_rows, job.stored_rows, job.created_rows, job.rejected_rows) == (2, 2, 2, 2, 0)
    loan = Loan.objects.get(external_id="L1")
    assert loan.lender == lender and loan.principal == Decimal("10000.00") and loan.disbursed_on == dt.date(2025, 1, 15)
    assert loan.product.code == "cash" and loan.needs_recalc
    assert loan.raw["loan_id"] == "L1" and loan.raw["principal"] == "10,000.00"
    assert loan.borrower.name == "客户1" and loan.borrower.employer == "某公司"
    contacts = {(c.kind, c.value, c.relation) for c in loan.borrower.contact_points.all()}
    assert ("phone", "13800000001", Relation.SELF) in contacts
    assert ("phone", "13900000001", Relation.SELF) in contacts
    assert ("phone", "13700000001", Relation.RELATIVE) in contacts
    assert ("phone", "13600000001", Relation.GUARANTOR) in contacts
    assert ("employer", "某公司", Relation.EMPLOYER) in contacts
    assert ("address", "北京市朝阳区1号", Relation.SELF) in contacts
    assert loan.borrower.contact_points.get(value="13800000001").is_primary
    assert list(loan.installments.values_list("seq", "due_date", "principal_due")) == [
        (1, dt.date(2025, 6, 1), Decimal("1234.50"))
    ]
    assert Product.objects.filter(lender=lender).count() == 1


def test_annuity_schedule_form_generates_cent_exact_schedule(write_csv, lender):
    header = ["loan_id", "borrower_id", "borrower_name", "principal", "disbursed_on", "term_months", "first_due_date",
              "annual_rate"]
    path = write_csv([header, ["L1", "B1", "甲", "10000", "20250115", "12", "2025-02-15", "0.18"]])
    job = import_file(path=path, kind="loans", lender=lender)
    assert job.stored_rows == 1
    loan = Loan.objects.get(external_id="L1")
    assert loan.term_months == 12 and loan.annual_rate == Decimal("0.18")
    rows = list(loan.installments.order_by("seq"))
    assert len(rows) == 12
    assert sum(r.principal_due for r in rows) == Decimal("10000.00")
    assert rows[0].interest_due == Decimal("150.00")  # 10000 × 0.18 / 12
    assert rows[0].principal_due + rows[0].interest_due == Decimal("916.80")  # the annuity payment
    assert rows[11].due_date == dt.date(2026, 1, 15)
    # the same loan now placed as one overdue amount: the schedule is replaced, not appended to
    header2 = ["loan_id", "borrower_id", "borrower_name", "principal", "disbursed_on", "overdue_since", "overdue_amount"]
    import_file(path=write_csv([header2, ["L1", "B1", "甲", "10000", "20250115", "2025-03-01", "900"]], name="b.csv"),
                kind="loans", lender=lender)
    assert list(loan.installments.values_list("seq", "principal_due")) == [(1, Decimal("900.00"))]


def test_reimport_leaves_the_same_data(write_csv, lender):
    path = write_csv([LOAN_HEADER, *[loan_row(i) for i in range(1, 8)]])
    first = import_file(path=path, kind="loans", lender="acme", batch_size=3)
    state = snapshot()
    second = import_file(path=path, kind="loans", lender="acme", batch_size=3)
    assert snapshot() == state
    assert (first.created_rows, first.updated_rows) == (7, 0)
    assert (second.created_rows, second.updated_rows, second.stored_rows) == (0, 7, 7)
    assert Borrower.objects.count() == 7 and ContactPoint.objects.count() == 7 * 6


def test_crash_midway_then_rerun_equals_one_clean_import(write_csv, lender):
    other = f.LenderFactory(code="other")
    path = write_csv([LOAN_HEADER, *[loan_row(i) for i in range(1, 11)]])
    import_file(path=path, kind="loans", lender=lender, batch_size=4)
    clean = snapshot(lender)

    def die_after_first_batch(job):
        raise ImportAborted("killed")

    crashed = import_file(path=path, kind="loans", lender=other, batch_size=4, progress=die_after_first_batch)
    assert crashed.status == ImportStatus.FAILED and "killed" in crashed.message
    assert Loan.objects.filter(lender=other).count() == 4  # the first batch was committed
    again = import_file(path=path, kind="loans", lender=other, batch_size=4)
    assert again.status == ImportStatus.DONE
    assert snapshot(other) == clean
    assert clean["loans"] and len(clean["installments"]) == 10


def test_bad_rows_are_reported_and_good_rows_stored(write_csv, lender):
    rows = [
        LOAN_HEADER,
        loan_row(1),
        loan_row(2, principal="-5"),
        loan_row(3, disbursed_on="15.01.2025"),
        loan_row(4, borrower_name=""),
        loan_row(1, borrower_name="重复"),  # duplicate loan id: the first row wins
        loan_row(5, principal="abc"),
        loan_row(6, overdue_amount=""),
        loan_row(7),
    ]
    job = import_file(path=write_csv(rows), kind="loans", lender=lender)
    assert job.status == ImportStatus.DONE
    assert (job.stored_rows, job.rejected_rows) == (2, 6)
    assert set(Loan.objects.values_list("external_id", flat=True)) == {"L1", "L7"}
    assert Borrower.objects.get(external_id="B1").name == "客户1"
    found = {(e["row"], e["column"]): e["error"] for e in job.errors}
    assert found[(3, "principal")] == "must not be negative"
    assert "not a date" in found[(4, "disbursed_on")]
    assert found[(5, "borrower_name")] == "required value missing"
    assert "duplicate" in found[(6, "loan_id")]
    assert found[(7, "principal")] == "not a number"
    assert found[(8, "overdue_amount")] == "required value missing"


def test_error_report_is_utf8_bom_csv_with_original_row(write_csv, lender, tmp_path):
    rows = [LOAN_HEADER, loan_row(1), loan_row(2, principal="-1")]
    out = tmp_path / "errors.csv"
    job = import_file(path=write_csv(rows), kind="loans", lender=lender, errors_out=str(out))
    data = job.error_report.read()
    assert data.startswith(b"\xef\xbb\xbf")
    report = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert report[0] == [*LOAN_HEADER, "row", "column", "error"]
    assert report[1][:3] == ["L2", "B2", "客户2"] and report[1][-3:] == ["3", "principal", "must not be negative"]
    assert len(report) == 2
    assert out.read_bytes() == data


@pytest.mark.parametrize("value", ["2025-03-09", "2025/03/09", "20250309", "2025/3/9"])
def test_the_date_forms(write_csv, lender, value):
    path = write_csv([LOAN_HEADER, loan_row(1, disbursed_on=value)])
    import_file(path=path, kind="loans", lender=lender)
    assert Loan.objects.get().disbursed_on == dt.date(2025, 3, 9)


def test_thousands_separators_and_bad_amounts(write_csv, lender):
    rows = [LOAN_HEADER, loan_row(1, principal="1,234,567.89"), loan_row(2, principal="12,34"),
            loan_row(3, principal="1.234"), loan_row(4, principal="2000")]
    job = import_file(path=write_csv(rows), kind="loans", lender=lender)
    assert Loan.objects.get(external_id="L1").principal == Decimal("1234567.89")
    assert Loan.objects.get(external_id="L4").principal == Decimal("2000.00")
    assert {(e["row"], e["error"]) for e in job.errors} == {(3, "not a number"), (4, "more than 2 decimal places")}


def test_utf8_bom_file_with_chinese_headers(write_csv, lender):
    header = ["贷款编号", "客户编号", "客户姓名", "贷款本金", "放款日期", "联系电话", "逾期起始日", "逾期金额", "委托方"]
    path = write_csv([header, ["L1", "B1", "张三", "5,000", "2025-01-01", "13800000000", "2025-05-01", "500", "acme"]],
                     bom=True)
    job = import_file(path=path, kind="loans")
    assert job.status == ImportStatus.DONE and job.stored_rows == 1, job.message
    assert job.encoding == "utf-8-sig"
    loan = Loan.objects.get()
    assert loan.borrower.name == "张三" and loan.lender == lender
    assert loan.raw["贷款编号"] == "L1"


def test_gbk_file_is_detected(write_csv, lender):
    header = ["贷款编号", "客户编号", "客户姓名", "贷款本金", "放款日期", "地址"]
    path = write_csv([header, ["L1", "B1", "李四", "5000", "2025-01-01", "广州市天河区"]], encoding="gbk")
    job = import_file(path=path, kind="loans", lender=lender)
    assert job.stored_rows == 1, job.message
    assert job.encoding == "gb18030"
    assert Borrower.objects.get().address == "广州市天河区"


def test_explicit_encoding(write_csv, lender):
    header = ["贷款编号", "客户编号", "客户姓名", "贷款本金", "放款日期"]
    path = write_csv([header, ["L1", "B1", "王", "5000", "2025-01-01"]], encoding="gbk")
    assert import_file(path=path, kind="loans", lender=lender, encoding="gbk").stored_rows == 1
    bad = import_file(path=path, kind="loans", lender=lender, encoding="no-such-codec")
    assert bad.status == ImportStatus.FAILED and "no-such-codec" in bad.message


def test_xlsx_file(tmp_path, lender):
    wb = Workbook()
    ws = wb.active
    ws.append(["Loan_ID", "Borrower_ID", "客户姓名", "Principal", "Disbursed_On", "phones"])
    ws.append(["L1", "B1", "张三", 10000.5, dt.date(2025, 2, 3), 13800000000])
    ws.append(["L2", "B2", "李四", "2,000", "20250204", "13900000000"])
    ws.append(["L3", "B3", "王五", -1, "2025-02-05", ""])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    job = import_file(path=str(path), kind="loans", lender=lender)
    assert (job.stored_rows, job.rejected_rows) == (2, 1), job.message
    l1 = Loan.objects.get(external_id="L1")
    assert l1.principal == Decimal("10000.50") and l1.disbursed_on == dt.date(2025, 2, 3)
    assert l1.borrower.contact_points.filter(value="13800000000").exists()
    assert job.errors == [{"row": 4, "column": "principal", "error": "must not be negative"}]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV or XLSX"),
        (b"PK\x03\x04garbage-not-a-zip", "not a CSV or XLSX"),
        (b"loan_id,borrower_id\nL1,B1\n", "Missing required column(s): borrower_name, principal, disbursed_on"),
        (b"\n\n", "empty"),
    ],
)
def test_unreadable_files_are_rejected_whole(tmp_path, lender, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    job = import_file(path=str(path), kind="loans", lender=lender)
    assert job.status == ImportStatus.FAILED
    assert message in job.message
    assert Loan.objects.count() == 0 and job.stored_rows == 0


def test_unknown_lender_rejects_the_whole_file(write_csv, lender):
    header = ["loan_id", "borrower_id", "borrower_name", "principal", "disbursed_on", "lender"]
    path = write_csv([header, ["L1", "B1", "甲", "1", "2025-01-01", "acme"], ["L2", "B2", "乙", "1", "2025-01-01", "nobody"]])
    job = import_file(path=path, kind="loans")
    assert job.status == ImportStatus.FAILED and "nobody" in job.message
    assert Loan.objects.count() == 0
    assert import_file(path=path, kind="loans", lender="ghost").message == "Unknown lender code: ghost."
    no_lender = write_csv([header[:-1], ["L1", "B1", "甲", "1", "2025-01-01"]], name="n.csv")
    assert import_file(path=no_lender, kind="loans").status == ImportStatus.FAILED


def test_dry_run_stores_nothing_but_counts(write_csv, lender):
    path = write_csv([LOAN_HEADER, loan_row(1), loan_row(2, principal="x")])
    job = import_file(path=path, kind="loans", lender=lender, dry_run=True)
    assert (job.stored_rows, job.created_rows, job.rejected_rows) == (1, 1, 1)
    assert Loan.objects.count() == Borrower.objects.count() == ContactPoint.objects.count() == 0
    assert ImportJob.objects.get(pk=job.pk).dry_run


def test_installments_replace_the_schedule_and_reject_unknown_loans(write_csv, lender):
    loan = f.LoanFactory(lender=lender, external_id="L1")
    f.InstallmentFactory(loan=loan, seq=1)
    f.InstallmentFactory(loan=loan, seq=7)
    header = ["贷款编号", "期数", "应还日期", "应还本金", "应还利息", "应还费用"]
    rows = [header, ["L1", "1", "2025-02-01", "1,000", "50", ""], ["L1", "2", "2025/03/01", "1000", "40", "5"],
            ["L9", "1", "2025-02-01", "1", "0", ""], ["L1", "2", "2025-04-01", "1", "1", ""],
            ["L1", "3", "2025-04-01", "", "1", ""]]
    job = import_file(path=write_csv(rows), kind="installments", lender=lender, batch_size=2, recalculate=False)
    assert (job.stored_rows, job.rejected_rows) == (2, 3)
    assert list(loan.installments.order_by("seq").values_list("seq", "principal_due", "fee_due")) == [
        (1, Decimal("1000.00"), Decimal("0.00")), (2, Decimal("1000.00"), Decimal("5.00"))]
    errors = {(e["row"], e["column"]): e["error"] for e in job.errors}
    assert "unknown loan" in errors[(4, "贷款编号 (loan_id)")]
    assert "duplicate" in errors[(5, "期数 (seq)")]
    assert errors[(6, "应还本金 (principal_due)")] == "required value missing"
    loan.refresh_from_db()
    assert loan.needs_recalc


def test_payments_import_and_identity(write_csv, lender):
    loan = f.LoanFactory(lender=lender, external_id="L1", needs_recalc=False)
    header = ["流水号", "贷款编号", "还款日期", "还款金额", "还款渠道", "备注"]
    rows = [header, ["P1", "L1", "2025-03-01", "1,500.00", "bank", "首付"], ["P2", "L1", "20250302", "20", "", ""],
            ["P1", "L1", "2025-03-05", "9", "", ""], ["P3", "NOPE", "2025-03-01", "1", "", ""],
            ["P4", "L1", "2025-03-01", "-3", "", ""]]
    path = write_csv(rows)
    job = import_file(path=path, kind="payments", lender=lender, recalculate=False)
    assert (job.stored_rows, job.created_rows, job.rejected_rows) == (2, 2, 3)
    p1 = Payment.objects.get(external_id="P1")
    assert (p1.amount, p1.paid_on, p1.channel, p1.source, p1.import_job_id) == (
        Decimal("1500.00"), dt.date(2025, 3, 1), "bank", "import", job.pk)
    loan.refresh_from_db()
    # flagged by a narrow row, not by rewriting the loan (selectors.recalc)
    assert not loan.needs_recalc and LoanRecalc.objects.filter(loan=loan).exists() and is_flagged(loan)
    again = import_file(path=path, kind="payments", lender=lender)
    assert (again.created_rows, again.updated_rows) == (0, 2)
    assert Payment.objects.count() == 2
    loan.refresh_from_db()
    assert not is_flagged(loan)  # reclassified after the import (recalculate=True): flag cleared


def test_same_borrower_on_several_loans_keeps_non_empty_values(write_csv, lender):
    rows = [LOAN_HEADER, loan_row(1, borrower_id="B1"), loan_row(2, borrower_id="B1", national_id="", address="")]
    import_file(path=write_csv(rows), kind="loans", lender=lender, batch_size=1)
    b = Borrower.objects.get()
    assert b.national_id == "110101199001000001" and b.address == "北京市朝阳区1号"
    assert Loan.objects.filter(borrower=b).count() == 2


def test_progress_is_saved_per_batch(write_csv, lender):
    seen = []

    def progress(job):
        seen.append(ImportJob.objects.values_list("processed_rows", "total_rows").get(pk=job.pk))

    import_file(path=write_csv([LOAN_HEADER, *[loan_row(i) for i in range(5)]]), kind="loans", lender=lender, batch_size=2,
                progress=progress)
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_imported_loans_are_reclassified_at_once(write_csv, lender):
    delinquency = pytest.importorskip("collections_app.services.nightly")
    if not hasattr(delinquency, "recalculate_loans"):
        pytest.skip("the delinquency engine is not there yet")
    job = import_file(path=write_csv([LOAN_HEADER, loan_row(1, overdue_since="2020-01-01")]), kind="loans", lender=lender)
    loan = Loan.objects.get()
    assert job.status == ImportStatus.DONE and not job.message
    assert not loan.needs_recalc and loan.dpd > 0 and loan.overdue_amount == Decimal("1234.50")


def test_error_report_neutralises_formulas_from_the_file(write_csv, lender):
    """A lender's cell such as ``=HYPERLINK(...)`` must not become a live formula in the error report
    (it opens in Excel); a plain negative amount is reported as the lender wrote it."""
    link = '=HYPERLINK("http://evil.example","x")'
    rows = [[*LOAN_HEADER, "=cmd|' /C calc'!A0"],
            [*loan_row(1, borrower_name=link, principal="=1+1", employer="@SUM(A1)"), "-2+3"],
            [*loan_row(2, principal="-5", phones="+8613800000000"), "x"]]
    job = import_file(path=write_csv(rows), kind="loans", lender=lender)
    report = list(csv.reader(io.StringIO(job.error_report.read().decode("utf-8-sig"))))
    cells = [cell for row in report for cell in row]
    assert report[0][len(LOAN_HEADER)] == "'=cmd|' /C calc'!A0"
    assert "'" + link in cells and "'=1+1" in cells and "'@SUM(A1)" in cells and "'+8613800000000" in cells
    assert "'-2+3" in cells and "-5" in cells
    assert not any(cell[:1] in ("=", "+", "@") for cell in cells)
