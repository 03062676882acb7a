"""The CI dependency audit fails on a known vulnerability and says loudly when it could not run."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("audit_dependencies", ROOT / "scripts" / "audit_dependencies.py")
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)

CLEAN = {"name": "django", "version": "5.2.19", "vulns": []}
VULNERABLE = {"name": "django", "version": "5.2.8", "vulns": [
    {"id": "PYSEC-2025-0001", "fix_versions": ["5.2.9"], "aliases": ["CVE-2025-0001"], "description": "..."}]}
SKIPPED = {"name": "amqp", "skip_reason": "Dependency not found on PyPI and could not be audited: amqp (5.4.2)"}


def test_a_known_vulnerability_fails():
    code, message = audit.verdict({"dependencies": [CLEAN, VULNERABLE, SKIPPED]}, require_database=False)
    assert code == 1
    assert "django==5.2.8  PYSEC-2025-0001  (fixed in: 5.2.9)" in message


def test_a_clean_audit_passes():
    code, message = audit.verdict({"dependencies": [CLEAN]}, require_database=True)
    assert (code, message) == (0, "Dependency audit passed: 1 pinned packages, no known vulnerabilities.")


def test_an_unreachable_database_is_announced_and_fails_when_required():
    for report in ({"dependencies": [CLEAN, SKIPPED]}, None):
        code, message = audit.verdict(report, require_database=False, error="ConnectionError: osv.dev")
        assert code == 0
        assert "DEPENDENCY AUDIT DID NOT RUN FULLY" in message and "NOT be reported" in message
        code, message = audit.verdict(report, require_database=True)
        assert code == 2 and "Failing" in message
    assert "1 of 2 pinned packages could NOT be checked" in audit.verdict(
        {"dependencies": [CLEAN, SKIPPED]}, require_database=False)[1]


def test_every_requirement_is_pinned_exactly_and_locked():
    lock = {line.split("==")[0].lower().replace("_", "-") for line in (ROOT / "constraints.txt").read_text().splitlines()
            if line and not line.startswith("#")}
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            if not line or line.startswith(("#", "-r ", "-c ")):
                continue
            assert "==" in line, line
            assert line.split("==")[0].lower().replace("_", "-") in lock, line
    assert "django==5.2.19" in (ROOT / "constraints.txt").read_text().lower()
