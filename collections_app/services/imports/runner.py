"""The import service: one path for the commands, the page, the API and the Celery task."""
from __future__ import annotations

import contextlib
import glob
import hashlib
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from collections_app.models import ImportJob, ImportStatus, Lender, Loan, LoanRecalc
from collections_app.services.nightly import recalculate_loans
from collections_app.spreadsheet import CsvWriter

from .columns import REQUIRED, header_map, normalize_header
from .kinds import KINDS
from .limits import check_size
from .reader import FileRejected, Table, cell_text
from .store import get_writer

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
RECALC_CHUNK = 10_000
MAX_STORED_ERRORS = 200
TMP_PREFIX = "import-errors-"


class ImportAborted(Exception):
    """Raised by a progress callback to stop an import between batches."""


class LeaseLost(Exception):
    """Another attempt has taken the job over (this one was silent longer than the lease)."""


def create_import_job(*, kind, lender=None, user=None, dry_run=False, encoding="", original_name="", upload=None) -> ImportJob:
    job = ImportJob(kind=kind, lender=lender, created_by=user, dry_run=dry_run, encoding=encoding or "",
                    original_name=original_name or (upload.name if upload else ""))
    if upload is not None:
        job.file.save(os.path.basename(upload.name) or "upload", upload, save=False)
    job.full_clean(exclude=["file", "error_report"])
    job.save()
    return job


def import_file(*, path, kind, lender=None, encoding=None, dry_run=False, user=None, progress: Callable | None = None,
                errors_out=None, batch_size=BATCH_SIZE, recalculate=True) -> ImportJob:
    """Import ``path`` now (synchronously). ``lender`` is a Lender, a lender code or None (then the
    file's ``lender`` column). Returns the finished ImportJob (status done, or failed when the file
    was rejected whole)."""
    lender_obj, message = None, ""
    if isinstance(lender, Lender):
        lender_obj = lender
    elif lender:
        lender_obj = Lender.objects.filter(code=lender).first()
        if lender_obj is None:
            message = _("Unknown lender code: %(code)s.") % {"code": lender}
    job = create_import_job(kind=kind, lender=lender_obj, user=user, dry_run=dry_run, encoding=encoding or "",
                            original_name=os.path.basename(str(path)))
    if message:
        _reject(job, message)
        return job
    return run_import(job=job, path=path, progress=progress, errors_out=errors_out, batch_size=batch_size,
                      recalculate=recalculate)


def _reject(job, message) -> bool:
    """Mark the job failed with ``message`` (only while this run holds its lease)."""
    now = timezone.now()
    done = ImportJob.objects.filter(pk=job.pk, attempt=job.attempt).update(
        status=ImportStatus.FAILED, message=message, finished_at=now)
    job.status, job.message, job.finished_at = ImportStatus.FAILED, message, now
    return bool(done)


def _save_progress(job, **fields):
    """Write progress and renew the lease; raise LeaseLost when another run has taken the job over."""
    for name, value in fields.items():
        setattr(job, name, value)
    job.heartbeat_at = timezone.now()
    if not ImportJob.objects.filter(pk=job.pk, attempt=job.attempt).update(heartbeat_at=job.heartbeat_at, **fields):
        raise LeaseLost(job.pk)


class _ErrorReport:
    """Rejected rows streamed to a CSV (UTF-8 with BOM): the original row plus row, column, error."""

    def __init__(self, header, job_id):
        self.tmp = tempfile.NamedTemporaryFile("w", encoding="utf-8-sig", newline="", suffix=".csv", delete=False,
                                               prefix=_tmp_prefix(job_id))
        self.writer = CsvWriter(self.tmp)
        self.writer.writerow([*header, "row", "column", "error"])
        self.width = len(header)
        self.first = []
        self.count = 0

    def add(self, number, cells, column, message):
        texts = [cell_text(c) for c in cells[: self.width]]
        self.writer.writerow([*texts, number, column, message])
        self.count += 1
        if len(self.first) < MAX_STORED_ERRORS:
            self.first.append({"row": number, "column": column, "error": message})

    def close(self):
        self.tmp.close()
        return self.tmp.name

    def discard(self):
        self.tmp.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp.name)


