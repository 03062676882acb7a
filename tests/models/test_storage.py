"""How the hot tables are stored on PostgreSQL: free room on each loan and case page for the nightly
run's new row versions (migration 0038; docs/performance.md, "Room for the nightly updates"): a
version that fits on its page is a heap-only update, which writes none of the table's indexes; and
the covering indexes that answer the dashboard's per-loan sums (migration 0040)."""
import datetime as dt

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


def test_the_per_loan_sums_of_the_dashboard_read_indexes_alone():
    """Recovery by bucket and the comparisons sum, for every loan of a case, its instalments due and its
    payments before a date and look up its bucket then (selectors/kpis.py): the covering indexes of
    migration 0040 answer each of those lookups without visiting the table (docs/kpis.md, "Speed").
    Seq and plain index scans are switched off, so a lookup the indexes cannot answer alone shows as a
    heap scan in the plan."""
    from collections_app.selectors import kpis
    from collections_app.selectors.attribution import bucket_on

    query = m.Loan.objects.filter(pk=1).annotate(
        base=kpis._overdue_before(dt.date(2026, 1, 1)), paid=kpis._paid_between(dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
        b0=bucket_on("pk", "CURRENT", before_day=dt.date(2026, 1, 1)),
    ).values("base", "paid", "b0")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; "
                       "SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    for table in (m.Installment, m.Payment, m.BucketHistory):
        scans = [line for line in plan.splitlines() if f" on {table._meta.db_table} " in line]
        assert scans, plan
        assert all("Index Only Scan" in line for line in scans), plan
