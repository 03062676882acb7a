"""The imports benchmark runs end to end on a few thousand rows and stores the right data (no timing)."""
import pytest

from collections_app.bench.common import BenchContext
from collections_app.bench.imports import LENDER, steps
from collections_app.models import Borrower, ContactPoint, Installment, Loan, Payment

pytestmark = pytest.mark.django_db


def test_bench_steps_store_the_generated_files(tmp_path):
    ctx = BenchContext(rows=3000, workdir=str(tmp_path), out=None)
    results = list(steps(ctx))
    assert [r.name for r in results] == ["import loans (first load)", "import loans (same file again)",
                                         "import payments", "check"]
    for r in results[:3]:
        assert r.rows == 3000 and r.seconds > 0 and r.baseline_seconds and r.peak_rss_mb
        assert "stored 3000, rejected 0, status done" in r.extra
    assert "created 0, updated 3000" in results[1].extra
    loans = Loan.objects.filter(lender__code=LENDER)
    assert loans.count() == 3000 and Borrower.objects.count() == 3000
    assert Installment.objects.count() == 3000 and Payment.objects.count() == 3000
    assert ContactPoint.objects.count() == 3000 * 5  # 2 phones, address, employer, emergency contact
    loan = loans.get(external_id="BL00000007")
    assert str(loan.principal) == "10007.00" and loan.raw["phones"] == "13800000007;13900000007"
    assert loan.installments.get().principal_due == 1007.50
    assert Payment.objects.get(external_id="BP000000007").loan == loan
