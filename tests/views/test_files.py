"""Stored files leave only through access-checked views, as attachments, and each download is
recorded; /media/ serves nothing; a recording must be audio."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from collections_app import models as m
from collections_app.services import contacts as contact_svc
from collections_app.services import visits as visit_svc
from tests import factories as f

pytestmark = pytest.mark.django_db
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 64
HTML = b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def job(admin_user, lender):
    job = m.ImportJob.objects.create(kind="loans", lender=lender, created_by=admin_user, original_name="loans.csv",
                                     status="done")
    job.file.save("loans.csv", ContentFile(b"loan_id,national_id\nL1,110101199001011234\n"), save=False)
    job.error_report.save("loans-errors.csv", ContentFile(b"\xef\xbb\xbfloan_id,row,column,error\n"), save=False)
    job.save()
    return job


@pytest.fixture
def case(lender, collector):
    return f.CaseFactory(lender=lender, assigned_to=collector, team=collector.team)


@pytest.fixture
def contact(case, collector):
    log = f.ContactLogFactory(case=case, user=collector)
    log.recording.save("call.mp3", ContentFile(MP3))
    return log


def assert_safe_attachment(resp, content_type):
    assert resp.status_code == 200
    assert resp["Content-Disposition"].startswith("attachment")
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp["Content-Type"] == content_type
    assert "html" not in resp["Content-Type"]


# --- /media/ is not served -------------------------------------------------------------------

def test_media_urls_serve_nothing_to_anyone(client, job, contact, admin_user):
    for fieldfile in (job.file, job.error_report, contact.recording):
        assert (m.ImportJob.objects.count(), fieldfile.storage.exists(fieldfile.name)) == (1, True)
        assert client.get(f"/media/{fieldfile.name}").status_code == 404
    client.force_login(admin_user)
    assert client.get(f"/media/{job.file.name}").status_code == 404


# --- import files and error reports ------------------------------------------------------------

def test_admin_downloads_error_report_as_attachment_and_it_is_recorded(client, job, admin_user):
    client.force_login(admin_user)
    resp = client.get(f"/imports/{job.pk}/errors.csv")
    assert_safe_attachment(resp, "text/csv; charset=utf-8")
    assert b"".join(resp.streaming_content).startswith(b"\xef\xbb\xbf")
    access = m.PersonalDataAccess.objects.get()
    assert (access.user, access.borrower, access.import_job, access.file, access.what) == (
        admin_user, None, job, job.error_report.name, "import error report")


def test_admin_downloads_the_uploaded_file_and_it_is_recorded(client, job, admin_user):
    client.force_login(admin_user)
    page = client.get(f"/imports/{job.pk}/")
    assert f'href="/imports/{job.pk}/file"' in page.content.decode()
    resp = client.get(f"/imports/{job.pk}/file")
    assert_safe_attachment(resp, "text/csv; charset=utf-8")
    assert b"110101199001011234" in b"".join(resp.streaming_content)
    assert m.PersonalDataAccess.objects.get().what == "import file"


@pytest.mark.parametrize("path", ["/imports/{pk}/errors.csv", "/imports/{pk}/file"])
def test_other_roles_cannot_download_import_files(client, job, collector, supervisor, path):
    assert client.get(path.format(pk=job.pk)).status_code == 302  # anonymous: to the login page
    for user in (collector, supervisor):
        client.force_login(user)
        assert client.get(path.format(pk=job.pk)).status_code in (403, 404)
    assert not m.PersonalDataAccess.objects.exists()


def test_api_links_and_downloads_are_attachments_and_recorded(client, job, admin_user, collector):
    client.force_login(admin_user)
    data = client.get(f"/api/imports/{job.pk}/").json()
    assert data["error_report_url"].endswith(f"/api/imports/{job.pk}/errors/")
    assert data["file_url"].endswith(f"/api/imports/{job.pk}/file/")
    assert_safe_attachment(client.get(f"/api/imports/{job.pk}/errors/"), "text/csv; charset=utf-8")
    assert_safe_attachment(client.get(f"/api/imports/{job.pk}/file/"), "text/csv; charset=utf-8")
    assert sorted(m.PersonalDataAccess.objects.values_list("what", flat=True)) == ["import error report", "import file"]
    client.force_login(collector)
    assert client.get(f"/api/imports/{job.pk}/file/").status_code == 403
    client.logout()
    assert client.get(f"/api/imports/{job.pk}/file/").status_code == 401
    assert m.PersonalDataAccess.objects.count() == 2


def test_x_accel_redirect_mode_hands_the_file_to_the_front_server(client, job, admin_user, settings):
    settings.PRIVATE_FILE_SERVING = "x-accel-redirect"
    client.force_login(admin_user)
    resp = client.get(f"/imports/{job.pk}/errors.csv")
    assert resp["X-Accel-Redirect"] == f"/protected-media/{job.error_report.name}"
    assert resp["Content-Disposition"].startswith("attachment")
    assert resp.content == b""
    settings.PRIVATE_FILE_SERVING = "x-sendfile"
    resp = client.get(f"/imports/{job.pk}/errors.csv")
    assert resp["X-Sendfile"] == job.error_report.path


# --- recordings --------------------------------------------------------------------------------

def test_recording_reaches_those_who_see_the_case_only(client, contact, collector, other_collector, supervisor):
    url = f"/contacts/{contact.pk}/recording/"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(other_collector)
    assert client.get(url).status_code == 404
    client.force_login(f.FieldAgentFactory())
    assert client.get(url).status_code == 404
    assert not m.PersonalDataAccess.objects.exists()
    for user in (collector, supervisor):
        client.force_login(user)
        resp = client.get(url)
        assert_safe_attachment(resp, "audio/mpeg")
        assert b"".join(resp.streaming_content) == MP3
    assert m.PersonalDataAccess.objects.filter(what="call recording", borrower=contact.borrower).count() == 2


def test_case_page_links_the_recording_through_the_checked_view(client, contact, collector):
    client.force_login(collector)
    html = client.get(f"/cases/{contact.case_id}/").content.decode()
    assert f'href="/contacts/{contact.pk}/recording/"' in html
    assert "/media/" not in html


def test_a_stored_html_file_is_never_sent_as_html(client, case, collector):
    log = f.ContactLogFactory(case=case, user=collector)
    log.recording.save("call.html", ContentFile(HTML))
    client.force_login(collector)
    resp = client.get(f"/contacts/{log.pk}/recording/")
    assert_safe_attachment(resp, "application/octet-stream")
    assert "sandbox" in resp["Content-Security-Policy"]


def test_visit_recording_for_its_agent_and_the_case_owner_only(client, case, collector, other_collector):
    agent = f.FieldAgentFactory()
    visit = m.FieldVisit.objects.create(case=case, agent=agent, status="done")
    visit.recording.save("visit.mp3", ContentFile(MP3))
    url = f"/visits/{visit.pk}/recording/"
    for user, status in ((agent, 200), (collector, 200), (other_collector, 404), (f.FieldAgentFactory(), 404)):
        client.force_login(user)
        assert client.get(url).status_code == status


def upload(name, content, content_type):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    "name,content,content_type",
    [
        ("call.html", HTML, "text/html"),  # not audio at all
        ("call.mp3", HTML, "audio/mpeg"),  # named and typed as audio, but HTML inside
        ("call.mp3", MP3, "text/html"),  # audio inside, sent as HTML
        ("call.exe", MP3, "audio/mpeg"),
        ("call.mp3", b"", "audio/mpeg"),
    ],
)
def test_log_contact_refuses_a_recording_that_is_not_audio(case, collector, name, content, content_type):
    now = dt.datetime(2026, 3, 4, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with pytest.raises(ValidationError) as exc:
        contact_svc.log_contact(case=case, user=collector, channel="phone", outcome="no_answer", now=now,
                                recording=upload(name, content, content_type))
    assert "recording" in exc.value.message_dict
    assert not m.ContactLog.objects.exists()


def test_recordings_over_the_cap_are_refused_and_audio_is_kept(case, collector, settings):
    now = dt.datetime(2026, 3, 4, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    settings.RECORDING_MAX_BYTES = 50
    with pytest.raises(ValidationError) as exc:
        contact_svc.log_contact(case=case, user=collector, channel="phone", outcome="no_answer", now=now,
                                recording=upload("call.mp3", MP3, "audio/mpeg"))
    assert "too large" in exc.value.message_dict["recording"][0]
    settings.RECORDING_MAX_BYTES = 1024
    for name, head, ctype in (("a.mp3", MP3, "audio/mpeg"), ("b.wav", b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"),
                              ("c.m4a", b"\x00\x00\x00\x20ftypM4A ", "audio/x-m4a"), ("d.amr", b"#!AMR\n", "audio/amr")):
        log = contact_svc.log_contact(case=case, user=collector, channel="sms", outcome="no_answer", now=now,
                                      recording=upload(name, head + b"\x00" * 32, ctype))
        assert log.recording.name.endswith(name[1:])


def test_case_page_refuses_an_html_recording_and_stores_nothing(client, case, collector):
    client.force_login(collector)
    resp = client.post(f"/cases/{case.pk}/contact/", {
        "channel": "phone", "outcome": "no_answer", "recording": upload("call.html", HTML, "text/html")})
    assert resp.status_code == 400
    assert "audio file" in resp.content.decode()
    assert not m.ContactLog.objects.exists()


def test_visit_result_refuses_an_html_recording(case, collector):
    agent = f.FieldAgentFactory()
    visit = m.FieldVisit.objects.create(case=case, agent=agent, status="approved", due_on=timezone.localdate())
    with pytest.raises(ValidationError) as exc:
        visit_svc.record_visit_result(visit=visit, user=agent, met_whom="borrower", place="home",
                                      recording=upload("visit.mp3", HTML, "audio/mpeg"))
    assert "recording" in exc.value.message_dict
    visit.refresh_from_db()
    assert (visit.status, visit.recording.name) == ("approved", "")


def test_admin_links_stored_files_through_the_checked_views(client, admin_user, job, contact):
    client.force_login(admin_user)
    html = client.get(f"/admin/collections_app/importjob/{job.pk}/change/").content.decode()
    assert f'href="/imports/{job.pk}/file"' in html and f'href="/imports/{job.pk}/errors.csv"' in html
    html = client.get(f"/admin/collections_app/contactlog/{contact.pk}/change/").content.decode()
    assert f'href="/contacts/{contact.pk}/recording/"' in html
    visit = m.FieldVisit.objects.create(case=contact.case, status="done")
    visit.recording.save("visit.mp3", ContentFile(MP3))
    html = client.get(f"/admin/collections_app/fieldvisit/{visit.pk}/change/").content.decode()
    assert f'href="/visits/{visit.pk}/recording/"' in html
    assert 'type="file"' not in html  # no upload past the audio check
    for page in (f"/admin/collections_app/importjob/{job.pk}/change/", f"/admin/collections_app/contactlog/{contact.pk}/change/"):
        assert "/media/" not in client.get(page).content.decode()
