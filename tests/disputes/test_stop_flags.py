"""A stop flag (deceased, bankruptcy, lawyer) or an open dispute suspends the case: out of every queue
and of every automatic action on both nightly backends; the document is kept and the next step shown."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from collections_app import models as m
from collections_app.services import contacts
from collections_app.services import nightly as engine
from collections_app.services.allocation import auto_allocate
from collections_app.services.disputes import open_dispute
from collections_app.services.strategy import ensure_default_strategy
from tests import factories as f

from .conftest import TODAY, at

D = dt.date
pytestmark = pytest.mark.django_db
BACKENDS = pytest.mark.parametrize("force_python", [False, True], ids=["default-backend", "python-backend"])
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _book(lender, n=4):
    borrowers = []
    for _ in range(n):
        borrower = f.BorrowerFactory(lender=lender)
        loan = f.LoanFactory(lender=lender, borrower=borrower)
        f.InstallmentFactory(loan=loan, seq=1, due_date=D(2026, 1, 10), principal_due=Decimal("500"))
        borrowers.append(borrower)
    return borrowers


@BACKENDS
def test_suspended_cases_get_no_automatic_action_on_either_backend(lender, collector, force_python):
    version = ensure_default_strategy()
    m.StrategyRule.objects.create(version=version, code="daily-call", description="call", position=900, dpd_min=1,
                                  action=m.ActionKind.CALL, repeat_every_days=1)
    m.StrategyRule.objects.create(version=version, code="visit", description="visit", position=901, dpd_min=1,
                                  action=m.ActionKind.FIELD_VISIT, needs_approval=True)
    borrowers = _book(lender, n=5)
    scope = engine.Scope(borrower_ids=tuple(b.id for b in borrowers))
    engine.process_scope(scope=scope, as_of=D(2026, 1, 11), force_python=force_python)
    cases = {c.borrower_id: c for c in m.CollectionCase.objects.select_related("lender", "borrower")}
    deceased, bankrupt, lawyer, disputed, free = (cases[b.id] for b in borrowers)
    for case, outcome in ((deceased, "deceased"), (bankrupt, "bankruptcy"), (lawyer, "lawyer")):
        contacts.log_contact(case=case, user=collector, channel="phone", outcome=outcome, note="told",
                             now=at(D(2026, 1, 11)), already_happened=True)
    open_dispute(case=disputed, user=collector, reason="not mine", now=at(D(2026, 1, 11)))
    held = [deceased.pk, bankrupt.pk, lawyer.pk, disputed.pk]
    assert set(m.CollectionCase.objects.filter(pk__in=held).values_list("status", flat=True)) == {"suspended"}
    before = set(m.CaseAction.objects.values_list("id", flat=True))
    approvals_before = m.ApprovalRequest.objects.exclude(kind=m.ApprovalKind.STOP_FLAG).count()
    for day in range(12, 32):
        engine.process_scope(scope=scope, as_of=D(2026, 1, day), force_python=force_python)
    new = m.CaseAction.objects.exclude(id__in=before)
    assert not new.filter(case_id__in=held).exists()
    assert new.filter(case=free).count() >= 5  # the strategy did act on the case nothing holds
    assert m.ApprovalRequest.objects.exclude(kind=m.ApprovalKind.STOP_FLAG).count() == approvals_before
    # the figures still move (the debt is still owed) and the cases stay suspended
    for case in m.CollectionCase.objects.filter(pk__in=held):
        assert case.status == m.CaseStatus.SUSPENDED and case.dpd == 21
    # out of allocation and of the open queue
    m.CollectionCase.objects.filter(pk__in=held).update(assigned_to=None)
    auto_allocate()
    assert not m.CollectionCase.objects.filter(pk__in=held, assigned_to__isnull=False).exists()


def test_the_case_page_shows_the_next_step_and_keeps_the_document(client, lender, collector, supervisor, team):
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=team)
    contacts.log_contact(case=case, user=collector, channel="phone", outcome="deceased", note="wife says",
                         now=at(TODAY), already_happened=True)
    client.force_login(collector)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "file a claim against the estate" in page and 'id="document-form"' in page
    upload = SimpleUploadedFile("certificate.pdf", PDF, content_type="application/pdf")
    r = client.post(f"/cases/{case.pk}/documents/", {"kind": "death_certificate", "files": upload})
    assert r.status_code == 302
    doc = m.CaseDocument.objects.get(case=case)
    assert doc.kind == "death_certificate" and doc.uploaded_by == collector and doc.dispute is None
    assert not doc.file.url.startswith("/media/case_documents/certificate")  # stored under its own name
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/documents/{doc.pk}/" in page and "Document kept: Death certificate" in page
    r = client.get(f"/documents/{doc.pk}/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and b"".join(r.streaming_content) == PDF
    assert m.PersonalDataAccess.objects.filter(user=collector, what="case document").exists()
    # someone who does not see the case gets 404
    client.force_login(f.CollectorFactory(username="outsider"))
    assert client.get(f"/documents/{doc.pk}/").status_code == 404


@pytest.mark.parametrize("name, content", [("evil.html", b"<script>"), ("fake.pdf", b"<html>"), ("x.png", PDF)])
def test_only_real_pdf_jpeg_png_are_kept(client, lender, collector, team, name, content):
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=team)
    client.force_login(collector)
    client.post(f"/cases/{case.pk}/documents/", {"kind": "other", "files": SimpleUploadedFile(name, content)})
    assert not m.CaseDocument.objects.exists()
