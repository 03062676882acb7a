"""A target's period starts on its period's first day: Monday for a week, the 1st for a month.
Existing rows are moved to that day; where that day already holds a target for the same team or
collector and period, the moved row is dropped (the newest rows are moved first)."""
import datetime as dt

from django.conf import settings
from django.db import migrations, models


def align(apps, schema_editor):
    Target = apps.get_model("collections_app", "Target")
    for t in Target.objects.exclude(period="day").order_by("-created_at", "-id"):
        if t.period == "week":
            start = t.period_start - dt.timedelta(days=t.period_start.isoweekday() - 1)
        else:
            start = t.period_start.replace(day=1)
        if start == t.period_start:
            continue
        same = Target.objects.filter(period=t.period, period_start=start, team_id=t.team_id,
                                     collector_id=t.collector_id)
        if same.exists():
            t.delete()
        else:
            Target.objects.filter(pk=t.pk).update(period_start=start)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_initial'),
        ('collections_app', '0014_strategy_version_scheduled_activation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(align, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='target',
            constraint=models.CheckConstraint(condition=models.Q(('period', 'day'), models.Q(('period', 'week'), ('period_start__iso_week_day', 1)), models.Q(('period', 'month'), ('period_start__day', 1)), _connector='OR'), name='target_period_start_aligned', violation_error_message='A week target starts on a Monday, a month target on the 1st.'),
        ),
    ]
