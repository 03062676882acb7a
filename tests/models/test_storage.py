"""How the hot tables are stored on PostgreSQL: free room on each loan and case page for the nightly
run's new row versions (migration 0038; docs/performance.md, "Room for the nightly updates"): a
version that fits on its page is a heap-only update, which writes none of the table's indexes."""
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

