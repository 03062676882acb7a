"""The delinquency engine's database paths and the nightly run.

INTERFACE (filled in by the delinquency-engine work):

    def recalculate_loans(loan_ids, *, as_of=None) -> None
        Reclassify these loans now (real-time path after a payment or a schedule change), with the
        same engine as the nightly run, and sync their cases.
"""
