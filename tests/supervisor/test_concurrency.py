"""Checks-then-writes on the supervisor pages hold under concurrent requests (real threads, PostgreSQL)."""
import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from collections_app import models as m
from collections_app.selectors.loan_figures import business_date
from collections_app.services.complaints import complaint_resolve
from collections_app.services.targets import target_set
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(fn, args_list):
    barrier = threading.Barrier(len(args_list))
    results = []

    def run(*args):
        try:
            barrier.wait()
            results.append(("ok", fn(*args)))
        except ValidationError as exc:
            results.append(("refused", exc.messages[0]))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=a) for a in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_supervisors_resolving_at_once_one_wins_the_other_is_told():
    boss = f.SupervisorFactory(username="boss-a")
    team = f.TeamFactory(supervisor=boss)
    other = f.SupervisorFactory(username="boss-b")
    f.TeamFactory(supervisor=other)
    admin = f.AdminFactory(username="adm-race")
    case = f.CaseFactory(assigned_to=f.CollectorFactory(team=team), team=team)
    c = m.Complaint.objects.create(case=case, borrower=case.borrower, description="x", received_at=timezone.now(),
                                   due_on=dt.date.today())

    def resolve(user, note):
        return complaint_resolve(complaint=m.Complaint.objects.get(id=c.id), user=user, note=note)

    results = race(resolve, [(boss, "first"), (admin, "second")])
    assert sorted(kind for kind, _ in results) == ["ok", "refused"]
    c.refresh_from_db()
    assert c.status == "resolved"
    assert c.history.filter(status="resolved").count() == 1


def test_setting_the_same_target_at_once_leaves_one_row():
    boss = f.SupervisorFactory(username="boss-t")
    team = f.TeamFactory(supervisor=boss)

    def set_it(amount):
        return target_set(user=boss, period="week", day=dt.date(2026, 12, 2), amount=amount, team=team)[0].id

    results = race(set_it, [("100",), ("200",), ("300",)])
    assert [kind for kind, _ in results] == ["ok", "ok", "ok"]
    assert m.Target.objects.count() == 1
    assert m.Target.objects.get().amount in {D("100"), D("200"), D("300")}


def test_two_checkers_approving_at_once_one_wins():
    from collections_app.services import strategy
    from collections_app.services import strategy_versions as svc

    strategy.ensure_default_strategy()
    maker = f.AdminFactory(username="mk-race")
    checkers = [f.AdminFactory(username=f"ck-race-{i}") for i in range(2)]
    draft = svc.version_draft(user=maker, note="race")
    svc.version_submit(version=draft, user=maker)
    today = business_date()

    def approve(user):
        return svc.version_approve(version=m.StrategyVersion.objects.get(id=draft.id), user=user,
                                   effective_from=today).status

    results = race(approve, [(c,) for c in checkers])
    assert sorted(kind for kind, _ in results) == ["ok", "refused"]
    assert m.StrategyVersion.objects.filter(status="active").count() == 1
    assert m.StrategyVersion.objects.get(id=draft.id).status == "active"
