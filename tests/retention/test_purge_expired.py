"""Retention: purge_expired anonymises or purges the borrowers of lenders whose agreement ended more
than RETENTION_YEARS ago — personal data, notes, recordings (files too), raw rows, history included."""
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from collections_app import models as m
from collections_app.services import retention
from collections_app.services.retention import purge_expired
from tests import factories as f

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 23)
LONG_AGO = dt.date(2021, 11, 22)  # more than 5 years before TODAY
RECENT = dt.date(2021, 11, 23)  # exactly 5 years: not yet


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RETENTION_YEARS = 5


def make_borrower(lender, n, user):
    borrower = f.BorrowerFactory(lender=lender, name=f"张三{n}", national_id=f"11010119800101{n:04d}",
                                 address="北京市朝阳区1号", employer="某公司", region="北京", raw={"身份证": "x"})
    borrower.name = f"张三{n}改"  # a second history row holding the name
    borrower.save()
    point = f.ContactPointFactory(borrower=borrower, value=f"1380000{n:04d}", name="本人")
    gone = f.ContactPointFactory(borrower=borrower, value=f"1390000{n:04d}", relation=m.Relation.RELATIVE, name="父亲")
    gone.delete()  # deleted long ago: only its history row remains
    case = f.CaseFactory(lender=lender, borrower=borrower, assigned_to=user)
    loan = f.LoanFactory(lender=lender, borrower=borrower, case=case, raw={"客户姓名": borrower.name})
    f.InstallmentFactory(loan=loan, seq=1)
    f.PaymentFactory(loan=loan, paid_on=dt.date(2020, 3, 1), amount=D("300.00"), note=f"{borrower.name} 转账")
    m.BucketHistory.objects.create(loan=loan, lender=lender, on_date=dt.date(2020, 2, 2), from_bucket="CURRENT",
                                   to_bucket="M0", dpd=1)
    log = f.ContactLogFactory(case=case, user=user, contact_point=point, number_used=point.value,
                              note="他说下周还", outcome=m.Outcome.PROMISE)
    log.recording.save("call.mp3", ContentFile(b"ID3 audio"), save=True)
    m.PromiseToPay.objects.create(case=case, borrower=borrower, contact=log, amount=D("100"),
                                  promised_date=dt.date(2020, 3, 1), created_by=user)
    m.CaseNote.objects.create(case=case, author=user, text="家住三楼")
    visit = m.FieldVisit.objects.create(case=case, address="北京市朝阳区1号", met_whom="本人", agreement="月底还")
    visit.recording.save("visit.mp3", ContentFile(b"ID3 visit"), save=True)
    approval = m.ApprovalRequest.objects.create(kind=m.ApprovalRequest._meta.get_field("kind").choices[0][0],
                                                case=case, requested_by=user, reason="r")
    m.Letter.objects.create(case=case, kind=m.Letter._meta.get_field("kind").choices[0][0], address="北京",
                            as_of=dt.date(2020, 1, 1), body=f"尊敬的{borrower.name}", approval=approval)
    m.Complaint.objects.create(case=case, borrower=borrower, description="态度差", received_at=dt.datetime(
        2020, 1, 2, tzinfo=dt.UTC), due_on=dt.date(2020, 1, 17))
    m.PersonalDataAccess.objects.create(user=user, borrower=borrower, what="national_id")
    return borrower


@pytest.fixture
def book(collector):
    old = f.LenderFactory(code="old", agreement_ends_on=LONG_AGO)
    gone = f.LenderFactory(code="gone", agreement_ends_on=LONG_AGO, retention_mode=m.RetentionMode.PURGE)
    recent = f.LenderFactory(code="recent", agreement_ends_on=RECENT, retention_mode=m.RetentionMode.PURGE)
    open_ended = f.LenderFactory(code="current")
    borrowers = {code: [make_borrower(lender, i * 10 + n, collector) for n in range(2)]
                 for i, (code, lender) in enumerate([("old", old), ("gone", gone), ("recent", recent),
                                                     ("current", open_ended)])}
    return {"lenders": {"old": old, "gone": gone, "recent": recent, "current": open_ended}, "borrowers": borrowers}


def files_on_disk():
    names = []
    for folder in ("recordings", "visits"):
        if default_storage.exists(folder):
            for year in default_storage.listdir(folder)[0]:
                for month in default_storage.listdir(f"{folder}/{year}")[0]:
                    names += default_storage.listdir(f"{folder}/{year}/{month}")[1]
    return names


def personal_texts(lender):
    """Every personal value of the lender's borrowers still stored, live or in history."""
    found = []
    for model, fields in ((m.Borrower, ["name", "national_id", "address", "employer"]),
                          (m.ContactPoint, ["value", "name"])):
        for table in (model.objects, model.history):
            key = "lender" if model is m.Borrower else "borrower__lender"
            if table is model.history:
                key = "lender_id" if model is m.Borrower else "borrower_id__in"
                rows = table.filter(**({key: lender.id} if model is m.Borrower else
                                       {key: m.Borrower.objects.filter(lender=lender).values("id")}))
            else:
                rows = table.filter(**{key: lender})
            for row in rows.values(*fields):
                found += [v for v in row.values() if v and not str(v).startswith("anon-")]
    found += [n for n in m.ContactLog.objects.filter(borrower__lender=lender).values_list("note", flat=True) if n]
    found += [n for n in m.CaseNote.objects.filter(case__lender=lender).values_list("text", flat=True) if n]
    found += [r for r in m.Loan.objects.filter(lender=lender).values_list("raw", flat=True) if r]
    found += [n for n in m.Payment.objects.filter(lender=lender).values_list("note", flat=True) if n]
    return found


