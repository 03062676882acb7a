"""Strategy actions as pages and the API read them (docs/messages.md, "Strategy actions"): an action's
state (an open one is planned or due by its date), and the overdue ones for the supervisor."""
from __future__ import annotations

import datetime as dt

from django.db.models import Case as SqlCase
from django.db.models import CharField, Count, Min, QuerySet, Value, When
from django.utils import timezone

from collections_app.domain.actions import action_state
from collections_app.models import ActionKind, ActionState, ActionStatus, CaseAction
from collections_app.selectors.visibility import cases_visible_to


def with_state(qs: QuerySet, *, today: dt.date) -> QuerySet:
    """``qs`` of actions annotated with ``state`` (ActionState), as :func:`domain.actions.action_state`
    derives it: an open action due after ``today`` is planned, one due by ``today`` is due."""
    return qs.annotate(state=SqlCase(
        When(status=ActionStatus.OPEN, due_on__gt=today, then=Value(ActionState.PLANNED.value)),
        When(status=ActionStatus.OPEN, then=Value(ActionState.DUE.value)),
        default="status", output_field=CharField()))


def state_of(action: CaseAction, *, today: dt.date) -> ActionState:
    return action_state(action.status, action.due_on, today)


def next_action_state(case, *, today: dt.date) -> str | None:
    """The state of a case's next action as the queue and the API show it: planned when it falls
    after ``today`` (the business date), due on or before it; None when the case has none."""
    if not case.next_action or case.next_action_at is None:
        return None
    on = timezone.localtime(case.next_action_at).date()
    return str(ActionState.PLANNED if on > today else ActionState.DUE)


def case_actions(*, case, today: dt.date, limit: int = 10) -> list[CaseAction]:
    """The case's actions still to do (planned, due, awaiting approval), soonest first, each with its
    ``state`` and ``state_label``; the next open action first among those due the same day."""
    rows = list(with_state(CaseAction.objects.filter(
        case=case, status__in=(ActionStatus.OPEN, ActionStatus.AWAITING_APPROVAL)), today=today)
        .order_by("due_on", "id")[:limit])
    first_open = next((row.id for row in rows if row.status == ActionStatus.OPEN), None)
    for row in rows:
        row.state_label = ActionState(row.state).label
        row.is_next = row.id == first_open  # the case's next_action (services.actions.refresh_next_actions)
    return rows


def overdue_actions(*, user, today: dt.date, limit: int = 100) -> dict:
    """Due-and-not-done actions past their due date (open, due before ``today``) on the cases ``user``
    may see: counts by kind, by team and by collector (one query each) and the oldest ones."""
    qs = CaseAction.objects.filter(status=ActionStatus.OPEN, due_on__lt=today,
                                   case__in=cases_visible_to(user).values("id"))
    by_kind = [{"kind": ActionKind(r["kind"]).label, "n": r["n"], "oldest": r["oldest"]}
               for r in qs.values("kind").annotate(n=Count("id"), oldest=Min("due_on")).order_by("-n", "kind")]
    by_team = list(qs.values("case__team_id", "case__team__name").annotate(
        n=Count("id"), oldest=Min("due_on"),
    ).order_by("-n", "case__team__name"))
    by_collector = list(qs.values("case__assigned_to_id", "case__assigned_to__username",
                                  "case__assigned_to__first_name", "case__assigned_to__last_name",
                                  "case__team__name").annotate(
        n=Count("id"), oldest=Min("due_on"),
    ).order_by("-n", "case__assigned_to__username"))
    for row in by_collector:
        full = f"{row['case__assigned_to__first_name']} {row['case__assigned_to__last_name']}".strip()
        row["name"] = full or row["case__assigned_to__username"]
    rows = list(qs.select_related("case__borrower", "case__assigned_to", "case__team").order_by("due_on", "id")[:limit])
    for row in rows:
        row.days_late = (today - row.due_on).days
    return {"by_kind": by_kind, "by_team": by_team, "by_collector": by_collector, "rows": rows,
            "total": sum(r["n"] for r in by_kind)}
