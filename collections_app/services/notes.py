"""Free notes on a case's timeline (the case page's note form).

    add_case_note(*, case, user, text) -> CaseNote
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from collections_app.models import CaseNote, CollectionCase

NOTE_MAX_LENGTH = 10000


def note_too_long(note: str) -> str:
    return _("The note is too long: at most %(max)s characters (this one has %(n)s).") % {
        "max": f"{NOTE_MAX_LENGTH:,}", "n": f"{len(note):,}"
    }


def add_case_note(*, case: CollectionCase, user: User | None, text: str | None) -> CaseNote:
    """A free note on the case's timeline: not empty, at most NOTE_MAX_LENGTH characters (refused
    with the limit, never cut)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("The note is empty.")})
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError({"text": note_too_long(text)})
    return CaseNote.objects.create(case=case, author=user if getattr(user, "is_authenticated", False) else None,
                                   text=text)
