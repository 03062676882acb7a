"""Flag a loan for a full re-evaluation when one of its rows changes outside the paths that
reclassify it themselves (the admin, the shell, other code through the ORM).

The nightly run advances a loan by arithmetic alone while nothing about it changed
(``services.nightly.postgres.loans.advance_predicate``): a schedule edit, a payment added, changed or deleted,
or an aging pause must therefore mark it ``needs_recalc``; so must a change of its product's penalty or
late-fee terms (penalty and fees are recomputed from the loan's whole history with the new terms). Bulk paths (imports) flag the loans they
touch themselves; recording a payment reclassifies the loan at once.

Likewise a payment, contact or promise written through the ORM for a day that is over marks that
day's daily figures stale (``services.daily_figures.mark_changed``; docs/kpis.md, "Stored and live
days"): the dashboard reads such a day from the raw rows until a build includes the change. Bulk
paths (the payment import, the nightly promise judging, loans taken into collections) mark the days
they touch themselves.
"""
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from collections_app.models import AgingPause, ContactLog, Installment, Loan, Payment, Product, PromiseToPay
from collections_app.services.daily_figures import mark_changed

CHARGE_FIELDS = ("penalty_daily_rate", "late_fee_rate", "late_fee_min", "grace_days")


def flag_loan(loan_id) -> None:
    if loan_id is not None:
        Loan.objects.filter(id=loan_id, needs_recalc=False).update(needs_recalc=True)


@receiver(post_save, sender=Installment)
@receiver(post_delete, sender=Installment)
@receiver(post_save, sender=Payment)
@receiver(post_delete, sender=Payment)
@receiver(post_save, sender=AgingPause)
@receiver(post_delete, sender=AgingPause)
def loan_rows_changed(sender, instance, **kwargs):
    flag_loan(instance.loan_id)


@receiver(pre_save, sender=Payment)
def payment_loan_before(sender, instance, **kwargs):
    """A payment moved to another loan takes its money off the one it was on: flag that one too."""
    if instance.pk:
        old = Payment.objects.filter(pk=instance.pk).values_list("loan_id", flat=True).first()
        if old is not None and old != instance.loan_id:
            flag_loan(old)


@receiver(pre_save, sender=Product)
def product_terms_before(sender, instance, **kwargs):
    old = Product.objects.filter(pk=instance.pk).values(*CHARGE_FIELDS).first() if instance.pk else None
    instance._charge_terms_changed = old is not None and any(old[f] != getattr(instance, f) for f in CHARGE_FIELDS)


@receiver(post_save, sender=Product)
def product_terms_changed(sender, instance, **kwargs):
    if getattr(instance, "_charge_terms_changed", False):
        Loan.objects.filter(product_id=instance.pk, needs_recalc=False).update(needs_recalc=True)


DAY_FIELDS = {Payment: ("paid_on",), ContactLog: ("occurred_at",), PromiseToPay: ("created_at", "promised_date")}


def _figure_days(instance) -> list:
    """The business days whose work or money this row counts in (docs/kpis.md, "Daily figures")."""
    if isinstance(instance, Payment):
        return [instance.paid_on]
    if isinstance(instance, ContactLog):
        return [timezone.localdate(instance.occurred_at)] if instance.occurred_at else []
    created = timezone.localdate(instance.created_at) if instance.created_at else None
    return [created, instance.promised_date]  # made on the one, due on the other


@receiver(pre_save, sender=Payment)
@receiver(pre_save, sender=ContactLog)
@receiver(pre_save, sender=PromiseToPay)
def figure_days_before(sender, instance, update_fields=None, raw=False, **kwargs):
    """An update may move the row to another day: the day it leaves changes too."""
    fields = DAY_FIELDS[sender]
    moves = instance.pk and not raw and (update_fields is None or set(update_fields) & set(fields))
    old = sender.objects.filter(pk=instance.pk).only(*fields).first() if moves else None
    instance._figure_days_before = _figure_days(old) if old is not None else []


@receiver(post_save, sender=Payment)
@receiver(post_delete, sender=Payment)
@receiver(post_save, sender=ContactLog)
@receiver(post_delete, sender=ContactLog)
@receiver(post_save, sender=PromiseToPay)
@receiver(post_delete, sender=PromiseToPay)
def figure_days_changed(sender, instance, **kwargs):
    mark_changed([*getattr(instance, "_figure_days_before", []), *_figure_days(instance)])
