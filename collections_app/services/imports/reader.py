"""Reading lenders' files as a stream of rows: CSV (UTF-8 with or without BOM, GB18030/GBK) or XLSX.

Nothing here touches the database. A file that cannot be read raises ``FileRejected`` with one
clear, translatable message.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

SAMPLE_BYTES = 1 << 20
XLSX_MAGIC = b"PK\x03\x04"


class FileRejected(Exception):
    """The whole file is refused; nothing is stored."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def cell_text(value) -> str:
    """A spreadsheet cell as the text a person would read."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal | int):
        return str(value)
    return str(value).strip()


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        return "utf-16"
    if b"\x00" in sample:
        raise FileRejected(_("This is not a CSV or XLSX file."))
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4 and len(sample) == SAMPLE_BYTES:  # a character cut by the sample's end
            return "utf-8"
    try:
        sample.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4 and len(sample) == SAMPLE_BYTES:
            return "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise FileRejected(_("Cannot tell the file's text encoding; give it explicitly (e.g. --encoding gb18030)."))
    return best.encoding


def _cell_too_long(row: int, limit: int) -> str:
    return _("Row %(row)d has a cell longer than %(max)s characters; nothing was imported.") % {
        "row": row, "max": f"{limit:,}"}


class _LineTooLong(Exception):
    pass


def _bounded_lines(fh, limit: int):
    """The file's lines, refusing one longer than ``limit`` characters (a "row" of a million commas)."""
    for line in fh:
        if len(line) > limit:
            raise _LineTooLong
        yield line


class Table:
    """Header and rows of the first sheet of a CSV or XLSX file. ``rows()`` yields
    ``(row_number, cells)`` where row 1 is the header, skipping blank lines."""

    def __init__(self, path: str, encoding: str | None = None):
        self.path = path
        with open(path, "rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
        if not sample.strip():
            raise FileRejected(_("The file is empty: no header row."))
        self.is_xlsx = sample.startswith(XLSX_MAGIC)
        self.format = "xlsx" if self.is_xlsx else "csv"
        self.encoding = ""
        self.delimiter = ","
        if self.is_xlsx:
            self._check_xlsx()
        else:
            if encoding:
                try:
                    codecs.lookup(encoding)
                except LookupError:
                    raise FileRejected(_("Unknown text encoding: %(enc)s.") % {"enc": encoding})
                self.encoding = encoding
            else:
                self.encoding = detect_encoding(sample)
            if self.encoding.replace("_", "-").lower() in ("utf-8", "utf8") and sample.startswith(codecs.BOM_UTF8):
                self.encoding = "utf-8-sig"
            try:
                first_line = sample.decode(self.encoding, errors="replace").split("\n", 1)[0]
            except LookupError:
                raise FileRejected(_("Unknown text encoding: %(enc)s.") % {"enc": encoding})
            if first_line.count("\t") > first_line.count(","):
                self.delimiter = "\t"
        self.header, self.header_row = self._read_header()
        if len(self.header) > settings.IMPORT_MAX_COLUMNS:
            raise FileRejected(_("The file has %(n)d columns (at most %(max)d).")
                               % {"n": len(self.header), "max": settings.IMPORT_MAX_COLUMNS})

    def _check_xlsx(self):
        from .limits import check_xlsx_archive

        with open(self.path, "rb") as fh:
            check_xlsx_archive(fh)  # before openpyxl unpacks anything
        try:
            from openpyxl import load_workbook

            wb = load_workbook(self.path, read_only=True, data_only=True)
            wb.close()
        except Exception:
            raise FileRejected(_("This is not a CSV or XLSX file (the spreadsheet cannot be opened)."))

    def _raw_rows(self) -> Iterator[list]:
        limit = settings.IMPORT_MAX_FIELD_CHARS
        number = 0
        if self.is_xlsx:
            from openpyxl import load_workbook

            wb = load_workbook(self.path, read_only=True, data_only=True)
            try:
                ws = wb.worksheets[0]
                for values in ws.iter_rows(values_only=True):
                    number += 1
                    for value in values:
                        if isinstance(value, str) and len(value) > limit:
                            raise FileRejected(_cell_too_long(number, limit))
                    yield list(values)
            finally:
                wb.close()
        else:
            # the csv module's limit is per process; it is the same setting for every import
            csv.field_size_limit(limit)
            line_limit = limit * settings.IMPORT_MAX_COLUMNS
            with open(self.path, encoding=self.encoding, errors="replace", newline="") as fh:
                reader = csv.reader(_bounded_lines(fh, line_limit), delimiter=self.delimiter)
                while True:
                    try:
                        cells = next(reader)
                    except StopIteration:
                        return
                    except csv.Error:
                        raise FileRejected(_cell_too_long(number + 1, limit))
                    except _LineTooLong:
                        raise FileRejected(_("Row %(row)d is longer than %(max)s characters (a cell holds at most "
                                             "%(cell)s); nothing was imported.")
                                           % {"row": number + 1, "max": f"{line_limit:,}", "cell": f"{limit:,}"})
                    except UnicodeError:
                        raise FileRejected(_("The file cannot be read as %(enc)s text (row %(row)d).")
                                           % {"enc": self.encoding, "row": number + 1})
                    number += 1
                    yield cells

    def _read_header(self):
        for number, cells in enumerate(self._raw_rows(), start=1):
            texts = [cell_text(c) for c in cells]
            if any(texts):
                while texts and not texts[-1]:
                    texts.pop()
                return texts, number
            if number > 20:
                break
        raise FileRejected(_("The file has no header row."))

    def rows(self) -> Iterator[tuple[int, list]]:
        """Data rows after the header, with their row number in the file (header = its own row)."""
        width = len(self.header)
        for number, cells in enumerate(self._raw_rows(), start=1):
            if number <= self.header_row:
                continue
            if self.is_xlsx:
                if not any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells):
                    continue
            elif not any(c.strip() for c in cells):
                continue
            if len(cells) < width:
                cells = cells + [None if self.is_xlsx else ""] * (width - len(cells))
            elif len(cells) > width:
                cells = cells[:width]  # cells with no header have no name: nothing can keep them
            yield number, cells

    def scan(self, column_index: int | None, tick=None) -> tuple[int, set[str]]:
        """Count the data rows and collect the distinct values of one column (the lender); ``tick()``
        is called every 100,000 rows (the job's heartbeat)."""
        count, values = 0, set()
        for _number, cells in self.rows():
            count += 1
            if tick and not count % 100_000:
                tick()
            if count > settings.IMPORT_MAX_ROWS:
                raise FileRejected(_("The file has more than %(max)s rows; split it into several files.")
                                   % {"max": f"{settings.IMPORT_MAX_ROWS:,}"})
            if column_index is not None and column_index < len(cells):
                values.add(cell_text(cells[column_index]))
        return count, values