def _tmp_prefix(job_id) -> str:
    """Temporary files of one job of one database (several databases may share a machine)."""
    database = hashlib.sha1(str(connection.settings_dict["NAME"]).encode()).hexdigest()[:8]
    return f"{TMP_PREFIX}{database}-{job_id}-"


def _remove_leftovers(job):
    """Temporary files of an earlier run of this job that was killed (same machine)."""
    for leftover in glob.glob(os.path.join(tempfile.gettempdir(), f"{_tmp_prefix(job.pk)}*")):
        with contextlib.suppress(OSError):
            os.unlink(leftover)


def run_import(*, job: ImportJob, path=None, progress: Callable | None = None, errors_out=None,
               batch_size=BATCH_SIZE, recalculate=True) -> ImportJob:
    """Run ``job`` on its file (or ``path``). Each batch commits on its own together with the job's
    progress (the checkpoint), so a run that dies midway leaves whole batches behind. A later
    attempt (a redelivered task taking over a stale lease, see ``jobs.claim_import``) starts again
    from the file's first row: rows up to the checkpoint are checked again for the error report but
    not counted twice, the rest are stored; upserts make the stored data the same either way.
    Every failure ends as a failed job with its reason; temporary files are removed in every case."""
    started = time.monotonic()
    report = None
    try:
        path = str(path or job.file.path)
        resume = _checkpoint(job)
        _remove_leftovers(job)
        _save_progress(job, status=ImportStatus.RUNNING, started_at=job.started_at or timezone.now(), message="")
        try:
            table, columns, lenders = _plan(job, path)
        except FileRejected as exc:
            if _reject(job, exc.message):
                _delete_upload(job)
            return job
        report = _ErrorReport(table.header, job.pk)
        _run_batches(job, table, columns, lenders, report, progress, batch_size, resume)
        report_path = report.close()
        if report.count:
            with open(report_path, "rb") as fh:
                job.error_report.save(f"{Path(job.original_name or 'import').stem}-errors.csv", File(fh), save=False)
            if errors_out:
                shutil.copyfile(report_path, errors_out)
        message = ""
        if recalculate and not job.dry_run:
            message = _recalculate(job, lenders)
        from collections_app.services.blacklist import flag_import

        flag_import(job=job)  # new loans of blacklisted borrowers, for the summary
        seconds = time.monotonic() - started
        _save_progress(job, status=ImportStatus.DONE, finished_at=timezone.now(), errors=report.first,
                       error_report=job.error_report.name or "", message=message)
        job.seconds = seconds
        return job
    except LeaseLost:
        log.warning("import %s: attempt %s lost its lease to a later attempt; stopping", job.pk, job.attempt)
        if job.error_report:
            job.error_report.delete(save=False)
        return job
    except Exception as exc:
        if not isinstance(exc, ImportAborted):
            log.exception("import %s stopped", job.pk)
        if job.processed_rows:
            message = _("The import stopped after %(n)d rows: %(error)s. Stored batches are kept; import the file "
                        "again to finish it.") % {"n": job.processed_rows, "error": exc}
        else:
            message = _("The import failed before storing anything: %(error)s") % {"error": exc}
        _reject(job, message)
        return job
    finally:
        if report is not None:
            report.discard()


def _checkpoint(job) -> dict:
    """The counters committed with the last stored batch of an earlier attempt (zero for a first run
    and for a dry run, which stores nothing and so starts over)."""
    if job.attempt <= 1 or job.dry_run or job.status != ImportStatus.RUNNING:
        return {"processed": 0, "stored": 0, "created": 0, "rejected": 0}
    return {"processed": job.processed_rows, "stored": job.stored_rows, "created": job.created_rows,
            "rejected": job.rejected_rows}


def _delete_upload(job):
    """A rejected file is not kept (it may hold a whole loan book of personal data)."""
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")


def raw_column_indexes(header, columns) -> list[int]:
    """The columns a loan keeps in ``Loan.raw``: the known ones, and the first
    IMPORT_MAX_RAW_EXTRA_COLUMNS others that have a name."""
    known = set(columns.values())
    extra = [i for i, name in enumerate(header) if name and i not in known][: settings.IMPORT_MAX_RAW_EXTRA_COLUMNS]
    return sorted(known.union(extra))


