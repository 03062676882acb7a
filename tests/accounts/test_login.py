import pytest
from django.urls import reverse

from accounts.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (Role.COLLECTOR, "/queue/"),
        (Role.FIELD_AGENT, "/visits/"),
        (Role.SUPERVISOR, "/supervisor/"),
        (Role.ADMIN, "/imports/"),
    ],
)
def test_each_role_lands_on_its_own_home(client, role, home):
    f.UserFactory(username="someone", role=role)
    response = client.post(reverse("login"), {"username": "someone", "password": f.PASSWORD})
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == home


def test_wrong_password_stays_on_login_with_message(client):
    f.CollectorFactory(username="c1")
    response = client.post(reverse("login"), {"username": "c1", "password": "nope"})
    assert response.status_code == 200
    assert b"didn" in response.content or "不匹配".encode() in response.content


def test_anonymous_home_goes_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_is_chinese_by_default_and_english_on_request(client):
    zh = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert 'lang="zh-hans"' in zh.content.decode()
    en = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert 'lang="en"' in en.content.decode()
    assert "Log in" in en.content.decode()


def test_users_language_setting_wins_over_browser(client):
    user = f.CollectorFactory(username="c2", language="en")
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/accounts/login/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "zh-hans"


def test_superuser_is_an_admin(db):
    from accounts.models import User

    u = User.objects.create_superuser("root", "r@example.com", "pw-12345678")
    assert u.role == Role.ADMIN and u.is_staff


def test_logout_needs_post_and_logs_out(client):
    user = f.CollectorFactory(username="c3")
    client.force_login(user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302
