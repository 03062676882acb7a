"""The blacklist (黑名单): borrowers a lender should not lend to again (docs/disputes.md, "Blacklist").

    add_to_blacklist(*, borrower, user, reason, today=None) -> BlacklistEntry
        By hand (supervisor or admin), with a reason; a borrower already listed is refused.
    remove_from_blacklist(*, entry, user, reason, today=None) -> BlacklistEntry
        Never deleted: the entry gets ``removed_on`` and the reason in its history.
    apply_blacklist_rules(*, today=None) -> int
        The lenders' rules, set-based over the whole book (run after each nightly run): a borrower
        whose case closed paid (cured or settled) after one of its loans reached the strategy's worst
        bucket (``Lender.blacklist_after_worst_bucket``), or whose case went to litigation (an approved
        litigation request, ``Lender.blacklist_after_litigation``). Returns how many were added.
    flag_import(*, job) -> list[dict]
        The loans an import created for blacklisted borrowers, stored on the job for its summary.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts.roles import is_supervisor_or_admin
from collections_app.models import (
    ApprovalKind,
    ApprovalRequest,
    BlacklistEntry,
    BucketHistory,
    CaseCloseReason,
    CaseStatus,
    CollectionCase,
    ImportKind,
    Loan,
)

RULE_WORST_BUCKET = "worst_bucket_paid"
RULE_LITIGATION = "litigation"
REASON_MAX = 1000
FLAGS_KEPT = 200  # the first flagged loans kept on an import job (the count is complete)


def rule_label(code: str) -> str:
    labels = {
        RULE_WORST_BUCKET: _("paid only after reaching the worst bucket"),
        RULE_LITIGATION: _("taken to court"),
    }
    return str(labels.get(code, code or _("by hand")))


def active_entries():
    return BlacklistEntry.objects.filter(removed_on__isnull=True)


def add_to_blacklist(*, borrower, user, reason: str, today: dt.date | None = None) -> BlacklistEntry:
    if not is_supervisor_or_admin(user):
        raise PermissionDenied(_("Only a supervisor or an admin adds a borrower to the blacklist."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the borrower is blacklisted.")]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [_("At most %(n)s characters.") % {"n": REASON_MAX}]})
    if active_entries().filter(lender_id=borrower.lender_id, borrower=borrower).exists():
        raise ValidationError({"borrower": [_("This borrower is already on the blacklist.")]})
    try:
        with transaction.atomic():
            return BlacklistEntry.objects.create(
                lender_id=borrower.lender_id, borrower=borrower, national_id=borrower.national_id, name=borrower.name,
                reason=reason, added_by=user, added_on=today or timezone.localdate(),
            )
    except IntegrityError as exc:
        raise ValidationError({"borrower": [_("This borrower is already on the blacklist.")]}) from exc


def remove_from_blacklist(*, entry: BlacklistEntry, user, reason: str, today: dt.date | None = None) -> BlacklistEntry:
    if not is_supervisor_or_admin(user):
        raise PermissionDenied(_("Only a supervisor or an admin removes a borrower from the blacklist."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the borrower leaves the blacklist.")]})
    if entry.removed_on is not None:
        raise ValidationError({"__all__": [_("This entry was already removed.")]})
    entry.removed_on = today or timezone.localdate()
    entry._change_reason = f"removed: {reason}"[:100]
    entry._history_user = user
    entry.save(update_fields=["removed_on"])
    return entry


def worst_bucket_code() -> str | None:
    """The last bucket of the active strategy version (M4+ in the default ladder)."""
    from collections_app.selectors.buckets import bucket_ranges

    ranges = bucket_ranges()
    return ranges[-1].code if ranges else None


def _candidates(today: dt.date) -> list[tuple[int, int, str]]:
    """(lender id, borrower id, rule) of borrowers a rule lists and who are not listed yet."""
    not_listed = ~Exists(active_entries().filter(lender_id=OuterRef("lender_id"), borrower_id=OuterRef("borrower_id")))
    found: dict[tuple[int, int], str] = {}
    worst = worst_bucket_code()
    if worst:
        reached = BucketHistory.objects.filter(loan__case_id=OuterRef("pk"), to_bucket=worst)
        paid = (CollectionCase.objects.filter(status=CaseStatus.CLOSED, lender__blacklist_after_worst_bucket=True,
                                              close_reason__in=(CaseCloseReason.CURED, CaseCloseReason.SETTLED))
                .filter(Exists(reached), not_listed).values_list("lender_id", "borrower_id").distinct())
        for key in paid:
            found.setdefault(key, RULE_WORST_BUCKET)
    litigated = ApprovalRequest.objects.filter(case_id=OuterRef("pk"), kind=ApprovalKind.LITIGATION,
                                               status="approved")
    for key in (CollectionCase.objects.filter(lender__blacklist_after_litigation=True)
                .filter(Exists(litigated), not_listed).values_list("lender_id", "borrower_id").distinct()):
        found.setdefault(key, RULE_LITIGATION)
    return [(lender_id, borrower_id, rule) for (lender_id, borrower_id), rule in found.items()]


def apply_blacklist_rules(*, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    rows = _candidates(today)
    if not rows:
        return 0
    from collections_app.models import Borrower

    people = {b["id"]: b for b in Borrower.objects.filter(id__in={r[1] for r in rows})
              .values("id", "name", "national_id")}
    entries = [
        BlacklistEntry(lender_id=lender_id, borrower_id=borrower_id, rule=rule, reason=rule_label(rule),
                       name=people[borrower_id]["name"], national_id=people[borrower_id]["national_id"], added_on=today)
        for lender_id, borrower_id, rule in rows
    ]
    with transaction.atomic():
        bulk_create_with_history(entries, BlacklistEntry, batch_size=1000, default_change_reason="blacklist rule")
    return len(entries)


def flag_import(*, job) -> list[dict]:
    """Loans created by ``job`` (a loans import) whose borrower is blacklisted by the same lender —
    by the borrower record or by national id. Stored on ``job.blacklisted``; one query."""
    if job.kind != ImportKind.LOANS or job.dry_run or job.started_at is None:
        return []
    listed = active_entries().filter(lender_id=OuterRef("lender_id")).filter(
        Q(borrower_id=OuterRef("borrower_id")) | (~Q(national_id="") & Q(national_id=OuterRef("borrower__national_id")))
    )
    rows = list(
        Loan.objects.filter(created_at__gte=job.started_at).filter(Exists(listed))
        .order_by("id").values("id", "external_id", "borrower_id", "borrower__external_id", "borrower__name")
    )
    flags = [{"loan": r["external_id"], "loan_id": r["id"], "borrower": r["borrower__external_id"],
              "borrower_id": r["borrower_id"], "name": r["borrower__name"]} for r in rows[:FLAGS_KEPT]]
    type(job).objects.filter(pk=job.pk).update(blacklisted=flags)
    job.blacklisted = flags
    return flags
