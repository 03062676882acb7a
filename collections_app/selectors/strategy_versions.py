"""Strategy versions for the strategy page: the list, and what a version changes against another
(buckets by code, rules by code; docs/strategy-versions.md).

    versions() -> QuerySet[StrategyVersion]
    version_diff(base, other) -> dict[str, list[Change]]
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from collections_app.models import Bucket, StrategyRule, StrategyVersion

BUCKET_FIELDS = ("name", "min_dpd", "max_dpd", "position", "risk_weight")
RULE_FIELDS = ("description", "product", "bucket", "dpd_min", "dpd_max", "condition", "action", "channel",
               "repeat_every_days", "needs_approval", "position")


@dataclass
class Change:
    kind: str  # added | removed | changed
    code: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (label, before, after)


def versions() -> QuerySet:
    return StrategyVersion.objects.select_related("created_by", "approved_by").order_by("-number")


def _shown(obj, name: str) -> str:
    if obj is None:
        return ""
    model_field = obj._meta.get_field(name)
    if model_field.choices:
        return str(getattr(obj, f"get_{name}_display")())
    value = getattr(obj, name)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


def _compare(before: dict, after: dict, fields: tuple[str, ...], model) -> list[Change]:
    changes = []
    for code in sorted(set(before) | set(after)):
        old, new = before.get(code), after.get(code)
        if old is None:
            changes.append(Change("added", code, [(str(model._meta.get_field(n).verbose_name), "", _shown(new, n))
                                                  for n in fields]))
        elif new is None:
            changes.append(Change("removed", code, [(str(model._meta.get_field(n).verbose_name), _shown(old, n), "")
                                                    for n in fields]))
        else:
            diff = [(str(model._meta.get_field(n).verbose_name), _shown(old, n), _shown(new, n))
                    for n in fields if getattr(old, n) != getattr(new, n)]
            if diff:
                changes.append(Change("changed", code, diff))
    return changes


def version_diff(base: StrategyVersion | None, other: StrategyVersion) -> dict[str, list[Change]]:
    """What ``other`` changes against ``base`` (None: everything is added)."""
    def buckets(v):
        return {b.code: b for b in Bucket.objects.filter(version=v)} if v else {}

    def rules(v):
        return {r.code: r for r in StrategyRule.objects.filter(version=v).select_related("product")} if v else {}

    return {
        "buckets": _compare(buckets(base), buckets(other), BUCKET_FIELDS, Bucket),
        "rules": _compare(rules(base), rules(other), RULE_FIELDS, StrategyRule),
    }
