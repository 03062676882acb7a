"""Redis (the broker) away: POST /imports/ and POST /api/imports/ answer at once, the job waits as
"queued" (the job row is the outbox) and the sweeper sends it when the broker is back."""
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from collections_app.models import ImportJob, ImportStatus, Loan
from collections_app.services.imports.jobs import enqueue_import, sweep_imports
from config.celery import app

pytestmark = pytest.mark.django_db

CSV = b"loan_id,borrower_id,borrower_name,principal,disbursed_on\nL1,B1,A,100,2025-01-01\n"


@pytest.fixture
def broker_down():
    """A broker URL on a port where nothing listens, and no eager shortcut."""
    conf = app.conf
    saved = (conf.CELERY_BROKER_URL, conf.CELERY_TASK_ALWAYS_EAGER, app._pool, app.amqp._producer_pool)
    conf.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # the key under the CELERY_ namespace wins
    conf.CELERY_TASK_ALWAYS_EAGER = False
    app._pool = None
    app.amqp._producer_pool = None
    yield
    conf.CELERY_BROKER_URL, conf.CELERY_TASK_ALWAYS_EAGER = saved[0], saved[1]
    app._pool, app.amqp._producer_pool = saved[2], saved[3]


def test_page_and_api_answer_at_once_and_the_sweeper_sends_the_job_later(
        client, admin_user, lender, broker_down, django_capture_on_commit_callbacks, caplog):
    client.force_login(admin_user)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/imports/", {"kind": "loans", "lender": "acme", "file": SimpleUploadedFile("a.csv", CSV)})
    api = APIClient()
    api.force_authenticate(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        posted = api.post("/api/imports/", {"kind": "loans", "lender": "acme", "file": SimpleUploadedFile("b.csv", CSV)},
                          format="multipart")
    assert time.monotonic() - started < 5  # was about 19 s each, then a 500
    assert page.status_code == 302
    assert posted.status_code == 202 and posted.json()["status"] == "queued"
    jobs = list(ImportJob.objects.order_by("id"))
    assert [(j.status, j.enqueued_at) for j in jobs] == [(ImportStatus.QUEUED, None)] * 2
    assert caplog.text.count("the task queue cannot be reached (Error 111 connecting to 127.0.0.1:1") == 2
    detail = client.get(page["Location"]).content.decode()
    assert "Waiting for a worker: the task queue cannot be reached right now" in detail
    assert 'hx-trigger="every 1s"' in detail

    # still away: the sweeper tries, fails quickly and keeps them
    assert sweep_imports(send=enqueue_import) == {"resumed": 0, "failed": 0, "requeued": 0}
    assert set(ImportJob.objects.values_list("status", flat=True)) == {ImportStatus.QUEUED}


def test_when_the_broker_is_back_the_sweeper_runs_the_waiting_jobs(client, admin_user, lender,
                                                                   django_capture_on_commit_callbacks):
    from collections_app.services.imports import create_import_job

    job = create_import_job(kind="loans", lender=lender, upload=SimpleUploadedFile("a.csv", CSV))
    assert job.enqueued_at is None  # created while the broker was away (nothing was sent)
    assert sweep_imports(send=enqueue_import) == {"resumed": 0, "failed": 0, "requeued": 1}  # eager: runs here
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.enqueued_at and Loan.objects.count() == 1
