"""The case lifecycle driven by the delinquency run, and the treatment strategy's actions (the Python
backend; ``nightly/postgres/cases.py`` is the same rules set-based).

A case is a person, not a loan (docs/delinquency.md): one open case per borrower and lender, holding all
of that borrower's delinquent loans with that lender; its bucket and DPD are its worst loan's.
Both functions work on one chunk of borrowers with a fixed number of queries (no per-case loop of
queries) and are idempotent: running them twice for a date changes nothing the second time.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, OuterRef
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from collections_app.domain.actions import CASE_CLOSED, NEWER_OF_KIND, system_how
from collections_app.models import (
    AgencyPlacement,
    ApprovalRequest,
    Borrower,
    CaseAction,
    CollectionCase,
    ContactPoint,
    Loan,
    StrategyRule,
)
from collections_app.models.choices import (
    ActionStatus,
    ApprovalKind,
    ApprovalStatus,
    CaseCloseReason,
    CaseStatus,
    LoanStatus,
    Relation,
)
from collections_app.services.actions import set_next_actions
from collections_app.services.daily_figures import mark_changed_payment_days
from collections_app.services.rows import update_rows

from ..rules import (
    APPROVAL_FOR_ACTION,
    blocked_by_lapse,
    costs_collector_time_in,
    current_bucket,
    reminder_only_buckets,
)
from ..scope import Scope

ZERO = Decimal("0")
ACTIVE_CASE = (CaseStatus.OPEN, CaseStatus.SUSPENDED)
# a change of these writes a history row; the daily drift of the other CASE_FIELDS does not
HISTORY_FIELDS = ("status", "close_reason", "closed_at", "bucket", "stage")
CASE_FIELDS = ["status", "close_reason", "closed_at", "bucket", "stage", "dpd", "overdue_amount", "outstanding_amount",
               "priority_score", "next_action", "next_action_at"]


def priority(overdue: Decimal, weight: Decimal, reliability: Decimal | None, broken: int) -> Decimal:
    """balance × bucket risk, raised when the borrower's promises are unreliable (docs/collector.md)."""
    factor = Decimal("1") + (Decimal("1") - reliability if reliability is not None else ZERO) + Decimal(min(broken, 5)) / 10
    return (overdue * weight * factor).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _loans_by_key(scope):
    rows = list(
        scope.loans().filter(status__in=(LoanStatus.OPEN, LoanStatus.SETTLED, LoanStatus.WRITTEN_OFF)).values(
            "id", "borrower_id", "lender_id", "dpd", "aging_days", "bucket", "overdue_amount", "outstanding_amount",
            "status", "case_id", "oldest_unpaid_due_date", "product_id", "as_of",
        )
    )
    by_key = defaultdict(list)
    for row in rows:
        by_key[(row["borrower_id"], row["lender_id"])].append(row)
    return by_key


def _is_delinquent(row) -> bool:
    return row["dpd"] > 0 and row["status"] != LoanStatus.SETTLED


def _open_cases(missing, cases) -> int:
    """A case for each (borrower, lender) key in ``missing`` (delinquent without an active case):
    the last one closed as cured or settled reopened, history intact, else a new one; ``cases``
    gains them. Returns how many."""
    if not missing:
        return 0
    # a re-delinquent borrower: reopen the last case closed as cured/settled, history intact
    reopen = {}
    for c in CollectionCase.objects.filter(
        borrower_id__in={k[0] for k in missing}, status=CaseStatus.CLOSED,
        close_reason__in=(CaseCloseReason.CURED, CaseCloseReason.SETTLED),
    ).order_by("closed_at", "id"):
        if (c.borrower_id, c.lender_id) in missing:
            reopen[(c.borrower_id, c.lender_id)] = c
    for c in reopen.values():
        c.status, c.close_reason, c.closed_at = CaseStatus.OPEN, "", None
        c.first_contact_due_at = None
    if reopen:
        bulk_update_with_history(list(reopen.values()), CollectionCase, ["status", "close_reason", "closed_at",
                                                                        "first_contact_due_at"], batch_size=1000)
    new = [CollectionCase(borrower_id=k[0], lender_id=k[1], status=CaseStatus.OPEN) for k in missing - reopen.keys()]
    if new:
        bulk_create_with_history(new, CollectionCase, batch_size=1000)
    cases.update({(c.borrower_id, c.lender_id): c for c in CollectionCase.objects.filter(
        borrower_id__in={k[0] for k in missing}, status__in=ACTIVE_CASE)})
    return len(missing)


