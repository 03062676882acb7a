"""The holder of the time: a case whose last assignment row was written by then (``holder_since``) is
read from its collector and team now, every other row from the history — and the two give the same
holder and team as looking every row up (``fast=False``), on random books that every allocation path
changed (assign, unassign, hand over, automatic allocation, a collector moved to another team), for
contacts at instants (on an assignment's instant too), payments at the end of their day, loans and
cases at the end of a date (docs/kpis.md, "Credit")."""
import datetime as dt
import importlib
import random
from decimal import Decimal as D
from unittest import mock

import pytest
from django.apps import apps
from django.db.models import Q

from collections_app import models as m
from collections_app.selectors.attribution import holder_exprs
from collections_app.services import allocation
from tests import factories as f

from .book import TZ

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)


def both(qs, **kw) -> tuple[dict, dict, int]:
    """{row id: (holder, team)} looked up row by row and read the fast way, and how many rows the fast
    way answered from the case."""
    slow = {r["pk"]: (r["_holder"], r["_holder_team"])
            for r in qs.annotate(**holder_exprs(**kw, fast=False)).values("pk", "_holder", "_holder_team")}
    fast = {r["pk"]: (r["_holder"], r["_holder_team"])
            for r in qs.annotate(**holder_exprs(**kw)).values("pk", "_holder", "_holder_team")}
    prefix = f"{kw['case_path']}__" if kw["case_path"] else ""
    return slow, fast, qs.filter(**{f"{prefix}holder_since__isnull": False}).count()


@pytest.mark.parametrize("seed", range(8))
def test_the_holder_read_from_the_case_equals_the_history(seed, lender, admin_user):
    rng = random.Random(seed)
    teams = [f.TeamFactory(lender=lender) for _ in range(3)]
    people = [f.CollectorFactory(team=rng.choice(teams)) for _ in range(4)]
    cases = []
    for _ in range(8):  # some held before any history (imported with a collector), some in the pool
        holder = rng.choice([None, *people])
        cases.append(f.CaseFactory(lender=lender, assigned_to=holder, team=holder.team if holder else rng.choice(teams)))
    loans = [f.LoanFactory(lender=lender, borrower=c.borrower, case=c) for c in cases]
    clock = {"now": START}
    instants = [START - dt.timedelta(days=1)]
    with mock.patch("django.utils.timezone.now", lambda: clock["now"]):
        for _ in range(12):
            clock["now"] += dt.timedelta(hours=rng.choice([1, 7, 20, 30]), minutes=rng.randint(0, 59))
            instants.append(clock["now"])
            op = rng.random()
            if op < 0.4:
                to = rng.choice([None, *people])
                allocation.assign_cases(case_ids=[c.id for c in rng.sample(cases, rng.randint(1, 4))], to_user=to,
                                        by_user=admin_user)
            elif op < 0.55:
                a, b = rng.sample(people, 2)
                allocation.hand_over(from_user=a, to_user=b, by_user=admin_user)
            elif op < 0.75:
                allocation.auto_allocate(by_user=admin_user)
            else:  # a collector moves team: no past figure may move with them
                p = rng.choice(people)
                p.team = rng.choice(teams)
                p.save()
    for t in instants + [i + dt.timedelta(minutes=k) for i in instants for k in (-1, 1)]:
        case = rng.choice(cases)
        f.ContactLogFactory(case=case, user=None, occurred_at=t)
        f.PaymentFactory(loan=loans[cases.index(case)], paid_on=t.astimezone(TZ).date(), amount=D("10"))
    assert m.CollectionCase.objects.filter(holder_since__isnull=False).exists()

    slow, fast, answered = both(m.ContactLog.objects.all(), case_ref="case_id", case_path="case", instant="occurred_at")
    assert fast == slow and answered > 0
    slow, fast, answered = both(m.Payment.objects.all(), case_ref="loan__case_id", case_path="loan__case", day="paid_on")
    assert fast == slow and answered > 0
    for t in instants[::3]:
        day = t.astimezone(TZ).date()
        slow, fast, _ = both(m.Loan.objects.filter(Q(case__isnull=False) | Q(case__isnull=True)), case_ref="case_id",
                             case_path="case", day_value=day)
        assert fast == slow and len(fast) == len(loans)
        slow, fast, _ = both(m.CollectionCase.objects.all(), case_ref="pk", case_path="", day_value=day)
        assert fast == slow


def test_allocation_writes_when_each_case_holds_since(lender, admin_user, collector, other_collector):
    """Each path sets ``holder_since`` to its history row's time (never earlier), and the case's
    collector and team are the row's (the team empty when unassigned)."""
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=collector.team)
    assert case.holder_since is None
    allocation.assign_cases(case_ids=[case.id], to_user=other_collector, by_user=admin_user)
    allocation.assign_cases(case_ids=[case.id], to_user=None, by_user=admin_user)
    allocation.auto_allocate(by_user=admin_user)
    for row in m.AssignmentHistory.objects.filter(case=case).order_by("at", "id"):
        assert row.at is not None
    case.refresh_from_db()
    last = m.AssignmentHistory.objects.filter(case=case).order_by("-at", "-id").first()
    assert case.holder_since == last.at
    assert (case.assigned_to_id, case.team_id if case.assigned_to_id else None) == (last.to_user_id, last.team_id)


def test_the_upgrade_sets_holder_since_only_where_the_case_matches_its_last_row(lender, admin_user, collector,
                                                                               other_collector):
    """Migration 0037: a case allocated (or unassigned) through the history holds since its last row;
    a case whose collector differs from its last row, or that has no row, stays unknown."""
    upgrade = importlib.import_module("collections_app.migrations.0037_case_holder_since").holder_since_last_row
    kept, emptied, moved, never = (f.CaseFactory(lender=lender, assigned_to=collector, team=collector.team)
                                   for _ in range(4))
    allocation.assign_cases(case_ids=[kept.id, moved.id], to_user=other_collector, by_user=admin_user)
    allocation.assign_cases(case_ids=[emptied.id], to_user=None, by_user=admin_user)
    m.CollectionCase.objects.filter(id=moved.id).update(assigned_to=collector)  # behind allocation's back
    m.CollectionCase.objects.update(holder_since=None)
    upgrade(apps, None)
    since = dict(m.CollectionCase.objects.values_list("id", "holder_since"))
    last = {c.id: m.AssignmentHistory.objects.filter(case=c).latest("at").at for c in (kept, emptied)}
    assert (since[kept.id], since[emptied.id], since[moved.id], since[never.id]) == (last[kept.id], last[emptied.id],
                                                                                   None, None)
