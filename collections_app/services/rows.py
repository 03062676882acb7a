"""Writing known values to many rows at once."""
from __future__ import annotations

from django.db import connection


def update_rows(*, model, objs, fields) -> int:
    """Write ``fields`` of each object in ``objs`` (saved rows) with one parameterised UPDATE executed
    for all of them. Django's ``bulk_update`` builds a CASE expression per field and row instead, and
    building them dominated the generic (SQLite) nightly run: a run over the demo book (2,000 loans,
    1,300 cases) took 4.4 s of CPU with ``bulk_update`` in ``sync_cases``, 2.1 s with this. No
    signals, no history, ``auto_now`` fields untouched — the same as ``bulk_update``."""
    objs = list(objs)
    if not objs:
        return 0
    columns = [model._meta.get_field(name) for name in fields]
    sets = ", ".join(f"{connection.ops.quote_name(c.column)} = %s" for c in columns)
    sql = f"UPDATE {connection.ops.quote_name(model._meta.db_table)} SET {sets} WHERE id = %s"
    params = [[c.get_db_prep_save(getattr(obj, c.attname), connection) for c in columns] + [obj.pk] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(objs)