def sync_cases(*, scope: Scope, as_of: dt.date, buckets) -> tuple[int, int]:
    """Open, reopen, update and close the chunk's cases from its loans. Returns (opened, closed)."""
    position = {b.code: b.position for b in buckets}
    closed_bucket = current_bucket(buckets)
    weight = {b.code: b.risk_weight for b in buckets}
    by_key = _loans_by_key(scope)
    delinquent_keys = {k for k, rows in by_key.items() if any(_is_delinquent(r) for r in rows)}
    borrower_ids = {k[0] for k in by_key}
    cases = {(c.borrower_id, c.lender_id): c
             for c in CollectionCase.objects.filter(borrower_id__in=borrower_ids, status__in=ACTIVE_CASE)}
    now = timezone.now()
    missing = delinquent_keys - cases.keys()
    opened = _open_cases(missing, cases)
    borrowers = {b["id"]: b for b in Borrower.objects.filter(id__in={k[0] for k in cases}).values(
        "id", "promised_amount_total", "kept_amount_total", "promises_broken")}
    link = []
    changed = []
    moved = []  # opened, reopened, closed or changed stage: these keep a history row
    closed = 0
    for key, case in cases.items():
        rows = by_key.get(key, [])
        bad = [r for r in rows if _is_delinquent(r)]
        for r in bad:
            if r["case_id"] != case.id:
                link.append(Loan(id=r["id"], case_id=case.id))
        before = [getattr(case, f) for f in CASE_FIELDS]
        if not bad:
            if not rows:  # loans outside the evaluated statuses (closed by hand): leave the case alone
                continue
            case.status = CaseStatus.CLOSED
            all_settled = all(r["status"] == LoanStatus.SETTLED for r in rows)
            case.close_reason = CaseCloseReason.SETTLED if all_settled else CaseCloseReason.CURED
            case.closed_at = now
            case.dpd, case.overdue_amount = 0, ZERO
            case.outstanding_amount = sum((r["outstanding_amount"] for r in rows), ZERO)
            case.bucket = closed_bucket
            case.next_action, case.next_action_at = "", None  # its open actions are superseded below
            closed += 1
        else:
            worst = max(bad, key=lambda r: (position.get(r["bucket"], 0), r["dpd"]))
            case.bucket = case.stage = worst["bucket"]
            case.dpd = max(r["dpd"] for r in bad)
            case.overdue_amount = sum((r["overdue_amount"] for r in bad), ZERO)
            case.outstanding_amount = sum((r["outstanding_amount"] for r in bad), ZERO)
            b = borrowers.get(key[0], {})
            reliability = None
            if b.get("promised_amount_total"):
                reliability = min(b["kept_amount_total"] / b["promised_amount_total"], Decimal("1"))
            case.priority_score = priority(case.overdue_amount, weight.get(case.bucket, Decimal("1")), reliability,
                                           b.get("promises_broken", 0))
        after = [getattr(case, f) for f in CASE_FIELDS]
        if after != before:
            changed.append(case)
            if any(getattr(case, f) != was for f, was in zip(CASE_FIELDS, before, strict=True) if f in HISTORY_FIELDS):
                moved.append(case)
    if link:
        update_rows(model=Loan, objs=link, fields=["case"])
        # their earlier payments now count for this case (docs/kpis.md, "Stored and live days")
        mark_changed_payment_days(loan.id for loan in link)
    if changed:
        # the daily drift of DPD and amounts is not a history event (the loans' bucket history has it)
        update_rows(model=CollectionCase, objs=changed, fields=CASE_FIELDS)
        if moved:
            bulk_history(moved, CollectionCase, "~")
        closed_ids = [c.id for c in changed if c.status == CaseStatus.CLOSED]
        if closed_ids:  # cured or settled: what was still to do no longer applies
            CaseAction.objects.filter(case_id__in=closed_ids, status=ActionStatus.OPEN).update(
                status=ActionStatus.SUPERSEDED, done_at=now, done_how=system_how(CASE_CLOSED))
    return opened, closed


def _matches(rule: StrategyRule, case, aging: int, products: set, has_guarantor: bool, reminder_only,
             as_of: dt.date) -> bool:
    if rule.bucket and rule.bucket != case.bucket:
        return False
    if costs_collector_time_in(rule.action, case.bucket, reminder_only):
        return False
    if blocked_by_lapse(rule.action, case.limitation_date, as_of):
        return False
    if rule.dpd_min is not None and aging < rule.dpd_min:
        return False
    if rule.dpd_max is not None and aging > rule.dpd_max:
        return False
    if rule.product_id and rule.product_id not in products:
        return False
    cond = rule.condition or {}
    if cond.get("has_guarantor") and not has_guarantor:
        return False
    if "min_overdue_amount" in cond and case.overdue_amount < Decimal(str(cond["min_overdue_amount"])):
        return False
    if "max_overdue_amount" in cond and case.overdue_amount >= Decimal(str(cond["max_overdue_amount"])):
        return False
    return True


def bulk_history(objs, model, history_type: str) -> None:
    """History rows for objects already saved (django-simple-history's manager, in bulk)."""
    model.history.bulk_history_create(objs, update=history_type == "~", default_change_reason="delinquency run")


