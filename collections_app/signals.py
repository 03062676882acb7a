"""Flag a loan for a full re-evaluation when one of its rows changes outside the paths that
reclassify it themselves (the admin, the shell, other code through the ORM).

The nightly run advances a loan by arithmetic alone while nothing about it changed
(``services.delinquency._advance_predicate``): a schedule edit, a payment added, changed or deleted,
or an aging pause must therefore mark it ``needs_recalc``. Bulk paths (imports) flag the loans they
touch themselves; recording a payment reclassifies the loan at once.
"""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from collections_app.models import AgingPause, Installment, Loan, Payment


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
