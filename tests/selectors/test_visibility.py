"""collections_app/selectors/visibility.py: the cases and loans each role may see."""
import pytest
from django.contrib.auth.models import AnonymousUser

from collections_app.selectors import visibility
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_collector_sees_own_cases_supervisor_sees_team_admin_sees_all(team, collector, other_collector, supervisor):
    outsider_team = f.TeamFactory(name="Other")
    outsider = f.CollectorFactory(username="out1", team=outsider_team)
    mine = f.CaseFactory(assigned_to=collector)
    colleague = f.CaseFactory(assigned_to=other_collector)
    elsewhere = f.CaseFactory(assigned_to=outsider)
    unassigned = f.CaseFactory(assigned_to=None)
    admin = f.AdminFactory(username="adm")

    assert set(visibility.cases_visible_to(collector)) == {mine}
    assert set(visibility.cases_visible_to(supervisor)) == {mine, colleague}
    assert set(visibility.cases_visible_to(admin)) == {mine, colleague, elsewhere, unassigned}


def test_anonymous_sees_nothing(db):
    f.CaseFactory()
    assert visibility.cases_visible_to(AnonymousUser()).count() == 0


def test_loans_follow_case_visibility(collector, other_collector):
    case = f.CaseFactory(assigned_to=collector)
    loan = f.LoanFactory(lender=case.lender, borrower=case.borrower, case=case)
    other = f.LoanFactory(case=f.CaseFactory(assigned_to=other_collector))
    assert list(visibility.loans_visible_to(collector)) == [loan]
    assert other not in visibility.loans_visible_to(collector)
