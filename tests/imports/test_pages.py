"""/imports/: admins only; upload, progress partial, history, error report download."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app.models import ImportJob, ImportStatus, Loan

pytestmark = pytest.mark.django_db

CSV = ("loan_id,borrower_id,borrower_name,principal,disbursed_on\n"
       "L1,B1,甲,100,2025-01-01\nL2,B2,乙,-5,2025-01-01\n").encode()


def upload(client, **extra):
    data = {"kind": "loans", "lender": "acme", "file": SimpleUploadedFile("book.csv", CSV, "text/csv"), **extra}
    return client.post("/imports/", data)


def test_anonymous_goes_to_login(client):
    response = client.get("/imports/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["collector", "supervisor"])
def test_collector_and_supervisor_get_403(client, request, persona, lender):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/imports/").status_code == 403
    assert upload(client).status_code == 403
    job = ImportJob.objects.create(kind="loans")
    assert client.get(f"/imports/{job.pk}/").status_code == 403
    assert client.get(f"/imports/{job.pk}/progress/").status_code == 403
    assert client.get(f"/imports/{job.pk}/errors.csv").status_code == 403
    assert Loan.objects.count() == 0


def test_admin_uploads_and_sees_result_and_error_report(client, admin_user, lender, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    page = client.get("/imports/")
    assert page.status_code == 200 and b'name="file"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    assert (job.status, job.stored_rows, job.rejected_rows, job.created_by) == (ImportStatus.DONE, 1, 1, admin_user)
    detail = client.get(response["Location"]).content.decode()
    assert "100%" in detail and 'id="error-report-link"' in detail and "every 1s" not in detail
    report = client.get(f"/imports/{job.pk}/errors.csv")
    body = b"".join(report.streaming_content)
    assert report.status_code == 200 and body.startswith(b"\xef\xbb\xbf")
    assert "L2,B2,乙,-5,2025-01-01,3,principal,must not be negative" in body.decode("utf-8-sig")
    history = client.get("/imports/").content.decode()
    assert "book.csv" in history and "admin1" in history


def test_progress_partial_polls_while_running(client, admin_user):
    client.force_login(admin_user)
    job = ImportJob.objects.create(kind="loans", status=ImportStatus.RUNNING, total_rows=200, processed_rows=50)
    partial = client.get(f"/imports/{job.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in partial and "width: 25%" in partial and "50 of 200" in partial


def test_bad_form_is_400_with_messages_and_stores_nothing(client, admin_user, lender):
    client.force_login(admin_user)
    response = client.post("/imports/", {"kind": "nonsense", "lender": "acme"})
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"kind", "file"}
    assert ImportJob.objects.count() == 0


def test_rejected_file_shows_its_message(client, admin_user, lender, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/imports/", {"kind": "payments", "lender": "acme",
                                  "file": SimpleUploadedFile("p.csv", b"foo,bar\n1,2\n")})
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED
    assert "Missing required column" in client.get(f"/imports/{job.pk}/").content.decode()


def test_history_is_paginated_with_fixed_queries(client, admin_user, lender):
    client.force_login(admin_user)
    for i in range(45):
        ImportJob.objects.create(kind="loans", lender=lender, created_by=admin_user, original_name=f"f{i}.csv")
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/imports/?page=2")
    assert page.status_code == 200 and "Page 2 of 3" in page.content.decode()
    assert len(ctx.captured_queries) <= 8
