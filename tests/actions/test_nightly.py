"""The nightly run and the action lifecycle, on both backends (the set-based PostgreSQL one is skipped
on SQLite; run with DATABASE_URL=postgres://…): a newer action of a kind supersedes the open one
before it is inserted (one open action per kind, a database constraint), a cured case's actions are
superseded in the chunk, a stage change's and expired ones after the night (finish_run)."""
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from collections_app import models as m
from collections_app.selectors.buckets import bucket_ranges
from collections_app.services import nightly
from collections_app.services.actions import settle_actions
from collections_app.services.nightly.rules import COLLECTOR_TIME_ACTIONS, reminder_only_buckets
from collections_app.services.strategy import ensure_default_strategy
from tests import factories as f

pytestmark = pytest.mark.django_db
D = dt.date
BACKENDS = [
    pytest.param(True, id="python"),
    pytest.param(False, id="postgres", marks=pytest.mark.skipif(connection.vendor != "postgresql",
                                                                reason="the SQL backend runs on PostgreSQL")),
]
NEWER = "system: a newer action of the same kind"


@pytest.fixture
def book(lender):
    version = ensure_default_strategy()
    loan = f.LoanFactory(lender=lender, borrower=f.BorrowerFactory(lender=lender))
    f.InstallmentFactory(loan=loan, seq=1, due_date=D(2026, 1, 10), principal_due=Decimal("1000"),
                         interest_due=Decimal("10"))
    return version, loan


def night(loan, as_of, force_python):
    """One chunk of the run for the loan's borrower, then what finish_run does with the actions."""
    version = m.StrategyVersion.objects.get(status="active")
    nightly.process_scope(scope=nightly.Scope(borrower_ids=(loan.borrower_id,)), as_of=as_of,
                          force_python=force_python)
    settle_actions(today=as_of, now=timezone.now(), reminder_only=reminder_only_buckets(bucket_ranges(version)),
                   collector_time=COLLECTOR_TIME_ACTIONS)
    return m.CollectionCase.objects.get(borrower_id=loan.borrower_id)


def open_kinds(case):
    return sorted(case.actions.filter(status=m.ActionStatus.OPEN).values_list("kind", flat=True))


@pytest.mark.parametrize("force_python", BACKENDS)
def test_a_newer_call_supersedes_the_open_one_before_it_is_inserted(book, force_python):
    _version, loan = book
    case = night(loan, D(2026, 2, 12), force_python)  # M1: a reminder call every 3 days
    first = case.actions.get(kind=m.ActionKind.CALL)
    case = night(loan, D(2026, 2, 15), force_python)
    first.refresh_from_db()
    assert (first.status, first.done_how) == (m.ActionStatus.SUPERSEDED, NEWER) and first.done_at is not None
    newest = case.actions.get(kind=m.ActionKind.CALL, status=m.ActionStatus.OPEN)
    assert newest.due_on == D(2026, 2, 15)
    assert case.next_action == m.ActionKind.CALL and timezone.localtime(case.next_action_at).date() == D(2026, 2, 15)


@pytest.mark.parametrize("force_python", BACKENDS)
def test_two_rules_of_one_kind_on_one_night_leave_one_open(book, force_python):
    version, loan = book
    version.rules.create(code="m1-extra-call", description="M1: another call", bucket="M1", action=m.ActionKind.CALL,
                         position=999)
    case = night(loan, D(2026, 2, 12), force_python)
    calls = dict(case.actions.filter(kind=m.ActionKind.CALL).values_list("rule_code", "status"))
    # the last rule in the strategy's order stays open; the other is recorded, superseded
    assert calls == {"m1-extra-call": m.ActionStatus.OPEN, "m1-reminder-calls": m.ActionStatus.SUPERSEDED}
    night(loan, D(2026, 2, 12), force_python)  # again: nothing new
    assert case.actions.filter(kind=m.ActionKind.CALL).count() == 2