def test_dry_run_reports_and_changes_nothing(book):
    before = (personal_texts(book["lenders"]["old"]), m.Borrower.objects.count(), sorted(files_on_disk()))
    report = purge_expired(today=TODAY, dry_run=True)
    assert [(r.code, r.mode, r.borrowers) for r in report.lenders] == [("gone", "purge", 2), ("old", "anonymise", 2)]
    old = {r.code: r for r in report.lenders}["old"].counts
    assert old["borrowers"] == 2 and old["contact points"] == 2 and old[retention.FILES] == 4
    gone = {r.code: r for r in report.lenders}["gone"].counts
    assert gone["borrowers"] == 2 and gone["loans"] == 2 and gone["contact log"] == 2 and gone[retention.FILES] == 4
    assert (personal_texts(book["lenders"]["old"]), m.Borrower.objects.count(), sorted(files_on_disk())) == before


def test_anonymise_removes_personal_data_and_keeps_the_figures(book, django_capture_on_commit_callbacks):
    old = book["lenders"]["old"]
    assert personal_texts(old)
    figures = lambda: (m.Loan.objects.filter(lender=old).count(), m.Payment.objects.filter(lender=old).count(),  # noqa: E731
                       sum(p.amount for p in m.Payment.objects.filter(lender=old)),
                       m.ContactLog.objects.filter(borrower__lender=old).count(),
                       m.PromiseToPay.objects.filter(borrower__lender=old).count(),
                       m.CollectionCase.objects.filter(lender=old).count())
    kept = figures()
    with django_capture_on_commit_callbacks(execute=True):
        report = purge_expired(today=TODAY)
    assert personal_texts(old) == []
    assert figures() == kept
    b = m.Borrower.objects.filter(lender=old).order_by("id").first()
    assert b.name == f"anon-{b.id}" and b.raw == {} and b.anonymised_at is not None
    assert not m.ContactLog.objects.filter(borrower__lender=old).exclude(recording="").exists()
    assert not m.FieldVisit.objects.filter(case__lender=old).exclude(recording="").exists()
    assert set(m.FieldVisit.objects.filter(case__lender=old).values_list("address", "agreement")) == {("", "")}
    assert set(m.FieldVisit.history.filter(case_id__in=m.CollectionCase.objects.filter(lender=old).values("id"))
               .values_list("address", flat=True)) == {""}
    assert set(m.Letter.objects.filter(case__lender=old).values_list("body", flat=True)) == {""}
    assert set(m.Complaint.history.filter(borrower_id__in=m.Borrower.objects.filter(lender=old).values("id"))
               .values_list("description", flat=True)) == {""}
    assert len(files_on_disk()) == 8  # of 16: the 4 recordings of "old" and the 4 of "gone" are removed
    assert {r.code: r.counts["borrowers"] for r in report.lenders} == {"old": 2, "gone": 2}
    assert report.files_removed == 8
    # the others are untouched
    for code in ("recent", "current"):
        assert len(personal_texts(book["lenders"][code])) > 0
    # a second run has nothing left to do
    again = purge_expired(today=TODAY)
    assert [(r.code, r.borrowers) for r in again.lenders] == [("gone", 0), ("old", 0)]


def test_purge_deletes_the_borrowers_and_everything_about_them(book, django_capture_on_commit_callbacks):
    gone = book["lenders"]["gone"]
    ids = [b.id for b in book["borrowers"]["gone"]]
    case_ids = list(m.CollectionCase.objects.filter(lender=gone).values_list("id", flat=True))
    loan_ids = list(m.Loan.objects.filter(lender=gone).values_list("id", flat=True))
    others = {model: model.objects.count() for model in (m.Borrower, m.Loan, m.Payment, m.ContactLog, m.CaseNote)}
    with django_capture_on_commit_callbacks(execute=True):
        purge_expired(today=TODAY)
    assert not m.Borrower.objects.filter(id__in=ids).exists()
    for model, key, values in ((m.ContactPoint, "borrower_id__in", ids), (m.Loan, "id__in", loan_ids),
                               (m.Installment, "loan_id__in", loan_ids), (m.Payment, "loan_id__in", loan_ids),
                               (m.BucketHistory, "loan_id__in", loan_ids), (m.CollectionCase, "id__in", case_ids),
                               (m.ContactLog, "case_id__in", case_ids), (m.PromiseToPay, "case_id__in", case_ids),
                               (m.CaseNote, "case_id__in", case_ids), (m.FieldVisit, "case_id__in", case_ids),
                               (m.Letter, "case_id__in", case_ids), (m.ApprovalRequest, "case_id__in", case_ids),
                               (m.Complaint, "case_id__in", case_ids),
                               (m.PersonalDataAccess, "borrower_id__in", ids)):
        assert not model._base_manager.filter(**{key: values}).exists(), model.__name__
    for model, key, values in ((m.Borrower, "id__in", ids), (m.ContactPoint, "borrower_id__in", ids),
                               (m.Loan, "id__in", loan_ids), (m.CollectionCase, "id__in", case_ids),
                               (m.PromiseToPay, "case_id__in", case_ids), (m.FieldVisit, "case_id__in", case_ids)):
        assert not model.history.filter(**{key: values}).exists(), f"history of {model.__name__}"
    assert m.Lender.objects.filter(code="gone").exists()
    # the anonymised lender keeps its rows; the two others are untouched
    assert m.Borrower.objects.count() == others[m.Borrower] - 2
    assert m.Loan.objects.count() == others[m.Loan] - 2
    assert m.Borrower.objects.filter(lender__code__in=["recent", "current"]).count() == 4


