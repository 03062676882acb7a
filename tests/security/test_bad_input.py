"""Bad input everywhere people submit something: oversized, malformed, binary, formula and HTML values
into the uploads (imports, contact and visit recordings) and the text fields of the forms, the API
serializers and the list endpoints' query parameters. Each is a clear 4xx (never a 500) with a
message and stores nothing; text that is legitimately stored (a note may say ``<script>``) is shown
escaped. Runs on SQLite and, with DATABASE_URL set, on PostgreSQL (where a NUL in text would raise)."""
import datetime as dt
import os
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Team
from collections_app import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db

RANDOM = os.urandom(4096)
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
FORMULAS = ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(1)"]
SOON = (timezone.localdate() + dt.timedelta(days=2)).isoformat()


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def media_files(settings):
    root = settings.MEDIA_ROOT
    return [os.path.join(d, n) for d, _s, names in os.walk(root) for n in names] if os.path.isdir(root) else []


@pytest.fixture
def case(lender, collector):
    lender.contact_start, lender.contact_end = dt.time(0, 0), dt.time(23, 59, 59)
    lender.save()
    c = f.CaseFactory(lender=lender, assigned_to=collector, bucket="M1", stage="M1", dpd=35)
    loan = f.LoanFactory(lender=lender, borrower=c.borrower, case=c, external_id="LN-1", dpd=35, bucket="M1")
    f.InstallmentFactory(loan=loan, seq=1, due_date=dt.date(2026, 1, 1))
    f.ContactPointFactory(borrower=c.borrower, value="13800001111", is_primary=True)
    return c


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def stored_contacts():
    return m.ContactLog.objects.count(), m.PromiseToPay.objects.count()


def assert_clear_4xx(response, *, json=True):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    if json:
        body = response.json()
        assert body and isinstance(body, dict | list), body
    else:
        assert response.content.strip()


# --- contact form: API and page -------------------------------------------------------------------

BAD_CONTACTS = {
    "note over max_length": {"note": "x" * 100_000},
    "note with NUL": {"note": "a\x00b"},
    "note not a string": {"note": {"a": 1}},
    "number_used with NUL": {"number_used": "138\x000"},
    "number_used oversized": {"number_used": "1" * 10_000},
    "recording_ref oversized": {"recording_ref": "r" * 10_000},
    "callback not a time": {"callback_at": "tomorrow-ish"},
    "callback NUL": {"callback_at": "\x00"},
    "callback year 99999": {"callback_at": "99999-01-01T10:00:00"},
    "promise NaN": {"outcome": "promise", "promise_amount": "NaN", "promise_date": SOON},
    "promise Infinity": {"outcome": "promise", "promise_amount": "Infinity", "promise_date": SOON},
    "promise negative": {"outcome": "promise", "promise_amount": "-100", "promise_date": SOON},
    "promise 1e308": {"outcome": "promise", "promise_amount": "1e308", "promise_date": SOON},
    "promise huge digits": {"outcome": "promise", "promise_amount": "9" * 400, "promise_date": SOON},
    "promise formula": {"outcome": "promise", "promise_amount": "=1+1", "promise_date": SOON},
    "promise date invalid": {"outcome": "promise", "promise_amount": "100", "promise_date": "2026-02-30"},
    "promise date binary": {"outcome": "promise", "promise_amount": "100", "promise_date": "\x00\x01"},
    "channel HTML": {"channel": SCRIPT},
    "outcome formula": {"outcome": FORMULAS[0]},
    "overdue_reason HTML": {"overdue_reason": IMG},
    "contact_point huge": {"contact_point": "9" * 40},
    "contact_point negative": {"contact_point": "-1"},
}


def contact_body(over):
    body = {"channel": "phone", "outcome": "no_answer"}
    body.update(over)
    return body


@pytest.mark.parametrize("over", BAD_CONTACTS.values(), ids=BAD_CONTACTS.keys())
def test_api_contact_bad_input_is_400_and_stores_nothing(case, collector, over):
    before = stored_contacts()
    response = api_as(collector).post(f"/api/cases/{case.pk}/contacts/", contact_body(over), format="json")
    assert_clear_4xx(response)
    assert stored_contacts() == before


@pytest.mark.parametrize("over", [o for k, o in BAD_CONTACTS.items() if not isinstance(o.get("note"), dict)],
                         ids=[k for k, o in BAD_CONTACTS.items() if not isinstance(o.get("note"), dict)])
def test_page_contact_bad_input_is_400_and_stores_nothing(client, case, collector, over):
    client.force_login(collector)
    before = stored_contacts()
    response = client.post(f"/cases/{case.pk}/contact/", contact_body(over))
    assert_clear_4xx(response, json=False)
    assert stored_contacts() == before


