"""/cases/<id>/: visibility, content, the htmx contact form, contact points, notes, visit requests."""
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from collections_app import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def case(lender, collector):
    c = f.CaseFactory(lender=lender, assigned_to=collector, bucket="M2", stage="M2", dpd=70)
    loan = f.LoanFactory(lender=lender, borrower=c.borrower, case=c, external_id="LN-1", dpd=70, bucket="M2")
    f.InstallmentFactory(loan=loan, seq=1, due_date=dt.date(2026, 1, 1))
    f.InstallmentFactory(loan=loan, seq=2, due_date=dt.date(2026, 2, 1))
    f.ContactPointFactory(borrower=c.borrower, value="13800001111", is_primary=True)
    return c


@pytest.fixture
def open_hours(lender):
    """Make 'now' always inside contact hours so page tests do not depend on the clock."""
    lender.contact_start = dt.time(0, 0)
    lender.contact_end = dt.time(23, 59, 59)
    lender.save()
    return lender


def test_it_shows_the_case_to_its_collector_with_masked_phone(client, case, collector):
    client.force_login(collector)
    r = client.get(f"/cases/{case.pk}/")
    assert r.status_code == 200
    body = r.content.decode()
    assert case.borrower.name in body and "LN-1" in body
    assert "138****1111" in body and "13800001111" not in body
    assert f'hx-post="/cases/{case.pk}/contact/"' in body
    assert not m.PersonalDataAccess.objects.exists()


def test_other_collectors_case_is_404(client, case, other_collector):
    client.force_login(other_collector)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.post(f"/cases/{case.pk}/contact/", {"channel": "phone", "outcome": "rpc"}).status_code == 404
    assert client.post(f"/cases/{case.pk}/notes/", {"text": "x"}).status_code == 404
    assert not m.ContactLog.objects.exists() and not m.CaseNote.objects.exists()


def test_supervisor_sees_team_case_in_full_and_access_is_recorded(client, case, supervisor):
    client.force_login(supervisor)
    r = client.get(f"/cases/{case.pk}/")
    assert r.status_code == 200
    assert "13800001111" in r.content.decode()
    assert m.PersonalDataAccess.objects.filter(user=supervisor, borrower=case.borrower).exists()


def test_supervisor_of_another_team_gets_404(client, case):
    stranger = f.SupervisorFactory(username="stranger")
    client.force_login(stranger)
    assert client.get(f"/cases/{case.pk}/").status_code == 404


