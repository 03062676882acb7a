from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('collections_app', '0030_action_lifecycle'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='caseaction',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('case', 'kind'), name='one_open_action_per_kind'),
        ),
        migrations.AddConstraint(
            model_name='caseaction',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ('open', 'awaiting_approval')), ('done_at__isnull', False), _connector='OR'), name='case_action_end_recorded'),
        ),
    ]
