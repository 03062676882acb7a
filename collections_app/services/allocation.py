"""Allocating cases to collectors and field agents (docs/supervisor.md).

Every change of a case's collector is recorded in AssignmentHistory. The bulk paths are set-based:
one UPDATE per target user and one bulk INSERT of history rows, never a query per case.

    assign_cases(*, case_ids, to_user, by_user=None, reason="") -> int
    auto_allocate(*, case_ids=None, now=None) -> int
    hand_over(*, from_user, to_user, by_user) -> int
    hand_to_field_agent(*, case_ids, agent, by_user=None, reason="") -> int
"""
from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.roles import can_assign, is_admin, is_supervisor_or_admin, visible_users
from collections_app.domain.compliance import zone
from collections_app.domain.sla import FIRST_CONTACT_WITHIN, first_contact_due
from collections_app.models import AssignmentHistory, CaseStatus, CollectionCase, FieldVisit, VisitStatus
from collections_app.selectors.agency import not_placed
from collections_app.selectors.visibility import cases_visible_to
from collections_app.selectors.workload import assignable_cases

VISIT_WITHIN_WORKING_DAYS = 2
WORKING_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.SUSPENDED)
ASSIGNABLE_ROLES = (Role.COLLECTOR, Role.SUPERVISOR)
OPEN_VISIT_STATUSES = (VisitStatus.REQUESTED, VisitStatus.APPROVED, VisitStatus.PLANNED)
HISTORY_BATCH = 2000


# --- pure helpers ------------------------------------------------------------------------------


def add_working_days(start: dt.date, days: int) -> dt.date:
    """``start`` plus ``days`` working days (Monday–Friday; weekends skipped)."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def parse_buckets(text: str) -> set[str]:
    return {b.strip().upper() for b in (text or "").split(",") if b.strip()}


def _matches(c: dict, case: dict) -> bool:
    """The team's lender, buckets and region (each empty = any) admit the case."""
    if c["team_lender_id"] is not None and c["team_lender_id"] != case["lender_id"]:
        return False
    if c["buckets"] and case["bucket"].upper() not in c["buckets"]:
        return False
    return not (c["team_region"] and c["team_region"] != (case.get("region") or ""))


def _rank(c: dict, case: dict, current: int) -> tuple:
    """The order among eligible collectors (lowest first): see ``pick_collector``."""
    language = (case.get("language") or "").strip().lower()
    specificity = (c["team_lender_id"] is not None) + bool(c["buckets"]) + bool(c["team_region"])
    speaks = bool(language) and language in c["languages"]
    return (-specificity, not speaks, current / max(c["max_open_cases"], 1), current, c["id"])


def pick_collector(case: dict, collectors: list[dict], load: dict[int, int]) -> int | None:
    """Choose a collector for one case (pure; ``load`` is the current open-case count by user id).

    A collector is eligible when their team's lender, buckets and region (each empty = any) match
    the case and they have room under ``max_open_cases``. Among eligible collectors the most
    specific team wins (a team dedicated to this lender/bucket/region before a general one), then
    those who speak the borrower's preferred language, then the lowest workload (share of their
    maximum, then count), then the lowest id.
    """
    best = None
    best_key = None
    for c in collectors:
        current = load.get(c["id"], 0)
        if not _matches(c, case) or current >= c["max_open_cases"]:
            continue
        key = _rank(c, case, current)
        if best_key is None or key < best_key:
            best, best_key = c["id"], key
    return best


class CollectorPicker:
    """``pick_collector`` for many cases in a row, each pick adding one case to its collector's load,
    without looking at every collector for every case.

    Collectors whose team admits the same cases and who speak the same languages (a *group*) differ
    only in workload and id, the last three parts of the rank; each group keeps them in a heap by
    those. A case looks at each group's best collector with room — a handful of groups, not hundreds
    of collectors — and takes the lowest rank among them: the collector ``pick_collector`` would
    choose (tests/services/test_allocation_picker.py holds the two equal on random pools and books)."""

    def __init__(self, collectors: list[dict], load: dict[int, int]):
        self.load = load
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for c in collectors:
            groups[(c["team_lender_id"], frozenset(c["buckets"]), c["team_region"], c["languages"])].append(c)
        self.groups = []
        for members in groups.values():
            heap = [self._entry(c) for c in members if load.get(c["id"], 0) < c["max_open_cases"]]
            heapq.heapify(heap)
            self.groups.append((members[0], heap))

    def _entry(self, c: dict) -> tuple:
        current = self.load.get(c["id"], 0)
        return (current / max(c["max_open_cases"], 1), current, c["id"], c)

    def pick(self, case: dict) -> int | None:
        """The collector for this case (its load counted), or None when no collector may take it."""
        best = None
        for head, heap in self.groups:
            if not heap or not _matches(head, case):
                continue
            c = heap[0][3]
            key = _rank(c, case, heap[0][1])
            if best is None or key < best[0]:
                best = (key, heap)
        if best is None:
            return None
        heap = best[1]
        c = heapq.heappop(heap)[3]
        self.load[c["id"]] = self.load.get(c["id"], 0) + 1
        if self.load[c["id"]] < c["max_open_cases"]:
            heapq.heappush(heap, self._entry(c))
        return c["id"]


