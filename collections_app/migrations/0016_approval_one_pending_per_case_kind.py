"""M0 means no collector time, and one pending approval request per case and kind.

1. Pending approval requests repeated for the same case and kind (the nightly run raised the same
   proposal again): the oldest stays, the others are cancelled with their waiting actions.
2. The partial unique constraint ``approval_one_pending_per_case_kind``.
3. The default strategy (version 1 as ``ensure_default_strategy`` created it), if it is still the
   active version and nobody changed it: a corrected default version replaces it (M0 proposes no
   call, guarantor contact or field visit; robot calls instead). A changed strategy is left alone:
   its corrections go through the maker-checker flow.
"""
from django.db import migrations, models
from django.utils import timezone

OLD_RULES = [
    ("day1-first-call", "Day 1: call, learn the reason, explain the credit-bureau record, get a committed date",
     "", 1, 1, "call", "phone", None, False, {}),
    ("days1-3-daily-call", "Days 1–3: a call every day", "", 1, 3, "call", "phone", 1, False, {}),
    ("m0-sms-reminder", "M0: SMS reminder every 7 days", "M0", None, None, "sms_reminder", "sms", 7, False, {}),
    ("day4-field-visit", "Day 4: field visit to the business or home", "", 4, 4, "field_visit", "visit", None, True, {}),
    ("day4-guarantor", "Day 4: contact the guarantor", "", 4, 4, "guarantor_contact", "phone", None, False,
     {"has_guarantor": True}),
    ("day7-notice-letter", "Day 7: overdue notice letter (逾期催收函); ask the guarantor to pay", "", 7, 7,
     "letter", "letter", None, False, {}),
    ("m1-reminder-calls", "M1: polite reminder calls every 3 days", "M1", None, None, "call", "phone", 3, False, {}),
    ("m2-firm-calls", "M2: firmer calls every 2 days; emergency contacts may be asked to remind", "M2", None, None,
     "call", "phone", 2, False, {}),
    ("m3-lawyer-letter", "M3: lawyer's letter (律师函) to household and employer addresses", "M3", None, None,
     "lawyer_letter", "letter", None, True, {}),
    ("m3-daily-calls", "M3: strong pressure, daily calls", "M3", None, None, "call", "phone", 1, False, {}),
    ("m4-agency", "M4: small balance → outside agency (委外)", "M4", None, None, "agency", "", None, True,
     {"max_overdue_amount": "20000"}),
    ("m4-litigation", "M4: large balance → litigation (起诉)", "M4", None, None, "litigation", "", None, True,
     {"min_overdue_amount": "20000"}),
    ("m4plus-write-off", "M4+: write-off review (核销, 账销案存)", "M4+", None, None, "write_off", "", None, True, {}),
]
# the rules replacing the first five (the rest stay as they are), as in services/strategy.py DEFAULT_RULES
NEW_M0_RULES = [
    ("days1-3-robot-call", "Days 1–3: a robot call every day", "M0", 1, 3, "robot_call", "phone", 1, False, {}),
    ("m0-sms-reminder", "M0: SMS reminder every 7 days", "M0", None, None, "sms_reminder", "sms", 7, False, {}),
]
NEW_RULES = NEW_M0_RULES + OLD_RULES[5:]
OLD_BUCKETS = [("CURRENT", 0, 0, 0), ("M0", 1, 30, 1), ("M1", 31, 60, 2), ("M2", 61, 90, 3), ("M3", 91, 120, 4),
               ("M4", 121, 150, 5), ("M4+", 151, None, 6)]
NOTE = "Default ladder corrected: M0 means reminders only (robot calls, SMS), no collector time (docs/strategy.md)."


# reviews raised per event (each stop flag, each contact despite a refusal): several may wait at once
PER_EVENT_KINDS = ["stop_flag", "rule_breach"]


def cancel_repeated_pending(apps, schema_editor):
    ApprovalRequest = apps.get_model("collections_app", "ApprovalRequest")
    CaseAction = apps.get_model("collections_app", "CaseAction")
    seen, repeated = set(), []
    for row in ApprovalRequest.objects.filter(status="pending", case__isnull=False).exclude(
            kind__in=PER_EVENT_KINDS).order_by(
            "case_id", "kind", "created_at", "id").values("id", "case_id", "kind"):
        key = (row["case_id"], row["kind"])
        if key in seen:
            repeated.append(row["id"])
        seen.add(key)
    for start in range(0, len(repeated), 1000):
        ids = repeated[start:start + 1000]
        ApprovalRequest.objects.filter(id__in=ids).update(
            status="cancelled", decided_at=timezone.now(),
            decision_note="Cancelled: the same request was already waiting for a decision on this case.")
        # done_at: the when an ended action must record (constraint case_action_end_recorded, migration 0029)
        CaseAction.objects.filter(approval_id__in=ids, status="awaiting_approval").update(
            status="cancelled", done_at=timezone.now())


def _rule_tuple(r):
    return (r.code, r.description, r.bucket, r.dpd_min, r.dpd_max, r.action, r.channel, r.repeat_every_days,
            r.needs_approval, r.condition or {})


def correct_default_strategy(apps, schema_editor):
    StrategyVersion = apps.get_model("collections_app", "StrategyVersion")
    Bucket = apps.get_model("collections_app", "Bucket")
    StrategyRule = apps.get_model("collections_app", "StrategyRule")
    active = StrategyVersion.objects.filter(status="active").first()
    if active is None or active.created_by_id is not None:
        return  # a fresh database gets the corrected default on its first run; a proposed version is an admin's
    rules = list(active.rules.order_by("position", "id"))
    buckets = list(active.buckets.order_by("position").values_list("code", "min_dpd", "max_dpd", "position"))
    if buckets != OLD_BUCKETS or any(r.product_id for r in rules) or [_rule_tuple(r) for r in rules] != OLD_RULES:
        return  # changed by someone: leave it, a new version goes through maker-checker
    number = StrategyVersion.objects.order_by("-number").values_list("number", flat=True).first() + 1
    active.status = "retired"
    active.save(update_fields=["status"])
    today = timezone.localdate()
    version = StrategyVersion.objects.create(number=number, status="active", note=NOTE, approved_at=timezone.now(),
                                             effective_from=today)
    Bucket.objects.bulk_create(
        Bucket(version=version, code=b.code, name=b.name, min_dpd=b.min_dpd, max_dpd=b.max_dpd, position=b.position,
               risk_weight=b.risk_weight)
        for b in active.buckets.all()
    )
    StrategyRule.objects.bulk_create(
        StrategyRule(version=version, code=code, description=desc, bucket=bucket, dpd_min=lo, dpd_max=hi,
                     action=action, channel=channel, repeat_every_days=rep, needs_approval=appr, condition=cond,
                     position=n)
        for n, (code, desc, bucket, lo, hi, action, channel, rep, appr, cond) in enumerate(NEW_RULES)
    )


class Migration(migrations.Migration):

    dependencies = [
        ("collections_app", "0015_target_period_start_aligned"),
    ]

    operations = [
        migrations.RunPython(cancel_repeated_pending, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="approvalrequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("case__isnull", False), ("status", "pending"),
                                   models.Q(("kind__in", PER_EVENT_KINDS), _negated=True)),
                fields=("case", "kind"),
                name="approval_one_pending_per_case_kind",
            ),
        ),
        migrations.RunPython(correct_default_strategy, migrations.RunPython.noop),
    ]
