"""Every CSV and XLSX file the product writes goes through here (dashboard exports, import error
reports), so no cell of it can run as a formula.

Formula injection: Excel and LibreOffice treat a cell whose text starts with ``=``, ``+``, ``-`` or
``@`` as a formula (``=HYPERLINK(...)``, ``=cmd|...``), and some strip a leading tab or carriage
return first. Such text — from a borrower's name, a note, a cell of a lender's file — is written with a
single quote in front (``'=1+1``), which both programs show as text. The rule, per value:

* numbers (``int``, ``float``, ``Decimal``) are written as numbers: a negative amount stays a number,
  in XLSX a numeric cell (Decimals keep their places as the cell's number format);
* dates and times are written as dates (aware times in the local ``TIME_ZONE``);
* text starting with one of ``= + - @``, tab or CR gets the quote — except text that is exactly a
  plain decimal number (``-12.50``: an optional minus, digits, optional fraction). A CSV is all text,
  so that is how a negative amount arrives there (e.g. the cell of a lender's file that an import
  rejected for being negative); Excel reads it as the number it is, it cannot hold a formula, and the
  report then shows the lender's value unchanged. ``-1+1``, ``-A1``, ``+8613800000000`` are quoted.
* XLSX text cells are always text, never formulas (openpyxl would store ``=...`` as a formula), with
  the same quote rule, so a CSV and an XLSX of the same rows read the same; characters an XLSX cannot
  hold (control characters) are dropped.

CSV files are UTF-8 with a byte-order mark (so Excel reads Chinese right); XLSX files are written
with openpyxl in write-only mode (rows streamed, not held as cell objects).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?\Z")
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BOM = "\ufeff"
XLSX_SHEET_TITLE_MAX = 31
_BAD_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it, never run as a formula (see the module docstring)."""
    if text and text[0] in FORMULA_TRIGGERS and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def _is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def csv_value(value) -> str:
    """One cell of a CSV row."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Decimal):
        return f"{value:f}"
    if _is_number(value):
        return str(value)
    if isinstance(value, dt.datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def _decimal_format(value: Decimal) -> str:
    places = -value.as_tuple().exponent if isinstance(value.as_tuple().exponent, int) else 0
    return "0." + "0" * places if places > 0 else "0"


def xlsx_cell(sheet, value):
    """One cell of an XLSX row (a write-only cell when it needs a format)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = _decimal_format(value)
        return cell
    if _is_number(value):
        return value
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, _local(value).replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    cell = WriteOnlyCell(sheet, neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value))))
    cell.data_type = "s"
    return cell


class CsvWriter:
    """Writes rows to an open text file (opened with ``newline=""``) through :func:`csv_value`.
    For a file of its own open it with ``encoding="utf-8-sig"`` to get the byte-order mark."""

    def __init__(self, fh):
        self._writer = csv.writer(fh)

    def writerow(self, row: Iterable) -> None:
        self._writer.writerow([csv_value(v) for v in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def csv_bytes(header: Sequence, rows: Iterable[Iterable]) -> bytes:
    """A whole CSV file: UTF-8 with BOM, header first."""
    buf = io.StringIO(newline="")
    buf.write(BOM)
    writer = CsvWriter(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def sheet_title(text: str) -> str:
    """A valid worksheet name: at most 31 characters, none of ``[]:*?/\\``."""
    return (_BAD_TITLE_CHARS.sub(" ", str(text)).strip() or "Sheet")[:XLSX_SHEET_TITLE_MAX]


def xlsx_bytes(header: Sequence, rows: Iterable[Iterable], *, title: str = "Sheet") -> bytes:
    """A whole XLSX workbook of one sheet: a bold header row, then ``rows``."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(title))
    bold = Font(bold=True)
    head = []
    for value in header:
        cell = WriteOnlyCell(sheet, neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value))))
        cell.data_type = "s"
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for row in rows:
        sheet.append([xlsx_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(fmt: str, name: str, header: Sequence, rows: Iterable[Iterable], *, title: str | None = None) -> HttpResponse:
    """An attachment ``<name>.<fmt>`` holding ``header`` and ``rows`` (``fmt``: csv or xlsx)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown spreadsheet format {fmt!r}")
    body = csv_bytes(header, rows) if fmt == "csv" else xlsx_bytes(header, rows, title=title or name)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
