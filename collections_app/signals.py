"""Flag a loan for a full re-evaluation when one of its rows changes outside the paths that
reclassify it themselves (the admin, the shell, other code through the ORM).

The nightly run advances a loan by arithmetic alone while nothing about it changed
(``services.nightly.postgres.loans.advance_predicate``): a schedule edit, a payment added, changed or deleted,
or an aging pause must therefore mark it ``needs_recalc``; so must a change of its product's penalty or
late-fee terms (penalty and fees are recomputed from the loan's whole history with the new terms). Bulk paths (imports) flag the loans they
touch themselves; recording a payment reclassifies the loan at once.
"""
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from collections_app.models import AgingPause, Installment, Loan, Payment, Product

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


@receiver(pre_save, sender=Product)
def product_terms_before(sender, instance, **kwargs):
    old = Product.objects.filter(pk=instance.pk).values(*CHARGE_FIELDS).first() if instance.pk else None
    instance._charge_terms_changed = old is not None and any(old[f] != getattr(instance, f) for f in CHARGE_FIELDS)


@receiver(post_save, sender=Product)
def product_terms_changed(sender, instance, **kwargs):
    if getattr(instance, "_charge_terms_changed", False):
        Loan.objects.filter(product_id=instance.pk, needs_recalc=False).update(needs_recalc=True)
