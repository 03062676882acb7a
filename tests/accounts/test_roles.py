import pytest

from accounts import roles
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

    assert set(roles.cases_visible_to(collector)) == {mine}
    assert set(roles.cases_visible_to(supervisor)) == {mine, colleague}
    assert set(roles.cases_visible_to(admin)) == {mine, colleague, elsewhere, unassigned}


def test_anonymous_sees_nothing(db):
    from django.contrib.auth.models import AnonymousUser

    f.CaseFactory()
    assert roles.cases_visible_to(AnonymousUser()).count() == 0


def test_loans_follow_case_visibility(collector, other_collector):
    case = f.CaseFactory(assigned_to=collector)
    loan = f.LoanFactory(lender=case.lender, borrower=case.borrower, case=case)
    other = f.LoanFactory(case=f.CaseFactory(assigned_to=other_collector))
    assert list(roles.loans_visible_to(collector)) == [loan]
    assert other not in roles.loans_visible_to(collector)


@pytest.mark.parametrize(
    ("value", "masked"),
    [("13812345678", "138****5678"), ("12345", "12***"), ("", "")],
)
def test_mask_phone(value, masked):
    assert roles.mask_phone(value) == masked


def test_mask_national_id():
    assert roles.mask_national_id("110101199001011234") == "1101**********1234"
