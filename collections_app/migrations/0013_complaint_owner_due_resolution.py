"""Complaints get an owner, a due date (received + 15 calendar days, docs/complaints.md) and who
resolved them; a resolved complaint has a time (existing rows are filled in)."""
import datetime as dt
import zoneinfo

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DUE_DAYS = 15


def fill_in(apps, schema_editor):
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    for name in ("Complaint", "HistoricalComplaint"):
        model = apps.get_model("collections_app", name)
        for row in model.objects.filter(due_on__isnull=True).only("pk", "received_at").iterator():
            due = row.received_at.astimezone(tz).date() + dt.timedelta(days=DUE_DAYS)
            model.objects.filter(pk=row.pk).update(due_on=due)
    complaint = apps.get_model("collections_app", "Complaint")
    for row in complaint.objects.filter(status="resolved", resolved_at__isnull=True).only("pk", "received_at"):
        complaint.objects.filter(pk=row.pk).update(resolved_at=row.received_at)
    complaint.objects.filter(status="open").exclude(resolved_at=None).update(resolved_at=None)


class Migration(migrations.Migration):

    dependencies = [
        ('collections_app', '0012_stop_flag_outcomes_rule_breaches_visit_promise'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='complaint',
            name='due_on',
            field=models.DateField(null=True, verbose_name='resolve by'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='owner',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='complaints_owned', to=settings.AUTH_USER_MODEL, verbose_name='owner'),
        ),
        migrations.AddField(
            model_name='complaint',
            name='resolved_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='resolved by'),
        ),
        migrations.AddField(
            model_name='historicalcomplaint',
            name='due_on',
            field=models.DateField(null=True, verbose_name='resolve by'),
        ),
        migrations.AddField(
            model_name='historicalcomplaint',
            name='owner',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='owner'),
        ),
        migrations.AddField(
            model_name='historicalcomplaint',
            name='resolved_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='resolved by'),
        ),
        migrations.RunPython(fill_in, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='complaint',
            name='due_on',
            field=models.DateField(verbose_name='resolve by'),
        ),
        migrations.AlterField(
            model_name='historicalcomplaint',
            name='due_on',
            field=models.DateField(verbose_name='resolve by'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(fields=['status', 'due_on'], name='complaint_status_due'),
        ),
        migrations.AddConstraint(
            model_name='complaint',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('resolved_at__isnull', True), ('status', 'open')), models.Q(('resolved_at__isnull', False), ('status', 'resolved')), _connector='OR'), name='complaint_resolved_has_time'),
        ),
    ]
