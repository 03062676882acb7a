"""Every demo login the README names works after ``seed_demo`` on a fresh database, lands on the
home page the README says, and the README names every demo user (the list is parsed, so the two
cannot drift apart)."""
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from accounts.models import User

README = Path(settings.BASE_DIR) / "README.md"
ROW = re.compile(r"^\|\s*([^|]+?)\s*\|\s*([^|]*`[^|]*)\|\s*`(/[^`]*)`\s*\|\s*$")
RANGE = re.compile(r"`([a-z_]+?)(\d+)`\s*…\s*`\1(\d+)`")
NAME = re.compile(r"`([A-Za-z0-9_.@+-]+)`")


def readme_logins() -> tuple[str, dict[str, str]]:
    """(password, {username: home path}) from the README's demo-login table."""
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- demo logins")
    block = text[start:text.index("\n\n", start)]
    password = re.findall(r"password \*\*`([^`]+)`\*\*", text[:start])[-1]
    logins = {}
    for line in block.splitlines():
        row = ROW.match(line)
        if not row:
            continue
        users, home = row.group(2), row.group(3)
        for prefix, lo, hi in RANGE.findall(users):
            for n in range(int(lo), int(hi) + 1):
                logins[f"{prefix}{n}"] = home
        for name in NAME.findall(RANGE.sub("", users)):
            logins[name] = home
    return password, logins


def test_the_readme_table_parses():
    password, logins = readme_logins()
    assert password and len(logins) >= 4
    assert {"/imports/", "/supervisor/", "/queue/", "/visits/", "/agency/"} == set(logins.values())


@pytest.mark.django_db(transaction=True)
def test_every_readme_login_works_after_seed_demo():
    password, logins = readme_logins()
    call_command("seed_demo", "--loans", "40", "--seed", "3", stdout=io.StringIO())

    demo_users = set(User.objects.filter(email__endswith="@demo.invalid").values_list("username", flat=True))
    assert set(logins) == demo_users, "the README's demo-login table and seed_demo disagree"
    for username, home in logins.items():
        client = Client()
        response = client.post("/accounts/login/", {"username": username, "password": password}, follow=True)
        assert response.status_code == 200, username
        assert response.wsgi_request.user.is_authenticated, f"{username} / {password} does not sign in"
        assert response.redirect_chain and response.redirect_chain[-1][0] == home, (username, response.redirect_chain)
