#!/usr/bin/env python3
"""The project's two everyday commands, needing nothing but Python 3.11+:

    python3 dev.py run     # install into .venv, migrate SQLite, load demo data if empty, serve :8000
    python3 dev.py run --demo   # the same on DATABASE_URL's database, loading demo data if it is empty
    python3 dev.py test    # install into .venv and run the whole test suite (one process per core, at most 4)

Extra arguments after `test` go to pytest (e.g. `python3 dev.py test tests/domain -x`).
Environment variables (DATABASE_URL, REDIS_URL, ...) are passed through unchanged, so the same
commands run against PostgreSQL and Redis when those are set (see README). `run` turns DEBUG on
for itself only on the embedded SQLite database, and loads demo data (users with a known password)
only there, or with `--demo` / DEMO_DATA=1.
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
    for name in ("constraints.txt", "requirements.txt", requirements):
        digest.update((ROOT / name).read_bytes())
    stamp = VENV / f".installed-{req.stem}"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    if sh(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", req) != 0:
        sys.exit("Installing the requirements failed (see above).")
    stamp.write_text(digest.hexdigest())


def run_plan(argv, environ) -> tuple[dict, bool]:
    """The environment `run` serves with and whether it may load demo data into an empty database.

    On the embedded SQLite database (no DATABASE_URL) it is a development server: DEBUG on unless
    DEBUG is set, demo users with a known password. With DATABASE_URL it is a real database:
    DEBUG stays as set (off by default, so SECRET_KEY is required) and demo data only with
    `--demo` or DEMO_DATA=1."""
    env = dict(environ)
    embedded = not env.get("DATABASE_URL")
    if embedded and not env.get("DEBUG"):
        env["DEBUG"] = "1"
    flag = env.get("DEMO_DATA", "").strip().lower() in {"1", "true", "yes", "on"}
    return env, embedded or flag or "--demo" in argv


def cmd_run(argv) -> int:
    unknown = [a for a in argv if a != "--demo"]
    if unknown:
        sys.exit(f"Unknown argument(s) for run: {' '.join(unknown)} (only --demo)")
    ensure_venv("requirements.txt")
    env, demo = run_plan(argv, os.environ)
    if sh(PY, "manage.py", "migrate", "--noinput", env=env) != 0:
        return 1
    has_data = subprocess.run(
        [str(PY), "manage.py", "shell", "-c",
         "from collections_app.models import Loan; print(Loan.objects.exists())"],
        cwd=ROOT, capture_output=True, text=True, env=env,
    ).stdout.strip().endswith("True")
    if not has_data and demo:
        if sh(PY, "manage.py", "seed_demo", env=env) != 0:
            return 1
    elif not has_data:
        print("The database is empty; no demo data loaded (DATABASE_URL is set: add --demo or DEMO_DATA=1 "
              "to load demo users with a known password).", flush=True)
    addr = os.environ.get("ADDR", "127.0.0.1:8000")
    print(f"\nServing on http://{addr}/  (Ctrl-C stops)\n", flush=True)
    # --insecure serves static files when DEBUG is off too
    return sh(PY, "manage.py", "runserver", "--insecure", addr, env=env)


def test_args(argv, cpus) -> list[str]:
    """pytest's arguments: the whole suite in one xdist worker per core (at most 4) unless the
    arguments choose (``-n``, ``-p no:xdist``) or the machine has one core."""
    chosen = any(a == "-n" or a.startswith("-n") and a[2:].isdigit() or a.startswith("--numprocesses")
                 or a == "no:xdist" for a in argv)
    workers = min(cpus or 1, 4)
    return list(argv) if chosen or workers < 2 else ["-n", str(workers), *argv]


def cmd_test(argv) -> int:
    ensure_venv("requirements-dev.txt")
    return sh(PY, "-m", "pytest", *test_args(argv, os.cpu_count()))


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        print(__doc__)
        return 2
    return {"run": cmd_run, "test": cmd_test}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
