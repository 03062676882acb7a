import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('collections_app', '0031_action_constraints'),
    ]

    operations = [
        migrations.CreateModel(
            name='LoanRecalc',
            fields=[
                ('loan', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='recalc_flag', serialize=False, to='collections_app.loan', verbose_name='loan')),
                ('flagged_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='flagged at')),
            ],
            options={
                'verbose_name': 'loan flagged for recalculation',
                'verbose_name_plural': 'loans flagged for recalculation',
            },
        ),
    ]