def test_api_contact_body_that_is_not_utf8_or_json_is_400(case, collector):
    client = api_as(collector)
    for raw in (b"\xff\xfe\x00{not json", RANDOM, b'{"channel": "phone", "outcome": "no_answer", "note": "\xc3\x28"}'):
        response = client.post(f"/api/cases/{case.pk}/contacts/", raw, content_type="application/json")
        assert_clear_4xx(response)
    assert stored_contacts() == (0, 0)


@pytest.mark.parametrize("text", [SCRIPT, IMG, *FORMULAS])
def test_note_with_html_or_formula_is_stored_as_text_and_shown_escaped(client, case, collector, text):
    response = api_as(collector).post(f"/api/cases/{case.pk}/contacts/", contact_body({"note": text}), format="json")
    assert response.status_code == 201, response.content
    assert m.ContactLog.objects.get().note == text  # kept as typed: it is the collector's record
    client.force_login(collector)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    if text == SCRIPT:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and SCRIPT not in page
    elif text == IMG:
        assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page and IMG not in page
    else:
        assert text.replace('"', "&quot;") in page


def test_page_note_with_html_is_shown_escaped(client, case, collector):
    client.force_login(collector)
    response = client.post(f"/cases/{case.pk}/contact/", contact_body({"note": SCRIPT}))
    assert response.status_code == 302
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and SCRIPT not in page


# --- recordings ------------------------------------------------------------------------------------

BAD_RECORDINGS = {
    "html": ("call.html", b"<html><script>alert(1)</script></html>", "text/html"),
    "html named mp3": ("call.mp3", b"<script>alert(1)</script>", "audio/mpeg"),
    "random bytes": ("call.mp3", RANDOM, "audio/mpeg"),
    "NUL bytes": ("call.wav", b"\x00" * 4096, "audio/wav"),
    "formula csv": ("call.csv", b'=HYPERLINK("http://x","y")\n', "text/csv"),
    "oversized": ("call.mp3", b"ID3" + b"\x00" * (64 * 1024), "audio/mpeg"),
}


@pytest.mark.parametrize("name,data,ctype", BAD_RECORDINGS.values(), ids=BAD_RECORDINGS.keys())
def test_bad_contact_recording_is_refused_on_page_and_api(client, settings, case, collector, name, data, ctype):
    settings.RECORDING_MAX_BYTES = 32 * 1024
    client.force_login(collector)
    body = contact_body({"recording": SimpleUploadedFile(name, data, content_type=ctype)})
    response = client.post(f"/cases/{case.pk}/contact/", body)
    assert_clear_4xx(response, json=False)
    body = contact_body({"recording": SimpleUploadedFile(name, data, content_type=ctype)})
    response = api_as(collector).post(f"/api/cases/{case.pk}/contacts/", body, format="multipart")
    assert_clear_4xx(response)
    assert stored_contacts() == (0, 0)
    assert media_files(settings) == []


@pytest.fixture
def agent(db):
    return f.FieldAgentFactory(username="agent1")


@pytest.fixture
def visit(case, collector, agent):
    today = timezone.localdate()
    return m.FieldVisit.objects.create(
        case=case, agent=agent, requested_by=collector, status="approved", handed_over_on=today - dt.timedelta(days=5),
        due_on=today + dt.timedelta(days=1), address="Somewhere 1",
    )


BAD_VISITS = {
    "cash NaN": {"cash_collected": "NaN"},
    "cash Infinity": {"cash_collected": "Infinity"},
    "cash negative": {"cash_collected": "-5"},
    "cash 1e308": {"cash_collected": "1e308"},
    "cash over the column": {"cash_collected": "9" * 40},
    "cash formula": {"cash_collected": "=1+1"},
    "cash binary": {"cash_collected": "\x00\xff"},
    "met_whom NUL": {"met_whom": "bor\x00rower"},
    "agreement NUL": {"agreement": "pays\x00friday"},
    "safety NUL": {"safety_incident": "\x00"},
    "recording html": {"recording": ("v.html", b"<script>alert(1)</script>", "text/html")},
    "recording random": {"recording": ("v.mp3", RANDOM, "audio/mpeg")},
}


@pytest.mark.parametrize("over", BAD_VISITS.values(), ids=BAD_VISITS.keys())
def test_bad_visit_result_is_refused_with_a_message_and_stores_nothing(client, settings, visit, agent, over):
    client.force_login(agent)
    body = {"met_whom": "borrower", "place": "shop", "agreement": "", "cash_collected": ""}
    for k, v in over.items():
        body[k] = SimpleUploadedFile(*v[:2], content_type=v[2]) if isinstance(v, tuple) else v
    response = client.post(f"/visits/{visit.pk}/result/", body, follow=True)
    assert response.status_code < 500
    # the visit pages answer with a redirect and the message on the list (post/redirect/get)
    assert any(msg.level_tag == "error" for msg in response.context["messages"]), response.content[:300]
    visit.refresh_from_db()
    assert visit.status == "approved" and not visit.recording
    assert not m.Payment.objects.exists()
    assert media_files(settings) == []