def test_anonymous_is_sent_to_login(client, case):
    r = client.get(f"/cases/{case.pk}/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_tactics_shown_for_borrower_type(client, case, collector):
    case.borrower.borrower_type = "evasive"
    case.borrower.save()
    client.force_login(collector)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert str(m.BORROWER_TYPE_TACTICS[m.BorrowerType.EVASIVE])[:20] in body


def test_htmx_log_contact_with_promise_updates_timeline_and_offers_next_case(client, case, collector, open_hours):
    nxt = f.CaseFactory(lender=open_hours, assigned_to=collector, overdue_amount=Decimal("10"))
    client.force_login(collector)
    promise_date = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    r = client.post(
        f"/cases/{case.pk}/contact/",
        {"channel": "phone", "outcome": "promise", "promise_amount": "800", "promise_date": promise_date, "note": "will pay"},
        **HX,
    )
    assert r.status_code == 200
    body = r.content.decode()
    assert 'id="timeline" class="timeline" hx-swap-oob="true"' in body
    assert "will pay" in body
    assert f'href="/cases/{nxt.pk}/" id="next-case"' in body
    assert m.PromiseToPay.objects.get(case=case).amount == Decimal("800")


def test_refused_contact_shows_rule_and_stores_nothing(client, case, collector, open_hours):
    case.borrower.cease_contact = True
    case.borrower.save()
    client.force_login(collector)
    r = client.post(f"/cases/{case.pk}/contact/", {"channel": "phone", "outcome": "rpc", "note": "x"}, **HX)
    assert r.status_code == 200
    body = r.content.decode()
    assert 'data-rule="stop_flag"' in body and "refusal" in body
    assert not m.ContactLog.objects.exists()
    # without htmx: the full page with 409
    r = client.post(f"/cases/{case.pk}/contact/", {"channel": "phone", "outcome": "rpc"})
    assert r.status_code == 409


def test_bad_input_shows_errors_and_keeps_values(client, case, collector, open_hours):
    client.force_login(collector)
    r = client.post(
        f"/cases/{case.pk}/contact/",
        {"channel": "phone", "outcome": "promise", "promise_amount": "-3", "promise_date": "2001-01-01", "note": "keep me"},
        **HX,
    )
    body = r.content.decode()
    assert r.status_code == 200 and "keep me" in body and 'class="error"' in body
    assert not m.ContactLog.objects.exists()
    r = client.post(f"/cases/{case.pk}/contact/", {"channel": "phone", "outcome": "rpc", "contact_point": "999999"}, **HX)
    assert r.status_code == 200 and not m.ContactLog.objects.exists()


def test_mark_number_wrong_and_add_number(client, case, collector):
    cp = case.borrower.contact_points.get()
    client.force_login(collector)
    r = client.post(f"/cases/{case.pk}/contact-points/{cp.pk}/status/", {"status": "wrong"}, **HX)
    assert r.status_code == 200
    cp.refresh_from_db()
    assert cp.status == "wrong"
    r = client.post(f"/cases/{case.pk}/contact-points/", {"kind": "phone", "relation": "self", "value": "139 0000 2222"}, **HX)
    assert r.status_code == 200
    new = m.ContactPoint.objects.get(value="13900002222")
    assert (new.source, new.created_by) == ("collector", collector)
    r = client.post(f"/cases/{case.pk}/contact-points/", {"kind": "phone", "relation": "self", "value": "13900002222"}, **HX)
    assert "already recorded" in r.content.decode()
    assert m.ContactPoint.objects.filter(value="13900002222").count() == 1
    other = f.ContactPointFactory()
    assert client.post(f"/cases/{case.pk}/contact-points/{other.pk}/status/", {"status": "wrong"}).status_code == 404


def test_add_note_returns_timeline(client, case, collector):
    client.force_login(collector)
    r = client.post(f"/cases/{case.pk}/notes/", {"text": "Borrower travelling until Friday"}, **HX)
    assert r.status_code == 200 and "Borrower travelling until Friday" in r.content.decode()
    assert m.CaseNote.objects.get(case=case).author == collector


def test_request_visit_by_collector_needs_approval(client, case, collector):
    agent = f.FieldAgentFactory(username="agent1")
    client.force_login(collector)
    r = client.post(f"/cases/{case.pk}/visit/", {"agent": agent.pk, "reason": "no answer for a week"}, **HX)
    assert r.status_code == 200
    visit = m.FieldVisit.objects.get(case=case)
    assert visit.status == "requested" and visit.agent == agent
    approval = m.ApprovalRequest.objects.get(case=case)
    assert approval.kind == "field_visit" and approval.payload["visit_id"] == visit.pk
    # a second request while one is open is refused with a message
    r = client.post(f"/cases/{case.pk}/visit/", {}, **HX)
    assert 'class="error"' in r.content.decode()
    assert m.FieldVisit.objects.filter(case=case).count() == 1


def test_timeline_merges_sources_newest_first(client, case, collector):
    now = timezone.now()
    f.ContactLogFactory(case=case, occurred_at=now - dt.timedelta(days=2), note="old call")
    m.CaseNote.objects.create(case=case, author=collector, text="fresh note")
    loan = case.loans.get()
    m.BucketHistory.objects.create(
        loan=loan, lender=case.lender, on_date=timezone.localdate() - dt.timedelta(days=1), from_bucket="M1",
        to_bucket="M2", dpd=61,
    )
    client.force_login(collector)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert body.index("fresh note") < body.index("M1 → M2") < body.index("old call")


def test_schedule_shows_what_the_payments_paid(client, case, collector):
    loan = case.loans.get()
    f.PaymentFactory(loan=loan, paid_on=dt.date(2026, 1, 1), amount=Decimal("1050.00"))
    f.PaymentFactory(loan=loan, paid_on=dt.date(2026, 1, 20), amount=Decimal("300.00"))
    client.force_login(collector)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    rows = [" ".join(r.split()) for r in body.split('<table class="schedule">')[1].split("</tbody>")[0].split("<tr")[2:]]
    assert rows[0].startswith('class="paid"><td>1</td>') and "<td class=\"num\">1050.00</td>" in rows[0]
    assert rows[1].startswith('class="late"><td>2</td>') and "<td class=\"num\">300.00</td>" in rows[1]


def test_number_picker_is_refreshed_when_a_number_is_marked_wrong(client, case, collector):
    wrong = case.borrower.contact_points.get()
    kept = f.ContactPointFactory(borrower=case.borrower, value="13900003333")
    client.force_login(collector)
    r = client.post(f"/cases/{case.pk}/contact-points/{wrong.pk}/status/",
                    {"status": "wrong", "contact_point": str(kept.pk)}, **HX)
    body = r.content.decode()
    picker = body[body.index('<select name="contact_point" id="f-cp" hx-swap-oob="true"'):]
    picker = picker[:picker.index("</select>")]
    # the wrong number can no longer be chosen at once: shown disabled, with the reason
    assert f'<option value="{wrong.pk}" disabled data-blocked="Wrong number / address">' in picker
    assert f'<option value="{kept.pk}" selected>' in picker  # the chosen number stays chosen
    r = client.post(f"/cases/{case.pk}/contact-points/", {"kind": "phone", "relation": "self", "value": "13900004444"}, **HX)
    new = m.ContactPoint.objects.get(value="13900004444")
    assert f'<option value="{new.pk}"' in r.content.decode().split('id="f-cp" hx-swap-oob="true"')[1]


def test_full_page_has_no_out_of_band_picker(client, case, collector):
    client.force_login(collector)
    assert "hx-swap-oob" not in client.get(f"/cases/{case.pk}/").content.decode()


@pytest.mark.zh
def test_payment_channel_code_is_translated_in_the_timeline(client, case, collector):
    collector.language = "zh-hans"
    collector.save()
    loan = case.loans.get()
    m.Payment.objects.create(loan=loan, lender=loan.lender, external_id="VISIT-1", paid_on=dt.date(2026, 3, 1),
                             amount=Decimal("100.00"), channel="cash", source=m.Payment.Source.FIELD)
    m.Payment.objects.create(loan=loan, lender=loan.lender, external_id="P-2", paid_on=dt.date(2026, 3, 2),
                             amount=Decimal("50.00"), channel="支付宝")
    client.force_login(collector)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "LN-1 现金" in body and "LN-1 支付宝" in body
    assert "LN-1 cash" not in body


def test_taking_a_promise_updates_the_promises_card_without_a_reload(client, case, collector, open_hours):
    f.PromiseFactory(case=case, amount=Decimal("300.00"), promised_date=timezone.localdate() + dt.timedelta(days=1))
    client.force_login(collector)
    promise_date = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    r = client.post(
        f"/cases/{case.pk}/contact/",
        {"channel": "phone", "outcome": "promise", "promise_amount": "1234.5", "promise_date": promise_date},
        **HX,
    )
    assert r.status_code == 200
    body = r.content.decode()
    card = body[body.index('<div class="card" id="promises-card" hx-swap-oob="true">'):]
    card = card[:card.index("</div>")]
    # the new promise first, pending, with 2 decimals; the one it replaced below it
    assert card.index('data-status="pending">' + promise_date + " · 1234.50") < card.index(
        'data-status="replaced">')
    assert "300.00" in card
    # a contact without a promise leaves the card alone
    r = client.post(f"/cases/{case.pk}/contact/", {"channel": "sms", "outcome": "no_answer"}, **HX)
    assert "promises-card" not in r.content.decode()


def test_money_on_the_case_page_has_two_decimals(client, case, collector):
    f.PromiseFactory(case=case, amount=Decimal("439.83"))
    client.force_login(collector)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="promises-card"' in body and "hx-swap-oob" not in body.split('id="promises-card"')[1][:30]
    assert "· 439.83 " in body
    assert "<td class=\"num\">1050.00</td>" in body  # an installment's amount


def test_a_closed_case_offers_no_contact_or_visit_and_says_why(client, lender, collector):
    """A closed case is kept for the record: no call verdict, contact form or visit request, and the
    page says when and why it closed instead of a stage and bucket."""
    case = f.CaseFactory(lender=lender, assigned_to=collector)
    m.CollectionCase.objects.filter(pk=case.pk).update(
        status=m.CaseStatus.CLOSED, close_reason=m.CaseCloseReason.CURED, closed_at=timezone.now(), bucket="CURRENT")
    client.force_login(collector)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="case-closed"' in html and "Cured" in html
    assert 'id="contact-form"' not in html and 'id="visit-form"' not in html
    assert "A call is allowed now" not in html and "bucket CURRENT" not in html


def test_htmx_save_returns_the_number_picker_inside_the_panel_not_out_of_band(client, case, collector, open_hours):
    """The saved panel carries its own number picker: marked out-of-band, htmx took it out of the
    panel before swapping, and the collector found an empty "Number / contact" after each save."""
    client.force_login(collector)
    body = client.post(f"/cases/{case.pk}/contact/", {"channel": "phone", "outcome": "no_answer"}, **HX).content.decode()
    panel = body[body.index('<div id="contact-panel">'):body.index("</form>")]
    start = panel.index('id="f-cp"')
    picker = panel[start:panel.index("</select>", start)]
    assert "hx-swap-oob" not in picker
    assert "13800001111"[-4:] in picker  # the borrower's number is offered again
