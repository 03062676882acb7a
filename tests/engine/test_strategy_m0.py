"""M0 means reminders only (no collector time), and a strategy proposal is not raised again while an
equal one waits for a decision — the same on both backends (``force_python``; on SQLite both are the
Python backend, on PostgreSQL the first is the set-based one)."""
import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from collections_app.models import ApprovalRequest, CaseAction, CollectionCase, StrategyRule, StrategyVersion
from collections_app.models.choices import ActionKind, ActionStatus, ApprovalKind, ApprovalStatus
from collections_app.services import nightly as service
from collections_app.services.approvals import request_approval
from collections_app.services.strategy import ensure_default_strategy
from tests import factories as f

D = dt.date
M = Decimal
pytestmark = pytest.mark.django_db
COLLECTOR_TIME = {ActionKind.CALL, ActionKind.FIELD_VISIT, ActionKind.GUARANTOR_CONTACT, ActionKind.AGENCY,
                  ActionKind.LITIGATION}
BACKENDS = pytest.mark.parametrize("force_python", [False, True], ids=["default-backend", "python-backend"])


def _book(lender, n=3, principal="100"):
    borrowers = []
    for _ in range(n):
        borrower = f.BorrowerFactory(lender=lender)
        f.ContactPointFactory(borrower=borrower, relation="guarantor", value="13900000000")
        loan = f.LoanFactory(lender=lender, borrower=borrower)
        f.InstallmentFactory(loan=loan, seq=1, due_date=D(2026, 1, 10), principal_due=M(principal), interest_due=M("10"))
        borrowers.append(borrower)
    return borrowers


def _run(borrowers, days, force_python):
    for as_of in days:
        for _ in range(2):  # twice a night: nothing new the second time
            service.process_scope(scope=service.Scope(borrower_ids=tuple(b.id for b in borrowers)), as_of=as_of,
                                  force_python=force_python)


def _rule(version, code, **kw):
    position = version.rules.count() + 100
    return StrategyRule.objects.create(version=version, code=code, description=code, position=position, **kw)


@BACKENDS
def test_m0_case_gets_reminders_but_no_visit_proposal_or_call_task(lender, force_python):
    version = ensure_default_strategy()
    # even a rule that says so does not spend collector time in M0
    _rule(version, "m0-calls-anyway", bucket="M0", action=ActionKind.CALL, repeat_every_days=1)
    _rule(version, "day5-visit-anyway", dpd_min=5, dpd_max=5, action=ActionKind.FIELD_VISIT, needs_approval=True)
    borrowers = _book(lender)
    _run(borrowers, [D(2026, 1, 10) + dt.timedelta(days=n) for n in range(1, 21)], force_python)
    cases = CollectionCase.objects.filter(borrower__in=borrowers)
    assert cases.count() == 3 and set(cases.values_list("bucket", flat=True)) == {"M0"}
    kinds = set(CaseAction.objects.filter(case__in=cases).values_list("kind", flat=True))
    assert kinds & COLLECTOR_TIME == set()
    assert {ActionKind.ROBOT_CALL, ActionKind.SMS_REMINDER, ActionKind.LETTER} <= kinds
    assert CaseAction.objects.filter(case=cases[0], kind=ActionKind.ROBOT_CALL).count() == 3  # days 1–3
    assert not ApprovalRequest.objects.filter(case__in=cases).exists()
    assert set(cases.values_list("next_action", flat=True)) <= {ActionKind.ROBOT_CALL, ActionKind.SMS_REMINDER,
                                                                ActionKind.LETTER, ""}


@BACKENDS
def test_m1_case_still_gets_call_tasks(lender, force_python):
    ensure_default_strategy()
    borrowers = _book(lender, n=1)
    _run(borrowers, [D(2026, 2, 12), D(2026, 2, 13)], force_python)  # aging 33, 34: M1
    case = CollectionCase.objects.get(borrower=borrowers[0])
    assert case.bucket == "M1"
    assert case.actions.filter(kind=ActionKind.CALL, rule_code="m1-reminder-calls").exists()


