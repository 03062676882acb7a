"""`manage.py bench --json PATH`: the contract's step objects (docs/performance.md), no timing asserted."""
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from collections_app.bench.common import BenchResult, p95

KEYS = {"step", "rows", "seconds", "baseline", "baseline_seconds", "ratio", "peak_mb", "p95_ms", "rate", "unit"}


@pytest.mark.django_db
def test_json_lists_the_import_steps_with_every_key(tmp_path):
    out = tmp_path / "bench.json"
    call_command("bench", rows=500, only=["imports"], workdir=str(tmp_path / "work"), json=str(out))
    steps = json.loads(out.read_text())
    assert [s["step"] for s in steps] == ["import_loans", "import_loans_again", "import_payments"]
    for s in steps:
        assert KEYS <= set(s)
        assert s["rows"] == 500 and s["seconds"] > 0 and s["unit"] == "rows"
        assert s["ratio"] == pytest.approx(s["seconds"] / s["baseline_seconds"], rel=0.01)
        assert s["p95_ms"] is None  # absent values are null, not missing


@pytest.mark.django_db
def test_web_and_delinquency_areas_say_why_they_skip_on_sqlite(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("on PostgreSQL these areas run (CI runs them at 10,000 rows in its benchmark step)")
    out = tmp_path / "bench.json"
    call_command("bench", rows=100, only=["web", "delinquency"], workdir=str(tmp_path), json=str(out))
    assert json.loads(out.read_text()) == []  # nothing measured, nothing claimed


def test_p95_is_the_nearest_rank():
    assert p95([float(v) for v in range(1, 101)]) == 95.0
    assert p95([3.0]) == 3.0
    assert p95([1.0, 2.0]) == 2.0  # rank ceil(0.95 * 2) = 2


def test_a_rate_step_misses_its_target_below_the_floor():
    step = BenchResult(name="mix", rows=100, seconds=10.0, step="web_mix", unit="requests", rate=12.0, min_rate=150.0)
    assert not step.ok and step.as_json()["rate"] == 12.0
    assert BenchResult(name="q", rows=10, seconds=1.0, step="queue_page", p95_ms=99.0, max_p95_ms=100.0).ok
    assert not BenchResult(name="q", rows=10, seconds=1.0, step="queue_page", p95_ms=101.0, max_p95_ms=100.0).ok


def test_the_web_mix_server_reads_the_sessions_the_bench_writes(settings):
    """gunicorn signs with the bench's SECRET_KEY: with another key every session the bench wrote was
    unreadable and the mix measured the sign-in page."""
    from collections_app.bench._load import _server_env

    settings.SECRET_KEY = "k" * 60
    assert _server_env()["SECRET_KEY"] == settings.SECRET_KEY


@pytest.mark.django_db(transaction=True)
def test_a_reused_book_drops_what_the_web_area_added_to_it(monkeypatch, is_postgres):
    """``BENCH_REUSE_BOOK=1`` after the web area ran on the same book: its contact log and assignment
    history refer to the cases, and go with them; the loans, instalments and payments stay."""
    if not is_postgres:
        pytest.skip("the delinquency bench's book is PostgreSQL only")
    from collections_app import models as m
    from collections_app.bench import delinquency
    from collections_app.services.nightly import run_delinquency

    monkeypatch.setenv("BENCH_REUSE_BOOK", "1")
    generated = delinquency.generate(300, delinquency.AS_OF)
    assert "reused" not in generated
    run_delinquency(as_of=delinquency.AS_OF, triggered_by="test")
    case = m.CollectionCase.objects.first()
    assert case is not None
    m.AssignmentHistory.objects.create(case=case, reason="web area")
    m.ContactLog.objects.create(case=case, borrower=case.borrower, channel="phone", outcome="no_answer",
                                occurred_at=timezone.now())
    reused = delinquency.generate(300, delinquency.AS_OF)
    assert reused["reused"] == 1 and reused["loans"] == 300
    assert not m.CollectionCase.objects.exists() and not m.ContactLog.objects.exists()
    assert not m.AssignmentHistory.objects.exists()
    assert m.Loan.objects.count() == 300 and m.Payment.objects.exists()
