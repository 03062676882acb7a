"""Placing and recalling at once (real threads, PostgreSQL): a case is placed once and recalled once."""
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from collections_app import models as m
from collections_app.selectors.agency import PlacementFilters
from collections_app.services import agency as svc
from collections_app.services.approvals import decide
from tests import factories as f
from tests.agency.factories import AgencyFactory

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
        except Exception as exc:  # noqa: BLE001 - a database error is a failure of the test
            results.append(("error", repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=a) for a in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_overlapping_bulk_approvals_at_once_place_each_case_once():
    sup_a = f.SupervisorFactory(username="race-a")
    team = f.TeamFactory(supervisor=sup_a)
    col = f.CollectorFactory(team=team)
    cases = [f.CaseFactory(assigned_to=col, team=team, bucket="M3") for _ in range(20)]
    admin1, admin2 = f.AdminFactory(username="race-adm1"), f.AdminFactory(username="race-adm2")
    one, two = AgencyFactory(name="One"), AgencyFactory(name="Two")
    first = svc.request_placement(user=sup_a, agency=one, filters=PlacementFilters(bucket="M3"))
    second = svc.request_placement(user=admin2, agency=two, filters=PlacementFilters())
    assert len(first.payload["case_ids"]) == len(second.payload["case_ids"]) == 20

    results = race(lambda approval, user: decide(approval=approval, user=user, approve=True),
                   [(first, admin1), (second, admin1)])
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    placed = m.AgencyPlacement.objects.filter(case__in=cases)
    assert placed.count() == 20
    assert placed.values("agency").distinct().count() == 1  # the first to lock the cases took them all


def test_recall_by_hand_and_the_daily_task_at_once_recall_once():
    import datetime as dt

    from django.conf import settings

    team = f.TeamFactory(supervisor=f.SupervisorFactory(username="rsup"))
    case = f.CaseFactory(assigned_to=f.CollectorFactory(team=team), team=team)
    today = dt.date.fromisoformat(settings.BUSINESS_DATE) if settings.BUSINESS_DATE else dt.date.today()
    placement = m.AgencyPlacement.objects.create(case=case, agency=AgencyFactory(), bucket="M1",
                                                 commission_rate="0.2", placed_on=today - dt.timedelta(days=30),
                                                 recall_on=today)
    sup = team.supervisor
    results = race(lambda which: svc.recall_placement(placement=placement, user=sup) if which == "hand"
                   else svc.recall_due(), [("hand",), ("task",)])
    assert "error" not in [kind for kind, _ in results], results
    assert m.AgencyPlacement.history.filter(id=placement.id, recalled_on__isnull=False).count() == 1