# --- services ----------------------------------------------------------------------------------


def _check_assigner(by_user, to_user, case_qs):
    """A supervisor assigns within their teams (and the unassigned pool); an admin anywhere."""
    if by_user is None or is_admin(by_user):
        return case_qs
    if not can_assign(by_user):
        raise PermissionDenied(_("Only supervisors and admins can assign cases."))
    if to_user is not None and not visible_users(by_user).filter(id=to_user.id).exists():
        raise PermissionDenied(_("You can only assign cases to members of your teams."))
    return assignable_cases(by_user, case_qs)


def _record(cases: Iterable[tuple[int, int | None, int | None]], to_user_id, by_user_id, reason: str,
            team_id=None) -> dt.datetime:
    """One history row per case: (case id, collector it leaves, the case's team then). Returns the
    latest row's time: the cases' ``holder_since`` (docs/kpis.md, "Credit")."""
    rows = [
        AssignmentHistory(case_id=case_id, from_user_id=from_id, from_team_id=from_team_id if from_id else None,
                          to_user_id=to_user_id, by_user_id=by_user_id, reason=reason, team_id=team_id)
        for case_id, from_id, from_team_id in cases
    ]
    AssignmentHistory.objects.bulk_create(rows, batch_size=HISTORY_BATCH)
    return max(r.at for r in rows)  # auto_now_add set each row's time as it was written


WINDOW_FIELDS = ("borrower__timezone", "lender__timezone", "lender__contact_start", "lender__contact_end",
                 "lender__lunch_start", "lender__lunch_end")


def first_contact_deadlines(*, rows, now: dt.datetime) -> dict[int, dt.datetime]:
    """Case id -> first-contact deadline: the 2-hour clock counted in the borrower's contact window
    (the lender's hours and lunch break in the borrower's time zone, else the lender's).
    ``rows`` are dicts with ``id`` and the ``WINDOW_FIELDS``; computed once per distinct window."""
    cache: dict[tuple, dt.datetime] = {}
    out = {}
    for row in rows:
        key = tuple(row[k] for k in WINDOW_FIELDS)
        if key not in cache:
            b_tz, l_tz, start, end, l_start, l_end = key
            cache[key] = first_contact_due(
                now, tz=zone(b_tz or l_tz, fallback=settings.TIME_ZONE), contact_start=start, contact_end=end,
                lunch_start=l_start, lunch_end=l_end, within=FIRST_CONTACT_WITHIN,
            )
        out[row["id"]] = cache[key]
    return out


def _apply_assignment(case_rows: list[tuple[int, int | None, int | None]], to_user: User | None, by_user_id,
                      reason: str, now, due_by: dict[int, dt.datetime] | None = None) -> int:
    """These cases — (id, collector now, team now) — all go to ``to_user``: one UPDATE per
    first-contact deadline (a handful: one per zone and lender) and their history rows. ``due_by``
    (case id -> deadline) saves the query when the caller already read the cases' windows."""
    if not case_rows:
        return 0
    ids = [row[0] for row in case_rows]
    changed = 0
    # the rows first, so that each case holds since its row was written (never before it)
    since = _record(case_rows, to_user.id if to_user else None, by_user_id, reason, to_user.team_id if to_user else None)
    if to_user is None:
        values = {"assigned_to": None, "assigned_at": None, "first_contact_due_at": None, "holder_since": since}
        for start in range(0, len(ids), HISTORY_BATCH):
            changed += CollectionCase.objects.filter(id__in=ids[start : start + HISTORY_BATCH]).update(**values)
    else:
        if due_by is None:
            due_by = first_contact_deadlines(rows=CollectionCase.objects.filter(id__in=ids).values("id", *WINDOW_FIELDS), now=now)
        groups: dict[dt.datetime, list[int]] = defaultdict(list)
        for cid in ids:
            groups[due_by[cid]].append(cid)
        values = {"assigned_to": to_user, "team_id": to_user.team_id, "assigned_at": now, "holder_since": since}
        for due_at, group in groups.items():
            for start in range(0, len(group), HISTORY_BATCH):
                changed += CollectionCase.objects.filter(id__in=group[start : start + HISTORY_BATCH]).update(
                    first_contact_due_at=due_at, **values
                )
    return changed


