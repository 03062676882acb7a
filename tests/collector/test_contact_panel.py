"""The "log a contact" panel: one verdict for the chosen number, numbers that may not be called
shown disabled with the reason, the stop-outcome confirmation, the "already happened" offer, note
limits, and the strategy rule shown from its data."""
import datetime as dt
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from collections_app import models as m
from collections_app.selectors.queue import queue_page
from collections_app.services import contacts as svc
from collections_app.services import visits as visit_svc
from tests import factories as f

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
SH = ZoneInfo("Asia/Shanghai")


def at(h, mi=0, day=4):
    return dt.datetime(2026, 3, day, h, mi, tzinfo=SH)


@pytest.fixture
def clock():
    with mock.patch("django.utils.timezone.now", return_value=at(10)) as now:
        yield now


@pytest.fixture
def case(lender, collector):
    c = f.CaseFactory(lender=lender, assigned_to=collector, bucket="M1", stage="M1", dpd=40)
    f.ContactPointFactory(borrower=c.borrower, value="13800001111", is_primary=True)
    return c


@pytest.fixture
def relative(case):
    return f.ContactPointFactory(borrower=case.borrower, value="13900002222", relation="emergency", name="李四")


def verdicts_in(body):
    return body.count('id="call-verdict"')


def test_third_party_refusal_replaces_the_green_verdict(client, case, collector, relative, clock):
    client.force_login(collector)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert verdicts_in(page) == 1 and "A call is allowed now." in page
    # the disabled option cannot be chosen in a browser; a hand-made post is still refused
    r = client.post(f"/cases/{case.pk}/contact/",
                    {"channel": "phone", "outcome": "third_party", "contact_point": relative.pk, "note": "sister"}, **HX)
    body = r.content.decode()
    assert verdicts_in(body) == 1  # swapped out of band over the green one
    verdict = body[body.index('id="call-verdict"'):]
    assert 'hx-swap-oob="true"' in verdict[:400] and 'data-rule="third_party_bucket"' in verdict
    assert "A call is allowed now." not in body
    assert "Nothing was saved." in body and not m.ContactLog.objects.exists()
    assert 'value="sister"' not in body and ">sister</textarea>" in body  # the note is kept


def test_third_party_numbers_are_disabled_with_the_reason_before_m2(client, case, collector, relative, clock):
    client.force_login(collector)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    picker = body[body.index('id="f-cp"'):]
    picker = picker[:picker.index("</select>")]
    assert f'<option value="{relative.pk}" disabled' in picker
    assert "Third parties may be contacted only from bucket M2; this case is in M1." in picker
    own = case.borrower.contact_points.get(relation="self")
    assert f'<option value="{own.pk}" >' in picker
    case.bucket = "M2"
    case.save()
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'<option value="{relative.pk}" disabled' not in body


def test_verdict_follows_the_chosen_number(client, case, collector, relative, clock):
    client.force_login(collector)
    own = client.get(f"/cases/{case.pk}/verdict/", {"contact_point": "", "channel": "phone"}, **HX).content.decode()
    assert "A call is allowed now." in own and verdicts_in(own) == 1
    third = client.get(f"/cases/{case.pk}/verdict/", {"contact_point": relative.pk, "channel": "phone"}, **HX)
    assert 'data-rule="third_party_bucket"' in third.content.decode()
    assert "A call is allowed now." not in third.content.decode()
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'hx-get="/cases/{case.pk}/verdict/"' in body[body.index('id="f-cp"') - 60:]


def test_no_good_time_to_call_outside_contact_hours(case, collector):
    b = case.borrower
    b.preferred_call_start, b.preferred_call_end = dt.time(3, 0), dt.time(5, 0)
    b.save()
    _page, rows = queue_page(collector, now=at(3, 45))
    assert rows[0].verdict.rule == "contact_hours"
    assert not rows[0].good_time
    b.preferred_call_start, b.preferred_call_end = dt.time(9, 0), dt.time(11, 0)
    b.save()
    _page, rows = queue_page(collector, now=at(10))
    assert rows[0].good_time


