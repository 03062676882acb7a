"""Weekly and monthly reports on beat: stored once per kind, period and scope, e-mailed once with
their XLSX and PDF, listed and downloaded only by those who may see the scope."""
import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pypdf
import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.urls import reverse

from collections_app import models as m
from collections_app import tasks
from collections_app.report_files import report_pdf, report_xlsx
from collections_app.selectors.reports import COLUMNS, COUNTS, report_periods
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(settings, lender, team, collector, supervisor):
    """Business date Tue 2026-11-03: last week is Oct 26 – Nov 1, last month October. The collector's
    case (team A, lender Acme) took 250 on Oct 28 and 100 on Oct 5; another lender's team B, 70."""
    settings.BUSINESS_DATE = "2026-11-03"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REPORT_RECIPIENTS = ["boss@example.com"]
    supervisor.email = "super1@example.com"
    supervisor.save()
    collector.email = "coll1@example.com"
    collector.save()
    team.lender = lender
    team.save()
    case = f.CaseFactory(lender=lender, assigned_to=collector, team=team)
    ln = f.LoanFactory(lender=lender, borrower=case.borrower, case=case)
    f.PaymentFactory(loan=ln, paid_on=dt.date(2026, 10, 28), amount=D("250"))
    f.PaymentFactory(loan=ln, paid_on=dt.date(2026, 10, 5), amount=D("100"))
    other = f.LenderFactory(code="other", name="Other Lender")
    b_super = f.SupervisorFactory(username="super2", email="super2@example.com")
    b_team = f.TeamFactory(name="Team B", supervisor=b_super, lender=other)
    b_coll = f.CollectorFactory(username="coll9", team=b_team)
    b_case = f.CaseFactory(lender=other, assigned_to=b_coll, team=b_team)
    f.PaymentFactory(loan=f.LoanFactory(lender=other, borrower=b_case.borrower, case=b_case),
                     paid_on=dt.date(2026, 10, 29), amount=D("70"))
    return {"case": case, "b_super": b_super, "b_team": b_team, "other": other}


def test_periods():
    assert report_periods("week", dt.date(2026, 11, 3)) == (dt.date(2026, 10, 26), dt.date(2026, 11, 1))
    assert report_periods("month", dt.date(2026, 11, 3)) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def test_beat_twice_makes_one_report_per_scope_and_mails_each_once(staff, lender, team, collector):
    tasks.generate_reports.delay("week")
    tasks.generate_reports.delay("week")  # delivered twice
    tasks.generate_reports.delay("month")
    weekly = m.Report.objects.filter(kind="week")
    # coll1, coll9; Team A, Team B; Acme, Other
    assert weekly.count() == 6 and m.Report.objects.filter(kind="month").count() == 6
    assert set(weekly.values_list("period_start", "period_end")) == {(dt.date(2026, 10, 26), dt.date(2026, 11, 1))}
    assert not m.Report.objects.exclude(status=m.ReportStatus.READY).exists()
    mine = weekly.get(scope="collector", collector=collector)
    assert mine.figures["collected"] == "250.00" and mine.figures["call_attempts"] == 0
    assert m.Report.objects.get(kind="month", scope="lender", lender=lender).figures["collected"] == "350.00"
    assert weekly.get(scope="team", team=team).figures["collected"] == "250.00"
    assert len(mail.outbox) == 12  # one per report, not one per delivery
    to_coll = [x for x in mail.outbox if "coll1@example.com" in x.to]
    assert len(to_coll) == 2
    message = to_coll[0]
    assert message.to == ["boss@example.com", "coll1@example.com", "super1@example.com"]
    names = [a[0] for a in message.attachments]
    assert len(names) == 2 and names[0].endswith(".xlsx") and names[1].endswith(".pdf")
    assert message.attachments[1][1][:5] == b"%PDF-"
    lender_mail = [x for x in mail.outbox if "Other Lender" in x.subject]
    assert {tuple(x.to) for x in lender_mail} == {("boss@example.com", "super2@example.com")}
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses a second one
        m.Report.objects.create(kind="week", period_start=mine.period_start, period_end=mine.period_end,
                                scope="collector", collector=collector, scope_name="again")


