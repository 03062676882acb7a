"""The blacklist: by the lender's rules (paid after the worst bucket, taken to court) or by hand;
exported for the lender; new loans of blacklisted borrowers flagged on the import's summary."""
import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from collections_app import models as m
from collections_app.services import blacklist
from collections_app.services.imports import import_file
from collections_app.services.strategy import ensure_default_strategy
from tests import factories as f
from tests.imports.test_service import LOAN_HEADER, loan_row

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def write_csv(tmp_path):
    def write(rows):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path = tmp_path / "loans.csv"
        path.write_bytes(buf.getvalue().encode())
        return str(path)

    return write


def _closed_case(lender, *, reached, reason=m.CaseCloseReason.SETTLED):
    case = f.CaseFactory(lender=lender, status=m.CaseStatus.CLOSED, close_reason=reason)
    loan = f.LoanFactory(lender=lender, borrower=case.borrower, case=case)
    m.BucketHistory.objects.create(loan=loan, lender=lender, on_date=D(2026, 1, 1), from_bucket="M3", to_bucket=reached,
                                   dpd=121)
    return case


def test_rules_list_borrowers_once(lender):
    ensure_default_strategy()
    worst = blacklist.worst_bucket_code()
    assert worst == m.Bucket.objects.filter(version__status="active").order_by("-position").first().code
    paid_late = _closed_case(lender, reached=worst)
    cured_late = _closed_case(lender, reached=worst, reason=m.CaseCloseReason.CURED)
    paid_earlier = _closed_case(lender, reached="M2")
    written_off = _closed_case(lender, reached=worst, reason=m.CaseCloseReason.WRITTEN_OFF)
    sued = f.CaseFactory(lender=lender)
    m.ApprovalRequest.objects.create(kind=m.ApprovalKind.LITIGATION, case=sued, status=m.ApprovalStatus.APPROVED)
    pending_suit = f.CaseFactory(lender=lender)
    m.ApprovalRequest.objects.create(kind=m.ApprovalKind.LITIGATION, case=pending_suit)
    assert blacklist.apply_blacklist_rules(today=D(2026, 3, 1)) == 3
    listed = {e.borrower_id: e for e in m.BlacklistEntry.objects.all()}
    assert set(listed) == {paid_late.borrower_id, cured_late.borrower_id, sued.borrower_id}
    assert listed[sued.borrower_id].rule == blacklist.RULE_LITIGATION
    assert listed[paid_late.borrower_id].rule == blacklist.RULE_WORST_BUCKET
    assert listed[paid_late.borrower_id].national_id == paid_late.borrower.national_id
    assert paid_earlier.borrower_id not in listed and written_off.borrower_id not in listed
    assert blacklist.apply_blacklist_rules(today=D(2026, 3, 2)) == 0  # once


def test_a_lender_can_turn_the_rules_off(lender):
    ensure_default_strategy()
    m.Lender.objects.filter(pk=lender.pk).update(blacklist_after_worst_bucket=False, blacklist_after_litigation=False)
    _closed_case(lender, reached=blacklist.worst_bucket_code())
    sued = f.CaseFactory(lender=lender)
    m.ApprovalRequest.objects.create(kind=m.ApprovalKind.LITIGATION, case=sued, status=m.ApprovalStatus.APPROVED)
    assert blacklist.apply_blacklist_rules() == 0


def test_by_hand_with_a_reason_by_a_supervisor(lender, supervisor, collector):
    borrower = f.BorrowerFactory(lender=lender)
    with pytest.raises(PermissionDenied):
        blacklist.add_to_blacklist(borrower=borrower, user=collector, reason="x")
    with pytest.raises(ValidationError):
        blacklist.add_to_blacklist(borrower=borrower, user=supervisor, reason=" ")
    entry = blacklist.add_to_blacklist(borrower=borrower, user=supervisor, reason="forged documents")
    assert entry.rule == "" and entry.added_by == supervisor
    with pytest.raises(ValidationError):
        blacklist.add_to_blacklist(borrower=borrower, user=supervisor, reason="again")
    blacklist.remove_from_blacklist(entry=entry, user=supervisor, reason="court cleared him")
    entry.refresh_from_db()
    assert entry.removed_on is not None and m.BlacklistEntry.objects.count() == 1  # kept, not deleted
    blacklist.add_to_blacklist(borrower=borrower, user=supervisor, reason="again, later")


def test_export_csv_and_xlsx_neutralise_formulas(client, lender, supervisor, team):
    case = f.CaseFactory(lender=lender, team=team)
    blacklist.add_to_blacklist(borrower=case.borrower, user=supervisor, reason="=HYPERLINK(\"http://x\")")
    client.force_login(supervisor)
    page = client.get("/supervisor/blacklist/")
    assert page.status_code == 200 and case.borrower.name in page.content.decode()
    r = client.get("/supervisor/blacklist/?export=csv&lender=acme")
    assert r.status_code == 200 and r["Content-Disposition"].endswith('blacklist-acme.csv"')
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["lender", "borrower id", "name"] and rows[1][0] == "acme"
    assert rows[1][4].startswith("'=")
    r = client.get("/supervisor/blacklist/?export=xlsx")
    sheet = load_workbook(io.BytesIO(r.content)).active
    values = [c.value for c in sheet[2]]
    assert values[2] == case.borrower.name and not str(values[4]).startswith("=")


def test_collectors_have_no_blacklist_page(client, collector):
    client.force_login(collector)
    assert client.get("/supervisor/blacklist/").status_code == 403


def test_import_flags_new_loans_of_blacklisted_borrowers(write_csv, lender, supervisor):
    known = f.BorrowerFactory(lender=lender, external_id="B1")
    blacklist.add_to_blacklist(borrower=known, user=supervisor, reason="fraud")
    # a new borrower record with a blacklisted national id
    m.BlacklistEntry.objects.create(lender=lender, national_id="110101199001000002", name="Old name", reason="old")
    job = import_file(path=write_csv([LOAN_HEADER, loan_row(1), loan_row(2), loan_row(3)]), kind="loans", lender="acme")
    assert job.status == m.ImportStatus.DONE
    job.refresh_from_db()
    assert sorted(flag["loan"] for flag in job.blacklisted) == ["L1", "L2"]
    assert {flag["borrower"] for flag in job.blacklisted} == {"B1", "B2"}
