"""Strategy actions get their full lifecycle (docs/messages.md, "Strategy actions"): cancelled becomes
skipped; every ended action says who or what ended it and when; a case keeps one open action of
each kind (the newest), the older ones superseded. The constraints come in the next migration."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

ENDED = ("done", "skipped", "expired", "superseded", "failed")


def forwards(apps, schema_editor):
    CaseAction = apps.get_model("collections_app", "CaseAction")
    now = timezone.now()
    CaseAction.objects.filter(status="cancelled").update(status="skipped")
    # ended before the end was always recorded: the time of this migration, said so
    CaseAction.objects.filter(status__in=ENDED, done_at__isnull=True).update(done_at=now)
    CaseAction.objects.filter(status__in=ENDED, done_how="").update(
        done_how="system: ended before the action's end was recorded")
    newer = CaseAction.objects.filter(case_id=OuterRef("case_id"), kind=OuterRef("kind"), status="open").filter(
        Q(due_on__gt=OuterRef("due_on")) | Q(due_on=OuterRef("due_on"), id__gt=OuterRef("id")))
    stale = list(CaseAction.objects.filter(Exists(newer), status="open").values_list("id", flat=True))
    CaseAction.objects.filter(id__in=stale).update(status="superseded", done_at=now,
                                                   done_how="system: a newer action of the same kind")


def backwards(apps, schema_editor):
    CaseAction = apps.get_model("collections_app", "CaseAction")
    CaseAction.objects.filter(status="skipped").update(status="cancelled")
    CaseAction.objects.filter(status__in=("expired", "failed")).update(status="cancelled")


class Migration(migrations.Migration):

    dependencies = [
        ('collections_app', '0029_quality_review_evidence'),
    ]

    operations = [
        migrations.AlterField(
            model_name='caseaction',
            name='status',
            field=models.CharField(choices=[('open', 'Open'), ('awaiting_approval', 'Awaiting approval'), ('done', 'Done'), ('skipped', 'Skipped'), ('expired', 'Expired'), ('superseded', 'Superseded'), ('failed', 'Failed')], default='open', max_length=20, verbose_name='status'),
        ),
        migrations.RunPython(forwards, backwards),
    ]