def test_a_failed_scope_is_recorded_and_generated_again(staff, monkeypatch):
    from collections_app.services import reports as service

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(service, "scope_figures", boom)
    tasks.generate_reports.delay("month")
    failed = m.Report.objects.filter(status=m.ReportStatus.FAILED)
    assert failed.count() == 6 and "database went away" in failed.first().failure_reason and not mail.outbox
    monkeypatch.undo()
    tasks.generate_reports.delay("month")
    assert m.Report.objects.filter(status=m.ReportStatus.READY).count() == 6 and len(mail.outbox) == 6


def test_figures_are_the_api_kpis_of_the_scope(staff, client, admin_user, team, lender):
    """Every figure of the team's and the lender's monthly report is what GET /api/kpis/ answers an
    admin for that team or lender (one definition of each KPI)."""
    tasks.generate_reports.delay("month")
    client.force_login(admin_user)
    for report, query in ((m.Report.objects.get(kind="month", team=team), {"team": team.id}),
                          (m.Report.objects.get(kind="month", lender=lender), {"lender": lender.code})):
        api = client.get("/api/kpis/", {"from": "2026-10-01", "to": "2026-10-31", **query}).json()
        for key, _label in COLUMNS:
            got, want = report.figures[key], api[key]
            assert (got if got is None or key in COUNTS else D(got)) == (
                want if want is None or key in COUNTS else D(str(want))), (report.scope, key)


def test_pdf_in_chinese_and_english_and_xlsx(staff, collector):
    tasks.generate_reports.delay("month")
    report = m.Report.objects.get(kind="month", scope="collector", collector=collector)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(report_pdf(report))).pages)
    for heading in ("已回收", "回收率", "不良率", "Collected", "Recovery rate", "350.00", "2026-10-01"):
        assert heading in text, heading
    rows = list(openpyxl.load_workbook(io.BytesIO(report_xlsx(report))).active.iter_rows(values_only=True))
    by_en = {r[1]: r[2] for r in rows[1:]}
    assert rows[1][0] == "已回收" and by_en["Collected"] == 350 and by_en["Promises made"] == 0


def test_list_and_downloads_only_for_who_may_see_the_scope(staff, client, supervisor, collector, admin_user, lender):
    tasks.generate_reports.delay("week")
    b_team = m.Report.objects.get(kind="week", scope="team", team=staff["b_team"])
    mine = m.Report.objects.get(kind="week", scope="collector", collector=collector)
    acme = m.Report.objects.get(kind="week", scope="lender", lender=lender)
    client.force_login(supervisor)
    page = client.get(reverse("supervisor_reports")).content.decode()
    assert "Team A" in page and "Team B" not in page and "Other Lender" not in page
    assert mine.scope_name == (collector.get_full_name() or collector.username) and mine.scope_name in page
    for report, status in ((mine, 200), (acme, 200), (b_team, 404)):
        for fmt in ("xlsx", "pdf"):
            out = client.get(reverse("supervisor_report_file", args=[report.id, fmt]))
            assert out.status_code == status, (report, fmt)
    out = client.get(reverse("supervisor_report_file", args=[mine.id, "pdf"]))
    assert out["Content-Type"] == "application/pdf" and out.content[:5] == b"%PDF-"
    client.force_login(staff["b_super"])
    assert client.get(reverse("supervisor_report_file", args=[mine.id, "xlsx"])).status_code == 404
    assert client.get(reverse("supervisor_report_file", args=[b_team.id, "xlsx"])).status_code == 200
    client.force_login(collector)
    assert client.get(reverse("supervisor_reports")).status_code == 403
    assert client.get(reverse("supervisor_report_file", args=[mine.id, "pdf"])).status_code == 403
    client.force_login(admin_user)
    assert client.get(reverse("supervisor_report_file", args=[b_team.id, "pdf"])).status_code == 200
    assert client.get(reverse("supervisor_reports"), {"scope": "lender"}).content.decode().count("Other Lender") == 1


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


def test_a_mail_that_failed_is_sent_by_the_next_delivery(staff, settings, collector):
    settings.EMAIL_BACKEND = "tests.reports.test_reports.FailingBackend"
    tasks.generate_reports.delay("week")
    report = m.Report.objects.get(kind="week", scope="collector", collector=collector)
    assert report.status == m.ReportStatus.READY and report.emailed_at is None
    assert "smtp down" in report.failure_reason
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tasks.generate_reports.delay("week")
    report.refresh_from_db()
    assert report.emailed_at is not None and report.failure_reason == "" and len(mail.outbox) == 6
    assert report.recipients == ["boss@example.com", "coll1@example.com", "super1@example.com"]
