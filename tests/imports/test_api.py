"""POST /api/imports/, GET /api/imports/{id}/ and its errors/ report (docs/api.md)."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from collections_app.models import ImportJob, Loan

pytestmark = pytest.mark.django_db

CSV = "贷款编号,客户编号,客户姓名,贷款本金,放款日期\nL1,B1,甲,\"1,000\",2025-01-01\nL2,B2,乙,1,2025-13-01\n".encode()


@pytest.fixture
def api():
    return APIClient()


def post(api, **extra):
    data = {"kind": "loans", "lender": "acme", "file": SimpleUploadedFile("a.csv", CSV), **extra}
    return api.post("/api/imports/", data, format="multipart")


def test_anonymous_is_refused(api, lender):
    assert post(api).status_code in (401, 403)
    assert api.get("/api/imports/1/").status_code in (401, 403)


@pytest.mark.parametrize("persona", ["collector", "supervisor"])
def test_non_admin_gets_403(api, request, persona, lender):
    api.force_authenticate(request.getfixturevalue(persona))
    assert post(api).status_code == 403
    job = ImportJob.objects.create(kind="loans")
    assert api.get(f"/api/imports/{job.pk}/").status_code == 403
    assert api.get(f"/api/imports/{job.pk}/errors/").status_code == 403
    assert Loan.objects.count() == 0


def test_admin_posts_and_polls(api, admin_user, lender, django_capture_on_commit_callbacks):
    api.force_authenticate(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api)
    assert response.status_code == 202
    assert set(response.json()) == {"id", "status"}
    job_id = response.json()["id"]
    body = api.get(f"/api/imports/{job_id}/").json()
    for key in ("id", "kind", "status", "total_rows", "processed_rows", "stored_rows", "rejected_rows", "errors"):
        assert key in body
    assert (body["kind"], body["status"], body["total_rows"], body["stored_rows"], body["rejected_rows"]) == (
        "loans", "done", 2, 1, 1)
    assert body["errors"] == [{"row": 3, "column": "放款日期 (disbursed_on)", "error": "not a valid calendar date"}]
    report = api.get(f"/api/imports/{job_id}/errors/")
    assert report.status_code == 200
    assert "not a valid calendar date" in b"".join(report.streaming_content).decode("utf-8-sig")
    assert Loan.objects.get().principal == 1000


def test_bad_input_is_400_with_field_messages(api, admin_user, lender):
    api.force_authenticate(admin_user)
    response = api.post("/api/imports/", {"kind": "cats", "lender": "ghost"}, format="multipart")
    assert response.status_code == 400
    assert set(response.json()) >= {"kind", "lender", "file"}
    assert ImportJob.objects.count() == 0


def test_unknown_ids_are_404(api, admin_user):
    api.force_authenticate(admin_user)
    assert api.get("/api/imports/999/").status_code == 404
    assert api.get("/api/imports/abc/").status_code == 404
    job = ImportJob.objects.create(kind="loans")
    assert api.get(f"/api/imports/{job.pk}/errors/").status_code == 404


def test_schema_documents_the_import_endpoints(api, admin_user):
    api.force_authenticate(admin_user)
    schema = api.get("/api/schema/?format=json").json()
    assert "/api/imports/" in schema["paths"] and "/api/imports/{id}/" in schema["paths"]
    assert "/api/imports/{id}/errors/" in schema["paths"]
    assert "multipart/form-data" in schema["paths"]["/api/imports/"]["post"]["requestBody"]["content"]
