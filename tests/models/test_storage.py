"""How the hot tables are stored on PostgreSQL: free room on each loan and case page for the nightly
run's new row versions (migration 0038; docs/performance.md, "Room for the nightly updates"): a
version that fits on its page is a heap-only update, which writes none of the table's indexes; and
the covering indexes that answer the dashboard's per-loan sums (migration 0040)."""

import pytest
from django.db import connection

from collections_app import models as m

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL storage parameter"),
]


def _fillfactor(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [model._meta.db_table])
        (options,) = cursor.fetchone()
    return int(dict(o.split("=") for o in options or [])["fillfactor"])


def test_loans_and_cases_leave_room_for_the_nightly_updates():
    assert _fillfactor(m.Loan) == 70
    assert _fillfactor(m.CollectionCase) == 50



# what the nightly run writes on every delinquent loan and open case (nightly/postgres/loans.py, cases.py)
REWRITTEN = {
    m.Loan: {"dpd", "aging_days", "overdue_amount", "outstanding_amount", "penalty_accrued", "fees_accrued",
             "as_of", "next_change_on", "penalty_base", "penalty_principal"},
    m.CollectionCase: {"dpd", "overdue_amount", "outstanding_amount", "next_action", "next_action_at"},
}


@pytest.mark.parametrize("model", list(REWRITTEN), ids=lambda model: model.__name__)
def test_no_index_holds_a_column_the_night_rewrites(model):
    """An update that changes an indexed column is never heap-only: the night's columns stay unindexed."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT DISTINCT a.attname FROM pg_index i
               JOIN pg_class t ON t.oid = i.indrelid
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey)
               WHERE t.relname = %s""",
            [model._meta.db_table],
        )
        indexed = {row[0] for row in cursor.fetchall()}
    columns = {model._meta.get_field(name).column for name in REWRITTEN[model]}
    assert indexed, "the table's indexes were read"
    assert not indexed & columns



# each per-loan lookup of the dashboard (selectors/kpis.py: _overdue_before, _paid_between;
# selectors/attribution.py: bucket_on): the table, the columns it seeks on, the columns it reads
PER_LOAN_LOOKUPS = [
    (m.Installment, ["loan_id", "due_date"], {"amount_due"}),
    (m.Payment, ["loan_id", "paid_on"], {"amount", "source"}),
    (m.BucketHistory, ["loan_id", "on_date"], {"to_bucket"}),
]


@pytest.mark.parametrize("model, seek, read", PER_LOAN_LOOKUPS, ids=[lookup[0].__name__ for lookup in PER_LOAN_LOOKUPS])
def test_the_per_loan_sums_of_the_dashboard_read_indexes_alone(model, seek, read):
    """Recovery by bucket and the comparisons sum, for every loan of a case, its instalments due and its
    payments before a date and look up its bucket then: an index led by the columns it seeks on and
    holding the columns it reads answers each lookup without visiting the table (migration 0040;
    docs/performance.md, "Covering indexes for the per-loan sums")."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.indexrelid::regclass::text,
                      array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
                            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n)
               FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = %s""",
            [model._meta.db_table],
        )
        indexes = dict(cursor.fetchall())
    covering = [name for name, columns in indexes.items()
                if columns[:len(seek)] == seek and read <= set(columns)]
    assert covering, indexes
