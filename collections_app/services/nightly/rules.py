"""The treatment strategy as a chunk of the run applies it, the same on either backend."""
from __future__ import annotations

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


def strategy_rules(version: StrategyVersion | None) -> list[StrategyRule] | None:
    """The rules of the run's strategy version (None: no strategy, no actions)."""
    return None if version is None else list(version.rules.all())
