"""The targets page: who may set what, and the dashboard showing the pro-rated figure."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from collections_app import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db
URL = reverse("supervisor_targets")


def test_collector_gets_403(client, collector):
    client.force_login(collector)
    assert client.get(URL).status_code == 403


def test_supervisor_sets_a_weekly_team_target_stored_from_monday(client, supervisor, team):
    client.force_login(supervisor)
    response = client.post(URL, {"subject": f"team:{team.id}", "period": "week", "day": "2026-12-03",
                                 "amount": "7,000.00"}, follow=True)
    target = m.Target.objects.get()
    assert (target.period, target.period_start, target.amount, target.team, target.set_by) == (
        "week", dt.date(2026, 11, 30), D("7000.00"), team, supervisor)
    assert "Target set for Team A, 2026-11-30 to 2026-12-06: 7,000.00." in response.content.decode()
    client.post(URL, {"subject": f"team:{team.id}", "period": "week", "day": "2026-12-06", "amount": "8000"})
    assert [t.amount for t in m.Target.objects.all()] == [D("8000.00")]


def test_supervisor_sets_a_collector_target(client, supervisor, collector):
    client.force_login(supervisor)
    today = dt.date.today()
    client.post(URL, {"subject": f"collector:{collector.id}", "period": "month", "day": today.isoformat(),
                      "amount": "3000"})
    target = m.Target.objects.get()
    assert (target.collector, target.period_start) == (collector, today.replace(day=1))
    rows = client.get(URL).context["page"]
    assert [(t.collector, t.amount) for t in rows] == [(collector, D("3000.00"))]


def test_supervisor_cannot_set_another_teams_target(client, supervisor, team):
    other = f.TeamFactory()
    stranger = f.CollectorFactory(team=other)
    client.force_login(supervisor)
    for subject in (f"team:{other.id}", f"collector:{stranger.id}"):
        response = client.post(URL, {"subject": subject, "period": "day", "day": "2026-12-01", "amount": "1"}, follow=True)
        assert "Choose one of your teams or collectors." in response.content.decode()
    assert not m.Target.objects.exists()


def test_admin_sets_any_teams_target(client, admin_user):
    other = f.TeamFactory()
    client.force_login(admin_user)
    client.post(URL, {"subject": f"team:{other.id}", "period": "day", "day": "2026-12-01", "amount": "100"})
    assert m.Target.objects.get().team == other


@pytest.mark.parametrize(("amount", "message"), [("-5", "The amount must be zero or more."),
                                                  ("abc", "The amount must be a number"),
                                                  ("1.234", "at most 2 decimals")])
def test_bad_amounts_are_refused_with_the_reason(client, supervisor, team, amount, message):
    client.force_login(supervisor)
    response = client.post(URL, {"subject": f"team:{team.id}", "period": "day", "day": "2026-12-01", "amount": amount},
                           follow=True)
    assert message in response.content.decode()
    assert not m.Target.objects.exists()


def test_dashboard_shows_the_prorated_target(client, supervisor, team):
    m.Target.objects.create(period="month", period_start=dt.date(2026, 11, 1), team=team, amount=D("30000"))
    client.force_login(supervisor)
    response = client.get(reverse("supervisor_dashboard"), {"from": "2026-11-01", "to": "2026-11-09"})
    assert response.context["s"]["target"] == D("9000.00")
    assert "9,000.00" in response.content.decode()


@pytest.mark.parametrize(("period", "start"), [("week", dt.date(2026, 12, 2)), ("month", dt.date(2026, 12, 2))])
def test_the_database_refuses_a_period_not_starting_on_its_first_day(team, period, start):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        m.Target.objects.create(period=period, period_start=start, team=team, amount=D("1"))
    first_day = dt.date(2026, 11, 30) if period == "week" else dt.date(2026, 12, 1)
    m.Target.objects.create(period=period, period_start=first_day, team=team, amount=D("1"))
    m.Target.objects.create(period="day", period_start=start, team=team, amount=D("1"))
