"""The limitation date of a case moves with each demand and acknowledgement, and a lapsed case is
not proposed for litigation (both nightly backends)."""
import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest

from collections_app import models as m
from collections_app.services import contacts
from collections_app.services import nightly as engine
from collections_app.services.limitation import refresh_limitation_dates
from collections_app.services.payments import record_payment
from collections_app.services.promises import take_promise
from collections_app.services.strategy import ensure_default_strategy
from tests import factories as f

from .conftest import at

D = dt.date
pytestmark = pytest.mark.django_db
BACKENDS = pytest.mark.parametrize("force_python", [False, True], ids=["default-backend", "python-backend"])


def limitation(case):
    case.refresh_from_db(fields=["limitation_date"])
    return case.limitation_date


def test_the_date_moves_with_each_demand_and_acknowledgement(case, collector):
    # the engine's run: three years from the day the debt fell overdue
    assert limitation(case) == D(2029, 2, 1)
    # a letter sent is a demand
    contacts.log_contact(case=case, user=collector, channel="letter", outcome="sent", now=at(D(2026, 3, 4)))
    assert limitation(case) == D(2029, 3, 4)
    # an unanswered call and a third party reached are neither
    contacts.log_contact(case=case, user=collector, channel="phone", outcome="no_answer", now=at(D(2026, 3, 5)))
    contacts.log_contact(case=case, user=collector, channel="phone", outcome="third_party", now=at(D(2026, 3, 6)),
                         already_happened=True)
    assert limitation(case) == D(2029, 3, 4)
    # a conversation with the borrower asking for payment is a demand
    contacts.log_contact(case=case, user=collector, channel="phone", outcome="refused", now=at(D(2026, 3, 9)))
    assert limitation(case) == D(2029, 3, 9)
    # a promise to pay acknowledges the debt
    with mock.patch("django.utils.timezone.now", return_value=at(D(2026, 3, 12))):  # its created_at
        take_promise(case=case, borrower=case.borrower, user=collector, amount=Decimal("100"), date=D(2026, 3, 20),
                     now=at(D(2026, 3, 12)))
    assert limitation(case) == D(2029, 3, 12)
    # so does a partial payment (the engine run after it refreshes the date)
    loan = case.loans.get()
    record_payment(loan=loan, external_id="p-1", paid_on=D(2026, 3, 15), amount=Decimal("100"), source="api",
                   as_of=D(2026, 3, 15))
    assert limitation(case) == D(2029, 3, 15)
    # and a signed acknowledgement at a field visit
    m.FieldVisit.objects.create(case=case, status=m.VisitStatus.DONE, visited_at=at(D(2026, 4, 2)),
                                signed_acknowledgement=True)
    refresh_limitation_dates(case_ids=[case.pk])
    assert limitation(case) == D(2029, 4, 2)
    # a visit without a signature does not
    m.FieldVisit.objects.create(case=case, status=m.VisitStatus.DONE, visited_at=at(D(2026, 4, 9)))
    refresh_limitation_dates(case_ids=[case.pk])
    assert limitation(case) == D(2029, 4, 2)


def test_the_period_is_the_lenders(case, collector):
    m.Lender.objects.filter(pk=case.lender_id).update(limitation_years=2)
    refresh_limitation_dates(case_ids=[case.pk])
    assert limitation(case) == D(2028, 2, 1)


def test_a_correction_is_not_an_acknowledgement(case):
    loan = case.loans.get()
    record_payment(loan=loan, external_id="adj-1", paid_on=D(2026, 3, 20), amount=Decimal("10"),
                   source=m.Payment.Source.ADJUSTMENT, as_of=D(2026, 3, 20))
    assert limitation(case) == D(2029, 2, 1)


def test_the_api_shows_the_date(case, collector):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(collector)
    body = client.get(f"/api/cases/{case.pk}/").json()
    assert body["limitation_date"] == "2029-02-01"


def _litigation_rule():
    version = ensure_default_strategy()
    return m.StrategyRule.objects.create(version=version, code="sue", description="sue", position=999,
                                         dpd_min=1, action=m.ActionKind.LITIGATION, needs_approval=True)


def _book(lender, due):
    borrowers = []
    for _ in range(2):
        borrower = f.BorrowerFactory(lender=lender)
        loan = f.LoanFactory(lender=lender, borrower=borrower)
        f.InstallmentFactory(loan=loan, seq=1, due_date=due, principal_due=Decimal("100"))
        borrowers.append(borrower)
    return borrowers


@BACKENDS
def test_a_lapsed_case_is_not_proposed_for_litigation(lender, force_python):
    _litigation_rule()
    m.Lender.objects.filter(pk=lender.pk).update(limitation_years=1)
    lapsed, fresh = _book(lender, D(2025, 1, 10)), _book(lender, D(2025, 12, 10))
    scope = engine.Scope(borrower_ids=tuple(b.id for b in lapsed + fresh))
    engine.process_scope(scope=scope, as_of=D(2026, 2, 1), force_python=force_python)
    cases = m.CollectionCase.objects.filter(borrower__in=lapsed + fresh)
    dates = {c.borrower_id: c.limitation_date for c in cases}
    assert all(dates[b.id] == D(2026, 1, 10) for b in lapsed)
    assert all(dates[b.id] == D(2026, 12, 10) for b in fresh)
    sued = set(m.CaseAction.objects.filter(kind=m.ActionKind.LITIGATION).values_list("case__borrower_id", flat=True))
    assert sued == {b.id for b in fresh}
    assert not m.ApprovalRequest.objects.filter(kind=m.ApprovalKind.LITIGATION, case__borrower__in=lapsed).exists()