def test_queue_page_shows_no_good_time_pill_next_to_a_refusal(client, case, collector):
    b = case.borrower
    b.preferred_call_start, b.preferred_call_end = dt.time(3, 0), dt.time(5, 0)
    b.save()
    client.force_login(collector)
    with mock.patch("django.utils.timezone.now", return_value=at(3, 45)):
        body = client.get("/queue/").content.decode()
    assert 'data-rule="contact_hours"' in body
    assert "Good time to call" not in body


def test_stop_outcome_asks_for_confirmation_then_stores(client, case, collector, clock):
    client.force_login(collector)
    url = f"/cases/{case.pk}/contact/"
    r = client.post(url, {"channel": "phone", "outcome": "deceased", "note": "his wife says he died in May"}, **HX)
    body = r.content.decode()
    assert 'id="stop-confirm"' in body and 'name="confirm_stop"' in body
    assert "stops all collection contact" in body
    assert not m.ContactLog.objects.exists()
    assert m.Borrower.objects.get(pk=case.borrower_id).deceased is False
    r = client.post(url, {"channel": "phone", "outcome": "deceased", "note": "his wife says he died in May",
                          "confirm_stop": "1", "stop_reason": "Wife reports death, certificate to follow"}, **HX)
    assert "data-contact-saved" in r.content.decode()
    assert m.Borrower.objects.get(pk=case.borrower_id).deceased is True
    assert m.ApprovalRequest.objects.get(kind="stop_flag").reason == "Wife reports death, certificate to follow"
    body = r.content.decode()
    verdict = body[body.index('id="call-verdict"'):]
    assert 'data-rule="stop_flag"' in verdict[:600]


def test_supervisor_lifts_a_flag_on_the_case_page(client, case, collector, supervisor, clock):
    svc.log_contact(case=case, user=collector, channel="phone", outcome="dispute", now=at(10))
    client.force_login(collector)
    assert "Lift a stop flag" not in client.get(f"/cases/{case.pk}/").content.decode()
    assert client.post(f"/cases/{case.pk}/stop-flags/lift/", {"flag": "dispute", "reason": "x"}).status_code == 404
    client.force_login(supervisor)
    assert "Lift a stop flag" in client.get(f"/cases/{case.pk}/").content.decode()
    r = client.post(f"/cases/{case.pk}/stop-flags/lift/", {"flag": "dispute", "reason": "lender confirmed"})
    assert r.status_code == 302
    assert m.Borrower.objects.get(pk=case.borrower_id).dispute is False


def test_refusal_offers_already_happened_which_records_a_breach(client, case, collector):
    client.force_login(collector)
    url = f"/cases/{case.pk}/contact/"
    with mock.patch("django.utils.timezone.now", return_value=at(3, 45)):
        r = client.post(url, {"channel": "phone", "outcome": "rpc", "note": "he called me back"}, **HX)
        assert 'id="already-happened"' in r.content.decode()
        assert not m.ContactLog.objects.exists()
        r = client.post(url, {"channel": "phone", "outcome": "rpc", "note": "he called me back",
                              "already_happened": "1"}, **HX)
    assert "data-contact-saved" in r.content.decode()
    log = m.ContactLog.objects.get()
    assert log.breach_rule == "contact_hours" and log.note == "he called me back"
    assert m.ApprovalRequest.objects.filter(kind="rule_breach", payload__contact_id=log.pk).exists()


# --- item 4: limits stated, a visit's agreement as a promise --------------------------------------

def test_contact_note_over_the_limit_states_the_limit(case, collector):
    with pytest.raises(ValidationError) as exc:
        svc.log_contact(case=case, user=collector, channel="phone", outcome="rpc", note="x" * 10001, now=at(10))
    (msg,) = exc.value.message_dict["note"]
    assert "at most 10,000 characters" in msg and "10,001" in msg


def test_case_note_over_the_limit_is_refused_with_the_limit_not_cut(client, case, collector):
    client.force_login(collector)
    r = client.post(f"/cases/{case.pk}/notes/", {"text": "y" * 10001}, **HX)
    assert "at most 10,000 characters" in r.content.decode()
    assert r["X-Note-Error"] == "1"
    assert not m.CaseNote.objects.exists()
    r = client.post(f"/cases/{case.pk}/notes/", {"text": "y" * 10000}, **HX)
    assert m.CaseNote.objects.get().text == "y" * 10000