def test_statements_do_not_grow_with_the_book(collector):
    def run(n):
        lender = f.LenderFactory(agreement_ends_on=LONG_AGO, retention_mode=m.RetentionMode.PURGE)
        other = f.LenderFactory(agreement_ends_on=LONG_AGO)
        for i in range(n):
            make_borrower(lender, i, collector)
            make_borrower(other, 100 + i, collector)
        with CaptureQueriesContext(connection) as queries:
            purge_expired(today=TODAY)
        m.Lender.objects.filter(id__in=[lender.id, other.id]).update(agreement_ends_on=None)
        return len(queries)

    assert run(1) == run(4)


def test_command_prints_the_report(book):
    out = io.StringIO()
    call_command("purge_expired", "--dry-run", "--as-of", TODAY.isoformat(), stdout=out)
    text = out.getvalue()
    assert "(dry run)" in text and "old (agreement ended 2021-11-22): 2 borrowers would be anonymised" in text
    assert "gone (agreement ended 2021-11-22): 2 borrowers would be purged" in text
    assert m.Borrower.objects.filter(lender__code="gone").count() == 2
    out = io.StringIO()
    call_command("purge_expired", "--as-of", TODAY.isoformat(), stdout=out)
    assert "2 borrowers were purged" in out.getvalue() and "files removed" in out.getvalue()
    assert m.Borrower.objects.filter(lender__code="gone").count() == 0


def test_bad_date_is_a_clear_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("purge_expired", "--as-of", "yesterday")


def test_scheduled_on_beat_and_the_task_runs(book, settings):
    from collections_app.tasks import purge_expired as task

    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-personal-data"]
    assert entry["task"] == task.name == "collections_app.tasks.purge_expired"
    settings.BUSINESS_DATE = TODAY.isoformat()
    result = task.delay().get()
    assert result["lenders"] == 2 and result["borrowers"] == 4


def test_the_retention_period_is_a_setting(book, settings):
    settings.RETENTION_YEARS = 4
    assert {r.code for r in purge_expired(today=TODAY, dry_run=True).lenders} == {"old", "gone", "recent"}


def test_cutoff_on_29_february():
    assert retention.retention_cutoff(today=dt.date(2028, 2, 29), years=5) == dt.date(2023, 2, 28)


def test_no_admin_page_deletes_records(admin_user):
    """Only configuration rows (buckets, strategy rules, targets, a schedule's installments) may be
    deleted in the admin; no borrower, loan, case or log record is hard-deleted by a user."""
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    deletable = {model.__name__ for model, model_admin in admin.site._registry.items()
                 if model_admin.has_delete_permission(request)}
    # AccessAttempt: deleting a sign-in lockout row is how an admin unlocks an account (django-axes)
    assert deletable <= {"Bucket", "StrategyRule", "Target", "AccessAttempt"}
    for model in (m.Borrower, m.ContactPoint, m.Loan, m.Payment, m.CollectionCase, m.ContactLog, m.CaseNote,
                  m.Lender):
        model_admin = admin.site._registry.get(model)
        if model_admin is not None:
            assert not model_admin.has_delete_permission(request), model.__name__
            for inline in model_admin.get_inline_instances(request):
                if inline.model is not m.Installment:
                    assert not inline.has_delete_permission(request), f"{model.__name__} inline {inline.model}"


def test_the_lender_setting_over_the_api(admin_user):
    from rest_framework.test import APIClient

    lender = f.LenderFactory(code="acme2")
    client = APIClient()
    client.force_authenticate(admin_user)
    assert client.get("/api/lenders/acme2/").json()["retention_mode"] == "anonymise"
    response = client.patch("/api/lenders/acme2/", {"retention_mode": "purge", "agreement_ends_on": "2020-01-31"},
                            format="json")
    assert response.status_code == 200
    lender.refresh_from_db()
    assert (lender.retention_mode, lender.agreement_ends_on) == ("purge", dt.date(2020, 1, 31))
    assert client.patch("/api/lenders/acme2/", {"retention_mode": "shred"}, format="json").status_code == 400