@BACKENDS
def test_a_demand_before_the_lapse_keeps_litigation_open(lender, collector, force_python):
    _litigation_rule()
    m.Lender.objects.filter(pk=lender.pk).update(limitation_years=1)
    borrowers = _book(lender, D(2025, 1, 10))
    scope = engine.Scope(borrower_ids=tuple(b.id for b in borrowers))
    engine.process_scope(scope=scope, as_of=D(2025, 12, 1), force_python=force_python)
    m.CaseAction.objects.all().delete()
    m.ApprovalRequest.objects.all().delete()
    case = m.CollectionCase.objects.get(borrower=borrowers[0])
    m.ContactLog.objects.create(case=case, borrower=case.borrower, channel="letter", outcome="sent",
                                occurred_at=at(D(2025, 12, 20)))
    engine.process_scope(scope=scope, as_of=D(2026, 2, 1), force_python=force_python)
    case.refresh_from_db()
    assert case.limitation_date == D(2026, 12, 20)
    sued = set(m.CaseAction.objects.filter(kind=m.ActionKind.LITIGATION).values_list("case_id", flat=True))
    assert sued == {case.pk}


def test_the_next_night_refreshes_the_cases_touched_around_the_services(lender):
    """Rows written around the services (a payment file, a contact stored directly) do not refresh
    their case when written: the next night's run finds them by when they were recorded (since the
    last run started) and moves those cases' dates."""
    paid, called = _book(lender, D(2025, 1, 10))
    first = engine.run_delinquency(as_of=D(2025, 6, 1))
    assert first.status == m.RunStatus.DONE
    paid_case = m.CollectionCase.objects.get(borrower=paid)
    called_case = m.CollectionCase.objects.get(borrower=called)
    assert limitation(paid_case) == limitation(called_case) == D(2028, 1, 10)
    m.Payment.objects.create(lender=lender, loan=paid_case.loans.get(), external_id="file-1", paid_on=D(2025, 6, 2),
                             amount=Decimal("10"), source=m.Payment.Source.IMPORT)
    m.ContactLog.objects.create(case=called_case, borrower=called, channel="phone", outcome="rpc", is_attempt=True,
                                is_conversation=True, occurred_at=at(D(2025, 6, 2)))
    assert limitation(paid_case) == limitation(called_case) == D(2028, 1, 10)  # not refreshed on write
    assert engine.run_delinquency(as_of=D(2025, 6, 3)).status == m.RunStatus.DONE
    assert limitation(paid_case) == D(2028, 6, 2)
    assert limitation(called_case) == D(2028, 6, 2)


def test_the_written_dates_equal_the_rule_on_random_books():
    """On PostgreSQL one statement computes and writes the dates (services.limitation._refresh_in_sql);
    it must give what ``domain.limitation`` gives from the events, in each lender's time zone and
    period, a 29 February included — checked here against the rule applied case by case."""
    import random

    from collections_app.domain import limitation as rule
    from collections_app.domain.compliance import zone
    from collections_app.services.limitation import case_events

    rng = random.Random(20261203)
    lenders = [f.LenderFactory(code="lz-sh", timezone="Asia/Shanghai", limitation_years=3),
               f.LenderFactory(code="lz-ny", timezone="America/New_York", limitation_years=2),
               f.LenderFactory(code="lz-bad", timezone="Not/AZone", limitation_years=0)]
    cases = []
    for _case in range(40):
        lender = rng.choice(lenders)
        case = f.CaseFactory(lender=lender, limitation_date=rng.choice([None, D(2030, 1, 1)]))
        cases.append(case)
        if rng.random() < 0.8:
            f.LoanFactory(lender=lender, borrower=case.borrower, case=case,
                          oldest_unpaid_due_date=rng.choice([D(2024, 2, 29), D(2025, 6, 30), None]))
        for _ in range(rng.randint(0, 3)):
            when = dt.datetime(2026, rng.randint(1, 12), rng.randint(1, 28), rng.choice([0, 15, 23]), 30,
                               tzinfo=dt.UTC)
            kind = rng.choice(["letter", "rpc", "no_answer", "third"])
            m.ContactLog.objects.create(case=case, borrower=case.borrower, occurred_at=when,
                                        channel="letter" if kind == "letter" else "phone",
                                        outcome="sent" if kind == "letter" else ("rpc" if kind != "no_answer"
                                                                                  else "no_answer"),
                                        is_third_party=kind == "third")
        if rng.random() < 0.3:
            m.FieldVisit.objects.create(case=case, status=m.VisitStatus.DONE, signed_acknowledgement=True,
                                        visited_at=dt.datetime(2026, 2, 28, 20, 0, tzinfo=dt.UTC))
        if rng.random() < 0.3 and case.loans.exists():
            f.PaymentFactory(loan=case.loans.first(), paid_on=D(2024, 2, 29),
                             source=rng.choice([m.Payment.Source.IMPORT, m.Payment.Source.ADJUSTMENT]))
    ids = [c.pk for c in cases]
    events = case_events(ids)
    expected = {}
    for case in cases:
        overdue = [loan.oldest_unpaid_due_date for loan in case.loans.all() if loan.oldest_unpaid_due_date]
        tz = zone(case.lender.timezone)
        expected[case.pk] = rule.limitation_date(
            overdue_since=min(overdue) if overdue else None,
            events=[e.astimezone(tz).date() if isinstance(e, dt.datetime) else e for e in events.get(case.pk, [])],
            years=case.lender.limitation_years or 3)
    changed = refresh_limitation_dates(case_ids=ids)
    assert changed == sum(1 for c in cases if expected[c.pk] != c.limitation_date)
    assert dict(m.CollectionCase.objects.filter(pk__in=ids).values_list("pk", "limitation_date")) == expected
    assert refresh_limitation_dates(case_ids=m.CollectionCase.objects.filter(pk__in=ids).values("id")) == 0
