"""GET /api/kpis/: the dashboard's figures as JSON, the same numbers as the page, same scope rules."""
import datetime as dt
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from django.urls import reverse

from collections_app.domain.kpis import api_rate
from tests import factories as f

pytestmark = pytest.mark.django_db
PERIOD = {"from": "2026-11-01", "to": "2026-11-23"}
URL = "/api/kpis/"


def kpis(client, user, **params):
    client.force_login(user)
    return client.get(URL, {**PERIOD, **params})


def test_hand_made_book_figures(client, book, supervisor):
    response = kpis(client, supervisor)
    assert response.status_code == 200
    k = response.json()
    assert (k["from"], k["to"], k["team"], k["collector"], k["lender"]) == ("2026-11-01", "2026-11-23", None, None, None)
    assert (k["collected"], k["overdue_at_start"], k["recovered"], k["target"]) == ("1500.00", "3500.00", "1500.00",
                                                                                  "2300.00")
    assert k["recovery_rate"] == 0.4286
    assert (k["promises_made"], k["promises_kept"], k["promise_keep_rate"]) == (4, 1, 0.3333)
    assert (k["call_attempts"], k["contacts"], k["right_party_contacts"]) == (6, 4, 3)
    assert (k["contact_rate"], k["rpc_rate"], k["cure_rate"]) == (0.6667, 0.5, 0.3333)
    rolls = k["roll_rates"]
    assert list(rolls) == ["CURRENT", "M0", "M1"]
    assert {b: n for b, n in rolls["M0"].items() if n} == {"CURRENT": 1, "M1": 1}
    assert {b: n for b, n in rolls["M1"].items() if n} == {"M2": 1}
    assert {b: n for b, n in rolls["CURRENT"].items() if n} == {"CURRENT": 1}
    assert [(r["bucket"], r["count"], r["overdue"]) for r in k["aging"]] == [("M1", 1, "1300.00"), ("M2", 1, "1700.00")]


@pytest.mark.parametrize("params", [{}, {"team": "team"}, {"collector": "coll"}, {"lender": "acme"}])
def test_api_and_dashboard_show_the_same_numbers(client, book, admin_user, team, collector, lender, params):
    values = {"team": team.id, "collector": collector.id, "lender": lender.code}
    api_params = {k: values[k] for k in params}
    page_params = {k: (lender.id if k == "lender" else v) for k, v in api_params.items()}
    k = kpis(client, admin_user, **api_params).json()
    page = client.get(reverse("supervisor_dashboard"), {**PERIOD, **page_params})
    assert not list(page.context["messages"])
    s, d = page.context["s"], page.context["d"]
    pairs = {"collected": "collected", "overdue_at_start": "opening_overdue", "recovered": "recovered",
             "target": "target", "promises_made": "promises_made", "promises_kept": "promises_kept",
             "call_attempts": "attempts", "contacts": "contacts_reached", "right_party_contacts": "rpc",
             "open_cases": "open_cases", "open_overdue": "open_overdue"}
    for api_name, page_name in pairs.items():
        assert str(k[api_name]) == str(s[page_name]), api_name
    for name in ("recovery_rate", "promise_keep_rate", "contact_rate", "rpc_rate", "cure_rate"):
        assert k[name] == (None if s[name] is None else float(api_rate(s[name]))), name
        assert 0 <= (k[name] or 0) <= 1
    assert k["roll_rates"] == {r["from"]: dict(zip(d.roll_codes, r["to"], strict=True)) for r in d.roll}
    body = page.content.decode()
    shown = (s["recovery_rate"] * 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)  # rounded once, from the exact rate
    assert f'id="recovery-rate">{shown}%' in body


def test_admin_sees_every_team_and_filters(client, book, admin_user, team, collector):
    assert kpis(client, admin_user).json()["collected"] == "2500.00"
    assert kpis(client, admin_user, team=team.id).json()["collected"] == "1500.00"
    mine = kpis(client, admin_user, collector=collector.id).json()
    assert (mine["collected"], mine["target"], mine["collector"]) == ("800.00", "766.67", collector.id)
    other = f.LenderFactory(code="other")
    empty = kpis(client, admin_user, lender="other").json()
    assert (empty["lender"], empty["collected"], empty["recovery_rate"], empty["contact_rate"]) == (
        other.code, "0.00", None, None)


def test_collectors_and_field_agents_get_403_and_anonymous_401(client, book, collector):
    for user in (collector, f.FieldAgentFactory()):
        assert kpis(client, user).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 401


def test_a_supervisor_cannot_reach_other_teams(client, book, supervisor):
    foreign_team = f.TeamFactory(name="Team C")
    foreign_collector = f.CollectorFactory(team=foreign_team)
    response = kpis(client, supervisor, team=foreign_team.id, collector=foreign_collector.id)
    assert response.status_code == 400
    assert set(response.json()) == {"team", "collector"}


@pytest.mark.parametrize("params, field", [
    ({"from": "yesterday"}, "from"),
    ({"to": "2026-13-40"}, "to"),
    ({"from": "2026-11-23", "to": "2026-11-01"}, "to"),
    ({"to": "9999-12-31"}, "to"),
    ({"team": "1.0"}, "team"),
    ({"team": ""}, "team"),
    ({"collector": "-3"}, "collector"),
    ({"collector": "99999999999999999999"}, "collector"),
    ({"lender": "nope"}, "lender"),
    ({"teams": "1"}, "teams"),
])
def test_bad_parameters_are_400_naming_them(client, book, supervisor, params, field):
    response = kpis(client, supervisor, **params)
    assert response.status_code == 400
    assert field in response.json()


def test_a_parameter_given_twice_is_400(client, book, supervisor, team):
    client.force_login(supervisor)
    response = client.get(f"{URL}?team={team.id}&team={team.id}")
    assert response.status_code == 400 and "team" in response.json()


def test_default_period_is_this_month_to_today(client, book, supervisor):
    from django.utils import timezone

    client.force_login(supervisor)
    k = client.get(URL).json()
    today = timezone.localdate()
    assert (k["from"], k["to"]) == (today.replace(day=1).isoformat(), today.isoformat())


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_read_only(client, supervisor, method):
    client.force_login(supervisor)
    assert getattr(client, method)(URL, content_type="application/json", data="{}").status_code == 405


def test_documented_in_the_schema(client, admin_user):
    client.force_login(admin_user)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    op = schema["paths"]["/api/kpis/"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"from", "to", "team", "collector", "lender"}
    props = schema["components"]["schemas"]["Kpi"]["properties"]
    for name in ("collected", "overdue_at_start", "recovery_rate", "target", "promises_made", "promises_kept",
                 "promise_keep_rate", "call_attempts", "contacts", "right_party_contacts", "contact_rate", "rpc_rate",
                 "roll_rates", "cure_rate"):
        assert name in props
    assert props["recovery_rate"]["maximum"] == 1 and props["recovery_rate"]["nullable"]
    assert dt.date.fromisoformat("2026-11-01")  # the schema's example period parses
