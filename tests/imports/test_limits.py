"""Bounds on uploads: size cap (page, API, commands), XLSX zip bombs refused before openpyxl opens them,
rows / columns / cell size capped, Loan.raw bounded, a rejected upload's file deleted."""
import io
import os
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook
from rest_framework.test import APIClient

from collections_app.models import Borrower, ImportJob, ImportStatus, Loan
from collections_app.services.imports import import_file

pytestmark = pytest.mark.django_db

HEADER = ["loan_id", "borrower_id", "borrower_name", "principal", "disbursed_on"]
MB = 1024 * 1024


def _workbook_bytes():
    wb = Workbook()
    wb.active.append(HEADER)
    wb.active.append(["L1", "B1", "甲", "100", "2025-01-01"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def bomb(member: str, unpacked_mb: int, *, level=9, filler: bytes | None = None) -> bytes:
    """A valid workbook whose ``member`` (a sheet or the shared strings) is replaced by ``unpacked_mb``
    of repetitive XML: small on disk, huge once unpacked."""
    if member == "xl/sharedStrings.xml":
        head, unit, tail = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
                            filler or b"<si><t>AAAAAAAA</t></si>", b"</sst>")
    else:
        head, unit, tail = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                            b'main"><sheetData>', filler or b'<row><c t="inlineStr"><is><t>x</t></is></c></row>',
                            b"</sheetData></worksheet>")
    src = zipfile.ZipFile(io.BytesIO(_workbook_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        names = src.namelist()
        for name in names:
            if name != member:
                z.writestr(name, src.read(name))
        with z.open(member, "w", force_zip64=True) as m:
            m.write(head)
            chunk = unit * max(1, MB // len(unit))
            for _ in range(unpacked_mb):
                m.write(chunk)
            m.write(tail)
    return out.getvalue()


@pytest.fixture(scope="module")
def shared_strings_bomb():
    return bomb("xl/sharedStrings.xml", 64)


@pytest.fixture(scope="module")
def sheet_bomb():
    return bomb("xl/worksheets/sheet1.xml", 64)


@pytest.fixture
def no_openpyxl(monkeypatch):
    """openpyxl must never open a refused workbook."""
    import openpyxl

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl opened a workbook that should have been refused")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def assert_nothing_stored(job=None):
    assert Loan.objects.count() == 0 and Borrower.objects.count() == 0
    if job is not None:
        assert job.status == ImportStatus.FAILED and job.stored_rows == 0 and not job.file


def media_files(settings):
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("fixture", ["shared_strings_bomb", "sheet_bomb"])
def test_xlsx_bomb_is_refused_before_openpyxl(request, fixture, tmp_path, lender, no_openpyxl):
    data = request.getfixturevalue(fixture)
    assert len(data) < MB // 2  # small on disk, 64 MB unpacked
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(data)
    job = import_file(path=str(path), kind="loans", lender=lender)
    assert "zip bomb" in job.message, job.message
    assert_nothing_stored(job)


def test_xlsx_bomb_upload_is_refused_on_the_page_and_the_api(client, admin_user, lender, sheet_bomb, settings,
                                                             no_openpyxl):
    client.force_login(admin_user)
    page = client.post("/imports/", {"kind": "loans", "lender": "acme",
                                     "file": SimpleUploadedFile("bomb.xlsx", sheet_bomb)})
    assert page.status_code == 400 and "zip bomb" in page.content.decode()
    api = APIClient()
    api.force_authenticate(admin_user)
    response = api.post("/api/imports/", {"kind": "loans", "lender": "acme",
                                          "file": SimpleUploadedFile("bomb.xlsx", sheet_bomb)}, format="multipart")
    assert response.status_code == 400 and "zip bomb" in response.json()["file"][0]
    assert ImportJob.objects.count() == 0 and media_files(settings) == []
    assert_nothing_stored()


def test_shared_strings_and_total_unpacked_size_are_capped(tmp_path, lender, settings, no_openpyxl):
    # distinct strings compress like real text (ratio well under the cap): the size caps catch them
    settings.IMPORT_XLSX_MAX_SHARED_STRINGS_MB = 2
    path = tmp_path / "strings.xlsx"
    text = b"".join(b"<si><t>%08x</t></si>" % i for i in range(MB // 20))
    path.write_bytes(bomb("xl/sharedStrings.xml", 3, filler=text))
    job = import_file(path=str(path), kind="loans", lender=lender)
    assert "text table unpacks to" in job.message and "at most 2 MB" in job.message
    settings.IMPORT_XLSX_MAX_UNPACKED_MB = 2
    path.write_bytes(bomb("xl/worksheets/sheet1.xml", 3, filler=text))
    job = import_file(path=str(path), kind="loans", lender=lender)
    assert job.message.startswith("The spreadsheet unpacks to ") and "MB (at most 2 MB)" in job.message
    assert_nothing_stored(job)


def test_an_ordinary_xlsx_still_imports(tmp_path, lender):
    path = tmp_path / "ok.xlsx"
    path.write_bytes(_workbook_bytes())
    assert import_file(path=str(path), kind="loans", lender=lender).stored_rows == 1


def big_csv(size_mb: float) -> bytes:
    rows = [",".join(HEADER)] + [f"L{i},B{i},客户{i},100,2025-01-01" for i in range(int(size_mb * MB / 30))]
    return ("\n".join(rows) + "\n").encode()


def test_upload_size_cap_on_the_page(client, admin_user, lender, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 0.05
    client.force_login(admin_user)
    response = client.post("/imports/", {"kind": "loans", "lender": "acme",
                                         "file": SimpleUploadedFile("big.csv", big_csv(0.1))})
    assert response.status_code == 400
    assert "The file is too large: 0.1 MB (at most 0 MB)." in response.content.decode()
    # a body larger than the cap plus the form's framing is refused before Django reads it
    response = client.post("/imports/", {"kind": "loans", "lender": "acme",
                                         "file": SimpleUploadedFile("big.csv", big_csv(1.2))})
    assert response.status_code == 413 and 'id="upload-error"' in response.content.decode()
    assert ImportJob.objects.count() == 0 and media_files(settings) == []
    assert_nothing_stored()


def test_upload_size_cap_on_the_api(admin_user, lender, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 0.05
    api = APIClient()
    api.force_authenticate(admin_user)
    response = api.post("/api/imports/", {"kind": "loans", "file": SimpleUploadedFile("big.csv", big_csv(0.1))},
                        format="multipart")
    assert response.status_code == 400 and "too large" in response.json()["file"][0]
    response = api.post("/api/imports/", {"kind": "loans", "file": SimpleUploadedFile("big.csv", big_csv(1.2))},
                        format="multipart")
    assert response.status_code == 413 and "too large" in response.json()["detail"]
    assert ImportJob.objects.count() == 0 and media_files(settings) == []


def test_upload_size_cap_in_the_commands(tmp_path, lender, settings, capsys):
    settings.IMPORT_MAX_UPLOAD_MB = 0.05
    path = tmp_path / "big.csv"
    path.write_bytes(big_csv(0.1))
    with pytest.raises(SystemExit) as exit_:
        call_command("import_loans", str(path), "--lender", "acme")
    assert exit_.value.code == 2 and "The file is too large" in capsys.readouterr().err
    assert_nothing_stored()


def test_too_many_columns_is_refused(write_csv, lender):
    header = HEADER + [f"extra{i}" for i in range(10_000)]
    path = write_csv([header, ["L1", "B1", "甲", "100", "2025-01-01"] + ["x"] * 10_000])
    job = import_file(path=path, kind="loans", lender=lender)
    assert job.message == "The file has 10005 columns (at most 200)."
    assert_nothing_stored(job)


def test_raw_keeps_the_known_columns_and_a_bounded_number_of_others(write_csv, lender, settings):
    settings.IMPORT_MAX_RAW_EXTRA_COLUMNS = 3
    header = HEADER + ["phones"] + [f"extra{i}" for i in range(150)]
    path = write_csv([header, ["L1", "B1", "甲", "100", "2025-01-01", "138"] + [str(i) for i in range(150)]])
    assert import_file(path=path, kind="loans", lender=lender).stored_rows == 1
    assert Loan.objects.get().raw == {"loan_id": "L1", "borrower_id": "B1", "borrower_name": "甲", "principal": "100",
                                      "disbursed_on": "2025-01-01", "phones": "138", "extra0": "0", "extra1": "1",
                                      "extra2": "2"}


def test_rows_are_capped(write_csv, lender, settings):
    settings.IMPORT_MAX_ROWS = 3
    path = write_csv([HEADER] + [[f"L{i}", f"B{i}", "甲", "100", "2025-01-01"] for i in range(4)])
    job = import_file(path=path, kind="loans", lender=lender)
    assert job.message == "The file has more than 3 rows; split it into several files."
    assert_nothing_stored(job)


def test_a_10_mb_field_is_a_clear_rejection_on_the_page(client, admin_user, lender, settings, tmp_path,
                                                         django_capture_on_commit_callbacks):
    data = (",".join(HEADER) + "\nL1,B1,甲,100,2025-01-01\nL2,B2," + "x" * (10 * MB) + ",100,2025-01-01\n").encode()
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/", {"kind": "loans", "lender": "acme",
                                             "file": SimpleUploadedFile("field.csv", data)})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.message == ("Row 3 is longer than 2,000,000 characters (a cell holds at most 10,000); "
                           "nothing was imported.")
    assert_nothing_stored(job)
    assert media_files(settings) == []  # the rejected upload is deleted


def test_a_line_of_a_million_separators_is_refused(write_csv, tmp_path, lender):
    path = tmp_path / "commas.csv"
    path.write_bytes((",".join(HEADER) + "\n" + "," * 3_000_000 + "\n").encode())
    job = import_file(path=str(path), kind="loans", lender=lender)
    assert job.message.startswith("Row 2 is longer than 2,000,000 characters")
    assert_nothing_stored(job)


def test_a_cell_over_the_field_limit_is_refused(write_csv, lender):
    path = write_csv([HEADER, ["L1", "B1", "甲", "100", "2025-01-01"], ["L2", "B2", "甲" * 20_000, "100", "2025-01-01"]])
    job = import_file(path=path, kind="loans", lender=lender)
    assert job.message == "Row 3 has a cell longer than 10,000 characters; nothing was imported."
    assert_nothing_stored(job)


def test_a_long_cell_in_an_xlsx_is_refused(tmp_path, lender):
    wb = Workbook()
    wb.active.append(HEADER)
    wb.active.append(["L1", "B1", "x" * 20_000, "100", "2025-01-01"])
    wb.save(tmp_path / "long.xlsx")
    job = import_file(path=str(tmp_path / "long.xlsx"), kind="loans", lender=lender)
    assert job.message == "Row 2 has a cell longer than 10,000 characters; nothing was imported."
    assert_nothing_stored(job)


def test_a_rejected_upload_file_is_deleted(client, admin_user, lender, settings, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/imports/", {"kind": "loans", "lender": "acme",
                                  "file": SimpleUploadedFile("bad.csv", b"loan_id,borrower_id\nL1,B1\n")})
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED and "Missing required column" in job.message
    assert not job.file and media_files(settings) == []
    assert os.path.isdir(settings.MEDIA_ROOT)  # the upload was stored, then deleted
