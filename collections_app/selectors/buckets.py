"""The delinquency buckets in force: the active strategy version's, else the default table
(``domain.buckets.DEFAULT_BUCKETS``, what a fresh database's version 1 is made of). Buckets are
configuration: code that needs a bucket code asks here rather than naming one.

    active_version() -> StrategyVersion | None
    bucket_ranges(version=None) -> list[BucketRange]      (ordered by position)
    bucket_order() -> list[str]                           (codes in order, one query)
    case_bucket_codes() -> list[str]                      (the buckets a delinquent case can be in)
    current_bucket_code() -> str                          (the bucket of 0 days past due)
"""
from __future__ import annotations

from collections_app.domain.buckets import DEFAULT_BUCKETS, BucketRange
from collections_app.models import Bucket, StrategyVersion
from collections_app.models.choices import StrategyStatus


def active_version() -> StrategyVersion | None:
    return StrategyVersion.objects.filter(status=StrategyStatus.ACTIVE).first()


def bucket_ranges(version: StrategyVersion | None = None) -> list[BucketRange]:
    version = version or active_version()
    if version is None:
        return list(DEFAULT_BUCKETS)
    rows = list(version.buckets.order_by("position"))
    if not rows:
        return list(DEFAULT_BUCKETS)
    return [BucketRange(b.code, b.min_dpd, b.max_dpd, b.position, b.risk_weight) for b in rows]


def _active_rows() -> list[tuple[str, int]]:
    return list(
        Bucket.objects.filter(version__status=StrategyStatus.ACTIVE).order_by("position").values_list("code", "min_dpd")
    ) or [(b.code, b.min_dpd) for b in DEFAULT_BUCKETS]


def bucket_order() -> list[str]:
    """Bucket codes in order, from the active strategy version (one query), else the default table."""
    return [code for code, _min_dpd in _active_rows()]


def case_bucket_codes() -> list[str]:
    """The codes of the buckets past 0 days, in order: the buckets an open case can be in."""
    return [code for code, min_dpd in _active_rows() if min_dpd > 0]


def current_bucket_code() -> str:
    """The code of the bucket that holds 0 days past due (a closed case's bucket)."""
    return next((code for code, min_dpd in _active_rows() if min_dpd == 0), DEFAULT_BUCKETS[0].code)
