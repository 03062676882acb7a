"""Retention: personal data is not kept for ever (docs/retention.md).

Once a lender's agreement ended (``Lender.agreement_ends_on``) more than ``RETENTION_YEARS`` ago
(default 5), ``purge_expired`` treats every borrower of that lender by the lender's
``retention_mode``:

* **anonymise** (default): the borrower's name becomes ``anon-<id>``; national id, address,
  employer, region and raw import row are cleared; every contact point's value becomes
  ``anon-<id>`` (name cleared); contact notes, numbers used and recordings (the files too), case
  notes, the personal parts of visits, letters and complaints, payment notes and loans' raw import
  rows are cleared — in the live tables and in their history tables. Loans, installments, payments,
  cases, contacts and promises stay as they were, so the figures and KPIs of the past do not move.
  The borrower is stamped ``anonymised_at`` and is not treated again.
* **purge**: the borrower and every row that hangs from it (contact points, loans with their
  schedules, payments and bucket history, cases with their contacts, promises, visits, letters,
  approvals, notes, complaints, personal-data access records, and their history rows) are deleted,
  recordings and other files included. The lender, its products and teams stay.

Both run set-based (a fixed number of statements per lender, whatever the number of borrowers), in
one transaction per lender that first locks the lender row, so a run killed midway leaves each
lender either done or untouched, and two runs at once do the work once. Running again finds nothing
left to do. This is the only path that removes borrower data: the admin site deletes no records.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from simple_history.models import HistoricalChanges

from collections_app.models import (
    Borrower,
    CaseDocument,
    CaseNote,
    CollectionCase,
    Complaint,
    ContactLog,
    ContactPoint,
    Dispute,
    FieldVisit,
    Lender,
    Letter,
    Loan,
    Payment,
    QualityReview,
    RetentionMode,
)
from collections_app.selectors.loan_figures import business_date

log = logging.getLogger(__name__)
ANON_PREFIX = "anon-"
FILES = "files (recordings, uploads)"


@dataclass
class LenderResult:
    code: str
    mode: str
    agreement_ends_on: dt.date
    borrowers: int
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class RetentionReport:
    today: dt.date
    cutoff: dt.date
    dry_run: bool
    lenders: list[LenderResult] = field(default_factory=list)
    files_removed: int = 0

    def totals(self) -> Counter:
        total = Counter()
        for result in self.lenders:
            total.update(result.counts)
        return total

    def lines(self) -> list[str]:
        verb = "would be" if self.dry_run else "were"
        out = [f"Retention {'(dry run) ' if self.dry_run else ''}on {self.today}: lenders whose agreement ended "
               f"before {self.cutoff}: {len(self.lenders)}"]
        for r in self.lenders:
            done = "anonymised" if r.mode == RetentionMode.ANONYMISE else "purged"
            out.append(f"  {r.code} (agreement ended {r.agreement_ends_on}): {r.borrowers} borrowers {verb} {done}")
            for name, n in sorted(r.counts.items()):
                out.append(f"    {name}: {n}")
        if not self.dry_run:
            out.append(f"  files removed: {self.files_removed}")
        return out


def retention_cutoff(*, today: dt.date, years: int | None = None) -> dt.date:
    """The latest agreement end date whose borrowers are due: ``today`` less the retention years
    (29 February becomes 28 February)."""
    years = settings.RETENTION_YEARS if years is None else years
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def expired_lenders(*, today: dt.date):
    return Lender.objects.filter(agreement_ends_on__lt=retention_cutoff(today=today)).order_by("code")


def purge_expired(*, today: dt.date | None = None, dry_run: bool = False) -> RetentionReport:
    """Anonymise or purge the borrowers of every lender whose agreement ended more than the
    retention period before ``today`` (default: the business date). ``dry_run`` counts only."""
    if today is None:
        today = business_date()
    report = RetentionReport(today=today, cutoff=retention_cutoff(today=today), dry_run=dry_run)
    for lender_id in expired_lenders(today=today).values_list("id", flat=True):
        files: list[str] = []
        with transaction.atomic():
            lender = Lender.objects.select_for_update().get(pk=lender_id)
            if lender.retention_mode == RetentionMode.PURGE:
                borrowers = Borrower.objects.filter(lender=lender)
                n = borrowers.count()
                counts = _purge(borrowers, dry_run, files) if n else {}
            else:
                borrowers = Borrower.objects.filter(lender=lender, anonymised_at__isnull=True)
                n = borrowers.count()
                counts = _anonymise(borrowers, dry_run, files) if n else {}
            if files and not dry_run:
                transaction.on_commit(lambda names=tuple(files): _remove_files(names, report))
        report.lenders.append(LenderResult(lender.code, lender.retention_mode, lender.agreement_ends_on, n,
                                           {k: v for k, v in counts.items() if v}))
        if not dry_run and n:
            log.info("retention: %s %s borrowers of %s", lender.retention_mode, n, lender.code)
    return report


def _remove_files(names, report: RetentionReport) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            log.exception("retention: could not delete %s", name)
        else:
            report.files_removed += 1


def _file_names(qs, file_fields, files: list[str]) -> int:
    """Collect the stored files of ``qs`` for deletion; returns how many there are."""
    count = 0
    for name in file_fields:
        names = [v for v in qs.exclude(**{name: ""}).values_list(name, flat=True).iterator() if v]
        files.extend(names)
        count += len(names)
    return count


def _anonymise(borrowers, dry_run: bool, files: list[str]) -> dict[str, int]:
    ids = borrowers.values("id")
    case_ids = CollectionCase.objects.filter(borrower__in=ids).values("id")
    anon_id = Concat(Value(ANON_PREFIX), Cast("id", CharField()), output_field=CharField())
    contacts = ContactLog.objects.filter(borrower__in=ids)
    visits = FieldVisit.objects.filter(case__in=case_ids)
    documents = CaseDocument.objects.filter(case__in=case_ids)
    visit_fields = {"address": "", "met_whom": "", "place": "", "agreement": "", "safety_incident": "",
                    "recording": "", "recording_ref": ""}
    plan = [
        # (what, live rows, values, their history rows or None); the borrowers themselves go last, as
        # ``ids`` selects the borrowers not anonymised yet
        (ContactPoint, ContactPoint.objects.filter(borrower__in=ids), {"value": anon_id, "name": ""},
         ContactPoint.history.filter(borrower_id__in=ids)),
        (ContactLog, contacts, {"note": "", "number_used": "", "recording": "", "recording_ref": ""}, None),
        (CaseNote, CaseNote.objects.filter(case__in=case_ids), {"text": ""}, None),
        # a reviewer's comment on a contact may repeat what was said (docs/quality.md)
        (QualityReview, QualityReview.objects.filter(contact__borrower__in=ids).exclude(comment=""), {"comment": ""},
         None),
        (FieldVisit, visits, visit_fields, FieldVisit.history.filter(case_id__in=case_ids)),
        (Letter, Letter.objects.filter(case__in=case_ids), {"address": "", "body": ""},
         Letter.history.filter(case_id__in=case_ids)),
        (Complaint, Complaint.objects.filter(borrower__in=ids), {"description": "", "resolution": ""},
         Complaint.history.filter(borrower_id__in=ids)),
        (Dispute, Dispute.objects.filter(case__in=case_ids), {"reason": "", "details": "", "resolution_note": ""},
         Dispute.history.filter(case_id__in=case_ids)),
        (CaseDocument, documents, {"file": "", "original_name": "", "note": ""}, None),
        (Payment, Payment.objects.filter(loan__borrower__in=ids).exclude(note=""), {"note": ""}, None),
        (Loan, Loan.objects.filter(borrower__in=ids).exclude(raw={}), {"raw": {}}, None),
    ]
    counts = {FILES: _file_names(contacts, ["recording"], files) + _file_names(visits, ["recording"], files)
              + _file_names(documents, ["file"], files)}
    for model, rows, values, history in plan:
        if dry_run:
            counts[_label(model)] = rows.count()
            continue
        if history is not None:
            history.update(**values)
        counts[_label(model)] = rows.update(**values)
    person = {"name": anon_id, "national_id": "", "address": "", "employer": "", "region": ""}
    if dry_run:
        files.clear()
        counts[_label(Borrower)] = borrowers.count()
    else:
        Borrower.history.filter(id__in=ids).update(**person)
        counts[_label(Borrower)] = borrowers.update(**person, raw={}, anonymised_at=timezone.now())
    return counts


# --- purge -------------------------------------------------------------------------------------


def _is_history(model) -> bool:
    return issubclass(model, HistoricalChanges)


def _history_model(model):
    name = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, name).model if name else None


def _label(model) -> str:
    return str(model._meta.verbose_name_plural)


def _purge(borrowers, dry_run: bool, files: list[str]) -> dict[str, int]:
    """Delete ``borrowers`` and everything that references them, children first, one statement per
    relation: a nullable SET_NULL reference is cleared, any other reference is deleted in turn.
    Found from the models' relations, so a model added later is covered without a change here."""
    counts: Counter = Counter()
    reached: dict = {}  # dry run: model -> the querysets that reach its rows (a row may be reached twice)
    _delete_tree(Borrower, borrowers, dry_run, files, counts, reached, depth=0)
    for model, querysets in reached.items():
        union = Q()
        for qs in querysets:
            union |= Q(pk__in=qs.values("pk"))
        counts[_label(model)] = model._base_manager.filter(union).count()
    unique = list(dict.fromkeys(files))
    files[:] = unique
    counts[FILES] = len(unique)
    return dict(counts)


