"""Bounds on what an import may read: upload size, XLSX archive (zip bomb), rows, columns, cell size.

Each check raises ``FileRejected`` with one clear message before the expensive work starts: the
upload's size before it is stored, the XLSX's zip directory before openpyxl unpacks anything. The
limits are settings (``IMPORT_*``, from the environment; see docs/imports.md).
"""
from __future__ import annotations

import os
import zipfile

from django.conf import settings
from django.utils.translation import gettext as _

from .reader import XLSX_MAGIC, FileRejected

MB = 1024 * 1024
# openpyxl keeps every shared string in memory (about 4-5 times its XML size), so that member has a
# tighter bound than the sheets, which are streamed.
SHARED_STRINGS = "xl/sharedStrings.xml"
# Members this small are never a bomb, whatever their ratio (styles, an empty sheet).
RATIO_FLOOR = 1 * MB


def max_upload_bytes() -> int:
    return int(settings.IMPORT_MAX_UPLOAD_MB * MB)


def _mb(n: int) -> str:
    return f"{n / MB:.0f}"


def check_size(size: int) -> None:
    """Refuse a file larger than IMPORT_MAX_UPLOAD_MB."""
    if size > max_upload_bytes():
        raise FileRejected(_("The file is too large: %(size)s MB (at most %(max)s MB).")
                           % {"size": f"{size / MB:.1f}", "max": _mb(max_upload_bytes())})


def check_xlsx_archive(fileobj) -> None:
    """Read the zip directory of an XLSX (never its contents) and refuse an archive that unpacks to
    too much, or too much per compressed byte. The directory's sizes can be trusted: Python's zipfile
    (which openpyxl reads through) stops a member at its declared size and fails on a CRC mismatch."""
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRejected(_("This is not a CSV or XLSX file (the spreadsheet cannot be opened)."))
    with archive:
        members = archive.infolist()
    if len(members) > settings.IMPORT_XLSX_MAX_MEMBERS:
        raise FileRejected(_("The spreadsheet holds too many parts (%(n)d) to be a workbook.") % {"n": len(members)})
    total = 0
    for info in members:
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > info.compress_size * settings.IMPORT_XLSX_MAX_RATIO:
            raise FileRejected(_("The spreadsheet is refused: one of its parts unpacks to %(ratio)d times its size "
                                 "(at most %(max)d), the mark of a zip bomb. Save it again from Excel, or as CSV.")
                               % {"ratio": info.file_size // max(info.compress_size, 1),
                                  "max": settings.IMPORT_XLSX_MAX_RATIO})
        if info.filename == SHARED_STRINGS and info.file_size > settings.IMPORT_XLSX_MAX_SHARED_STRINGS_MB * MB:
            raise FileRejected(_("The spreadsheet's text table unpacks to %(size)s MB (at most %(max)s MB). "
                                 "Save it as CSV instead.")
                               % {"size": _mb(info.file_size), "max": settings.IMPORT_XLSX_MAX_SHARED_STRINGS_MB})
    if total > settings.IMPORT_XLSX_MAX_UNPACKED_MB * MB:
        raise FileRejected(_("The spreadsheet unpacks to %(size)s MB (at most %(max)s MB). Save it as CSV instead.")
                           % {"size": _mb(total), "max": settings.IMPORT_XLSX_MAX_UNPACKED_MB})


def check_upload(upload) -> None:
    """What the page and the API check before storing an upload: its size, and an XLSX's archive."""
    size = upload.size if upload.size is not None else 0
    check_size(size)
    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        upload.seek(0)
        if upload.read(len(XLSX_MAGIC)) == XLSX_MAGIC:
            upload.seek(0)
            check_xlsx_archive(upload)
    finally:
        upload.seek(position)


def check_path(path: str) -> None:
    """The same checks on a file on disk (the commands, and the task before it reads a stored upload)."""
    check_size(os.path.getsize(path))
    with open(path, "rb") as fh:
        if fh.read(len(XLSX_MAGIC)) == XLSX_MAGIC:
            fh.seek(0)
            check_xlsx_archive(fh)


def request_size_error(request) -> str:
    """The message refusing a request whose announced body is larger than any allowed upload
    (checked before Django reads the body), or ""."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return ""
    if length <= max_upload_bytes() + MB:  # the form's other fields and the multipart framing
        return ""
    try:
        check_size(length)
    except FileRejected as exc:
        return exc.message
    return ""
