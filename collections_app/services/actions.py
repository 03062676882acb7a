"""The life of a strategy action after the nightly run created it (docs/messages.md, "Strategy
actions"). Stored: *open* (planned or due by its date, derived), *awaiting approval*, then one of
*done*, *skipped*, *expired*, *superseded*, *failed* — each end with who (``done_by``; none: the
system) or what (``done_how``: "system: <reason>") and when (``done_at``), and the case's next action
recomputed.

- a call task is done when a phone contact is logged on the case;
- an SMS reminder is executed by sending its template (beat: :func:`execute_sms_actions`), done when
  the provider accepted it (services.messages.record_sent), failed when the provider refused it,
  skipped with the reason when it may not be sent;
- an overdue notice is done when produced; a lawyer's letter (legal weight) when, approved, it is
  marked sent (services.letters); failed when no letter can be produced;
- the nightly run's :func:`settle_actions` (finish_run): actions that no longer apply are superseded,
  open ones not done within their kind's window expire.
Every change is one UPDATE over the rows concerned; never a query per action.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F, Q
from django.utils.translation import gettext as _

from collections_app.domain.actions import CASE_CLOSED, NEWER_OF_KIND, expiry_cutoffs, system_how
from collections_app.models import ActionKind, ActionStatus, CaseAction, CaseStatus, Channel, CollectionCase
from collections_app.services.rows import update_rows

SMS_BATCH = 500


def system(reason: str) -> str:
    """``done_how`` of an action the system ended (no person): "system: <reason>"."""
    return system_how(reason)


def _person(user):
    return user if getattr(user, "is_authenticated", False) else None


def end_actions(*, actions, status: str, by=None, how: str, now: dt.datetime) -> int:
    """End the actions of the queryset ``actions`` still open or awaiting approval with ``status``,
    who (``by``) and how: one UPDATE, then the touched cases' next action. Returns how many."""
    assert status not in (ActionStatus.OPEN, ActionStatus.AWAITING_APPROVAL)
    actions = actions.filter(status__in=(ActionStatus.OPEN, ActionStatus.AWAITING_APPROVAL))
    case_ids = set(actions.values_list("case_id", flat=True))
    if not case_ids:
        return 0
    count = actions.update(status=status, done_at=now, done_by=_person(by), done_how=str(how)[:200] or system(status))
    refresh_next_actions(case_ids=case_ids)
    return count


def set_next_actions(*, cases) -> int:
    """next_action / next_action_at of each of these loaded cases: its oldest open action (at 08:00
    that day), none when it has none. Updates the objects and writes those that changed (two
    queries whatever the number of cases); returns how many changed. The nightly Python backend
    calls it with the cases it holds."""
    if not cases:
        return 0
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    first = {}
    for row in CaseAction.objects.filter(case_id__in=[c.id for c in cases], status=ActionStatus.OPEN).order_by(
            "case_id", "due_on", "id").values("case_id", "kind", "due_on"):
        first.setdefault(row["case_id"], row)
    changed = []
    for case in cases:
        row = first.get(case.id)
        kind = row["kind"] if row else ""
        at = dt.datetime.combine(row["due_on"], dt.time(8, 0), tzinfo=tz) if row else None
        if case.next_action != kind or case.next_action_at != at:
            case.next_action, case.next_action_at = kind, at
            changed.append(case)
    return update_rows(model=CollectionCase, objs=changed, fields=["next_action", "next_action_at"])


def next_action_sql(case_alias: str) -> tuple[str, str, list]:
    """The same rule as :func:`set_next_actions` in PostgreSQL, for set-based statements: (the
    ``LEFT JOIN LATERAL`` of the oldest open action of the case aliased ``case_alias``, the expression
    of its time — 08:00 in TIME_ZONE on its due date —, their parameters in that order). The case's
    next action is ``COALESCE(a.kind, '')``."""
    join = f"""LEFT JOIN LATERAL (  -- index case_action_open_first
                    SELECT x.kind, x.due_on FROM {CaseAction._meta.db_table} x
                    WHERE x.case_id = {case_alias}.id AND x.status = %s ORDER BY x.due_on, x.id LIMIT 1
                ) a ON TRUE"""
    return join, "(a.due_on + TIME '08:00') AT TIME ZONE %s", [str(ActionStatus.OPEN), settings.TIME_ZONE]