def column_labels(header, columns) -> dict[str, str]:
    """How errors name a column: as the file names it, with the internal name beside it when they
    differ ("放款日期 (disbursed_on)")."""
    labels = {}
    for canonical, index in columns.items():
        name = str(header[index]).replace("\ufeff", "").strip()
        labels[canonical] = canonical if normalize_header(name) == canonical else f"{name} ({canonical})"
    return labels


def _plan(job, path):
    """Everything that can reject the whole file, before anything is stored."""
    if not os.path.exists(path):
        raise FileRejected(_("The file does not exist."))
    check_size(os.path.getsize(path))
    table = Table(path, job.encoding or None)
    mapping = header_map(job.kind)
    columns, seen = {}, set()
    for index, name in enumerate(table.header):
        canonical = mapping.get(normalize_header(name))
        if canonical and canonical not in seen:
            columns[canonical] = index
            seen.add(canonical)
    missing = [c for c in REQUIRED[job.kind] if c not in columns]
    if missing:
        raise FileRejected(_("Missing required column(s): %(cols)s.") % {"cols": ", ".join(missing)})
    lender_index = columns.get("lender")
    total, codes = table.scan(lender_index, tick=lambda: _save_progress(job))
    codes.discard("")
    if job.lender_id:
        codes.add(job.lender.code)
    elif lender_index is None:
        raise FileRejected(_("No lender: choose the lender or add a lender column to the file."))
    lenders = {lender.code: lender.pk for lender in Lender.objects.filter(code__in=codes)}
    unknown = sorted(codes - set(lenders))
    if unknown:
        raise FileRejected(_("Unknown lender code(s): %(codes)s.") % {"codes": ", ".join(unknown[:10])})
    _save_progress(job, total_rows=total, encoding=table.encoding or table.format)
    return table, columns, lenders


def _validated_batches(job, table, columns, lenders, kind, batch_size, cut_at=0):
    """The file's rows in batches, validated: yields (rows in the batch, valid records, rejections as
    (row number, cells, column, message)); a batch also ends after the ``cut_at``-th row. Pure Python,
    no database."""
    seen_keys: set[str] = set()
    default_lender = job.lender.code if job.lender_id else None
    key_column = kind.key_column()
    items = list(columns.items())
    prepare = getattr(kind, "prepare", None)  # per valid record, here in the reader thread (kinds.PaymentsKind)
    batch = []

    def check():
        valid, rejected = [], []
        for number, cells in batch:
            row = {name: cells[index] if index < len(cells) else None for name, index in items}
            record, errors = kind.validate(row)
            code = cell_text(row.get("lender")) or default_lender
            if default_lender and code != default_lender:
                errors.add("lender", _("another lender than the one chosen for the file"))
            if any("\ufffd" in c for c in cells if isinstance(c, str)):
                errors.add("", _("characters that cannot be read in the file's encoding"))
            if code in lenders:  # the duplicate rule is checked on a row with other errors too
                record["lender_id"] = lenders[code]
                key = kind.key(record)
                if key in seen_keys:
                    errors.add(key_column, _("duplicate: an earlier row of this file has the same key"))
                elif not errors:
                    seen_keys.add(key)
            if errors:
                rejected.extend((number, cells, column, message) for column, message in errors)
                rejected.append((number, None, None, None))  # one rejected row
                continue
            record["_row"], record["_cells"] = number, cells
            if prepare is not None:
                prepare(record)
            valid.append(record)
        return len(batch), valid, rejected

    count = 0
    for item in table.rows():
        batch.append(item)
        count += 1
        if len(batch) >= batch_size or count == cut_at:
            yield check()
            batch = []
    if batch:
        yield check()


