"""The dashboard's figures computed off the request and kept (services.dashboard_cache): what a
supervisor sees the first time, while new figures are computed, and when a computation fails."""
import datetime as dt
import uuid
from decimal import Decimal as D

import pytest
from django.urls import reverse

from collections_app.selectors import dashboard as dash
from collections_app.services import dashboard_cache
from collections_app.tasks import dashboard as task_module
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _kept_for_five_minutes(settings, monkeypatch):
    settings.DASHBOARD_FRESH_SECONDS = 300
    # a namespace of this test's own (on Redis the cache is shared with the other tests: not cleared)
    monkeypatch.setattr(dashboard_cache, "VERSION", f"test-{uuid.uuid4().hex}")


@pytest.fixture
def book(lender, team, collector):
    today = dt.date.today()
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=team, bucket="M1", overdue_amount=D("500.00"))
    loan = f.LoanFactory(lender=lender, borrower=case.borrower, case=case)
    f.InstallmentFactory(loan=loan, seq=1, due_date=today - dt.timedelta(days=40), principal_due=D("800.00"),
                         interest_due=D("0"))
    f.PaymentFactory(loan=loan, paid_on=today, amount=D("300.00"))
    return loan


@pytest.fixture
def queued(monkeypatch):
    """A real broker without a worker yet: ``delay`` records the request instead of running it."""
    calls = []
    monkeypatch.setattr(task_module.compute_dashboard, "delay", lambda *args: calls.append(args))
    return calls


def _get(client, **params):
    return client.get(reverse("supervisor_dashboard"), params)


def test_kept_figures_are_shown_until_refresh_then_recomputed(client, supervisor, team, book):
    client.force_login(supervisor)
    first = _get(client, team=team.id).content.decode()
    assert "300.00" in first and 'id="dashboard-freshness"' in first and "refresh=1" in first
    f.PaymentFactory(loan=book, paid_on=dt.date.today(), amount=D("45.00"))
    kept = _get(client, team=team.id).content.decode()
    assert "300.00" in kept and "345.00" not in kept  # younger than DASHBOARD_FRESH_SECONDS: not recomputed
    fresh = _get(client, team=team.id, refresh="1").content.decode()
    assert "345.00" in fresh


def test_figures_older_than_the_freshness_limit_are_recomputed(client, supervisor, team, book, settings):
    client.force_login(supervisor)
    _get(client, team=team.id)
    f.PaymentFactory(loan=book, paid_on=dt.date.today(), amount=D("45.00"))
    settings.DASHBOARD_FRESH_SECONDS = 0
    assert "345.00" in _get(client, team=team.id).content.decode()


def test_first_visit_with_a_broker_shows_a_page_that_reloads_and_asks_once(client, supervisor, team, book, queued):
    client.force_login(supervisor)
    response = _get(client, team=team.id)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="dashboard-pending"' in body and 'http-equiv="refresh"' in body and "300.00" not in body
    _get(client, team=team.id)  # a second visit (or a second supervisor tab) while it computes
    assert len(queued) == 1
    user_id, filters = queued[0]
    assert user_id == supervisor.pk and filters["team_id"] == team.id
    task_module.compute_dashboard(user_id, filters)  # the worker runs it
    body = _get(client, team=team.id).content.decode()
    assert "300.00" in body and 'id="dashboard-pending"' not in body


def test_kept_figures_stay_on_the_page_while_new_ones_are_computed(client, supervisor, team, book, queued, settings):
    client.force_login(supervisor)
    _get(client, team=team.id)
    task_module.compute_dashboard(*queued[0])
    settings.DASHBOARD_FRESH_SECONDS = 0
    body = _get(client, team=team.id).content.decode()
    assert "300.00" in body and "New figures are being computed" in body and len(queued) == 2


def test_each_supervisor_and_each_set_of_filters_has_its_own_figures(client, supervisor, team, book, queued):
    other = f.SupervisorFactory()
    client.force_login(supervisor)
    _get(client, team=team.id)
    task_module.compute_dashboard(*queued[0])
    client.force_login(other)
    assert 'id="dashboard-pending"' in _get(client).content.decode()
    client.force_login(supervisor)
    assert 'id="dashboard-pending"' in _get(client, team=team.id, collector=book.case.assigned_to_id).content.decode()
    assert len(queued) == 3


def test_a_failed_computation_says_why_and_offers_to_try_again(client, supervisor, team, book, queued, monkeypatch):
    client.force_login(supervisor)
    _get(client, team=team.id)

    def broken(*args, **kwargs):
        raise RuntimeError("statement timeout")

    monkeypatch.setattr(dash, "dashboard", broken)
    with pytest.raises(RuntimeError):
        task_module.compute_dashboard(*queued[0])
    body = _get(client, team=team.id).content.decode()
    assert "Computing the figures failed: statement timeout" in body
    assert 'http-equiv="refresh"' not in body and "refresh=1" in body
    assert len(queued) == 2  # the lock was released: the visit asked again


def test_the_task_is_safe_to_deliver_twice(supervisor, team, book):
    filters = dash.DashboardFilters.month_to_date(team_id=team.id)
    payload = dashboard_cache.filters_to_dict(filters)
    assert dashboard_cache.filters_from_dict(payload) == filters
    task_module.compute_dashboard(supervisor.pk, payload)
    task_module.compute_dashboard(supervisor.pk, payload)
    snap = dashboard_cache.snapshot(supervisor, filters)
    assert snap.dashboard.summary["collected"] == D("300.00") and not snap.refreshing and not snap.error


def test_no_broker_is_a_message_not_a_500(client, supervisor, team, book, monkeypatch):
    def down(*args):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(task_module.compute_dashboard, "delay", down)
    client.force_login(supervisor)
    response = _get(client, team=team.id)
    assert response.status_code == 200 and "Error 111" in response.content.decode()
