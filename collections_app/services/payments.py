"""Recording payments outside imports (API, collector, field visit).

INTERFACE (filled in by the delinquency-engine work):

    def record_payment(*, loan, external_id, paid_on, amount, channel="", note="", source, user=None) -> Payment
        Stores the payment (identity (lender, external_id): a repeat with the same data is a no-op,
        a conflicting repeat is a ValidationError), then reclassifies the loan at once.
"""