def _read_ahead(batches, depth: int = 1):
    """Run the generator ``batches`` in a thread, ``depth`` items ahead of the consumer: the next
    batches are read and validated (Python) while this thread stores the current one (the database
    works, the GIL is free). The items come in order; an exception in the reader is raised here. The
    reader runs in the caller's language (error messages are translated where they are made)."""
    done = object()
    out: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    language = translation.get_language()

    def reader():
        try:
            with translation.override(language):
                for item in batches:
                    while not stop.is_set():
                        try:
                            out.put(("item", item), timeout=0.2)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
            out.put(("end", done))
        except BaseException as exc:  # handed to the consumer
            out.put(("error", exc))

    thread = threading.Thread(target=reader, name="import-reader", daemon=True)
    thread.start()
    try:
        while True:
            tag, value = out.get()
            if tag == "item":
                yield value
            elif tag == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        thread.join(timeout=30)


def _run_batches(job, table, columns, lenders, report, progress, batch_size, resume):
    kind = KINDS[job.kind]()
    kind.header = table.header
    kind.raw_indexes = raw_column_indexes(table.header, columns)
    labels = column_labels(table.header, columns)
    writer = get_writer(job)
    counters = dict(resume)
    seen = 0  # rows read in this attempt
    batches = _validated_batches(job, table, columns, lenders, kind, batch_size, cut_at=resume["processed"])
    for size, valid, rejected in _read_ahead(batches):
        replay = seen + size <= resume["processed"]  # stored and counted by an earlier attempt
        seen += size
        errors = [e for e in rejected if e[1] is not None]
        rejected_rows = len(rejected) - len(errors)
        with transaction.atomic():
            stored = created = 0
            if valid:
                # a replayed batch is stored again inside a transaction that is rolled back: it gives the
                # same late errors (unknown loans) for the report and the same state to the kind
                stored, created, late_errors = kind.store(valid, writer, job)
                errors.extend((r["_row"], r["_cells"], column, message) for r, column, message in late_errors)
                rejected_rows += len(late_errors)
            errors.sort(key=lambda e: e[0])  # file order (stable: a row's errors keep their order)
            for number, cells, column, message in errors:
                report.add(number, cells, labels.get(column, column), message)
            counters["rejected"] += 0 if replay else rejected_rows
            if replay or job.dry_run:
                transaction.set_rollback(True)
            else:  # the checkpoint commits with the batch
                _batch_progress(job, counters, size, stored, created, report)
        if replay:
            _save_progress(job)  # renew the lease
            continue
        if job.dry_run:
            _batch_progress(job, counters, size, stored, created, report)
        if progress:
            progress(job)


def _batch_progress(job, counters, size, stored, created, report):
    counters["processed"] += size
    counters["stored"] += stored
    counters["created"] += created
    _save_progress(job, processed_rows=min(counters["processed"], job.total_rows),
                   stored_rows=counters["stored"], created_rows=counters["created"],
                   updated_rows=counters["stored"] - counters["created"], rejected_rows=counters["rejected"],
                   errors=report.first)


def _recalculate(job, lenders) -> str:
    """Reclassify the loans the file touched (``needs_recalc`` or a payment flag: ``selectors.recalc``),
    in chunks of ids."""
    from collections_app.services.agency import attribute_payments
    last = 0
    lender_ids = list(lenders.values())
    while True:
        # the next ids of either kind, each read through its own index (an OR of the two would scan the loans)
        flagged = set(
            Loan.objects.filter(lender_id__in=lender_ids, needs_recalc=True, id__gt=last)
            .order_by("id").values_list("id", flat=True)[:RECALC_CHUNK]
        ) | set(
            LoanRecalc.objects.filter(loan__lender_id__in=lender_ids, loan_id__gt=last)
            .order_by("loan_id").values_list("loan_id", flat=True)[:RECALC_CHUNK]
        )
        ids = sorted(flagged)[:RECALC_CHUNK]
        if not ids:
            return ""
        try:
            recalculate_loans(loan_ids=ids)
            attribute_payments(loan_ids=ids)  # payments made while a case was with an agency
        except NotImplementedError:
            return ""
        except Exception as exc:  # the import itself is stored; the nightly run reclassifies
            log.exception("reclassification after import %s failed", job.pk)
            return _("Stored, but reclassifying the loans failed (the nightly run will do it): %(error)s") % {"error": exc}
        last = ids[-1]
        _save_progress(job)  # renew the lease
