"""The evidence pack: one ZIP with a PDF summary (text extracted and compared), a CSV per section,
the stored files; its generation recorded; only a supervisor of the case or an admin gets one
(docs/evidence-pack.md)."""
import csv
import datetime as dt
import io
import os
import zipfile
from decimal import Decimal

import pypdf
import pytest
from django.core.files.base import ContentFile
from django.utils import translation
from django.utils.translation import gettext

from collections_app import models as m
from collections_app.domain.compliance import stop_flag_label
from collections_app.domain.message_templates import language_for
from collections_app.evidence_pdf import printable
from collections_app.letters_pdf import render_letter_pdf
from collections_app.selectors.evidence_pack import sections
from collections_app.services import evidence_pack
from tests import factories as f
from tests.quality.conftest import DAY, at, contact

pytestmark = pytest.mark.django_db
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def squash(text):
    return "".join(text.split())


@pytest.fixture
def history(world):
    """A case with one of each thing the pack holds."""
    w = world
    case, borrower = w.case_a, w.case_a.borrower
    m.Borrower.objects.filter(pk=borrower.pk).update(name="张伟")
    borrower.refresh_from_db()
    call = contact(case, w.coll_a, at(DAY), number_used="13800138000", note="=HYPERLINK(\"x\") 说会还款",
                   duration_seconds=300)
    call.recording.save("call.mp3", ContentFile(MP3), save=True)
    contact(case, w.coll_a, at(DAY, 11), m.Outcome.NO_ANSWER, breach_rule="cease_contact", breach_detail="Asked to stop")
    loan = f.LoanFactory(lender=w.lender, borrower=borrower, case=case, external_id="L-1")
    f.PaymentFactory(loan=loan, lender=w.lender, amount=Decimal("300.00"), paid_on=DAY)
    m.BucketHistory.objects.create(loan=loan, lender=w.lender, on_date=DAY, from_bucket="M1", to_bucket="M2", dpd=31)
    f.PromiseFactory(case=case, amount=Decimal("500.00"), promised_date=DAY + dt.timedelta(days=3))
    m.ApprovalRequest.objects.create(kind=m.ApprovalKind.RULE_BREACH, case=case, requested_by=w.coll_a,
                                     reason="Contact despite a refusal")
    borrower.cease_contact = True
    borrower.save()
    m.Dispute.objects.create(case=case, reason="Already paid", opened_at=at(DAY), respond_by=DAY + dt.timedelta(days=30))
    complaint = m.Complaint.objects.create(case=case, borrower=borrower, description="Called at night",
                                           received_at=at(DAY, 22), due_on=DAY + dt.timedelta(days=15))
    complaint.contacts.add(call)
    m.CaseNote.objects.create(case=case, author=w.coll_a, text="Wife answered")
    letter = m.Letter.objects.create(case=case, kind=m.LetterKind.OVERDUE_NOTICE, as_of=DAY, body="催收函正文")
    letter.pdf.save("letter.pdf", ContentFile(render_letter_pdf(title="逾期催收函", body="催收函正文")), save=True)
    doc = m.CaseDocument(case=case, kind=m.DocumentKind.EVIDENCE, original_name="receipt.pdf")
    doc.file.save("receipt.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    m.PersonalDataAccess.objects.create(user=w.sup_a, borrower=borrower, what="contact points", where="/cases/")
    return {"case": case, "call": call, "letter": letter, "doc": doc}


def rows(zf, name):
    with zf.open(name) as fh:
        text = fh.read().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def open_pack(built):
    with open(built.path, "rb") as fh:
        return zipfile.ZipFile(io.BytesIO(fh.read()))


def test_the_pack_holds_every_section_the_files_and_a_summary(world, history):
    w = world
    built = evidence_pack.build_evidence_pack(case=history["case"], user=w.sup_a, where="/test/")
    zf = open_pack(built)
    os.remove(built.path)
    names = set(zf.namelist())
    for section in ("contacts", "messages", "letters", "promises", "payments", "bucket_changes", "approvals",
                    "stop_flags", "disputes", "complaints", "visits", "notes", "assignments", "personal_data_views"):
        assert f"{section}.csv" in names
    call, letter, doc = history["call"], history["letter"], history["doc"]
    assert {f"files/recordings/contact-{call.pk}.mp3", f"files/letters/letter-{letter.pk}.pdf",
            f"files/documents/document-{doc.pk}.pdf", "summary.pdf", "files.csv"} <= names
    assert zf.read(f"files/recordings/contact-{call.pk}.mp3") == MP3
    contacts = rows(zf, "contacts.csv")
    with translation.override("zh-hans"):  # the case's language (the borrower states none)
        header = [str(h) for h in sections(history["case"])[0].header]
        breach_label, flag_label = str(m.ApprovalKind.RULE_BREACH.label), str(stop_flag_label("cease_contact"))
    assert contacts[0] == header and "渠道" in header and len(contacts) == 3
    first = contacts[1]
    assert first[4] == "13800138000" and first[6] == "300" and first[-1] == f"files/recordings/contact-{call.pk}.mp3"
    assert first[7] == "'=HYPERLINK(\"x\") 说会还款"  # spreadsheet-safe
    assert contacts[2][8] == "cease_contact"
    assert rows(zf, "payments.csv")[1][:3] == [DAY.isoformat(), "L-1", "300.00"]
    assert rows(zf, "bucket_changes.csv")[1][2:5] == ["M1", "M2", "31"]
    assert rows(zf, "promises.csv")[1][1] == "500.00"
    assert rows(zf, "approvals.csv")[1][1] == breach_label
    assert [r[1] for r in rows(zf, "stop_flags.csv")[1:]] == [flag_label]
    assert rows(zf, "disputes.csv")[1][1] == "Already paid"
    assert rows(zf, "complaints.csv")[1][2] == "Called at night"
    assert rows(zf, "notes.csv")[1][2] == "Wife answered"
    assert rows(zf, "personal_data_views.csv")[1][2] == "contact points"
    assert built.counts["contacts"] == 2 and built.counts["messages"] == 0
    # the summary is in the case's language; its text is extracted and compared
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(zf.read("summary.pdf"))).pages)
    with translation.override("zh-hans"):
        facts = evidence_pack.summary_facts(history["case"], w.sup_a, built.generated_at)
    assert "张伟" in text and "说会还款" in squash(text) and "停催" in text
    for label, value in facts:  # the case's facts, in order, then the sections' counts and the timeline
        assert squash(printable(f"{label}{value}")) in squash(text)
    assert squash(text).index(squash(facts[0][0])) < squash(text).index(squash(facts[-1][0]))