def test_visit_text_with_html_is_kept_as_text(client, visit, agent):
    client.force_login(agent)
    client.post(f"/visits/{visit.pk}/result/", {"met_whom": SCRIPT, "place": IMG, "agreement": FORMULAS[0]})
    visit.refresh_from_db()
    assert (visit.status, visit.met_whom, visit.place) == ("done", SCRIPT, IMG)


# --- imports: page and API -------------------------------------------------------------------------

BAD_FILES = {
    "random bytes as csv": ("loans.csv", RANDOM),
    "random bytes as xlsx": ("loans.xlsx", RANDOM),
    "NUL bytes": ("loans.csv", b"\x00" * 8192),
    "html": ("loans.csv", f"<html>{SCRIPT}</html>".encode()),
    "utf-16": ("loans.csv", "loan_id,borrower_id\nL1,B1\n".encode("utf-16")),
    "not a sheet": ("loans.exe", b"MZ\x90\x00" + RANDOM),
    "empty": ("loans.csv", b""),
}


def assert_nothing_imported():
    assert (m.Borrower.objects.count(), m.Loan.objects.count(), m.Payment.objects.count()) == (0, 0, 0)


def _outcome(django_capture_on_commit_callbacks, post):
    with django_capture_on_commit_callbacks(execute=True):
        response = post()
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        assert response.content.strip()
        assert m.ImportJob.objects.count() == 0
    else:  # accepted for the worker: the job then fails with its reason
        job = m.ImportJob.objects.get()
        assert job.status == m.ImportStatus.FAILED and job.message, (job.status, job.message)
        assert not job.file
    return response


