"""The supervisor's overdue actions: due and not done past their due date, counted by team and by
collector, on the cases they may see; linked from the supervisor's pages; in both languages."""
import datetime as dt

import pytest

from collections_app import models as m
from collections_app.selectors.actions import overdue_actions
from tests import factories as f

from .conftest import MORNING, TODAY, make_action

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def two_collectors(act_case):
    team = act_case.team
    other = f.CollectorFactory(username="col2", first_name="Wang", last_name="Fang", team=team)
    second = f.CaseFactory(lender=act_case.lender, assigned_to=other, team=team)
    make_action(act_case, m.ActionKind.CALL, due=TODAY - 3 * DAY)
    make_action(act_case, m.ActionKind.LETTER, due=TODAY - DAY)
    make_action(second, m.ActionKind.CALL, due=TODAY - 5 * DAY)
    make_action(second, m.ActionKind.SMS_REMINDER, due=TODAY)  # due today: not overdue yet
    make_action(second, m.ActionKind.LETTER, due=TODAY - 9 * DAY, status=m.ActionStatus.DONE, done_at=MORNING,
                done_how="letter produced")  # done: not listed
    return team, other, second


def test_counts_by_team_and_by_collector(act_case, two_collectors):
    team, other, _second = two_collectors
    got = overdue_actions(user=team.supervisor, today=TODAY)
    assert got["total"] == 3
    assert [(r["case__team__name"], r["n"], r["oldest"]) for r in got["by_team"]] == [(team.name, 3, TODAY - 5 * DAY)]
    mine = act_case.assigned_to.get_full_name() or act_case.assigned_to.username
    assert [(r["name"], r["n"]) for r in got["by_collector"]] == [(mine, 2), ("Wang Fang", 1)]
    assert [a.days_late for a in got["rows"]] == [5, 3, 1]
    assert overdue_actions(user=f.SupervisorFactory(), today=TODAY)["total"] == 0  # another team's supervisor


def test_the_page_in_english_and_linked_from_the_supervisors_tabs(client, act_case, two_collectors):
    team, _other, _second = two_collectors
    client.force_login(team.supervisor)
    page = client.get("/supervisor/actions/").content.decode()
    assert 'id="overdue-by-team"' in page and 'id="overdue-by-collector"' in page
    assert "3 due and not done, due before 2026-03-04" in page and "Wang Fang" in page
    assert 'href="/supervisor/actions/"' in client.get("/supervisor/approvals/").content.decode()


@pytest.mark.zh
def test_the_page_in_chinese(client, act_case, two_collectors):
    team, _other, _second = two_collectors
    client.force_login(team.supervisor)
    page = client.get("/supervisor/actions/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "逾期" in page and "Wang Fang" in page


def test_the_queue_shows_the_next_action_and_its_state(client, act_case):
    from collections_app.services.actions import refresh_next_actions

    make_action(act_case, m.ActionKind.CALL, due=TODAY + DAY)
    refresh_next_actions(case_ids=[act_case.pk])
    client.force_login(act_case.assigned_to)
    page = client.get("/queue/").content.decode()
    assert "Call task" in page and 'next-action-state">Planned<' in page