def test_an_english_speaking_borrowers_pack_is_in_english(world, history):
    m.Borrower.objects.filter(pk=history["case"].borrower_id).update(preferred_language="en")
    history["case"].borrower.refresh_from_db()
    built = evidence_pack.build_evidence_pack(case=history["case"], user=world.sup_a)
    zf = open_pack(built)
    text = squash("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(zf.read("summary.pdf"))).pages))
    assert squash(f"Evidence pack ・ case #{history['case'].pk}") in text
    assert squash("Contacts (contacts.csv)") in text and squash("Stored files (files/)") in text


def test_building_a_pack_is_recorded(world, history):
    w = world
    before = m.PersonalDataAccess.objects.count()
    built = evidence_pack.build_evidence_pack(case=history["case"], user=w.sup_a, where="/cases/x/evidence-pack/")
    record = m.PersonalDataAccess.objects.order_by("-id").first()
    assert m.PersonalDataAccess.objects.count() == before + 1
    assert (record.user, record.borrower_id, record.what, record.file, record.where) == (
        w.sup_a, history["case"].borrower_id, "evidence pack", built.filename, "/cases/x/evidence-pack/")
    # the pack lists the views made before it, not itself
    assert len(rows(open_pack(built), "personal_data_views.csv")) == 2


def test_only_a_supervisor_of_the_case_or_an_admin_downloads_it(world, history, client):
    w = world
    case = history["case"]
    url = f"/cases/{case.pk}/evidence-pack/"
    client.force_login(w.coll_a)  # the collector works the case from its page
    assert client.get(url).status_code == 403
    client.force_login(w.sup_b)  # another team's supervisor does not see the case
    assert client.get(url).status_code == 404
    assert not m.PersonalDataAccess.objects.filter(what="evidence pack").exists()
    client.force_login(w.sup_a)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert f"evidence-pack-case-{case.pk}-" in response["Content-Disposition"]
    zf = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "summary.pdf" in zf.namelist()
    assert m.PersonalDataAccess.objects.filter(what="evidence pack", user=w.sup_a).count() == 1
    client.force_login(f.AdminFactory(username="boss"))
    assert client.get(url).status_code == 200
    page = client.get(f"/cases/{case.pk}/")
    assert url in page.content.decode()
    client.force_login(w.coll_a)
    assert url not in client.get(f"/cases/{case.pk}/").content.decode()


def test_a_missing_stored_file_is_listed_not_fatal(world, history):
    os.remove(history["doc"].file.path)
    zf = open_pack(evidence_pack.build_evidence_pack(case=history["case"], user=world.sup_a))
    manifest = {r[0]: r[3] for r in rows(zf, "files.csv")[1:]}
    with translation.override(language_for(history["case"].borrower.preferred_language)):  # the pack's language
        missing = gettext("missing from storage")
    assert manifest[f"files/documents/document-{history['doc'].pk}.pdf"] == missing
    assert f"files/documents/document-{history['doc'].pk}.pdf" not in zf.namelist()
