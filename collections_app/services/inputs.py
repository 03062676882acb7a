"""Checks every service applies to what people type, so pages and the API refuse the same input."""
from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

# money columns are numeric(16, 2): an amount must stay below 10^14
MONEY_LIMIT = Decimal(10) ** 14


def text_errors(fields: dict[str, tuple[str | None, int | None]]) -> dict[str, list]:
    """{field: messages} for text that cannot be stored: a NUL character (PostgreSQL refuses it) or
    more than the field's length (None: no limit)."""
    errors: dict[str, list] = {}
    for field, (value, limit) in fields.items():
        if not value:
            continue
        if "\x00" in value:
            errors.setdefault(field, []).append(_("Remove the null character from this text."))
        if limit is not None and len(value) > limit:
            errors.setdefault(field, []).append(
                _("At most %(limit)d characters (this has %(count)d).") % {"limit": limit, "count": len(value)})
    return errors
