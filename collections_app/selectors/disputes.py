"""Reads for disputes, case documents, stop-flag next steps, the limitation warnings and the
blacklist (docs/disputes.md). Each function a fixed number of queries."""
from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import is_admin, is_supervisor_or_admin
from collections_app.domain import limitation as limitation_rule
from collections_app.domain.compliance import stop_flag_label
from collections_app.models import (
    BlacklistEntry,
    CaseDocument,
    CaseStatus,
    CollectionCase,
    Dispute,
    DisputeStatus,
    Lender,
)
from collections_app.selectors.visibility import borrowers_visible_to, cases_visible_to

DUE_SOON_DAYS = 7
WORKING = (CaseStatus.OPEN, CaseStatus.SUSPENDED)


def stop_flag_next_step(flag: str) -> str:
    """What to do next on a case held by ``flag``."""
    steps = {
        "deceased": _("Verify the death certificate, then file a claim against the estate with the heirs or the "
                      "executor (遗产债权申报); no collection calls."),
        "bankruptcy": _("File the claim with the bankruptcy administrator (破产债权申报) by the court's deadline; "
                        "no collection contact with the borrower."),
        "lawyer_represented": _("Correspond with the borrower's lawyer only; do not contact the borrower."),
        "cease_contact": _("Written correspondence only, and only what the law requires."),
        "dispute": _("Answer the dispute before any further contact."),
    }
    return str(steps.get(flag, ""))


def stop_flag_steps(borrower) -> list[dict]:
    return [{"flag": f, "label": stop_flag_label(f), "next_step": stop_flag_next_step(f)} for f in borrower.stop_flags]


def case_disputes(case) -> list[Dispute]:
    """The case's disputes, newest first, with their documents (two queries)."""
    return list(Dispute.objects.filter(case=case).select_related("opened_by", "resolved_by")
                .prefetch_related("documents").order_by("-opened_at", "-id")[:20])


def case_documents(case) -> list[CaseDocument]:
    return list(CaseDocument.objects.filter(case=case, dispute__isnull=True).select_related("uploaded_by")
                .order_by("-uploaded_at", "-id")[:50])


def disputes_visible_to(user):
    return Dispute.objects.filter(case__in=cases_visible_to(user).values("id"))


def dispute_warnings(user, *, today: dt.date | None = None) -> dict[str, list[Dispute]]:
    """Open disputes the user's teams must answer: ``overdue`` (answer date passed), ``due_soon``
    (within DUE_SOON_DAYS) and ``later`` (one query)."""
    today = today or timezone.localdate()
    out: dict[str, list[Dispute]] = {"overdue": [], "due_soon": [], "later": []}
    rows = (disputes_visible_to(user).filter(status=DisputeStatus.OPEN)
            .select_related("case__borrower", "case__assigned_to", "case__lender").order_by("respond_by", "id")[:500])
    for d in rows:
        d.days_left = (d.respond_by - today).days
        key = "overdue" if d.days_left < 0 else "due_soon" if d.days_left <= DUE_SOON_DAYS else "later"
        out[key].append(d)
    return out


def limitation_warnings(user, *, today: dt.date | None = None, limit: int = 500) -> list[CollectionCase]:
    """Working cases whose limitation period lapses within 90 days or has lapsed, soonest first, each
    with ``warning`` (0 = lapsed, 30, 90) and ``days_left`` (one query)."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=max(limitation_rule.WARN_DAYS))
    rows = list(cases_visible_to(user, CollectionCase.objects.select_related("borrower", "assigned_to", "lender"))
                .filter(status__in=WORKING, limitation_date__isnull=False, limitation_date__lte=horizon)
                .order_by("limitation_date", "id")[:limit])
    for c in rows:
        c.warning = limitation_rule.warning_level(c.limitation_date, today)
        c.days_left = (c.limitation_date - today).days
    return rows


def warning_counts(user, *, today: dt.date | None = None) -> dict[str, int]:
    """The supervisor desk's counts (two queries)."""
    today = today or timezone.localdate()
    open_disputes = disputes_visible_to(user).filter(status=DisputeStatus.OPEN)
    # every count below is of a date up to 90 days ahead: the bound lets the index on working cases'
    # limitation dates find them instead of reading every working case the user may see
    cases = cases_visible_to(user).filter(status__in=WORKING, limitation_date__isnull=False,
                                          limitation_date__lte=today + dt.timedelta(days=90))
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    from django.db.models import Count

    d = open_disputes.aggregate(overdue=Count("id", filter=Q(respond_by__lt=today)),
                                due_soon=Count("id", filter=Q(respond_by__gte=today, respond_by__lte=soon)))
    lim = cases.aggregate(
        lapsed=Count("id", filter=Q(limitation_date__lt=today)),
        within_30=Count("id", filter=Q(limitation_date__gte=today, limitation_date__lte=today + dt.timedelta(days=30))),
        within_90=Count("id", filter=Q(limitation_date__gt=today + dt.timedelta(days=30),
                                       limitation_date__lte=today + dt.timedelta(days=90))),
    )
    return {"disputes_overdue": d["overdue"], "disputes_due_soon": d["due_soon"], **{f"limitation_{k}": v for k, v in lim.items()}}


