"""More free room on each loan and case page (PostgreSQL fillfactor: loans 80 → 70, cases 80 → 50), so
the nightly run's updates stay heap-only: a new row version that fits on its page writes no index
entry. Every open case is written each night (its days past due), a delinquent loan too; at 80 the
pages filled up within a few nights and the updates moved to other pages, writing all eleven case
indexes and seven loan indexes again (docs/performance.md, "Room for the nightly updates"). The
setting applies to pages written from now on; a table rewritten (``VACUUM FULL``, pg_repack) takes
it whole (docs/scaling.md)."""

from django.db import migrations

ROOM = {"Loan": 70, "CollectionCase": 50}
BEFORE = {"Loan": 80, "CollectionCase": 80}


def _set(apps, schema_editor, values):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, value in values.items():
        table = schema_editor.quote_name(apps.get_model("collections_app", name)._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(value)})")


def more_room(apps, schema_editor):
    _set(apps, schema_editor, ROOM)


def less_room(apps, schema_editor):
    _set(apps, schema_editor, BEFORE)


class Migration(migrations.Migration):

    dependencies = [
        ("collections_app", "0037_case_holder_since"),
    ]

    operations = [
        migrations.RunPython(more_room, less_room),
    ]