def _delete_tree(model, qs, dry_run, files, counts, reached, depth) -> None:
    if depth > 12:
        raise RuntimeError(f"retention: relations nest too deep below {model.__name__}")
    pks = qs.values("pk")
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        child = rel.related_model
        rows = child._base_manager.filter(**{f"{rel.field.name}__in": pks})
        if _is_history(child):
            # history rows that point here (also those of rows deleted long ago): cleared where the
            # live reference is cleared, deleted otherwise (a history row holds the personal data too)
            live = child.instance_type._meta.get_field(rel.field.name)
            if not dry_run:
                if live.null and live.remote_field.on_delete is models.SET_NULL:
                    rows.update(**{rel.field.name: None})
                else:
                    rows._raw_delete(rows.db)
            continue
        if rel.on_delete in (models.SET_NULL, models.SET_DEFAULT) and rel.field.null:
            if not dry_run:
                rows.update(**{rel.field.name: None})
            continue
        _delete_tree(child, rows, dry_run, files, counts, reached, depth + 1)
    file_fields = [f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
    if file_fields:
        _file_names(qs, file_fields, files)
    history = _history_model(model)
    if dry_run:
        reached.setdefault(model, []).append(qs)
        return
    if history is not None:
        history._base_manager.filter(**{f"{model._meta.pk.attname}__in": pks})._raw_delete(history._base_manager.db)
    # _raw_delete: one DELETE … WHERE pk IN (…) without loading the rows or sending signals (a signal
    # would write a history row, holding the personal data, for every deleted row)
    counts[_label(model)] += qs._raw_delete(qs.db)
