"""Quality review's pure rules (docs/quality.md): the default checklist and how a review is scored."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_noop

PASS, FAIL, NA = "pass", "fail", "na"

# A lender without a checklist of its own is given this one (code, label, weight) the first time
# one of its contacts is sampled; an admin edits it, or adds a new version, in the admin site.
DEFAULT_ITEMS: tuple[tuple[str, str, int], ...] = (
    ("greeting", gettext_noop("Greets and gives their name and the company's"), 1),
    ("identity", gettext_noop("Checks the identity before speaking of the debt"), 2),
    ("no_threats", gettext_noop("No threats, insults or false claims"), 3),
    ("amounts", gettext_noop("States the amounts and dates accurately"), 2),
    ("third_party", gettext_noop("Discloses nothing of the debt to a third party"), 3),
    ("next_step", gettext_noop("Agrees a clear next step"), 1),
    ("notes", gettext_noop("Notes and outcome match the call"), 1),
)
DEFAULT_NAME = gettext_noop("Call quality checklist")

# long calls: longer than this many minutes unless the supervisor says otherwise
LONG_CALL_MINUTES = 10
# new collectors: the first K calls of those who started within D days
NEW_COLLECTOR_CALLS = 5
NEW_COLLECTOR_DAYS = 30
SAMPLE_MAX = 200


def review_score(results: Iterable[tuple[int, str]]) -> Decimal:
    """(weight, result) per item → the met weight over the weight that applied, in percent, two
    places, rounded once (half up). Every item not applicable counts as 100."""
    applied = met = 0
    for weight, result in results:
        if result == NA:
            continue
        applied += weight
        if result == PASS:
            met += weight
    if applied == 0:
        return Decimal("100.00")
    return (Decimal(met) * 100 / Decimal(applied)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def average(scores: Iterable[Decimal]) -> Decimal | None:
    """The plain mean of review scores, two places, rounded once; None for no review."""
    values = list(scores)
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
