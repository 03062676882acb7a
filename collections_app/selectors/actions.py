"""Overdue strategy actions for the supervisor (docs/messages.md, "Strategy actions")."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, Min

from collections_app.models import ActionKind, ActionStatus, CaseAction
from collections_app.selectors.visibility import cases_visible_to


def overdue_actions(*, user, today: dt.date, limit: int = 100) -> dict:
    """Open actions due before ``today`` on the cases ``user`` may see: counts by kind (one query)
    and the oldest ones (one query)."""
    qs = CaseAction.objects.filter(status=ActionStatus.OPEN, due_on__lt=today,
                                   case__in=cases_visible_to(user).values("id"))
    by_kind = [{"kind": ActionKind(r["kind"]).label, "n": r["n"], "oldest": r["oldest"]}
               for r in qs.values("kind").annotate(n=Count("id"), oldest=Min("due_on")).order_by("-n", "kind")]
    rows = list(qs.select_related("case__borrower", "case__assigned_to").order_by("due_on", "id")[:limit])
    return {"by_kind": by_kind, "rows": rows, "total": sum(r["n"] for r in by_kind)}
