"""A kept plan takes the case out of the call queue except on the reminder days before each plan date;
a broken plan puts it back at the top. The case page shows offers, plans and their history and takes
both through htmx forms."""
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from collections_app.models import CollectionCase, PaymentPlan, PlanStatus
from collections_app.selectors.queue import BAND_PROMISE, queue_cases
from collections_app.services.settlements.plans import propose_plan
from tests import factories as f

from .conftest import make_loan, run_to

D = dt.date
M = Decimal
pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(day):
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=SH)


def in_queue(user, day):
    return {c.pk: c.band for c in queue_cases(user, now=at(day))}


def test_a_kept_plan_leaves_the_queue_but_for_reminders_and_a_broken_one_comes_back_on_top(
        book, collector, lender, settings):
    _loan, case = book
    other = make_loan(lender)
    run_to(D(2026, 2, 15), settings)
    rival = CollectionCase.objects.get(borrower=other.borrower)
    rival.assigned_to = collector
    rival.first_worked_at = rival.last_contact_at = at(D(2026, 2, 14))
    rival.save()
    case.first_worked_at = case.last_contact_at = at(D(2026, 2, 14))
    case.save()
    assert set(in_queue(collector, D(2026, 2, 15))) == {case.pk, rival.pk}
    plan = propose_plan(case=case, user=collector,
                        installments=[(D(2026, 2, 25), M("1000")), (D(2026, 3, 10), M("1000"))])
    assert plan.status == PlanStatus.ACTIVE
    assert case.pk not in in_queue(collector, D(2026, 2, 15))
    # two reminder days before the first date (the default terms), and through its grace
    run_to(D(2026, 2, 22), settings)
    assert case.pk not in in_queue(collector, D(2026, 2, 22))
    run_to(D(2026, 2, 23), settings)
    assert case.pk in in_queue(collector, D(2026, 2, 23))
    f.PaymentFactory(loan=case.loans.get(), paid_on=D(2026, 2, 24), amount=M("1000"))
    run_to(D(2026, 2, 24), settings)
    assert case.pk not in in_queue(collector, D(2026, 2, 24))  # paid: no reminder until the next date
    # the second never paid: broken on 14 March (10 March + 3 days' grace), back at the top
    for day in (D(2026, 3, 13), D(2026, 3, 14)):
        run_to(day, settings)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.BROKEN and plan.ended_on == D(2026, 3, 14)
    queue = queue_cases(collector, now=at(D(2026, 3, 14)))
    assert [c.pk for c in queue][0] == case.pk and queue[0].band == BAND_PROMISE and queue[0].plan_broken
    # spoken to after it broke: back in its normal place
    CollectionCase.objects.filter(pk=case.pk).update(last_contact_at=at(D(2026, 3, 15)))
    assert in_queue(collector, D(2026, 3, 16))[case.pk] != BAND_PROMISE


def test_case_page_shows_and_takes_offers_and_plans(book, collector, client, monkeypatch):
    _loan, case = book
    client.force_login(collector)
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: at(D(2026, 2, 15)))  # the page's day is the book's
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="settlements-card"' in page and 'id="offer-form"' in page and 'id="plan-form"' in page
    r = client.post(f"/cases/{case.pk}/plans/", {"due_date_0": "2026-02-20", "amount_0": "1000",
                                                  "due_date_1": "2026-03-05", "amount_1": "1000"},
                    HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 200 and 'id="open-plan" data-status="active"' in body and "2026-03-05" in body
    assert 'id="offer-form"' not in body  # one negotiation at a time
    plan = PaymentPlan.objects.get()
    r = client.post(f"/cases/{case.pk}/plan/{plan.pk}/cancel/", HTTP_HX_REQUEST="true")
    assert 'data-kind="plan" data-status="cancelled"' in r.content.decode()
    r = client.post(f"/cases/{case.pk}/offers/", {"amount": "5000", "valid_until": "2026-02-28"}, HTTP_HX_REQUEST="true")
    assert 'role="alert"' in r.content.decode()
    r = client.post(f"/cases/{case.pk}/offers/", {"amount": "2700", "valid_until": "2026-02-28"}, HTTP_HX_REQUEST="true")
    assert 'id="open-offer" data-status="active"' in r.content.decode()
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="payoff-today">2700.00' in page and "settlement offer (in full 2950.00)" in page


def test_someone_elses_case_is_404(book, client):
    _loan, case = book
    client.force_login(f.CollectorFactory(username="stranger"))
    assert client.post(f"/cases/{case.pk}/offers/", {"amount": "1", "valid_until": "2026-02-28"}).status_code == 404