def refresh_next_actions(*, case_ids: Iterable[int]) -> int:
    """:func:`set_next_actions` for the cases with these ids — as the nightly run sets it. On
    PostgreSQL one UPDATE (a night expires tens of thousands of actions: 5 s in Python at 1,000,000
    loans)."""
    case_ids = list(set(case_ids))
    if not case_ids:
        return 0
    if connection.vendor != "postgresql":
        return set_next_actions(cases=list(CollectionCase.objects.filter(id__in=case_ids).only(
            "id", "next_action", "next_action_at")))
    join, at, (status, tz) = next_action_sql("c2")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {CollectionCase._meta.db_table} c SET next_action = COALESCE(f.kind, ''), next_action_at = f.at
            FROM (SELECT c2.id, a.kind, {at} AS at FROM {CollectionCase._meta.db_table} c2 {join}
                  WHERE c2.id = ANY(%s)) f
            WHERE c.id = f.id AND (c.next_action <> COALESCE(f.kind, '') OR c.next_action_at IS DISTINCT FROM f.at)
            """,
            [tz, status, case_ids],
        )
        return cursor.rowcount


def complete_action(*, action_id: int, by, how: str, now: dt.datetime) -> bool:
    """Mark an open action done, with who or what did it (once: an ended action stays as it is)."""
    return bool(end_actions(actions=CaseAction.objects.filter(pk=action_id, status=ActionStatus.OPEN),
                            status=ActionStatus.DONE, by=by, how=how, now=now))


def complete_call_actions(*, case, user, today: dt.date, now: dt.datetime) -> int:
    """A phone contact was logged on ``case``: its open call tasks due by ``today`` are done (one UPDATE)."""
    return end_actions(actions=CaseAction.objects.filter(case=case, kind=ActionKind.CALL, status=ActionStatus.OPEN,
                                                         due_on__lte=today),
                       status=ActionStatus.DONE, by=user, how=_("contact logged"), now=now)


def complete_letter_actions(*, case, kind: str, user, today: dt.date, now: dt.datetime, how: str) -> int:
    """A letter of ``kind`` reached the point where it counts (an overdue notice: produced; a
    lawyer's letter: approved and sent): the case's open letter actions of that kind due by ``today``
    are done."""
    action_kind = ActionKind.LAWYER_LETTER if kind == "lawyer" else ActionKind.LETTER
    return end_actions(actions=CaseAction.objects.filter(case=case, kind=action_kind, status=ActionStatus.OPEN,
                                                         due_on__lte=today),
                       status=ActionStatus.DONE, by=user, how=how, now=now)


def fail_letter_actions(*, case, kind: str, reason: str, today: dt.date, now: dt.datetime) -> int:
    """No letter of ``kind`` can be produced for ``case``: its open letter actions due are failed."""
    action_kind = ActionKind.LAWYER_LETTER if kind == "lawyer" else ActionKind.LETTER
    return end_actions(actions=CaseAction.objects.filter(case=case, kind=action_kind, status=ActionStatus.OPEN,
                                                         due_on__lte=today),
                       status=ActionStatus.FAILED, how=system(reason), now=now)


def skip_action(*, action: CaseAction, by=None, how: str, now: dt.datetime) -> bool:
    """A person (``by``) or a rule decided not to do ``action``: skipped, with the reason."""
    return bool(end_actions(actions=CaseAction.objects.filter(pk=action.pk), status=ActionStatus.SKIPPED, by=by,
                            how=how if _person(by) else system(how), now=now))


def fail_action(*, action_id: int, how: str, now: dt.datetime) -> bool:
    """The provider refused the action's message after its retries: failed, with its error."""
    return bool(end_actions(actions=CaseAction.objects.filter(pk=action_id, status=ActionStatus.OPEN),
                            status=ActionStatus.FAILED, how=system(how), now=now))


def supersede_open_of_kind(*, case_id: int, kind: str, now: dt.datetime, exclude_id: int | None = None) -> int:
    """Before another action of ``kind`` opens on the case (an approval granted): the open one of that
    kind is superseded (one open action of each kind per case: one_open_action_per_kind)."""
    qs = CaseAction.objects.filter(case_id=case_id, kind=kind, status=ActionStatus.OPEN)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return end_actions(actions=qs, status=ActionStatus.SUPERSEDED, how=system(NEWER_OF_KIND),
                       now=now)


def end_case_actions(*, case_ids: Iterable[int], status: str, by=None, how: str, now: dt.datetime,
                     awaiting_too: bool = False) -> int:
    """The cases' open actions (and those awaiting approval with ``awaiting_too``) end with ``status``:
    a case closed by a settlement or an upheld dispute, placed with an agency."""
    statuses = (ActionStatus.OPEN, ActionStatus.AWAITING_APPROVAL) if awaiting_too else (ActionStatus.OPEN,)
    return end_actions(actions=CaseAction.objects.filter(case_id__in=list(case_ids), status__in=statuses),
                       status=status, by=by, how=how if _person(by) else system(how), now=now)


def execute_sms_actions(*, today: dt.date, now: dt.datetime, limit: int = SMS_BATCH) -> dict[str, int]:
    """Send the template ``SMS_ACTION_TEMPLATE`` for open SMS-reminder actions due by ``today`` on
    open cases (at most ``limit`` a run). Safe to run twice: each action's message has the
    idempotency key ``action-<id>``, so a second run finds the first message. A refusal that waiting
    does not cure (stop flag, no number) skips the action with the reason; a cap or the contact
    window leaves it for a later run or schedules it."""
    from collections_app.services.contacts import ContactRefused
    from collections_app.services.messages import plan_message

    actions = list(CaseAction.objects.filter(
        Q(messages__isnull=True), kind=ActionKind.SMS_REMINDER, status=ActionStatus.OPEN, due_on__lte=today,
        case__status=CaseStatus.OPEN,
    ).select_related("case__lender", "case__borrower", "case__assigned_to").order_by("due_on", "id")[:limit])
    counts = {"planned": 0, "skipped": 0, "waiting": 0}
    for action in actions:
        try:
            plan_message(case=action.case, user=None, channel=Channel.SMS, template_code=settings.SMS_ACTION_TEMPLATE,
                         now=now, idempotency_key=f"action-{action.pk}", action=action)
            counts["planned"] += 1
        except ContactRefused as refused:
            if refused.allowed_from is None:
                skip_action(action=action, how=_("not sent: %(detail)s") % {"detail": refused.detail}, now=now)
                counts["skipped"] += 1
            else:
                counts["waiting"] += 1
        except ValidationError as exc:
            skip_action(action=action, how=_("not sent: %(detail)s") % {"detail": " ".join(exc.messages)}, now=now)
            counts["skipped"] += 1
    return counts


def _end_found(qs, status: str, how: str, now: dt.datetime, touched: set) -> int:
    """End the open actions of ``qs``, their cases added to ``touched``; no UPDATE when the query finds
    none — on most nights three of the four reasons find nothing, and each UPDATE searched the book
    again for nothing (0.1 s each at 1,000,000 loans)."""
    cases = set(qs.values_list("case_id", flat=True))
    if not cases:
        return 0
    touched.update(cases)
    return qs.update(status=status, done_at=now, done_by=None, done_how=system(how))


def _supersede(qs, how: str, now: dt.datetime, touched: set) -> int:
    return _end_found(qs, ActionStatus.SUPERSEDED, how, now, touched)


def settle_actions(*, today: dt.date, now: dt.datetime, reminder_only: Iterable[str] = (),
                   collector_time: Iterable[str] = ()) -> dict[str, int]:
    """After every night, whichever backend ran it (services.nightly.run.finish_run), over the book:
    open actions that no longer apply are superseded — the case closed (cured, settled, any reason);
    the case moved to another bucket than the one its rule was for; a collector's-time action on a
    case back in a reminders-only bucket (``reminder_only``, ``collector_time``) — and open actions
    not done within their kind's window after the due date (``ACTION_EXPIRE_AFTER_DAYS``) expire.
    One UPDATE per reason that finds actions, then the touched cases' next action."""
    touched: set[int] = set()
    open_ = CaseAction.objects.filter(status=ActionStatus.OPEN)
    counts = {
        "closed": _supersede(open_.filter(case__status=CaseStatus.CLOSED), CASE_CLOSED, now, touched),
        "stage": _supersede(open_.filter(rule__isnull=False).exclude(rule__bucket="").exclude(
            rule__bucket=F("case__bucket")).exclude(case__status=CaseStatus.CLOSED),
            _("the case moved to another stage"), now, touched),
        "reminders_only": _supersede(open_.filter(case__bucket__in=list(reminder_only), kind__in=list(collector_time)),
                                     _("the case is back in a reminders-only stage"), now, touched)
        if reminder_only and collector_time else 0,
    }
    cutoffs = expiry_cutoffs(settings.ACTION_EXPIRE_AFTER_DAYS, today)
    expired = Q()
    for kind, before in cutoffs.items():
        expired |= Q(kind=kind, due_on__lt=before)
    counts["expired"] = 0
    if cutoffs:
        counts["expired"] = _end_found(open_.filter(expired), ActionStatus.EXPIRED,
                                       _("not done within its window after the due date"), now, touched)
    refresh_next_actions(case_ids=touched)
    return counts