def assign_cases(*, case_ids, to_user, by_user=None, reason="", now=None) -> int:
    """Assign the open or suspended cases ``case_ids`` to ``to_user`` (``None`` unassigns).

    Cases already with ``to_user`` are left alone. Each changed case gets an AssignmentHistory row;
    the new collector's team becomes the case's team and the 2-hour first-contact clock starts.
    Returns the number of cases changed. Raises ValidationError for an unsuitable collector and
    PermissionDenied when ``by_user`` may not make this assignment.
    """
    now = now or timezone.now()
    if to_user is not None:
        if not to_user.is_active:
            raise ValidationError({"user": _("%(name)s is not active.") % {"name": to_user.username}})
        if to_user.role not in ASSIGNABLE_ROLES:
            raise ValidationError({"user": _("Cases can only be assigned to collectors or supervisors.")})
    ids = {int(i) for i in case_ids}
    with transaction.atomic():
        qs = CollectionCase.objects.filter(id__in=ids, status__in=WORKING_CASE_STATUSES)
        qs = _check_assigner(by_user, to_user, qs)
        if to_user is not None:
            qs = qs.exclude(assigned_to=to_user)
        else:
            qs = qs.filter(assigned_to__isnull=False)
        rows = list(qs.select_for_update(of=("self",)).values_list("id", "assigned_to_id", "team_id"))
        return _apply_assignment(rows, to_user, by_user.id if by_user else None, reason, now)


def _collector_pool() -> list[dict]:
    rows = (
        User.objects.filter(role=Role.COLLECTOR, is_active=True, team__isnull=False)
        .select_related("team")
        .order_by("id")
    )
    return [
        {
            "id": u.id,
            "team_id": u.team_id,
            "team_lender_id": u.team.lender_id,
            "buckets": parse_buckets(u.team.buckets),
            "team_region": (u.team.region or "").strip(),
            "languages": (u.languages_spoken or "").lower(),
            "max_open_cases": u.max_open_cases,
            "user": u,
        }
        for u in rows
    ]


def auto_allocate(*, case_ids=None, now=None, by_user=None) -> int:
    """Allocate unassigned open cases to collectors by the rules (see ``pick_collector``).

    Highest overdue first, so that when capacity runs out the largest debts are the ones allocated.
    Cases no collector may take stay unassigned. Returns the number allocated.
    """
    now = now or timezone.now()
    collectors = _collector_pool()
    if not collectors:
        return 0
    with transaction.atomic():
        # a case placed with an agency is the agency's until recalled (docs/agency.md)
        qs = not_placed(CollectionCase.objects.filter(status=CaseStatus.OPEN, assigned_to__isnull=True))
        if case_ids is not None:
            qs = qs.filter(id__in=list(case_ids))
        cases = list(
            qs.select_for_update(of=("self",))
            .order_by("-overdue_amount", "id")
            .values("id", "lender_id", "bucket", "borrower__region", "borrower__preferred_language", *WINDOW_FIELDS)
        )
        if not cases:
            return 0
        due_by = first_contact_deadlines(rows=cases, now=now)
        load = dict(
            CollectionCase.objects.filter(status__in=WORKING_CASE_STATUSES, assigned_to__in=[c["id"] for c in collectors])
            .values_list("assigned_to")
            .annotate(n=Count("id"))
        )
        chosen: dict[int, list[tuple[int, None, None]]] = defaultdict(list)
        picker = CollectorPicker(collectors, load)
        for row in cases:
            case = {
                "lender_id": row["lender_id"],
                "bucket": row["bucket"] or "",
                "region": (row["borrower__region"] or "").strip(),
                "language": row["borrower__preferred_language"],
            }
            user_id = picker.pick(case)
            if user_id is None:
                continue
            chosen[user_id].append((row["id"], None, None))
        by_id = {c["id"]: c["user"] for c in collectors}
        reason = _("Automatic allocation")
        by_user_id = by_user.id if by_user else None
        if connection.vendor == "postgresql":
            return _assign_in_bulk(chosen, by_id, due_by, by_user_id, reason, now)
        total = 0
        for user_id, rows in chosen.items():
            total += _apply_assignment(rows, by_id[user_id], by_user_id, reason, now, due_by)
        return total


BULK_BATCH = 20_000