def blacklist_visible_to(user, *, lender: Lender | None = None, include_removed: bool = False):
    """Entries of the lenders whose borrowers the user may see (admins: all)."""
    qs = BlacklistEntry.objects.select_related("lender", "borrower", "added_by").order_by("-added_on", "-id")
    if not include_removed:
        qs = qs.filter(removed_on__isnull=True)
    if lender is not None:
        qs = qs.filter(lender=lender)
    if not is_admin(user):
        if not is_supervisor_or_admin(user):
            return qs.none()
        qs = qs.filter(Q(borrower__in=borrowers_visible_to(user)) | Q(added_by=user))
    return qs


def _who(user) -> str:
    return "" if user is None else (user.get_full_name() or user.username)


def timeline_items(case) -> list:
    """Disputes opened and answered, documents kept: the case timeline's entries (two queries)."""
    from collections_app.selectors.case_page import TimelineItem

    items = []
    for d in Dispute.objects.filter(case=case).select_related("opened_by", "resolved_by").order_by("-opened_at")[:50]:
        items.append(TimelineItem(d.opened_at, "dispute", _("Dispute opened: %(reason)s") % {"reason": d.reason},
                                  d.details, _who(d.opened_by), "bad"))
        if d.resolved_at is not None:
            text = d.resolution_note
            if d.adjustment:
                text = _("Debt corrected by %(amount)s. %(note)s") % {"amount": d.adjustment, "note": text}
            elif d.closed_case:
                text = _("Case closed. %(note)s") % {"note": text}
            items.append(TimelineItem(d.resolved_at, "dispute",
                                      _("Dispute %(status)s") % {"status": d.get_status_display().lower()}, text,
                                      _who(d.resolved_by), "good" if d.status == DisputeStatus.REJECTED else ""))
    for doc in CaseDocument.objects.filter(case=case).select_related("uploaded_by").order_by("-uploaded_at")[:50]:
        items.append(TimelineItem(doc.uploaded_at, "document",
                                  _("Document kept: %(kind)s") % {"kind": doc.get_kind_display()},
                                  doc.original_name, _who(doc.uploaded_by)))
    return items


def case_extras(case, user, today: dt.date) -> dict:
    """What the case page shows for disputes, stop flags and limitation."""
    from collections_app.models import DocumentKind

    disputes = case_disputes(case)
    return {
        "disputes": disputes,
        "open_dispute": next((d for d in disputes if d.status == DisputeStatus.OPEN), None),
        "can_resolve_disputes": is_supervisor_or_admin(user),
        "can_blacklist": is_supervisor_or_admin(user),
        "stop_flag_steps": stop_flag_steps(case.borrower),
        "case_documents": case_documents(case),
        "document_kinds": [(k, label) for k, label in DocumentKind.choices if k != DocumentKind.EVIDENCE],
        "limitation_warning": limitation_rule.warning_level(case.limitation_date, today),
        "limitation_lapsed": limitation_rule.is_lapsed(case.limitation_date, today),
        "blacklisted": BlacklistEntry.objects.filter(lender_id=case.lender_id, borrower_id=case.borrower_id,
                                                     removed_on__isnull=True).first(),
    }
