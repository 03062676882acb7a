"""Delinquency buckets: configurable ranges of aging days (docs/delinquency.md rule 6). Pure."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class BucketRange:
    code: str
    min_dpd: int
    max_dpd: int | None  # None: no upper bound
    position: int
    risk_weight: Decimal = Decimal("1")

    def holds(self, days: int) -> bool:
        return days >= self.min_dpd and (self.max_dpd is None or days <= self.max_dpd)


DEFAULT_BUCKETS: tuple[BucketRange, ...] = (
    BucketRange("CURRENT", 0, 0, 0, Decimal("0")),
    BucketRange("M0", 1, 30, 1, Decimal("1")),
    BucketRange("M1", 31, 60, 2, Decimal("1.5")),
    BucketRange("M2", 61, 90, 3, Decimal("2")),
    BucketRange("M3", 91, 120, 4, Decimal("2.5")),
    BucketRange("M4", 121, 150, 5, Decimal("3")),
    BucketRange("M4+", 151, None, 6, Decimal("3")),
)


class BucketConfigError(ValueError):
    pass


def validate(buckets: Sequence[BucketRange]) -> None:
    """Ranges must start at 0, be contiguous, not overlap and end unbounded."""
    ordered = sorted(buckets, key=lambda b: b.min_dpd)
    if not ordered or ordered[0].min_dpd != 0:
        raise BucketConfigError("The first bucket must start at 0 days.")
    for prev, nxt in zip(ordered, ordered[1:], strict=False):
        if prev.max_dpd is None or nxt.min_dpd != prev.max_dpd + 1:
            raise BucketConfigError(f"Buckets {prev.code} and {nxt.code} are not contiguous.")
    if ordered[-1].max_dpd is not None:
        raise BucketConfigError("The last bucket must have no upper bound.")
    codes = [b.code for b in ordered]
    if len(set(codes)) != len(codes):
        raise BucketConfigError("Bucket codes must be unique.")


def classify(days: int, buckets: Sequence[BucketRange] = DEFAULT_BUCKETS) -> str:
    for b in buckets:
        if b.holds(days):
            return b.code
    raise BucketConfigError(f"No bucket holds {days} days.")


def position(code: str, buckets: Sequence[BucketRange] = DEFAULT_BUCKETS) -> int:
    for b in buckets:
        if b.code == code:
            return b.position
    return -1