def _assign_in_bulk(chosen: dict[int, list[tuple[int, None, None]]], users: dict[int, User], due_by: dict[int, dt.datetime],
                    by_user_id, reason: str, now: dt.datetime) -> int:
    """What ``_apply_assignment`` does for each collector's cases, for every collector at once on
    PostgreSQL: one UPDATE of the cases and one INSERT of their history rows per BULK_BATCH cases,
    from arrays. A first night allocates a whole new book (250,000 cases at 1,000,000 loans):
    one UPDATE per collector and deadline and 50,000 history objects built in Python took most of
    auto_allocate's time (docs/performance.md)."""
    ids, to_users, teams, dues = [], [], [], []
    for user_id, rows in chosen.items():
        for case_id, *_from in rows:
            ids.append(case_id)
            to_users.append(user_id)
            teams.append(users[user_id].team_id)
            dues.append(due_by[case_id])
    cases, history = CollectionCase._meta.db_table, AssignmentHistory._meta.db_table
    at = timezone.now()  # the history's ``at`` (auto_now_add): when the rows are written
    changed = 0
    with connection.cursor() as cursor:
        for start in range(0, len(ids), BULK_BATCH):
            part = slice(start, start + BULK_BATCH)
            cursor.execute(
                f"""UPDATE {cases} c SET assigned_to_id = v.u, team_id = v.t, assigned_at = %s,
                        first_contact_due_at = v.due, holder_since = %s
                    FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::timestamptz[]) AS v(id, u, t, due)
                    WHERE c.id = v.id""",
                [now, at, ids[part], to_users[part], teams[part], dues[part]])
            changed += cursor.rowcount
            cursor.execute(
                f"""INSERT INTO {history} (case_id, from_user_id, from_team_id, to_user_id, by_user_id, reason,
                                           team_id, at)
                    SELECT v.id, NULL, NULL, v.u, %s, %s, v.t, %s
                    FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS v(id, u, t)""",
                [by_user_id, str(reason), at, ids[part], to_users[part], teams[part]])
    return changed


def hand_over(*, from_user, to_user, by_user, now=None) -> int:
    """Move all of ``from_user``'s open and suspended cases to ``to_user`` in one action, recorded.

    A field agent's cases and open visits move to the new agent. Returns the number of cases moved.
    """
    if from_user == to_user:
        raise ValidationError({"to_user": _("Choose a different person to hand over to.")})
    if by_user is not None and not can_assign(by_user):
        raise PermissionDenied(_("Only supervisors and admins can hand over cases."))
    if by_user is not None and not is_admin(by_user):
        allowed = visible_users(by_user)
        if not allowed.filter(id=from_user.id).exists() or not allowed.filter(id=to_user.id).exists():
            raise PermissionDenied(_("You can only hand over between members of your teams."))
    now = now or timezone.now()
    reason = _("Hand-over from %(name)s") % {"name": from_user.get_full_name() or from_user.username}
    with transaction.atomic():
        if from_user.role == Role.FIELD_AGENT:
            if to_user.role != Role.FIELD_AGENT or not to_user.is_active:
                raise ValidationError({"to_user": _("A field agent's cases go to another active field agent.")})
            moved = CollectionCase.objects.filter(field_agent=from_user, status__in=WORKING_CASE_STATUSES).update(
                field_agent=to_user
            )
            FieldVisit.objects.filter(agent=from_user, status__in=OPEN_VISIT_STATUSES).update(agent=to_user)
            return moved
        case_ids = CollectionCase.objects.filter(assigned_to=from_user, status__in=WORKING_CASE_STATUSES).values_list(
            "id", flat=True
        )
        return assign_cases(case_ids=list(case_ids), to_user=to_user, by_user=by_user, reason=reason, now=now)


def hand_to_field_agent(*, case_ids, agent, by_user=None, reason="", today=None) -> int:
    """Hand cases to a field agent for a visit: one FieldVisit per case, due within 2 working days.

    Handed over by a supervisor or admin the visit is approved at once; handed over by a collector
    it is requested and waits for a supervisor's approval. Cases that already have an open visit
    are skipped. Returns the number of visits created.
    """
    if agent.role != Role.FIELD_AGENT or not agent.is_active:
        raise ValidationError({"agent": _("Choose an active field agent.")})
    today = today or timezone.localdate()
    approved = by_user is None or is_supervisor_or_admin(by_user)
    with transaction.atomic():
        qs = not_placed(CollectionCase.objects.filter(id__in=list(case_ids), status__in=WORKING_CASE_STATUSES).exclude(
            visits__status__in=OPEN_VISIT_STATUSES
        ))
        if by_user is not None and not is_admin(by_user):
            qs = cases_visible_to(by_user, qs)
        rows = list(qs.select_for_update(of=("self",)).values_list("id", "borrower__address"))
        if not rows:
            return 0
        due_on = add_working_days(today, VISIT_WITHIN_WORKING_DAYS)
        visits = [
            FieldVisit(
                case_id=case_id,
                agent=agent,
                requested_by=by_user,
                status=VisitStatus.APPROVED if approved else VisitStatus.REQUESTED,
                address=address or "",
                reason=reason,
                handed_over_on=today,
                due_on=due_on,
            )
            for case_id, address in rows
        ]
        FieldVisit.objects.bulk_create(visits, batch_size=HISTORY_BATCH)
        CollectionCase.objects.filter(id__in=[r[0] for r in rows]).update(field_agent=agent)
        return len(visits)
