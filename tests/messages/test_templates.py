"""Templates as data: save-time checks (admin form, API), choosing the template that fits a case,
placeholders filled with the debt as of the sending day, versions, the shipped templates."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from collections_app import models as m
from collections_app.domain import message_templates as texts
from collections_app.formats import format_money
from collections_app.selectors.payoff import case_payoff_amount
from collections_app.services import message_templates as svc
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_fresh_install_ships_a_polite_sms_reminder_in_both_languages():
    shipped = set(m.MessageTemplate.objects.filter(code="polite_reminder", channel="sms", lender=None)
                  .values_list("language", flat=True))
    assert shipped == {"zh-hans", "en"}


def test_every_shipped_template_passes_the_checks_and_has_a_first_version():
    for template in m.MessageTemplate.objects.all():
        assert svc.template_errors(channel=template.channel, subject=template.subject, body=template.body) == {}
        assert svc.current_version(template) is not None, template.code


def test_save_refuses_a_false_threat_and_an_unknown_placeholder(admin_user):
    template = m.MessageTemplate(code="threat", channel="sms", language="en", name="Threat",
                                 body="Pay {{ overdue_amount }} or the police will arrest you. {{ shoe_size }}")
    with pytest.raises(ValidationError) as err:
        svc.save_template(template=template, user=admin_user)
    text = " ".join(err.value.message_dict["body"])
    assert "Arrest or the police" in text and "shoe_size" in text
    assert not m.MessageTemplate.objects.filter(code="threat").exists()


def test_each_save_is_a_version_with_who_changed_it(admin_user):
    template = svc.save_template(template=m.MessageTemplate(code="t1", channel="sms", language="en", name="T",
                                                            body="Hello {{ borrower_name }}"), user=admin_user)
    first = svc.current_version(template)
    template.body = "Hello again {{ borrower_name }}"
    svc.save_template(template=template, user=admin_user)
    versions = list(template.history.order_by("history_id"))
    assert [v.body for v in versions] == ["Hello {{ borrower_name }}", "Hello again {{ borrower_name }}"]
    assert all(v.history_user_id == admin_user.pk for v in versions)
    assert svc.current_version(template) > first


def test_the_admin_form_refuses_a_false_threat(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/admin/collections_app/messagetemplate/add/", {
        "code": "bad", "channel": "sms", "stage": "any", "language": "zh-hans", "name": "坏",
        "body": "不还款将冻结您家人的银行账户", "is_active": "on",
    })
    assert response.status_code == 200  # the form again, with the error
    assert "false threat" in response.content.decode()
    assert not m.MessageTemplate.objects.filter(code="bad").exists()
    response = client.post("/admin/collections_app/messagetemplate/add/", {
        "code": "good", "channel": "sms", "stage": "any", "language": "zh-hans", "name": "好",
        "body": "{{ borrower_name }}您好，请尽快还款。", "is_active": "on",
    })
    assert response.status_code == 302
    assert m.MessageTemplate.objects.get(code="good").history.get().history_user == admin_user


def test_api_lists_templates_by_channel_and_refuses_threats(admin_user):
    api = APIClient()
    api.force_authenticate(f.CollectorFactory())
    rows = api.get("/api/templates/?channel=sms").json()["results"]
    assert {(r["code"], r["language"]) for r in rows} >= {("polite_reminder", "zh-hans"), ("polite_reminder", "en")}
    assert all(r["channel"] == "sms" and r["name"] for r in rows)
    assert api.post("/api/templates/", {"code": "x", "channel": "sms", "language": "en", "name": "x", "body": "hi"},
                    format="json").status_code == 403
    api.force_authenticate(admin_user)
    bad = api.post("/api/templates/", {"code": "x", "channel": "sms", "language": "en", "name": "x",
                                       "body": "You will be fined."}, format="json")
    assert bad.status_code == 400 and "false threat" in str(bad.json()["body"])
    good = api.post("/api/templates/", {"code": "x", "channel": "sms", "language": "en", "name": "x",
                                        "body": "Hello {{ borrower_name }}."}, format="json")
    assert good.status_code == 201
    assert m.MessageTemplate.objects.get(code="x").history.get().history_user == admin_user


def test_the_template_that_fits_best_is_chosen(msg_case):
    lender_specific = m.MessageTemplate.objects.create(code="polite_reminder", channel="sms", lender=msg_case.lender,
                                                       stage="any", language="zh-hans", name="A", body="A")
    stage_specific = m.MessageTemplate.objects.create(code="polite_reminder", channel="sms", lender=msg_case.lender,
                                                      stage="M1", language="zh-hans", name="B", body="B")
    assert svc.select_template(code="polite_reminder", case=msg_case) == stage_specific
    msg_case.stage = "M3"
    assert svc.select_template(code="polite_reminder", case=msg_case) == lender_specific
    msg_case.borrower.preferred_language = "en"
    chosen = svc.select_template(code="polite_reminder", case=msg_case)
    assert chosen.language == "en" and chosen.lender is None
    assert svc.select_template(code="nope", case=msg_case) is None


def test_placeholders_carry_the_debt_as_of_the_sending_day(msg_case):
    day = dt.date(2026, 3, 4)
    values = svc.template_values(case=msg_case, on_date=day)
    assert values["borrower_name"] == msg_case.borrower.name
    assert values["payment_account"] == "ICBC 6222 0000 1111"
    assert values["collector_name"] == "Li Ming"
    assert values["collector_phone"] == "400-800-1234 ext. 8021"
    assert values["overdue_amount"] == format_money(Decimal("1050.00"))
    assert values["payoff_amount"] == format_money(case_payoff_amount(msg_case, day))
    later = svc.template_values(case=msg_case, on_date=day + dt.timedelta(days=10))
    # penalty interest grows day by day on the overdue principal (0.05 % a day)
    assert Decimal(later["penalty"]) - Decimal(values["penalty"]) == Decimal("5.00")
    assert set(values) == set(texts.PLACEHOLDERS)


def test_rendering_fills_known_placeholders():
    assert texts.render("Hi {{borrower_name}}, {{ dpd }} days", {"borrower_name": "王", "dpd": "3"}) == "Hi 王, 3 days"
    assert texts.states_debt("{{ payoff_amount }}") and not texts.states_debt("Call {{ collector_phone }}")
