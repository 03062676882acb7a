"""The life of a strategy action after the nightly run created it (docs/messages.md, "Actions")."""
from __future__ import annotations

import datetime as dt

from collections_app.models import ActionStatus, CaseAction


def complete_action(*, action_id: int, by, how: str, now: dt.datetime) -> bool:
    """Mark an open action done (once: a done or cancelled action is left as it is)."""
    return bool(CaseAction.objects.filter(pk=action_id, status=ActionStatus.OPEN).update(
        status=ActionStatus.DONE, done_at=now))