@pytest.fixture
def visit(case, field_agent):
    loan = f.LoanFactory(lender=case.lender, borrower=case.borrower, case=case, dpd=40, bucket="M1",
                         overdue_amount=Decimal("1050.00"), outstanding_amount=Decimal("9000.00"))
    f.InstallmentFactory(loan=loan, seq=1, due_date=dt.date(2026, 1, 20))
    return m.FieldVisit.objects.create(case=case, agent=field_agent, status=m.VisitStatus.APPROVED,
                                       due_on=dt.date(2026, 3, 6))


@pytest.fixture
def field_agent(db):
    return f.FieldAgentFactory()


def test_visit_agreement_with_amount_and_date_becomes_a_promise(visit, field_agent):
    visit_svc.record_visit_result(visit=visit, user=field_agent, met_whom="borrower", place="home",
                                  agreement="pays 500 on the 10th", promise_amount="500", promise_date="2026-03-10",
                                  now=at(15))
    visit.refresh_from_db()
    promise = visit.promise
    assert (promise.amount, promise.promised_date, promise.status) == (Decimal("500.00"), dt.date(2026, 3, 10), "pending")
    assert promise.case == visit.case and promise.created_by == field_agent
    assert m.Borrower.objects.get(pk=visit.case.borrower_id).promises_made == 1


def test_visit_promise_needs_both_and_follows_the_promise_rules(visit, field_agent):
    with pytest.raises(ValidationError) as exc:
        visit_svc.record_visit_result(visit=visit, user=field_agent, met_whom="b", place="home",
                                      promise_amount="500", now=at(15))
    assert "promise_date" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        visit_svc.record_visit_result(visit=visit, user=field_agent, met_whom="b", place="home",
                                      promise_amount="500", promise_date="2026-03-01", now=at(15))
    assert exc.value.message_dict["promise_date"] == ["The promised date cannot be in the past."]
    visit.refresh_from_db()
    assert visit.status == m.VisitStatus.APPROVED and not m.PromiseToPay.objects.exists()


def test_visit_result_form_posts_the_promise(client, visit, field_agent):
    client.force_login(field_agent)
    assert 'name="promise_amount"' in client.get("/visits/").content.decode()
    with mock.patch("django.utils.timezone.now", return_value=at(15)):
        client.post(f"/visits/{visit.pk}/result/", {"met_whom": "borrower", "place": "home", "agreement": "ok",
                                                   "promise_amount": "300.00", "promise_date": "2026-03-12"})
    assert m.PromiseToPay.objects.get().amount == Decimal("300.00")


# --- item 5: the strategy rule from its data, once, in the reader's language ----------------------

@pytest.fixture
def strategy_action(case):
    version = m.StrategyVersion.objects.create(number=990, status=m.StrategyStatus.DRAFT)
    rule = m.StrategyRule.objects.create(version=version, code="m1-sms", description="M1: SMS reminder every 7 days",
                                         bucket="M1", action=m.ActionKind.SMS_REMINDER, repeat_every_days=7)
    return m.CaseAction.objects.create(case=case, rule=rule, rule_code=rule.code, kind=rule.action,
                                       due_on=dt.date(2026, 3, 4), occurrence_key="2026-03-04", note=rule.description)


def test_rule_is_shown_once_from_its_data(client, case, collector, strategy_action, clock):
    client.force_login(collector)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "M1: SMS reminder every 7 days" not in body
    assert body.count("M1: SMS reminder, every 7 days") == 1


@pytest.mark.zh
def test_rule_text_is_chinese_in_the_chinese_ui(client, case, collector, strategy_action, clock):
    client.force_login(collector)
    with translation.override("zh-hans"):
        body = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    why = body[body.index('class="muted why-rule"'):]
    why = why[:why.index("</span>")]
    assert "短信提醒" in why and "SMS reminder" not in why
