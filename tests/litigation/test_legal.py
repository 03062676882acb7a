"""Litigation: opened through approval, stages forward only and on the timeline, costs never
negative and listed per lender and month, documents served only to those who see the case;
recoveries after write-off reported apart."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from collections_app import models as m
from collections_app.domain.legal import ORDER, can_move
from collections_app.selectors.case_page import timeline
from collections_app.selectors.legal import legal_costs_by_lender_month, write_off_recoveries
from collections_app.services import legal as svc
from collections_app.services.approvals import decide, request_approval
from tests import factories as f

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def business_day(settings, tmp_path):
    settings.BUSINESS_DATE = TODAY.isoformat()
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def people(db):
    sup = f.SupervisorFactory(username="lsup")
    team = f.TeamFactory(supervisor=sup)
    col = f.CollectorFactory(username="lcol", team=team)
    return {"sup": sup, "col": col, "admin": f.AdminFactory(username="ladmin"), "team": team}


def open_legal(people, case=None):
    case = case or f.CaseFactory(assigned_to=people["col"], team=people["team"])
    approval = svc.request_litigation(case=case, user=people["col"], court="朝阳区人民法院", reason="M4+")
    assert not m.LegalCase.objects.filter(case=case).exists()
    decide(approval=approval, user=people["sup"], approve=True)
    return m.LegalCase.objects.get(case=case)


def test_stage_order_is_forward_only():
    for i, a in enumerate(ORDER):
        for j, b in enumerate(ORDER):
            assert can_move(a, b) == (a != m.LegalStage.CLOSED and j > i)


def test_opened_through_approval_and_each_stage_on_the_timeline(people):
    legal = open_legal(people)
    assert (legal.stage, legal.court, legal.opened_on) == (m.LegalStage.PREPARED, "朝阳区人民法院", TODAY)
    svc.change_stage(legal_case=legal, user=people["sup"], stage=m.LegalStage.FILED, on=TODAY,
                     case_number="(2026)京0105民初1号")
    svc.change_stage(legal_case=legal, user=people["sup"], stage=m.LegalStage.JUDGEMENT, on=TODAY)
    legal.refresh_from_db()
    assert (legal.stage, legal.filed_on, legal.judgement_on, legal.hearing_on) == ("judgement", TODAY, TODAY, None)
    with pytest.raises(ValidationError):
        svc.change_stage(legal_case=legal, user=people["sup"], stage=m.LegalStage.FILED)
    with pytest.raises(PermissionDenied):
        svc.change_stage(legal_case=legal, user=people["col"], stage=m.LegalStage.ENFORCEMENT)
    labels = [i.label for i in timeline(legal.case) if i.kind == "legal"]
    assert labels == ["Litigation: Judgement", "Litigation: Filed (立案)", "Litigation: Prepared"] or \
        sorted(labels) == sorted(["Litigation: Judgement", "Litigation: Filed (立案)", "Litigation: Prepared"])
    with pytest.raises(ValidationError):
        svc.request_litigation(case=legal.case, user=people["col"])  # one open legal case


def test_rejected_litigation_opens_nothing(people):
    case = f.CaseFactory(assigned_to=people["col"], team=people["team"])
    approval = svc.request_litigation(case=case, user=people["col"])
    decide(approval=approval, user=people["sup"], approve=False, note="not worth it")
    assert not m.LegalCase.objects.exists()


def test_strategy_litigation_proposal_opens_a_legal_case_too(people):
    case = f.CaseFactory(assigned_to=people["col"], team=people["team"])
    approval = request_approval(kind=m.ApprovalKind.LITIGATION, case=case, user=None, payload={"rule": "x"})
    decide(approval=approval, user=people["sup"], approve=True)
    assert m.LegalCase.objects.filter(case=case, stage=m.LegalStage.PREPARED).exists()


def test_costs_are_never_negative_and_listed_per_lender_and_month(people):
    legal = open_legal(people)
    with pytest.raises(ValidationError):
        svc.add_cost(legal_case=legal, user=people["sup"], kind="court_fee", amount="-1", incurred_on=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        m.LegalCost.objects.create(legal_case=legal, kind="court_fee", amount=Decimal("-0.01"), incurred_on=TODAY)
    svc.add_cost(legal_case=legal, user=people["sup"], kind="court_fee", amount="350.00", incurred_on=TODAY)
    svc.add_cost(legal_case=legal, user=people["sup"], kind="lawyer_fee", amount="1200.50",
                 incurred_on=dt.date(2026, 5, 31))
    rows = legal_costs_by_lender_month(people["sup"], dt.date(2026, 1, 1), TODAY)
    lender = legal.case.lender.name
    assert rows == [{"lender": lender, "month": dt.date(2026, 5, 1), "costs": 1, "total": Decimal("1200.50")},
                    {"lender": lender, "month": dt.date(2026, 6, 1), "costs": 1, "total": Decimal("350.00")}]
    assert legal_costs_by_lender_month(f.SupervisorFactory(), dt.date(2026, 1, 1), TODAY) == []


def test_documents_are_checked_stored_privately_and_served_to_who_sees_the_case(client, people):
    legal = open_legal(people)
    bad = SimpleUploadedFile("judgement.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    with pytest.raises(ValidationError):
        svc.add_document(legal_case=legal, user=people["sup"], title="x", upload=bad)
    good = SimpleUploadedFile("judgement.pdf", b"%PDF-1.4 demo", content_type="application/pdf")
    doc = svc.add_document(legal_case=legal, user=people["sup"], title="判决书", upload=good)
    client.force_login(people["col"])
    response = client.get(f"/legal-documents/{doc.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert m.PersonalDataAccess.objects.filter(what="legal document", user=people["col"]).exists()
    client.force_login(f.CollectorFactory(username="stranger"))
    assert client.get(f"/legal-documents/{doc.pk}/").status_code == 404


def test_recoveries_after_write_off_are_reported_apart(people):
    case = f.CaseFactory(assigned_to=people["col"], team=people["team"])
    loan = f.LoanFactory(lender=case.lender, borrower=case.borrower, case=case)
    f.PaymentFactory(loan=loan, paid_on=dt.date(2026, 5, 1), amount=Decimal("100.00"))  # before the write-off
    approval = request_approval(kind=m.ApprovalKind.WRITE_OFF, case=case, user=people["col"])
    decide(approval=approval, user=people["sup"], approve=True)
    m.ApprovalRequest.objects.filter(pk=approval.pk).update(
        decided_at=dt.datetime(2026, 5, 10, 9, 0, tzinfo=dt.UTC))
    f.PaymentFactory(loan=loan, paid_on=dt.date(2026, 5, 10), amount=Decimal("40.00"))
    f.PaymentFactory(loan=loan, paid_on=dt.date(2026, 6, 2), amount=Decimal("60.00"))
    rows = write_off_recoveries(people["sup"], dt.date(2026, 1, 1), TODAY)
    assert rows == [
        {"lender": case.lender.name, "month": dt.date(2026, 5, 1), "payments": 1, "total": Decimal("40.00")},
        {"lender": case.lender.name, "month": dt.date(2026, 6, 1), "payments": 1, "total": Decimal("60.00")},
    ]


def test_legal_page_and_exports(client, people):
    legal = open_legal(people)
    svc.add_cost(legal_case=legal, user=people["sup"], kind="court_fee", amount="350.00", incurred_on=TODAY)
    client.force_login(people["sup"])
    page = client.get("/supervisor/legal/")
    assert page.status_code == 200 and "350.00" in page.content.decode()
    csv = client.get("/supervisor/legal/?table=costs&export=csv").content.decode("utf-8-sig")
    assert "2026-06" in csv and "350.00" in csv
    assert client.get("/supervisor/legal/?table=recoveries&export=xlsx").content[:2] == b"PK"


def test_legal_api(people):
    case = f.CaseFactory(assigned_to=people["col"], team=people["team"])
    col, sup = APIClient(), APIClient()
    col.force_authenticate(people["col"])
    sup.force_authenticate(people["sup"])
    response = col.post(f"/api/cases/{case.pk}/legal-cases/", {"court": "法院", "reason": "M4+"}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "pending_approval"
    decide(approval=m.ApprovalRequest.objects.get(pk=response.json()["approval"]), user=people["sup"], approve=True)
    legal_id = col.get(f"/api/cases/{case.pk}/legal-cases/").json()[0]["id"]
    moved = sup.post(f"/api/legal-cases/{legal_id}/stage/", {"stage": "filed", "case_number": "A-1"}, format="json")
    assert moved.status_code == 200 and moved.json()["stage"] == "filed" and moved.json()["case_number"] == "A-1"
    assert [c["to_stage"] for c in moved.json()["stage_changes"]] == ["prepared", "filed"]
    back = sup.post(f"/api/legal-cases/{legal_id}/stage/", {"stage": "prepared"}, format="json")
    assert back.status_code == 400
    assert col.post(f"/api/legal-cases/{legal_id}/stage/", {"stage": "hearing"}, format="json").status_code == 403
    cost = sup.post(f"/api/legal-cases/{legal_id}/costs/", {"kind": "court_fee", "amount": "-5",
                                                            "incurred_on": "2026-06-01"}, format="json")
    assert cost.status_code == 400
    cost = sup.post(f"/api/legal-cases/{legal_id}/costs/", {"kind": "court_fee", "amount": "350.00",
                                                            "incurred_on": "2026-06-01"}, format="json")
    assert cost.status_code == 201 and cost.json()["amount"] == "350.00"
    other = APIClient()
    other.force_authenticate(f.CollectorFactory(username="other"))
    assert other.get(f"/api/cases/{case.pk}/legal-cases/").status_code == 404
    assert other.post(f"/api/legal-cases/{legal_id}/costs/", {"kind": "court_fee", "amount": "1",
                                                              "incurred_on": "2026-06-01"}, format="json").status_code == 404


def test_case_page_card_moves_a_stage_adds_a_cost_and_a_document(client, people):
    legal = open_legal(people)
    client.force_login(people["sup"])
    page = client.get(f"/cases/{legal.case_id}/").content.decode()
    assert "Record a stage" in page and "Prepared" in page
    response = client.post(f"/legal-cases/{legal.pk}/stage/", {"stage": "filed", "on": TODAY.isoformat(),
                                                               "case_number": "(2026)1号"})
    assert response.status_code == 302
    client.post(f"/legal-cases/{legal.pk}/costs/", {"kind": "court_fee", "amount": "88.50",
                                                    "incurred_on": TODAY.isoformat()})
    upload = SimpleUploadedFile("filing.png", b"\x89PNG\r\n\x1a\nxx", content_type="image/png")
    client.post(f"/legal-cases/{legal.pk}/documents/", {"title": "立案通知书", "file": upload})
    legal.refresh_from_db()
    assert (legal.stage, legal.case_number) == ("filed", "(2026)1号")
    assert [c.amount for c in legal.costs.all()] == [Decimal("88.50")]
    assert legal.documents.get().title == "立案通知书"
    page = client.get(f"/cases/{legal.case_id}/").content.decode()
    assert "Litigation: Filed (立案)" in page and "88.50" in page and "立案通知书" in page
    client.force_login(people["col"])  # a collector sees it but cannot move it
    client.post(f"/legal-cases/{legal.pk}/stage/", {"stage": "closed"})
    legal.refresh_from_db()
    assert legal.stage == "filed"
