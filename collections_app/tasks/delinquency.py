"""Tasks of the delinquency run (nightly sweep, chunks, real-time recalculation)."""
