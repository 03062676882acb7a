"""The treatment strategy as a chunk of the run applies it, the same on either backend."""
from __future__ import annotations

from collections.abc import Sequence

from collections_app.domain.buckets import DEFAULT_BUCKETS, BucketRange
from collections_app.models import StrategyRule, StrategyVersion
from collections_app.models.choices import ActionKind, ApprovalKind

# the approval an action created by a rule that needs one asks for
APPROVAL_FOR_ACTION = {
    ActionKind.FIELD_VISIT: ApprovalKind.FIELD_VISIT,
    ActionKind.LAWYER_LETTER: ApprovalKind.LETTER,
    ActionKind.LETTER: ApprovalKind.LETTER,
    ActionKind.AGENCY: ApprovalKind.AGENCY,
    ActionKind.LITIGATION: ApprovalKind.LITIGATION,
    ActionKind.WRITE_OFF: ApprovalKind.WRITE_OFF,
}

# The first bucket past 0 days (M0 in the default table) means reminders only (SMS, robot call): no
# collector time (docs/strategy.md). A rule whose action costs a collector's or an agent's time never
# fires for a case in that bucket, whatever it says.
COLLECTOR_TIME_ACTIONS = (
    ActionKind.CALL, ActionKind.FIELD_VISIT, ActionKind.GUARANTOR_CONTACT, ActionKind.AGENCY, ActionKind.LITIGATION,
)


def current_bucket(buckets: Sequence[BucketRange]) -> str:
    """The bucket of 0 days past due: a closed case's bucket."""
    return next((b.code for b in buckets if b.min_dpd == 0), DEFAULT_BUCKETS[0].code)


def reminder_only_buckets(buckets: Sequence[BucketRange]) -> tuple[str, ...]:
    """The codes of the buckets that get reminders only: the run's first bucket past 0 days."""
    past_zero = sorted((b for b in buckets if b.min_dpd > 0), key=lambda b: b.min_dpd)
    return (past_zero[0].code,) if past_zero else ()


def costs_collector_time_in(action: str, bucket: str, reminder_only: Sequence[str]) -> bool:
    """True when ``action`` may not be proposed for a case in ``bucket`` (reminders only there)."""
    return bucket in reminder_only and action in COLLECTOR_TIME_ACTIONS


def strategy_rules(version: StrategyVersion | None) -> list[StrategyRule] | None:
    """The rules of the run's strategy version (None: no strategy, no actions)."""
    return None if version is None else list(version.rules.all())