def apply_strategy(*, scope: Scope, as_of: dt.date, run=None, rules: list[StrategyRule], buckets) -> int:
    """Create the strategy's actions (``rules``) for the chunk's open cases, once per rule and occurrence."""
    by_key = _loans_by_key(scope)
    # a case placed with an agency gets no automatic actions (docs/agency.md)
    placed = AgencyPlacement.objects.filter(case=OuterRef("pk"), recalled_on__isnull=True)
    cases = list(CollectionCase.objects.filter(borrower_id__in={k[0] for k in by_key}, status=CaseStatus.OPEN)
                 .exclude(Exists(placed)))
    if not cases or not rules:
        return 0
    guarantors = set(ContactPoint.objects.filter(borrower_id__in={c.borrower_id for c in cases},
                                                 relation=Relation.GUARANTOR).values_list("borrower_id", flat=True))
    candidates = {}
    reminder_only = reminder_only_buckets(buckets)
    for case in cases:
        bad = [r for r in by_key.get((case.borrower_id, case.lender_id), []) if _is_delinquent(r)]
        if not bad or any(r["as_of"] != as_of for r in bad):
            continue  # past-date runs only rewrite history; actions follow the current state
        aging = max(r["aging_days"] for r in bad)
        episode = min(r["oldest_unpaid_due_date"] for r in bad if r["oldest_unpaid_due_date"]).isoformat()
        products = {r["product_id"] for r in bad}
        for rule in rules:
            if not _matches(rule, case, aging, products, case.borrower_id in guarantors, reminder_only, as_of):
                continue
            key = episode if not rule.repeat_every_days else f"{episode}/{aging // rule.repeat_every_days}"
            candidates[(case.id, rule.code, key)] = (case, rule)
    if not candidates:
        set_next_actions(cases=cases)
        return 0
    existing = set(CaseAction.objects.filter(case_id__in={k[0] for k in candidates},
                                             occurrence_key__in={k[2] for k in candidates})
                   .values_list("case_id", "rule_code", "occurrence_key"))
    todo = [(k, v) for k, v in candidates.items() if k not in existing]
    # a proposal is not raised again while an equal one (same case, same kind) waits for a decision;
    # of two rules proposing the same kind on the same night, the first in the strategy's order wins
    pending = set(ApprovalRequest.objects.filter(
        case_id__in={k[0] for k, (_c, rule) in todo if rule.needs_approval}, status=ApprovalStatus.PENDING,
    ).values_list("case_id", "kind"))
    kept = []
    for (case_id, code, key), (case, rule) in todo:
        if rule.needs_approval:
            kind = APPROVAL_FOR_ACTION.get(rule.action, ApprovalKind.SETTLEMENT)
            if (case_id, kind) in pending:
                continue
            pending.add((case_id, kind))
        kept.append(((case_id, code, key), (case, rule)))
    todo = kept
    approvals = []
    for (case_id, code, key), (_case, rule) in todo:
        if rule.needs_approval:
            approvals.append(ApprovalRequest(
                kind=APPROVAL_FOR_ACTION.get(rule.action, ApprovalKind.SETTLEMENT), case_id=case_id,
                reason=rule.description[:300], payload={"rule": code, "occurrence": key, "as_of": as_of.isoformat()},
            ))
    if approvals:
        approvals = bulk_create_with_history(approvals, ApprovalRequest, batch_size=1000)
        if any(a.pk is None for a in approvals):  # databases that do not return ids
            approvals = list(ApprovalRequest.objects.filter(case_id__in={a.case_id for a in approvals},
                                                            payload__as_of=as_of.isoformat()))
    approval_for = {(a.case_id, a.payload.get("rule"), a.payload.get("occurrence")): a for a in approvals}
    # one open action of each kind per case (one_open_action_per_kind): of tonight's, the last rule's
    # in the strategy's order; the others, and the open one of that kind from before, are superseded
    opening = {}
    for (case_id, code, key), (_case, rule) in todo:
        if not rule.needs_approval:
            opening[(case_id, rule.action)] = (case_id, code, key)
    now = timezone.now()
    how = system_how(NEWER_OF_KIND)
    older = [pk for pk, case_id, kind in CaseAction.objects.filter(
        case_id__in={k[0] for k in opening}, status=ActionStatus.OPEN).values_list("id", "case_id", "kind")
        if (case_id, kind) in opening]
    if older:
        CaseAction.objects.filter(id__in=older, status=ActionStatus.OPEN).update(
            status=ActionStatus.SUPERSEDED, done_at=now, done_how=how)
    actions = []
    for (case_id, code, key), (_case, rule) in todo:
        approval = approval_for.get((case_id, code, key))
        status = ActionStatus.AWAITING_APPROVAL if rule.needs_approval else ActionStatus.OPEN
        if status == ActionStatus.OPEN and opening[(case_id, rule.action)] != (case_id, code, key):
            status = ActionStatus.SUPERSEDED
        actions.append(CaseAction(
            case_id=case_id, rule=rule, rule_code=code, kind=rule.action, due_on=as_of, occurrence_key=key,
            status=status, note=rule.description[:300], approval=approval, run=run,
            done_at=now if status == ActionStatus.SUPERSEDED else None,
            done_how=how if status == ActionStatus.SUPERSEDED else "",
        ))
    CaseAction.objects.bulk_create(actions, batch_size=2000, ignore_conflicts=True)
    set_next_actions(cases=cases)
    return len(actions)
