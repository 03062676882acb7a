#!/usr/bin/env python3
"""The project's two everyday commands, needing nothing but Python 3.11+:

    python3 dev.py run     # install into .venv, migrate SQLite, load demo data if empty, serve :8000
    python3 dev.py test    # install into .venv and run the whole test suite

Extra arguments after `test` go to pytest (e.g. `python3 dev.py test tests/domain -x`).
Environment variables (DATABASE_URL, REDIS_URL, ...) are passed through unchanged, so the same
commands run against PostgreSQL and Redis when those are set (see README).
"""
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def sh(*args, env=None):
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)


def ensure_venv(requirements: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (must run on old Pythons to say so)
        sys.exit("Python 3.11 or newer is needed (this is %s)." % sys.version.split()[0])  # noqa: UP031
    if not PY.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    req = ROOT / requirements
    digest = hashlib.sha256()
    for name in ("requirements.txt", requirements):
        digest.update((ROOT / name).read_bytes())
    stamp = VENV / f".installed-{req.stem}"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    if sh(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", req) != 0:
        sys.exit("Installing the requirements failed (see above).")
    stamp.write_text(digest.hexdigest())


def manage(*args) -> int:
    return sh(PY, "manage.py", *args)


def cmd_run(argv) -> int:
    ensure_venv("requirements.txt")
    if manage("migrate", "--noinput") != 0:
        return 1
    has_data = subprocess.run(
        [str(PY), "manage.py", "shell", "-c",
         "from collections_app.models import Loan; print(Loan.objects.exists())"],
        cwd=ROOT, capture_output=True, text=True,
    ).stdout.strip().endswith("True")
    if not has_data:
        if manage("seed_demo") != 0:
            return 1
    addr = os.environ.get("ADDR", "127.0.0.1:8000")
    print(f"\nServing on http://{addr}/  (Ctrl-C stops)\n", flush=True)
    # --insecure serves static files when DEBUG is off too
    return manage("runserver", "--insecure", addr)


def cmd_test(argv) -> int:
    ensure_venv("requirements-dev.txt")
    return sh(PY, "-m", "pytest", *argv)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        print(__doc__)
        return 2
    return {"run": cmd_run, "test": cmd_test}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
