"""The case page's dispute card, the refusal it causes, the supervisor's warnings, click-to-call links."""
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from collections_app import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def test_open_with_evidence_refuse_then_resolve_on_the_page(client, case, collector, supervisor):
    client.force_login(collector)
    r = client.post(f"/cases/{case.pk}/disputes/", {"reason": "Paid at the branch", "details": "receipt",
                                                    "files": [SimpleUploadedFile("receipt.png", PNG)]})
    assert r.status_code == 302
    dispute = m.Dispute.objects.get(case=case)
    doc = dispute.documents.get()
    assert doc.kind == m.DocumentKind.EVIDENCE and doc.original_name == "receipt.png"
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Paid at the branch" in page and 'data-rule="dispute"' in page and "resolve-form" not in page
    r = client.post(f"/cases/{case.pk}/contact/", {"channel": "phone", "outcome": "no_answer"})
    assert r.status_code == 409 and 'data-rule="dispute"' in r.content.decode()
    assert not m.ContactLog.objects.filter(case=case).exists()
    # the collector cannot answer it
    assert client.post(f"/disputes/{dispute.pk}/resolve/", {"outcome": "rejected", "note": "x"}).status_code == 404
    client.force_login(supervisor)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "resolve-form" in page
    r = client.post(f"/disputes/{dispute.pk}/resolve/", {"outcome": "rejected", "note": "receipt is for L2"})
    assert r.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == "rejected"
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Dispute rejected" in page and "receipt is for L2" in page


def test_a_bad_evidence_file_stores_nothing(client, case, collector):
    client.force_login(collector)
    client.post(f"/cases/{case.pk}/disputes/", {"reason": "x", "files": [SimpleUploadedFile("a.exe", b"MZ")]})
    assert not m.Dispute.objects.exists() and not m.CaseDocument.objects.exists()


def test_supervisor_warnings_page_and_desk(client, case, collector, supervisor):
    today = dt.date.today()
    late = m.Dispute.objects.create(case=case, reason="late one", opened_at=case.opened_at,
                                    respond_by=today - dt.timedelta(days=2))
    other = f.CaseFactory(lender=case.lender, assigned_to=collector, team=collector.team,
                          limitation_date=today + dt.timedelta(days=10))
    client.force_login(supervisor)
    page = client.get("/supervisor/disputes/").content.decode()
    assert "late one" in page and "overdue" in page and f"/cases/{other.pk}/" in page
    desk = client.get("/supervisor/").content.decode()
    assert 'id="desk-warnings"' in desk and "1 dispute past its answer date" in desk
    assert "1 case lapses within 30 days" in desk
    client.force_login(collector)
    assert client.get("/supervisor/disputes/").status_code == 403
    assert late.pk


def test_phone_numbers_are_tel_links_with_the_extension(client, case, collector, supervisor):
    User.objects.filter(pk=supervisor.pk).update(phone_extension="8012")
    point = case.borrower.contact_points.get()
    client.force_login(supervisor)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'href="tel:13800138000;x-agent-ext=8012"' in page
    # a collector sees the number masked: the link goes through the dial page, never the number itself
    User.objects.filter(pk=collector.pk).update(phone_extension="7001")
    client.force_login(collector)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "13800138000" not in page and f'href="/cases/{case.pk}/dial/{point.pk}/"' in page
    queue = client.get("/queue/").content.decode()
    assert f'href="/cases/{case.pk}/dial/{point.pk}/"' in queue
    r = client.get(f"/cases/{case.pk}/dial/{point.pk}/")
    assert r.status_code == 302 and r["Location"] == "tel:13800138000;x-agent-ext=7001"
    assert m.PersonalDataAccess.objects.filter(user=collector, what="phone (dialled)").exists()
    client.force_login(f.CollectorFactory(username="outsider"))
    assert client.get(f"/cases/{case.pk}/dial/{point.pk}/").status_code == 404


def test_blacklisting_from_the_case_page(client, case, supervisor, collector):
    client.force_login(collector)
    assert f'action="/cases/{case.pk}/blacklist/"' not in client.get(f"/cases/{case.pk}/").content.decode()
    assert client.post(f"/cases/{case.pk}/blacklist/", {"reason": "x"}).status_code == 404
    client.force_login(supervisor)
    client.post(f"/cases/{case.pk}/blacklist/", {"reason": "forged payslips"})
    assert m.BlacklistEntry.objects.get().reason == "forged payslips"
    assert "Blacklisted" in client.get(f"/cases/{case.pk}/").content.decode()
