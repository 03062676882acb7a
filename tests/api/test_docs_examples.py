"""Every curl example in docs/api.md runs against a live server and answers the documented status."""
import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests import factories as f

from .conftest import make_case

DOC = Path(settings.BASE_DIR) / "docs" / "api.md"
BLOCK = re.compile(r"```bash\n(.*?)```", re.S)
EXPECT = re.compile(r"^# -> (\d{3})\s*$", re.M)


def examples():
    found = []
    for block in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        match = EXPECT.search(block)
        assert match, f"example without '# -> <status>': {block!r}"
        found.append((block[: match.start()].strip(), int(match.group(1))))
    return found


def test_docs_have_examples_for_the_main_calls():
    commands = " ".join(cmd for cmd, _ in examples())
    for needle in ("/api/auth/token/", "/api/loans/", "/contacts/", "/assign/", "/api/promises/", "/api/payments/",
                   "/api/lenders/", "/api/teams/", "/api/users/"):
        assert needle in commands
    assert {status for _, status in examples()} >= {200, 201, 400, 401, 404, 409}


@pytest.mark.skipif(not shutil.which("curl"), reason="needs curl")
def test_curl_examples_answer_the_documented_status(live_server, transactional_db):
    from rest_framework.authtoken.models import Token

    lender = f.LenderFactory(code="acme", name="Acme Finance")
    lender.contact_start, lender.contact_end = dt.time(0, 0), dt.time(23, 59, 59)
    lender.save()
    admin = f.AdminFactory(username="admin")
    admin.set_password("admin-pass-123")
    admin.save()
    supervisor = f.SupervisorFactory(username="sup")
    team = f.TeamFactory(name="Team A", supervisor=supervisor)
    collector = f.CollectorFactory(username="coll", team=team)
    case = make_case(lender, collector)
    stopped = make_case(lender, collector)
    stopped.borrower.cease_contact = True
    stopped.borrower.save()
    today = timezone.localdate()
    env = {
        **os.environ,
        "TOKEN": Token.objects.get_or_create(user=admin)[0].key,
        "CASE_ID": str(case.id),
        "STOPPED_CASE_ID": str(stopped.id),
        "LOAN_ID": str(case.loans.get().id),
        "COLLECTOR_ID": str(collector.id),
        "SUPERVISOR_ID": str(supervisor.id),
        "TODAY": today.isoformat(),
        "IN_THREE_DAYS": (today + dt.timedelta(days=3)).isoformat(),
    }
    for command, expected in examples():
        command = command.replace("http://127.0.0.1:8000", live_server.url)
        script = command.replace("curl -s ", "curl -s -o /dev/null -w '%{http_code}' ", 1)
        result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
        assert result.stdout.strip() == str(expected), (command, result.stdout, result.stderr)