@pytest.mark.parametrize("force_python", BACKENDS)
def test_a_cured_case_supersedes_its_open_actions_in_the_chunk(book, force_python):
    _version, loan = book
    case = night(loan, D(2026, 2, 12), force_python)
    assert open_kinds(case) == [m.ActionKind.CALL]
    f.PaymentFactory(loan=loan, paid_on=D(2026, 2, 13), amount=Decimal("1010"))
    nightly.process_scope(scope=nightly.Scope(borrower_ids=(loan.borrower_id,)), as_of=D(2026, 2, 13),
                          force_python=force_python)  # the chunk alone: the case closes, its actions go
    case.refresh_from_db()
    assert case.status == m.CaseStatus.CLOSED and (case.next_action, case.next_action_at) == ("", None)
    call = case.actions.get(kind=m.ActionKind.CALL)
    assert (call.status, call.done_how) == (m.ActionStatus.SUPERSEDED, "system: the case closed")


@pytest.mark.parametrize("force_python", BACKENDS)
def test_moving_stage_supersedes_what_the_old_stages_rules_asked(book, force_python):
    _version, loan = book
    case = night(loan, D(2026, 1, 11), force_python)  # M0: robot call and SMS reminder
    assert open_kinds(case) == [m.ActionKind.ROBOT_CALL, m.ActionKind.SMS_REMINDER]
    case = night(loan, D(2026, 2, 12), force_python)  # M1: calls, no M0 rule applies any more
    assert open_kinds(case) == [m.ActionKind.CALL]
    for kind in (m.ActionKind.ROBOT_CALL, m.ActionKind.SMS_REMINDER):
        old = case.actions.get(kind=kind)
        assert (old.status, old.done_how) == (m.ActionStatus.SUPERSEDED, "system: the case moved to another stage")
    assert case.next_action == m.ActionKind.CALL


@pytest.mark.parametrize("force_python", BACKENDS)
def test_an_action_left_undone_expires_after_its_window(book, force_python, settings):
    settings.ACTION_EXPIRE_AFTER_DAYS = {"letter": 2}
    _version, loan = book
    case = night(loan, D(2026, 1, 17), force_python)  # day 7: the overdue notice
    letter = case.actions.get(kind=m.ActionKind.LETTER)
    night(loan, D(2026, 1, 19), force_python)
    letter.refresh_from_db()
    assert letter.status == m.ActionStatus.OPEN
    case = night(loan, D(2026, 1, 20), force_python)
    letter.refresh_from_db()
    assert letter.status == m.ActionStatus.EXPIRED and letter.done_how.startswith("system: not done")
    assert m.ActionKind.LETTER not in open_kinds(case)


def test_the_run_settles_actions_in_finish_run(book):
    _version, loan = book
    nightly.run_delinquency(as_of=D(2026, 1, 11))
    nightly.run_delinquency(as_of=D(2026, 2, 12))
    case = m.CollectionCase.objects.get(borrower_id=loan.borrower_id)
    assert open_kinds(case) == [m.ActionKind.CALL]
    assert case.actions.filter(status=m.ActionStatus.SUPERSEDED).count() == 2


@pytest.mark.django_db(transaction=True)
def test_after_seed_demo_and_a_night_no_case_has_two_open_actions_of_a_kind():
    call_command("seed_demo", "--loans", "80", "--seed", "5", stdout=io.StringIO())
    last = m.DelinquencyRun.objects.filter(status="done").order_by("-as_of").first()
    nightly.run_delinquency(as_of=last.as_of + dt.timedelta(days=1))
    assert m.CaseAction.objects.filter(status=m.ActionStatus.OPEN).exists()
    twice = (m.CaseAction.objects.filter(status=m.ActionStatus.OPEN).values("case_id", "kind")
             .annotate(n=Count("id")).filter(n__gt=1))
    assert not twice.exists()
    # every ended action says when, and who or what
    ended = m.CaseAction.objects.exclude(status__in=(m.ActionStatus.OPEN, m.ActionStatus.AWAITING_APPROVAL))
    assert ended.exists() and not ended.filter(done_at__isnull=True).exists() and not ended.filter(done_how="").exists()
