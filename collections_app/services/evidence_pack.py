"""An evidence pack (docs/evidence-pack.md): one ZIP with a PDF summary in the case's language, a CSV
per section of the case's history (spreadsheet-safe, collections_app/spreadsheet.py) and the case's
stored files; building one is recorded as a view of the borrower's personal data.

    build_evidence_pack(*, case, user, where="", now=None) -> EvidencePack

Written to a temporary file, section by section, rows read in batches and files copied in chunks,
so memory stays bounded whatever the case's size; the caller streams it and deletes it.
"""
from __future__ import annotations

import datetime as dt
import heapq
import io
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from collections_app.domain.compliance import stop_flag_label
from collections_app.domain.message_templates import language_for
from collections_app.evidence_pdf import render_summary_pdf
from collections_app.selectors import evidence_pack as pack
from collections_app.services.personal_data import record_personal_data_access
from collections_app.spreadsheet import BOM, CsvWriter, csv_value

# the PDF lists the latest entries of the timeline; the CSV files hold every one
PDF_TIMELINE_LIMIT = 1000
COPY_CHUNK = 1024 * 1024


@dataclass
class EvidencePack:
    path: str
    filename: str
    counts: dict
    generated_at: dt.datetime


def _when(value) -> tuple[dt.datetime, str]:
    """A sortable aware time and its text for a row's time (a date is its day's start)."""
    if isinstance(value, dt.datetime):
        return value, csv_value(value)[:16]
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0), tzinfo=timezone.get_current_timezone()), value.isoformat()
    return dt.datetime.min.replace(tzinfo=dt.UTC), ""


def _write_sections(zf: zipfile.ZipFile, case) -> tuple[dict, list]:
    """Each section's CSV; returns the row counts and the newest PDF_TIMELINE_LIMIT timeline entries."""
    counts: dict[str, tuple[str, int]] = {}
    newest: list = []  # a min-heap of (time, seq, kind, text): bounded
    seq = 0
    for section in pack.sections(case):
        n = 0
        with io.TextIOWrapper(zf.open(f"{section.name}.csv", "w"), encoding="utf-8", newline="") as fh:
            fh.write(BOM)
            writer = CsvWriter(fh)
            writer.writerow([str(h) for h in section.header])
            for row in section.rows():
                writer.writerow(row)
                n += 1
                seq += 1
                at, _text = _when(row[section.at])
                entry = (at, seq, str(section.title), section.text([str(v) if v is not None else "" for v in row]))
                if len(newest) < PDF_TIMELINE_LIMIT:
                    heapq.heappush(newest, entry)
                else:
                    heapq.heappushpop(newest, entry)
        counts[section.name] = (str(section.title), n)
    return counts, sorted(newest)


def _copy_files(zf: zipfile.ZipFile, case) -> list[list]:
    """Copy each stored file into files/…; returns the manifest rows (missing files are listed as such)."""
    manifest = []
    for name, fieldfile, what in pack.stored_files(case):
        try:
            with fieldfile.open("rb") as src, zf.open(name, "w") as dst:
                shutil.copyfileobj(src, dst, COPY_CHUNK)
            manifest.append([name, what, fieldfile.name, _("included")])
        except (FileNotFoundError, OSError):
            manifest.append([name, what, fieldfile.name, _("missing from storage")])
    return manifest


def summary_facts(case, user, now) -> list[tuple[str, str]]:
    b = case.borrower
    return [
        (_("Case"), f"#{case.pk} · {case.get_status_display()}"),
        (_("Borrower"), f"{b.name} ({b.external_id})"),
        (_("Lender"), case.lender.name),
        (_("Collector"), pack.who(case.assigned_to) or "—"),
        (_("Bucket"), f"{case.bucket} · {case.dpd} {_('days past due')}"),
        (_("Overdue amount"), f"{case.overdue_amount:.2f}"),
        (_("Outstanding balance"), f"{case.outstanding_amount:.2f}"),
        (_("Stop flags"), "; ".join(str(stop_flag_label(f)) for f in b.stop_flags) or "—"),
        (_("Generated"), f"{timezone.localtime(now):%Y-%m-%d %H:%M} · {pack.who(user)}"),
    ]


def build_evidence_pack(*, case, user, where: str = "", now: dt.datetime | None = None) -> EvidencePack:
    if not pack.can_build_pack(user, case):
        raise PermissionDenied(_("You cannot build an evidence pack for this case."))
    now = now or timezone.now()
    language = language_for(case.borrower.preferred_language)
    filename = f"evidence-pack-case-{case.pk}-{timezone.localtime(now):%Y%m%d-%H%M}.zip"
    handle, path = tempfile.mkstemp(suffix=".zip", prefix="evidence-")
    os.close(handle)
    try:
        with translation.override(language), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            counts, timeline = _write_sections(zf, case)
            manifest = _copy_files(zf, case)
            with zf.open("files.csv", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as fh:
                fh.write(BOM)
                CsvWriter(fh).writerows([[_("File"), _("What"), _("Stored as"), _("State")], *manifest])
            pdf_path = path + ".pdf"
            try:
                render_summary_pdf(
                    pdf_path, title=_("Evidence pack · case #%(id)s") % {"id": case.pk},
                    facts=summary_facts(case, user, now), counts_title=_("What the pack holds"),
                    counts=[(f"{title} ({name}.csv)", n) for name, (title, n) in counts.items()]
                    + [(_("Stored files (files/)"), len(manifest))],
                    timeline_title=_("Timeline"),
                    timeline=[(_("At"), _("What"), _("Details"))]
                    + [(_when(at)[1], kind, text) for at, _seq, kind, text in reversed(timeline)],
                    footer=_("The timeline lists the latest %(n)d entries; the CSV files hold every one.")
                    % {"n": PDF_TIMELINE_LIMIT},
                )
                zf.write(pdf_path, "summary.pdf")
            finally:
                if os.path.exists(pdf_path):
                    os.remove(pdf_path)
    except BaseException:
        os.remove(path)
        raise
    record_personal_data_access(user=user, what="evidence pack", file_name=filename, where=where,
                                borrower_ids=[case.borrower_id])
    return EvidencePack(path=path, filename=filename, counts={k: n for k, (_t, n) in counts.items()},
                        generated_at=now)
