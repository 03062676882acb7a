"""Bulk imports write django-simple-history rows set-based: '+' per created row, '~' per changed row,
none for an unchanged re-import; the importing user and the job are named. Runs on SQLite (generic
writer) and, with DATABASE_URL set, on PostgreSQL (pg.py fast path)."""
import pytest

from collections_app.models import Borrower, ContactPoint, Loan
from collections_app.services.imports import import_file
from tests import factories as f
from tests.imports.test_service import LOAN_HEADER, loan_row

pytestmark = pytest.mark.django_db

MODELS = (Borrower, Loan, ContactPoint)


def history_counts(model):
    return {t: model.history.filter(history_type=t).count() for t in "+~-"}


def test_import_writes_one_created_history_row_per_new_row_with_user_and_job(write_csv, lender):
    user = f.UserFactory()
    job = import_file(path=write_csv([LOAN_HEADER, loan_row(1), loan_row(2)]), kind="loans", lender="acme", user=user,
                      recalculate=False)
    assert job.status == "done", job.message
    for model in MODELS:
        rows = list(model.objects.all())
        assert rows
        for obj in rows:
            hist = list(model.history.filter(id=obj.pk))
            assert [h.history_type for h in hist] == ["+"], (model, obj.pk)
            assert hist[0].history_user_id == user.pk
            assert hist[0].history_change_reason == f"import job {job.pk}"
        assert history_counts(model)["~"] == 0
    loan = Loan.objects.get(external_id="L1")
    assert loan.history.get().principal == loan.principal


def test_reimport_that_changes_rows_adds_one_changed_row_each_and_unchanged_adds_none(write_csv, lender):
    user = f.UserFactory()
    import_file(path=write_csv([LOAN_HEADER, loan_row(1), loan_row(2)]), kind="loans", lender="acme", user=user,
                recalculate=False)
    before = {m: history_counts(m) for m in MODELS}

    same = import_file(path=write_csv([LOAN_HEADER, loan_row(1), loan_row(2)], name="same.csv"), kind="loans", lender="acme",
                       user=user, recalculate=False)
    assert same.status == "done", same.message
    assert {m: history_counts(m) for m in MODELS} == before

    changed = import_file(
        path=write_csv([LOAN_HEADER, loan_row(1, borrower_name="新名字", principal="12,000.00"), loan_row(2)], name="b.csv"),
        kind="loans", lender="acme", user=user, recalculate=False)
    assert changed.status == "done", changed.message
    b1 = Borrower.objects.get(external_id="B1")
    assert [h.history_type for h in b1.history.order_by("history_id")] == ["+", "~"]
    assert b1.history.latest("history_id").name == "新名字"
    assert b1.history.latest("history_id").history_change_reason == f"import job {changed.pk}"
    l1 = Loan.objects.get(external_id="L1")
    assert [h.history_type for h in l1.history.order_by("history_id")] == ["+", "~"]
    assert str(l1.history.latest("history_id").principal) == "12000.00"
    for model in (Borrower, Loan):
        assert history_counts(model)["~"] == 1, model
    assert history_counts(ContactPoint) == before[ContactPoint]  # contact points are only ever added


def test_new_contact_on_reimport_gets_its_created_row(write_csv, lender):
    import_file(path=write_csv([LOAN_HEADER, loan_row(1)]), kind="loans", lender="acme", recalculate=False)
    n = history_counts(ContactPoint)["+"]
    import_file(path=write_csv([LOAN_HEADER, loan_row(1, guarantor_phone="13511112222")], name="g.csv"), kind="loans",
                lender="acme", recalculate=False)
    assert history_counts(ContactPoint)["+"] == n + 1
    cp = ContactPoint.objects.get(value="13511112222")
    assert cp.history.count() == 1

