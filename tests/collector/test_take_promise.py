"""services.promises.take_promise: the one promise rule, used by contact logging, the API and the case page."""
import datetime as dt
import inspect
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from collections_app import models as m
from collections_app.services import contacts
from collections_app.services import promises as svc
from tests import factories as f

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=SH)
TODAY = NOW.date()


@pytest.fixture
def case(lender, collector):
    return f.CaseFactory(lender=lender, assigned_to=collector, bucket="M1")


def test_take_promise_is_keyword_only():
    params = inspect.signature(svc.take_promise).parameters
    assert {"case", "borrower", "user", "amount", "date", "contact"} <= set(params)
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert params["contact"].default is None


def test_take_promise_stores_counts_and_schedules_the_next_call(case, collector):
    promise = svc.take_promise(case=case, borrower=case.borrower, user=collector, amount=Decimal("300.00"),
                               date=TODAY + dt.timedelta(days=3), now=NOW)
    assert (promise.amount, promise.promised_date, promise.created_by, promise.approval) == (
        Decimal("300.00"), TODAY + dt.timedelta(days=3), collector, None)
    case.borrower.refresh_from_db()
    assert case.borrower.promises_made == 1
    case.refresh_from_db()
    assert case.next_action == m.ActionKind.CALL
    assert case.next_action_at == dt.datetime(2026, 3, 8, 8, 0, tzinfo=SH)  # the day after, at contact start


def test_contact_logging_and_the_api_path_give_the_same_promise(case, collector):
    """The rule in one place: a promise taken while logging a contact is the promise take_promise
    makes, plus the contact it came from (also in the approval's payload)."""
    far = TODAY + dt.timedelta(days=60)
    other = f.CaseFactory(lender=case.lender, assigned_to=collector, bucket="M1")
    direct = svc.take_promise(case=other, borrower=other.borrower, user=collector, amount=Decimal("300.00"),
                              date=far, now=NOW)
    log = contacts.log_contact(case=case, user=collector, channel="phone", outcome="promise",
                               promise_amount="300.00", promise_date=far.isoformat(), now=NOW)
    logged = log.promise_obj
    assert logged.contact == log and direct.contact is None
    for p in (direct, logged):
        assert p.approval.kind == m.ApprovalKind.PROMISE_EXTENSION
        assert p.approval.requested_by == collector
    assert direct.approval.payload == {"amount": "300.00", "promised_date": far.isoformat(), "limit_days": 14}
    assert logged.approval.payload == {**direct.approval.payload, "contact": log.pk}
    for c in (case, other):
        c.borrower.refresh_from_db()
        assert c.borrower.promises_made == 1


def test_take_promise_refuses_bad_input_and_stores_nothing(case, collector):
    m.CollectionCase.objects.filter(pk=case.pk).update(status=m.CaseStatus.CLOSED)
    case.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        svc.take_promise(case=case, borrower=case.borrower, user=collector, amount=Decimal("0"),
                         date=TODAY - dt.timedelta(days=1), now=NOW)
    assert set(exc.value.message_dict) == {"case", "amount", "promised_date"}
    assert not m.PromiseToPay.objects.exists()
