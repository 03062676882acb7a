"""Pure rules of a strategy action's life (docs/messages.md, "Strategy actions"): its state as shown,
and when an action not done expires."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.utils.translation import gettext, gettext_noop

from collections_app.models.choices import ActionState, ActionStatus


def action_state(status: str, due_on: dt.date | None, today: dt.date) -> ActionState:
    """The state pages and the API show: an open action is *planned* before its due date and *due*
    from it on; any other status is its own state."""
    if status == ActionStatus.OPEN:
        return ActionState.PLANNED if due_on is not None and due_on > today else ActionState.DUE
    return ActionState(str(status))


def expiry_cutoffs(windows: Mapping[str, int], today: dt.date) -> dict[str, dt.date]:
    """For each action kind with an expiry window (days after its due date), the due date before which
    an open action of that kind has expired on ``today``. A kind without a window never expires."""
    return {kind: today - dt.timedelta(days=int(days)) for kind, days in windows.items()
            if days is not None and int(days) >= 0}


# reasons the system ends an action with, the same text whichever backend of the nightly run writes it
CASE_CLOSED = gettext_noop("the case closed")
NEWER_OF_KIND = gettext_noop("a newer action of the same kind")
PLACED = gettext_noop("the case was placed with an agency")


def system_how(reason: str) -> str:
    """``done_how`` of an action the system ended (no person): "system: <reason>" (translated)."""
    return (gettext("system: %(reason)s") % {"reason": gettext(reason)})[:200]