@pytest.mark.parametrize("name,data", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_upload_on_the_imports_page(client, settings, admin_user, lender, django_capture_on_commit_callbacks,
                                        name, data):
    client.force_login(admin_user)
    _outcome(django_capture_on_commit_callbacks, lambda: client.post(
        "/imports/", {"kind": "loans", "lender": "acme", "file": SimpleUploadedFile(name, data)}))
    assert_nothing_imported()
    assert [p for p in media_files(settings) if "import_errors" not in p] == []


@pytest.mark.parametrize("name,data", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_upload_on_the_api(settings, admin_user, lender, django_capture_on_commit_callbacks, name, data):
    client = api_as(admin_user)
    response = _outcome(django_capture_on_commit_callbacks, lambda: client.post(
        "/api/imports/", {"kind": "loans", "lender": "acme", "file": SimpleUploadedFile(name, data)}, format="multipart"))
    if response.status_code >= 400:
        assert response.json()
    assert_nothing_imported()
    assert [p for p in media_files(settings) if "import_errors" not in p] == []


FORM_FIELDS = {
    "kind html": ({"kind": SCRIPT}, True),
    "lender html": ({"kind": "loans", "lender": IMG}, True),
    "lender NUL": ({"kind": "loans", "lender": "acme\x00"}, True),
    "lender oversized": ({"kind": "loans", "lender": "a" * 10_000}, True),
    # the page's form has no encoding field; dry_run is a checkbox there
    "encoding NUL": ({"kind": "loans", "lender": "acme", "encoding": "\x00"}, False),
    "encoding oversized": ({"kind": "loans", "lender": "acme", "encoding": "utf-7" * 1000}, False),
    "dry_run not a boolean": ({"kind": "loans", "lender": "acme", "dry_run": "maybe"}, False),
}


@pytest.mark.parametrize("over,on_page", FORM_FIELDS.values(), ids=FORM_FIELDS.keys())
def test_bad_import_form_fields(client, admin_user, lender, over, on_page):
    if on_page:
        client.force_login(admin_user)
        page = client.post("/imports/", {**over, "file": SimpleUploadedFile("l.csv", b"loan_id\nL1\n")})
        assert_clear_4xx(page, json=False)
        assert SCRIPT not in page.content.decode() and IMG not in page.content.decode()
    data = {**over, "file": SimpleUploadedFile("l.csv", b"loan_id\nL1\n")}
    assert_clear_4xx(api_as(admin_user).post("/api/imports/", data, format="multipart"))
    assert m.ImportJob.objects.count() == 0


def test_upload_filename_with_html_is_shown_escaped(client, admin_user, lender, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/imports/", {"kind": "loans", "lender": "acme",
                                  "file": SimpleUploadedFile(f'{IMG}.csv', b"loan_id\nL1\n")})
    job = m.ImportJob.objects.get()
    page = client.get(f"/imports/{job.pk}/").content.decode() + client.get("/imports/").content.decode()
    assert "<img src=x" not in page


# --- admin API: lenders, teams, users --------------------------------------------------------------

BAD_ADMIN = [
    ("/api/lenders/", m.Lender, {"code": "x" * 500, "name": "Long"}),
    ("/api/lenders/", m.Lender, {"code": "nul\x00", "name": "Nul"}),
    ("/api/lenders/", m.Lender, {"code": "ok1", "name": "n\x00"}),
    ("/api/lenders/", m.Lender, {"code": "ok2", "name": "N" * 10_000}),
    ("/api/lenders/", m.Lender, {"code": SCRIPT, "name": "html code"}),
    ("/api/lenders/", m.Lender, {"code": "ok3", "name": "x", "contact_start": "25:99"}),
    ("/api/lenders/", m.Lender, {"code": "ok4", "name": "x", "max_promise_days": "1e308"}),
    ("/api/lenders/", m.Lender, {"code": "ok5", "name": "x", "max_promise_days": 10**30}),
    ("/api/lenders/", m.Lender, {"code": "ok6", "name": ["a", "b"]}),
    ("/api/teams/", Team, {"name": "t\x00", "lender": "acme"}),
    ("/api/teams/", Team, {"name": "T" * 10_000, "lender": "acme"}),
    ("/api/teams/", Team, {"name": "ok", "lender": SCRIPT}),
    ("/api/users/", None, {"username": "u\x00", "role": "collector", "password": "Xk29!sdfqw-long"}),
    ("/api/users/", None, {"username": "u" * 10_000, "role": "collector", "password": "Xk29!sdfqw-long"}),
    ("/api/users/", None, {"username": SCRIPT, "role": "collector", "password": "Xk29!sdfqw-long"}),
    ("/api/users/", None, {"username": "okuser", "role": FORMULAS[0], "password": "Xk29!sdfqw-long"}),
    ("/api/users/", None, {"username": "okuser2", "role": "collector", "team": "1e308", "password": "Xk29!sdfqw-long"}),
]


@pytest.mark.parametrize("url,model,body", BAD_ADMIN, ids=[f"{u}{i}" for i, (u, _m, _b) in enumerate(BAD_ADMIN)])
def test_admin_api_bad_input_is_400_and_stores_nothing(admin_user, lender, url, model, body):
    from django.contrib.auth import get_user_model

    model = model or get_user_model()
    before = model.objects.count()
    assert_clear_4xx(api_as(admin_user).post(url, body, format="json"))
    assert model.objects.count() == before


# --- query parameters of list endpoints -----------------------------------------------------------

LISTS = ["/api/cases/", "/api/loans/", "/api/borrowers/", "/api/payments/", "/api/promises/", "/api/installments/"]
PARAMS = [{"page": "abc"}, {"page": "1e308"}, {"page": "-1"}, {"page_size": "99999999999999999999"},
          {"ordering": SCRIPT}, {"ordering": "\x00"}, {"dpd_min": "NaN"}, {"dpd_min": "1e308"}, {"bucket": "\x00"},
          {"lender": IMG}, {"search": "\x00" + "x" * 5000}, {"updated_since": "not-a-date"}, {"paid_from": "2026-02-30"}]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("params", PARAMS, ids=[next(iter(p)) + str(i) for i, p in enumerate(PARAMS)])
def test_list_query_parameters_never_500_and_never_echo_html(admin_user, case, url, params):
    response = api_as(admin_user).get(url, params)
    assert response.status_code in (200, 400, 404), (response.status_code, response.content[:300])
    if response.status_code >= 400:
        assert response.json()
    assert "<script>" not in response.content.decode(errors="replace") or response["Content-Type"].startswith(
        "application/json")


@pytest.mark.parametrize("params", [{"q": "\x00"}, {"q": SCRIPT}, {"bucket": IMG}, {"page": "1e308"}, {"sort": "\x00"}])
def test_queue_and_dashboard_query_parameters(client, case, collector, supervisor, params):
    client.force_login(collector)
    r = client.get("/queue/", params)
    assert r.status_code < 500 and SCRIPT not in r.content.decode() and IMG not in r.content.decode()
    client.force_login(supervisor)
    r = client.get("/supervisor/", params)
    assert r.status_code < 500 and SCRIPT not in r.content.decode() and IMG not in r.content.decode()


def test_promise_money_is_bounded(case, collector):
    response = api_as(collector).post(f"/api/cases/{case.pk}/contacts/",
                                      contact_body({"outcome": "promise", "promise_amount": "800.005", "promise_date": SOON}),
                                      format="json")
    assert response.status_code in (201, 400)
    if response.status_code == 201:
        assert m.PromiseToPay.objects.get().amount == Decimal("800.01") or m.PromiseToPay.objects.get().amount == Decimal(
            "800.00")
