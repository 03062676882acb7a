"""An htmx request after the session expired sends the whole window to the login page
(HX-Redirect), back to the page the user was on; ordinary requests keep the plain redirect."""
import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(lender, collector):
    return f.CaseFactory(lender=lender, assigned_to=collector)


def test_htmx_save_with_expired_session_redirects_the_whole_page(client, case):
    response = client.post(
        f"/cases/{case.pk}/contact/", {"outcome": "no_answer", "note": "typed before expiry"},
        HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver/cases/{case.pk}/",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/accounts/login/?next=%2Fcases%2F{case.pk}%2F"
    assert b"<form" not in response.content  # no login page to swap into the panel


def test_htmx_request_to_role_required_page_redirects_too(client):
    response = client.get("/queue/?bucket=M1", HTTP_HX_REQUEST="true",
                          HTTP_HX_CURRENT_URL="http://testserver/queue/?bucket=M1")
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fqueue%2F%3Fbucket%3DM1"


def test_foreign_current_url_is_not_followed(client, case):
    response = client.post(f"/cases/{case.pk}/contact/", {}, HTTP_HX_REQUEST="true",
                           HTTP_HX_CURRENT_URL="https://evil.example/phish")
    assert response["HX-Redirect"] == "/accounts/login/?next=%2F"


def test_plain_request_keeps_the_ordinary_redirect(client, case):
    response = client.post(f"/cases/{case.pk}/contact/", {"outcome": "no_answer"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not response.has_header("HX-Redirect")


def test_logged_in_htmx_request_is_untouched(client, case, collector):
    client.force_login(collector)
    response = client.post(f"/cases/{case.pk}/contact/", {"outcome": "no_answer"}, HTTP_HX_REQUEST="true")
    assert not response.has_header("HX-Redirect")
    assert b'id="contact-panel"' in response.content
    assert f'data-draft-key="contact-note:{collector.pk}:{case.pk}"'.encode() in response.content
