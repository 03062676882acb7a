"""Litigation stages, without a database (docs/litigation.md).

A legal case moves forward through the stages in this order; a stage may be skipped (not every
case has a hearing or reaches the dishonest-debtor list) and it may be closed from any stage. It
never moves back, and a closed case stays closed.
"""
from __future__ import annotations

from collections_app.models.legal import LegalStage

ORDER = [
    LegalStage.PREPARED,
    LegalStage.FILED,
    LegalStage.HEARING,
    LegalStage.JUDGEMENT,
    LegalStage.ENFORCEMENT,
    LegalStage.DISHONEST_LIST,
    LegalStage.CLOSED,
]

# the LegalCase field that records the day a stage was reached
DATE_FIELD = {
    LegalStage.FILED: "filed_on",
    LegalStage.HEARING: "hearing_on",
    LegalStage.JUDGEMENT: "judgement_on",
    LegalStage.ENFORCEMENT: "enforcement_on",
    LegalStage.DISHONEST_LIST: "dishonest_listed_on",
    LegalStage.CLOSED: "closed_on",
}


def can_move(from_stage: str, to_stage: str) -> bool:
    """True when a legal case at ``from_stage`` may move to ``to_stage``."""
    if from_stage == LegalStage.CLOSED or from_stage not in ORDER or to_stage not in ORDER:
        return False
    return ORDER.index(to_stage) > ORDER.index(from_stage)


def next_stages(from_stage: str) -> list[str]:
    """The stages a legal case at ``from_stage`` may move to, in order."""
    return [s for s in ORDER if can_move(from_stage, s)]