@BACKENDS
def test_pending_proposal_is_not_raised_again_night_after_night(lender, force_python):
    version = ensure_default_strategy()
    # M1 (not M0): a visit proposal every day, and a second rule proposing a visit on the same night
    _rule(version, "m1-daily-visit", bucket="M1", action=ActionKind.FIELD_VISIT, repeat_every_days=1,
          needs_approval=True)
    _rule(version, "m1-visit-again", bucket="M1", action=ActionKind.FIELD_VISIT, needs_approval=True)
    borrowers = _book(lender, n=2)
    nights = [D(2026, 2, 12) + dt.timedelta(days=n) for n in range(4)]
    _run(borrowers, nights[:3], force_python)
    for case in CollectionCase.objects.filter(borrower__in=borrowers):
        pending = case.approvals.filter(kind=ApprovalKind.FIELD_VISIT, status=ApprovalStatus.PENDING)
        assert pending.count() == 1
        assert pending.get().payload["rule"] == "m1-daily-visit"  # the first rule in the strategy's order
        assert case.actions.filter(kind=ActionKind.FIELD_VISIT).count() == 1
    # once decided, the next occurrence may propose again
    case = CollectionCase.objects.get(borrower=borrowers[0])
    case.approvals.update(status=ApprovalStatus.REJECTED)
    case.actions.filter(status=ActionStatus.AWAITING_APPROVAL).update(status=ActionStatus.SKIPPED, done_at=timezone.now(),
                                                                      done_how="refused")
    _run(borrowers, nights[3:], force_python)
    assert case.approvals.filter(kind=ApprovalKind.FIELD_VISIT, status=ApprovalStatus.PENDING).count() == 1
    other = CollectionCase.objects.get(borrower=borrowers[1])
    assert other.approvals.filter(kind=ApprovalKind.FIELD_VISIT).count() == 1


def test_database_allows_one_pending_request_per_case_and_kind(lender, supervisor):
    case = f.CaseFactory(lender=lender)
    request_approval(kind=ApprovalKind.AGENCY, case=case, user=supervisor)
    with pytest.raises(ValidationError):
        request_approval(kind=ApprovalKind.AGENCY, case=case, user=supervisor)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalRequest.objects.create(kind=ApprovalKind.AGENCY, case=case)
    ApprovalRequest.objects.create(kind=ApprovalKind.AGENCY, case=case, status=ApprovalStatus.REJECTED)
    ApprovalRequest.objects.create(kind=ApprovalKind.LITIGATION, case=case)


migration = importlib.import_module("collections_app.migrations.0016_approval_one_pending_per_case_kind")


def _old_default_version():
    version = StrategyVersion.objects.create(number=1, status="active", note="v1")
    from collections_app.domain.buckets import DEFAULT_BUCKETS
    from collections_app.models import Bucket

    for b in DEFAULT_BUCKETS:
        Bucket.objects.create(version=version, code=b.code, name=b.code, min_dpd=b.min_dpd, max_dpd=b.max_dpd,
                              position=b.position, risk_weight=b.risk_weight)
    for n, (code, desc, bucket, lo, hi, action, channel, rep, appr, cond) in enumerate(migration.OLD_RULES):
        StrategyRule.objects.create(version=version, code=code, description=desc, bucket=bucket, dpd_min=lo,
                                    dpd_max=hi, action=action, channel=channel, repeat_every_days=rep,
                                    needs_approval=appr, condition=cond, position=n)
    return version


def test_migration_corrects_an_unmodified_stored_default():
    old = _old_default_version()
    migration.correct_default_strategy(django_apps, None)
    old.refresh_from_db()
    new = StrategyVersion.objects.get(status="active")
    assert old.status == "retired" and new.number == 2
    codes = list(new.rules.order_by("position").values_list("code", flat=True))
    from collections_app.services.strategy import DEFAULT_RULES

    assert codes == [r[0] for r in DEFAULT_RULES]
    assert not new.rules.filter(action__in=COLLECTOR_TIME, dpd_max__lte=30).exists()
    assert new.buckets.count() == 7


def test_migration_leaves_a_changed_strategy_alone():
    old = _old_default_version()
    old.rules.filter(code="day4-field-visit").update(description="Day 4: visit the shop")
    migration.correct_default_strategy(django_apps, None)
    assert list(StrategyVersion.objects.values_list("number", "status")) == [(1, "active")]


def test_migration_cancels_repeated_pending_requests(lender):
    borrower = f.BorrowerFactory(lender=lender)
    case = CollectionCase.objects.create(borrower=borrower, lender=lender)
    # before the constraint the run could leave these: simulate with one decided, then reopened by SQL
    first = ApprovalRequest.objects.create(kind=ApprovalKind.FIELD_VISIT, case=case)
    second = ApprovalRequest.objects.create(kind=ApprovalKind.FIELD_VISIT, case=case, status=ApprovalStatus.REJECTED)
    action = CaseAction.objects.create(case=case, kind=ActionKind.FIELD_VISIT, due_on=D(2026, 1, 14),
                                       occurrence_key="x", status=ActionStatus.AWAITING_APPROVAL, approval=second)
    with transaction.atomic():  # the state before the constraint existed, rolled back afterwards
        with connection.cursor() as cursor:  # a partial unique constraint is a unique index
            cursor.execute("DROP INDEX approval_one_pending_per_case_kind")
        ApprovalRequest.objects.filter(id=second.id).update(status=ApprovalStatus.PENDING)
        migration.cancel_repeated_pending(django_apps, None)
        first.refresh_from_db()
        second.refresh_from_db()
        action.refresh_from_db()
        assert first.status == ApprovalStatus.PENDING
        assert second.status == ApprovalStatus.CANCELLED and action.status == "cancelled"  # 0028 maps it to skipped
        transaction.set_rollback(True)
