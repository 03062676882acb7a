"""Letters as PDF: written from the letter templates with the debt as of the day, in Chinese and
English (the PDF's text extracted and compared), stored privately and downloaded by the roles that
may see the case; a lawyer's letter counts as sent only after approval; a sent letter is a contact."""
import datetime as dt
import io

import pypdf
import pytest
from django.core.exceptions import ValidationError

from collections_app import models as m
from collections_app.services import letters as svc
from collections_app.services.approvals import decide
from collections_app.services.message_templates import render_template, select_template
from tests import factories as f
from tests.messages.conftest import MORNING

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.BUSINESS_DATE = "2026-03-04"


def pdf_text(letter) -> str:
    with letter.pdf.open("rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def squash(text):
    return "".join(text.split())


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_overdue_notice_pdf_carries_the_text_in_its_language(msg_case, language):
    m.Borrower.objects.filter(pk=msg_case.borrower_id).update(preferred_language="en" if language == "en" else "")
    msg_case.borrower.refresh_from_db()
    letter = svc.produce_letter(case=msg_case, user=msg_case.assigned_to, kind=m.LetterKind.OVERDUE_NOTICE, now=MORNING)
    assert letter.status == m.LetterStatus.DRAFT and letter.language == language and letter.pdf.name.endswith(".pdf")
    template = select_template(code="overdue_notice", case=msg_case, language=language)
    title, body = render_template(template=template, case=msg_case, on_date=dt.date(2026, 3, 4))
    text = pdf_text(letter)
    assert squash(title + body) == squash(text)
    assert ("逾期催收函" if language == "zh-hans" else "Overdue notice") in text
    assert msg_case.borrower.name in text and "2026-03-04" in text
    assert letter.body == body


def test_a_lawyers_letter_is_sent_only_after_approval_and_then_is_a_contact(msg_case, supervisor):
    letter = svc.produce_letter(case=msg_case, user=msg_case.assigned_to, kind=m.LetterKind.LAWYER, now=MORNING)
    assert letter.status == m.LetterStatus.AWAITING_APPROVAL and "律师函" in pdf_text(letter)
    with pytest.raises(ValidationError):
        svc.send_letter(letter=letter, user=msg_case.assigned_to, now=MORNING)
    with pytest.raises(ValidationError):  # one waiting at a time
        svc.produce_letter(case=msg_case, user=msg_case.assigned_to, kind=m.LetterKind.LAWYER, now=MORNING)
    decide(approval=letter.approval, user=f.AdminFactory(), approve=True)
    letter.refresh_from_db()
    assert letter.status == m.LetterStatus.DRAFT
    sent = svc.send_letter(letter=letter, user=msg_case.assigned_to, now=MORNING)
    assert sent.status == m.LetterStatus.SENT and sent.sent_at == MORNING
    contact = m.ContactLog.objects.get(case=msg_case)
    assert (contact.channel, contact.outcome, contact.occurred_at) == ("letter", m.Outcome.SENT, MORNING)
    with pytest.raises(ValidationError):
        svc.send_letter(letter=letter, user=msg_case.assigned_to, now=MORNING)
    assert m.ContactLog.objects.filter(case=msg_case).count() == 1


def test_the_pdf_is_downloaded_by_who_may_see_the_case(client, msg_case):
    letter = svc.produce_letter(case=msg_case, user=msg_case.assigned_to, kind=m.LetterKind.OVERDUE_NOTICE, now=MORNING)
    client.force_login(msg_case.assigned_to)
    response = client.get(f"/letters/{letter.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert m.PersonalDataAccess.objects.filter(what="letter", borrower=msg_case.borrower).count() == 1
    client.force_login(f.CollectorFactory())
    assert client.get(f"/letters/{letter.pk}/pdf/").status_code == 404


def test_the_case_page_card_writes_and_sends_a_letter(client, msg_case):
    client.force_login(msg_case.assigned_to)
    card = client.post(f"/cases/{msg_case.pk}/letters/", {"kind": "overdue_notice"}).content.decode()
    letter = m.Letter.objects.get(case=msg_case)
    assert f"/letters/{letter.pk}/pdf/" in card
    client.post(f"/letters/{letter.pk}/send/")
    letter.refresh_from_db()
    assert letter.status == m.LetterStatus.SENT
    assert client.post(f"/cases/{msg_case.pk}/letters/", {"kind": "nope"}).status_code == 400
