"""The product speaks Simplified Chinese by default, English on request, from compiled catalogues."""
import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.zh]


def test_login_page_is_chinese_by_default(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'lang="zh-hans"' in html and "登录" in html


def test_user_language_setting_switches_to_english(client, collector):
    collector.language = "en"
    collector.save()
    client.force_login(collector)
    html = client.get("/queue/").content.decode()
    assert 'lang="en"' in html and "My queue" in html


def test_collector_queue_in_chinese(client, collector):
    client.force_login(collector)
    html = client.get("/queue/").content.decode()
    assert "我的队列" in html
