"""Bulk sends: select cases by filter, preview now / later / not at all with the reasons, send
through Celery (the same rules and cap as one message), safe to run twice; the pages."""
import datetime as dt

import pytest
from django.utils import timezone

from collections_app import models as m
from collections_app.services import campaigns as svc
from tests import factories as f
from tests.messages.conftest import MORNING

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(db, settings):
    """Six cases of one collector's supervisor's team: M1 reachable, M1 with a stop flag, M1 without a
    phone, M2 in a zone where it is night, M3, and one of another lender."""
    settings.BUSINESS_DATE = "2026-03-04"
    supervisor = f.SupervisorFactory(username="sup")
    team = f.TeamFactory(supervisor=supervisor)
    collector = f.CollectorFactory(username="c1", team=team)
    acme = f.LenderFactory(code="acme")
    other = f.LenderFactory(code="other")
    cases = {}
    for name, lender, bucket, dpd, extra in [
        ("ok", acme, "M1", 40, {}), ("stopped", acme, "M1", 45, {"dispute": True}),
        ("nophone", acme, "M1", 50, {}), ("night", acme, "M2", 70, {"timezone": "America/New_York"}),
        ("m3", acme, "M3", 100, {}), ("other", other, "M1", 40, {}),
    ]:
        borrower = f.BorrowerFactory(lender=lender, **extra)
        case = f.CaseFactory(lender=lender, borrower=borrower, bucket=bucket, stage=bucket, dpd=dpd,
                             assigned_to=collector)
        if name != "nophone":
            f.ContactPointFactory(borrower=borrower, is_primary=True)
        cases[name] = case
    return supervisor, cases


def test_the_filter_selects_by_bucket_lender_dpd_and_promise(book):
    supervisor, cases = book
    ids = lambda filters: set(svc.select_cases(user=supervisor, filters=filters).values_list("id", flat=True))  # noqa: E731
    assert ids({"bucket": "M1", "lender": "acme"}) == {cases[k].pk for k in ("ok", "stopped", "nophone")}
    assert ids({"dpd_min": 60, "dpd_max": 100}) == {cases["night"].pk, cases["m3"].pk}
    f.PromiseFactory(case=cases["m3"], promised_date=dt.date(2026, 3, 5))
    assert ids({"promise_due_tomorrow": True}) == {cases["m3"].pk}
    assert ids({}) == {c.pk for c in cases.values()}
    assert not svc.select_cases(user=f.SupervisorFactory(), filters={}).exists()  # not their team


def test_preview_counts_now_later_and_not_at_all_with_reasons(book, django_assert_max_num_queries):
    supervisor, cases = book
    with django_assert_max_num_queries(12):
        counts = svc.preview(user=supervisor, filters={"lender": "acme"}, channel="sms",
                             template_code="polite_reminder", now=MORNING)
    assert counts == {"total": 5, "now": 2, "later": 1, "never": 2,
                      "reasons": {"stop_flag": 1, "no_recipient": 1}}


def test_sending_follows_the_preview_and_is_safe_to_run_twice(book, django_capture_on_commit_callbacks):
    supervisor, cases = book
    with django_capture_on_commit_callbacks(execute=False):
        campaign = svc.start_campaign(user=supervisor, filters={"lender": "acme"}, channel="sms",
                                      template_code="polite_reminder")
    svc.run_campaign(campaign_id=campaign.pk, now=MORNING)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.total, campaign.processed) == ("done", 5, 5)
    assert (campaign.sent_now, campaign.scheduled, campaign.refused) == (2, 1, 2)
    assert campaign.reasons == {"stop_flag": 1, "no_recipient": 1}
    assert m.Message.objects.count() == 3
    m.Campaign.objects.filter(pk=campaign.pk).update(status="running")  # a redelivered task
    svc.run_campaign(campaign_id=campaign.pk, now=MORNING)
    assert m.Message.objects.count() == 3
    night = m.Message.objects.get(case=cases["night"])
    assert night.status == m.MessageStatus.SCHEDULED and night.send_at > MORNING


def test_the_pages_preview_send_and_show_progress(client, book, monkeypatch, django_capture_on_commit_callbacks):
    supervisor, cases = book
    monkeypatch.setattr(timezone, "now", lambda: MORNING)
    client.force_login(cases["ok"].assigned_to)
    assert client.get("/supervisor/campaigns/").status_code == 403
    client.force_login(supervisor)
    page = client.get("/supervisor/campaigns/", {"lender": "acme", "choice": "sms:polite_reminder"}).content.decode()
    assert 'id="pv-total">5<' in page and 'id="pv-later">1<' in page and "Contact stopped" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/supervisor/campaigns/", {"lender": "acme", "choice": "sms:polite_reminder"})
    campaign = m.Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/supervisor/campaigns/{campaign.pk}/"
    progress = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'id="cp-now">2<' in progress and "hx-trigger" not in progress  # done: polling stops
    assert client.get("/supervisor/campaigns/", {"dpd_min": "x", "choice": "sms:polite_reminder"}).status_code == 400
