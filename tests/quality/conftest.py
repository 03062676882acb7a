"""Two teams of one lender, each with its supervisor, collector and case (docs/quality.md)."""
import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from collections_app import models as m
from tests import factories as f

DAY = dt.date(2026, 3, 10)


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


def contact(case, user, when, outcome=m.Outcome.RPC, **kw):
    return f.ContactLogFactory(case=case, user=user, occurred_at=when, outcome=outcome,
                               is_conversation=outcome in m.CONVERSATION_OUTCOMES, **kw)


@pytest.fixture
def world(db):
    lender = f.LenderFactory(code="acme", name="Acme Finance")
    sup_a, sup_b = f.SupervisorFactory(username="sup_a"), f.SupervisorFactory(username="sup_b")
    team_a, team_b = f.TeamFactory(name="A", supervisor=sup_a), f.TeamFactory(name="B", supervisor=sup_b)
    joined = at(DAY - dt.timedelta(days=400))
    coll_a = f.CollectorFactory(username="coll_a", first_name="Li", last_name="Na", team=team_a, date_joined=joined)
    coll_b = f.CollectorFactory(username="coll_b", first_name="Wu", last_name="Bo", team=team_b, date_joined=joined)
    case_a = f.CaseFactory(lender=lender, assigned_to=coll_a, team=team_a)
    case_b = f.CaseFactory(lender=lender, assigned_to=coll_b, team=team_b)
    return SimpleNamespace(lender=lender, sup_a=sup_a, sup_b=sup_b, team_a=team_a, team_b=team_b, coll_a=coll_a,
                           coll_b=coll_b, case_a=case_a, case_b=case_b)
