"""The daily message cap holds under simultaneous requests: real threads, real PostgreSQL row locks
(the cap is checked and the message stored under the borrower's lock, as for calls)."""
import pytest
from django.db import connection
from django.utils import timezone

from collections_app import models as m
from collections_app.services import messages as svc
from collections_app.services.contacts import ContactRefused
from tests import factories as f
from tests.collector.test_contact_caps_concurrency import MORNING, run_together  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: MORNING)


def test_simultaneous_messages_stop_exactly_at_the_cap(clock):
    lender = f.LenderFactory(code="msgrace", max_messages_per_day=2)
    user = f.CollectorFactory(username="msgracer")
    cases = []
    for _i in range(5):
        case = f.CaseFactory(lender=lender, assigned_to=user)
        f.ContactPointFactory(borrower=case.borrower, is_primary=True)
        cases.append(case)
    if not m.MessageTemplate.objects.filter(code="polite_reminder").exists():  # flushed by an earlier test
        m.MessageTemplate.objects.create(code="polite_reminder", channel="sms", language="zh-hans", name="r",
                                         body="{{ borrower_name }}，请还款。")
    threads = 8

    def work_for(case):
        def work():
            try:
                svc.plan_message(case=m.CollectionCase.objects.select_related("lender", "borrower").get(pk=case.pk),
                                 user=user, channel="sms", template_code="polite_reminder")
                return "planned"
            except ContactRefused as refused:
                return refused.rule
            finally:
                connection.close()
        return work

    runs = [sorted(run_together(threads, work_for(case))) for case in cases]
    assert [m.Message.objects.filter(case=case).count() for case in cases] == [2] * len(cases)
    assert runs == [["message_cap"] * (threads - 2) + ["planned"] * 2] * len(cases)
